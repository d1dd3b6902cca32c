"""The one way from a documents folder to an up-to-date index in any store, with any engine.

What ``textemb index DOCS -o TARGET`` and ``textemb search QUERY DOCS`` run. ``target`` is a store string
(:mod:`textemb.search.stores`): an index folder, ``milvus://HOST:PORT/COLLECTION`` or
``milvus-lite:FILE.db/COLLECTION``. An existing index is updated (only files whose content changed are
re-encoded, deleted files are dropped); ``engine="ray"`` encodes on Ray Data (:mod:`textemb.search.ray_engine`).

>>> idx, report, found, ray = index_documents("corpora/wikipedia-sample", "wiki.idx", encoder=enc, engine="ray")

``textemb search QUERY DOCS`` keeps its index in the cache, not in the documents folder
(:func:`cached_index_path`), so a read-only folder works and nothing is written beside the user's files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from textemb.encoders.base import Encoder
from textemb.errors import InputError
from textemb.search.chunking import ChunkSettings
from textemb.search.compat import canonical, check_same_build, encoder_key
from textemb.search.documents import DEFAULT_MAX_BYTES, DocumentSet, load_documents
from textemb.search.index import Index
from textemb.search.ray_engine import SHARD_SIZE, RayEngine, RayReport, clean_shards
from textemb.search.stores import (
    StoreURL,
    create_store,
    drop_store,
    open_store,
    parse_store_url,
)
from textemb.search.sync import SyncReport, plan_sync

ENGINES = ("local", "ray")


@dataclass
class RayOptions:
    """How ``engine="ray"`` runs: where (``address``), how wide, and where its shards go."""

    address: str | None = None
    num_cpus: int = 2
    actors: int | None = None
    gpus_per_actor: float | None = None
    shard_size: int = SHARD_SIZE
    shard_dir: str | Path | None = None
    keep_shards: bool = False
    timeout: float | None = None  # seconds to reach ``address`` (None: $TEXTEMB_RAY_TIMEOUT, else 30)


def cached_index_path(docs: str | Path, encoder_spec: str, chunk: ChunkSettings) -> Path:
    """Where the one-step ``textemb search QUERY DOCS`` keeps the index of ``docs``."""
    from textemb.io.cache import cache_root

    docs = Path(docs).resolve()
    key = json.dumps({"docs": str(docs), "encoder": encoder_key(encoder_spec), "chunk": dataclasses.asdict(chunk)},
                     sort_keys=True)
    return cache_root() / "indexes" / f"{docs.name or 'root'}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def default_shard_dir(url: StoreURL) -> Path:
    """``INDEX/.shards`` for a folder; ``$TEXTEMB_CACHE/shards/<hash of the URL>`` for a Milvus target."""
    if url.kind == "folder":
        return Path(url.target) / ".shards"
    from textemb.io.cache import cache_root

    key = f"{url.kind}|{url.target}|{url.db_name}|{url.collection}"
    return cache_root() / "shards" / f"{url.collection}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def index_documents(
    docs: str | Path | DocumentSet,
    target: str | Path,
    *,
    encoder: Encoder | None = None,
    engine: str = "local",
    ray: RayOptions | None = None,
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
) -> tuple[Index, SyncReport, DocumentSet, RayReport | None]:
    """Index ``docs`` into ``target``; returns the index (still open, and a folder still locked: close it or use
    ``with``), what changed, the documents and, for ``engine="ray"``, what Ray did.

    An existing index built with another encoder or chunking is an error unless ``rebuild``; ``dtype`` and
    ``ann`` left as None keep an existing index's settings (new: float32, auto).

    The write lock is taken only when something changes: an up-to-date index is returned opened read-only, so
    any number of readers (parallel ``textemb search QUERY DOCS``) share it. ``lock_wait`` seconds are spent
    waiting for another writer before :class:`~textemb.search.stores.folder_files.IndexLockedError`.
    """
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    url = parse_store_url(target)
    if engine == "ray" and encoder is not None:
        _check_rebuildable(encoder)  # before anything is created or Ray is started
    exclude = (url.target,) if url.kind == "folder" else ()  # never index the index folder itself
    found = docs if isinstance(docs, DocumentSet) else load_documents(docs, text_column=text_column,
                                                                          max_bytes=max_bytes, exclude=exclude)
    current = None if rebuild else _open_current(url, found, encoder, chunk, dtype, ann, device)
    if current is not None:  # nothing to change: no lock, no write, so readers never wait or fail
        return current, SyncReport(unchanged=len({d.source for d in found.documents})), found, \
            (RayReport(shard_dir="") if engine == "ray" else None)
    idx = None if rebuild else _retry_locked(lambda: _open_existing(url, device), lock_wait)
    settings_changed = False
    try:
        if idx is not None:
            check_same_build(url, idx.encoder_spec, idx.dim, idx.chunk, encoder, chunk)
            idx.use_encoder(encoder) if encoder is not None else idx.encoder
            settings_changed = idx.store.change_settings(dtype=dtype, ann=ann)  # a Milvus store refuses a change
        else:
            idx = _new_index(url, encoder, chunk, dtype, ann, device, rebuild, lock_wait)
        encode = _engine(idx, url, engine, ray or RayOptions(), batch_size, show_progress, device)
        report = idx.sync(found, batch_size=batch_size, show_progress=show_progress, engine=encode)
        changed = settings_changed or report.added or report.updated or report.removed
        if changed or idx.store.read_sidecar("lexical") is None:
            idx.save()  # nothing changed: no new generation
        ray_report = _ray_report(encode, ray)
    except BaseException:
        if idx is not None:
            idx.close()
        raise
    return idx, report, found, ray_report


def _ray_report(encode, ray: RayOptions | None) -> RayReport | None:
    """What the Ray engine did (None for the local one); its shard files go unless asked to keep them."""
    report = encode.report if isinstance(encode, RayEngine) else None
    if report is not None and not (ray or RayOptions()).keep_shards:
        clean_shards(Path(report.shard_dir))
    return report


def _new_index(url: StoreURL, encoder: Encoder | None, chunk: ChunkSettings | None, dtype: str | None,
               ann: str | None, device: str, rebuild: bool, lock_wait: float) -> Index:
    """A new, empty index at ``url`` (an old one dropped first with ``rebuild``), open for writing."""
    encoder = encoder or _default_encoder(device)
    if rebuild:
        drop_store(url)  # a folder is instead replaced by a new generation when the index is saved
    store = _retry_locked(lambda: create_store(
        url, encoder_spec=canonical(encoder.spec), dim=encoder.dim, chunk=chunk or ChunkSettings(),
        dtype=dtype or "float32", ann=ann or "auto", device=device, fresh=True), lock_wait)
    return Index(store, encoder=encoder, device=device)


def _engine(idx: Index, url: StoreURL, engine: str, ray: RayOptions, batch_size: int, show_progress, device: str):
    if engine == "local":
        return None  # the façade's LocalEngine
    shard_dir = Path(ray.shard_dir) if ray.shard_dir else default_shard_dir(url)
    return RayEngine(idx.encoder.spec, idx.dim, shard_dir, dtype=idx.store.dtype, address=ray.address,
                     num_cpus=ray.num_cpus, actors=ray.actors, gpus_per_actor=ray.gpus_per_actor, device=device,
                     batch_size=batch_size, shard_size=ray.shard_size, show_progress=bool(show_progress),
                     timeout=ray.timeout, report=RayReport(shard_dir=str(shard_dir)))


def _default_encoder(device: str) -> Encoder:
    from textemb.search import default_encoder

    return default_encoder(device)


def _open_current(url: StoreURL, found: DocumentSet, encoder: Encoder | None, chunk: ChunkSettings | None,
                  dtype: str | None, ann: str | None, device: str) -> Index | None:
    """The existing folder index opened read-only when it already matches ``found`` and the settings, else None."""
    if url.kind != "folder" or not (Path(url.target) / "manifest.json").is_file():
        return None
    idx = Index.open(url.target, device=device)
    try:
        check_same_build(url, idx.encoder_spec, idx.dim, idx.chunk, encoder, chunk)
        store = idx.store
        _, todo, report = plan_sync(store.indexed_sources(), found.documents)
        same = (dtype or store.dtype, ann or store.ann) == (store.dtype, store.ann)
        if todo or report.removed or not same or store.read_sidecar("lexical") is None:
            idx.close()
            return None
        return idx.use_encoder(encoder) if encoder is not None else idx
    except BaseException:
        idx.close()
        raise


def _retry_locked(fn, lock_wait: float):
    """``fn()``, retried while another process holds the index lock, for up to ``lock_wait`` seconds."""
    import time

    from textemb.errors import IndexLockedError

    deadline = time.monotonic() + max(0.0, lock_wait)
    while True:
        try:
            return fn()
        except IndexLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def _open_existing(url: StoreURL, device: str) -> Index | None:
    if url.kind == "folder" and not (Path(url.target) / "manifest.json").is_file():
        return None
    try:
        store = open_store(url, device=device, writable=True)
    except InputError:
        if url.kind == "folder":
            raise
        return None  # no such collection yet
    return Index(store, device=device)


def _check_rebuildable(encoder: Encoder) -> None:
    """Ray workers rebuild the encoder from its spec: refuse, before starting Ray, one they could not."""
    from textemb.encoders.spec import Spec
    from textemb.errors import UnknownEncoderError

    try:
        Spec.parse(encoder.spec)
    except UnknownEncoderError:
        raise InputError(f"--engine ray rebuilds the encoder on every worker from its spec, and {encoder!r} has no "
                         "spec textemb can load (a named model or PREFIX:ARG); load it with textemb.load_encoder(SPEC)") from None
