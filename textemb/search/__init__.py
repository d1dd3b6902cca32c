"""Semantic search over documents: load and chunk documents, build an on-disk index, search it.

>>> from textemb.search import Index, load_documents, default_encoder
>>> idx = Index.build(load_documents("corpora/wikipedia-sample"), default_encoder(), path="wiki.idx")
>>> Index.open("wiki.idx").search("a nocturnal burrowing animal that eats termites", k=3)
"""

from __future__ import annotations

import warnings

from textemb.search.documents import Document, DocumentSet, chunk_spans, load_documents
from textemb.search.index import ChunkSettings, Hit, Index, SyncReport
from textemb.search.store import IndexLockedError, IndexWriteError

#: the default search encoder, then the fallbacks tried when its backend is not installed
DEFAULT_SEARCH_ENCODERS = ("all-MiniLM-L6-v2", "avg:glove-6b-50d", "glove-6b-50d")

__all__ = ["ChunkSettings", "Document", "DocumentSet", "Hit", "Index", "IndexLockedError", "IndexWriteError", "SyncReport",
           "chunk_spans", "default_encoder", "load_documents", "DEFAULT_SEARCH_ENCODERS"]


def default_encoder(device: str = "cpu"):
    """all-MiniLM-L6-v2 when the sentence-transformers backend is installed, else averaged GloVe 50d."""
    from textemb import load_encoder
    from textemb.errors import MissingDependencyError, ModelNotInstalledError, UnknownEncoderError

    failures = []
    for spec in DEFAULT_SEARCH_ENCODERS:
        try:
            enc = load_encoder(spec, device=device)
        except (MissingDependencyError, ModelNotInstalledError, UnknownEncoderError) as exc:
            failures.append(f"{spec}: {exc}")
            continue
        if failures:
            warnings.warn(f"search encoder {DEFAULT_SEARCH_ENCODERS[0]!r} is not available ({failures[0]}); "
                          f"using {spec!r} instead", stacklevel=2)
        return enc
    raise MissingDependencyError("sentence-transformers", "contextual", "the default search encoder")
