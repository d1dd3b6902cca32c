"""Build or incrementally refresh the index of a folder (what ``textemb index`` and ``textemb search DOCS`` do).

``textemb search "query" DOCS`` keeps its index in the cache, not in the documents folder:
``$TEXTEMB_CACHE/indexes/<folder name>-<hash of the folder's absolute path, encoder and settings>``
(see :func:`textemb.io.cache.cache_root`), so a read-only folder works and nothing is written
beside the user's files. ``textemb cache clear`` does not touch indexes; delete the folder to drop one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from textemb.encoders.base import Encoder
from textemb.errors import InputError
from textemb.search.documents import DEFAULT_MAX_BYTES, DocumentSet, load_documents
from textemb.search.index import ChunkSettings, Index, SyncReport, encoder_key


def cached_index_path(docs: str | Path, encoder_spec: str, chunk: ChunkSettings) -> Path:
    """Where the one-step ``textemb search QUERY DOCS`` keeps the index of ``docs``."""
    from textemb.io.cache import cache_root

    docs = Path(docs).resolve()
    key = json.dumps({"docs": str(docs), "encoder": encoder_key(encoder_spec), "chunk": dataclasses.asdict(chunk)},
                     sort_keys=True)
    return cache_root() / "indexes" / f"{docs.name or 'root'}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def index_folder(
    docs: str | Path,
    out: str | Path,
    *,
    encoder: Encoder | None = None,
    chunk: ChunkSettings | None = None,
    dtype: str | None = None,
    ann: str | None = None,
    text_column: str = "text",
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_size: int = 64,
    show_progress: bool | None = None,
    rebuild: bool = False,
    device: str = "cpu",
) -> tuple[Index, SyncReport, DocumentSet]:
    """Index ``docs`` into the folder ``out``; an existing index there is updated incrementally.

    Only files whose content hash changed are re-encoded and deleted files are dropped. An
    existing index built with another encoder or chunking is an error unless ``rebuild``;
    ``dtype``/``ann`` left as None keep an existing index's settings (new: float32, auto).
    """
    out = Path(out)
    found = load_documents(docs, text_column=text_column, max_bytes=max_bytes)
    exists = (out / "manifest.json").is_file()
    if exists and not rebuild:
        idx = Index.open(out, device=device, writable=True)
        try:
            if chunk is not None and chunk != idx.chunk:
                raise InputError(f"{out} was built with chunking {dataclasses.asdict(idx.chunk)}, not "
                                 f"{dataclasses.asdict(chunk)}; pass --rebuild (rebuild=True) to re-index from scratch")
            if encoder is not None:
                if encoder_key(encoder.spec or encoder.name) != encoder_key(idx.encoder_spec):
                    raise InputError(f"{out} was built with encoder {idx.encoder_spec!r}, not {encoder.spec!r}; "
                                     "pass --rebuild (rebuild=True) to re-index with the new encoder")
                idx.use_encoder(encoder)
            settings = (idx.dtype, idx.ann)
            idx.dtype, idx.ann = dtype or idx.dtype, ann or idx.ann  # None keeps the index's own settings
            report = idx.sync(found, batch_size=batch_size, show_progress=show_progress)
            if report.added or report.updated or report.removed or settings != (idx.dtype, idx.ann):
                idx.save()  # nothing changed: no new generation
        finally:
            idx.close()
        return idx, report, found
    if encoder is None:
        from textemb.search import default_encoder

        encoder = default_encoder(device)
    import time

    t0 = time.perf_counter()
    idx = Index.build(found, encoder, path=out, chunk=chunk or ChunkSettings(), dtype=dtype or "float32", ann=ann or "auto",
                      batch_size=batch_size, show_progress=show_progress, device=device)
    sources = {d.source for d in found.documents}
    report = SyncReport(added=len(sources), encoded_passages=len(idx.passages), seconds=time.perf_counter() - t0)
    return idx, report, found
