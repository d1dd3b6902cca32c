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
    lock_wait: float = 0.0,
) -> tuple[Index, SyncReport, DocumentSet]:
    """Index ``docs`` into the folder ``out``; an existing index there is updated incrementally.

    Only files whose content hash changed are re-encoded and deleted files are dropped. An
    existing index built with another encoder or chunking is an error unless ``rebuild``;
    ``dtype``/``ann`` left as None keep an existing index's settings (new: float32, auto).

    The write lock is taken only when something changed: an up-to-date index is opened read-only, so any
    number of readers (parallel ``textemb search QUERY DOCS``) share it. ``lock_wait`` seconds are spent
    waiting for another writer before :class:`~textemb.search.store.IndexLockedError`.
    """
    out = Path(out)
    found = load_documents(docs, text_column=text_column, max_bytes=max_bytes, exclude=(out,))
    exists = (out / "manifest.json").is_file()
    if exists and not rebuild:
        current = _open_current(out, found, encoder=encoder, chunk=chunk, dtype=dtype, ann=ann, device=device)
        if current is not None:  # nothing changed: no lock, no write, so readers never wait or fail
            return current, SyncReport(unchanged=len({d.source for d in found.documents})), found
        idx = _open_writable(out, device, lock_wait)
        try:
            _check_same(idx, out, encoder, chunk)
            if encoder is not None:
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
    from textemb.search.store import IndexLock, IndexLockedError

    try:
        idx = Index.build(found, encoder, path=out, chunk=chunk or ChunkSettings(), dtype=dtype or "float32",
                          ann=ann or "auto", batch_size=batch_size, show_progress=show_progress, device=device)
    except IndexLockedError:  # another process is building it: wait for it, then use (or update) its index
        if lock_wait <= 0:
            raise
        _retry_locked(lambda: IndexLock(out).acquire(), lock_wait).release()
        return index_folder(docs, out, encoder=encoder, chunk=chunk, dtype=dtype, ann=ann, text_column=text_column,
                            max_bytes=max_bytes, batch_size=batch_size, show_progress=show_progress, device=device)
    sources = {d.source for d in found.documents}
    report = SyncReport(added=len(sources), encoded_passages=len(idx.passages), seconds=time.perf_counter() - t0)
    return idx, report, found


def _check_same(idx: Index, out: Path, encoder: Encoder | None, chunk: ChunkSettings | None) -> None:
    """An existing index must have been built with the requested chunking and encoder."""
    if chunk is not None and chunk != idx.chunk:
        raise InputError(f"{out} was built with chunking {dataclasses.asdict(idx.chunk)}, not "
                         f"{dataclasses.asdict(chunk)}; pass --rebuild (rebuild=True) to re-index from scratch")
    if encoder is not None and encoder_key(encoder.spec or encoder.name) != encoder_key(idx.encoder_spec):
        raise InputError(f"{out} was built with encoder {idx.encoder_spec!r}, not {encoder.spec!r}; "
                         "pass --rebuild (rebuild=True) to re-index with the new encoder")


def _open_current(out: Path, found: DocumentSet, *, encoder: Encoder | None, chunk: ChunkSettings | None,
                  dtype: str | None, ann: str | None, device: str) -> Index | None:
    """The index at ``out`` opened read-only when it already matches ``found`` and the settings, else None."""
    from textemb.search.stores.base import plan_sync

    idx = Index.open(out, device=device)
    _check_same(idx, out, encoder, chunk)
    if (dtype or idx.dtype, ann or idx.ann) != (idx.dtype, idx.ann):
        return None
    indexed: dict[str, str] = {}
    for d in idx.docs:
        indexed.setdefault(d.get("source", ""), d.get("source_hash", ""))
    _, todo, report = plan_sync(indexed, found.documents)
    if todo or report.removed:
        return None
    return idx.use_encoder(encoder) if encoder is not None else idx


def _open_writable(out: Path, device: str, lock_wait: float) -> Index:
    """Open ``out`` holding its write lock, waiting up to ``lock_wait`` seconds for another writer."""
    return _retry_locked(lambda: Index.open(out, device=device, writable=True), lock_wait)


def _retry_locked(fn, lock_wait: float):
    """``fn()``, retried while another process holds the index lock, for up to ``lock_wait`` seconds."""
    import time

    from textemb.search.store import IndexLockedError

    deadline = time.monotonic() + max(0.0, lock_wait)
    while True:
        try:
            return fn()
        except IndexLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
