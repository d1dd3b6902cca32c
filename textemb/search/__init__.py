"""Search over documents: one pipeline from documents to any store, dense + BM25 + hybrid retrieval.

Module map (one job each)::

    documents.py         walk a folder / read a file or a Wikipedia dump, parse it into Document records
    markup.py            HTML and wikitext to plain text, in time linear in the input
    chunking.py          the one chunker (ChunkSettings, spans, passage texts) and its tokenizer choice
    engines.py           encoding engines: passage texts -> normalized vectors (LocalEngine, shared rounding)
    ray_engine.py        the Ray Data engine: resumable, checksummed shards encoded by actors
    stores/base.py       VectorStore, the one storage protocol
    stores/memory.py     in-memory store (numpy matrix; exact search or faiss HNSW)
    stores/folder.py     the memory store saved as an index folder (crash-safe generations)
    stores/folder_files.py  the index folder's on-disk layout, generations and write lock
    stores/milvus.py     a Milvus server or milvus-lite collection
    stores/__init__.py   the store grammar (PATH, milvus://, milvus-lite:) -> open / create / drop
    compat.py            manifest fields and the one encoder / build compatibility check
    sync.py              the one sync planner (which files to drop, which to re-encode)
    lexical.py           the BM25 (bm25s) index beside the vectors, updated per document, saved without pickle
    ranking.py           Hit, document-score aggregation (max / mean) and rank fusion (RRF / weighted)
    query_args.py        search arguments checked in one place: modes, vector search, k, doc score, queries
    highlight.py         the query words to mark, the excerpt around them and their spans (CLI and serve)
    index.py             Index, the façade: chunk -> encode -> sync -> search (dense | bm25 | hybrid), any store
    indexing.py          folder of documents -> up-to-date index in any store with any engine (what the CLI runs)
    retrieval.py         BEIR loading and retrieval evaluation (ir-measures: nDCG@10, MRR@10, Recall@k)

>>> from textemb.search import Index, load_documents, default_encoder
>>> idx = Index.build(load_documents("corpora/wikipedia-sample"), default_encoder(), path="wiki.idx")
>>> Index.open("wiki.idx").search("a nocturnal burrowing animal that eats termites", k=3)
"""

from __future__ import annotations

import warnings

from textemb.errors import IndexLockedError, IndexWriteError
from textemb.search.chunking import ChunkSettings, chunk_spans
from textemb.search.documents import Document, DocumentSet, load_documents
from textemb.search.index import DEFAULT_MODE, MODES, Index
from textemb.search.ranking import Hit
from textemb.search.sync import SyncReport

#: the default search encoder, then the fallbacks tried when its backend is not installed: all-MiniLM-L6-v2 on
#: ONNX Runtime with int8 weights is the fastest path whose retrieval quality equals PyTorch fp32 (nDCG@10 0.984
#: on both, bench/results/fast_paths_quality.md); it runs on the CPU, so another device starts at PyTorch MiniLM
DEFAULT_SEARCH_ENCODERS = ("all-MiniLM-L6-v2?backend=onnx&quantize=int8", "all-MiniLM-L6-v2", "avg:glove-6b-50d",
                           "glove-6b-50d")

__all__ = [
    "DEFAULT_MODE",
    "DEFAULT_SEARCH_ENCODERS",
    "MODES",
    "ChunkSettings",
    "Document",
    "DocumentSet",
    "Hit",
    "Index",
    "IndexLockedError",
    "IndexWriteError",
    "SyncReport",
    "chunk_spans",
    "default_encoder",
    "load_documents",
]


def default_encoder(device: str = "cpu"):
    """all-MiniLM-L6-v2 (ONNX int8 on the CPU) when its backend is installed, else averaged GloVe 50d."""
    from textemb import load_encoder
    from textemb.errors import (
        MissingDependencyError,
        ModelNotInstalledError,
        UnknownEncoderError,
    )

    failures = []
    for spec in DEFAULT_SEARCH_ENCODERS[0 if device == "cpu" else 1:]:
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
