"""Index documents into any store with any engine: what ``textemb index DOCS -o TARGET --engine ...`` runs
when the target is not a plain folder built in this process.

``engine="local"`` chunks and encodes in this process; ``engine="ray"`` on Ray Data
(:mod:`textemb.search.distributed`). ``target`` is a store string (:mod:`textemb.search.stores`):
an index folder, ``milvus://HOST:PORT/COLLECTION`` or ``milvus-lite:FILE.db/COLLECTION``. Re-running on
the same target re-encodes only files whose content changed and drops deleted ones, for every store.

>>> store, report, found, ray = index_documents("corpora/wikipedia-sample", "wiki.idx", encoder=enc, engine="ray")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from textemb.encoders.base import Encoder
from textemb.errors import InputError
from textemb.search.distributed import SHARD_SIZE, RayReport, clean_shards, encode_with_ray
from textemb.search.documents import DEFAULT_MAX_BYTES, Document, DocumentSet, load_documents
from textemb.search.index import ChunkSettings, Index, SyncReport
from textemb.search.stores import StoreURL, VectorStore, create_store, open_store, parse_store_url

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


def default_shard_dir(url: StoreURL) -> Path:
    """``INDEX/.shards`` for a folder; ``$TEXTEMB_CACHE/shards/<hash of the URL>`` for a Milvus target."""
    if url.kind == "folder":
        return Path(url.target) / ".shards"
    from textemb.io.cache import cache_root

    key = f"{url.kind}|{url.target}|{url.db_name}|{url.collection}"
    return cache_root() / "shards" / f"{url.collection}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def drop_store(url: str | StoreURL) -> None:
    """Empty a store before a rebuild: a new empty generation of a folder, or drop a Milvus collection."""
    url = url if isinstance(url, StoreURL) else parse_store_url(url)
    if url.kind == "folder":
        return  # a folder rebuild writes a fresh generation over the old one (see index_documents)
    from textemb.search.stores import _milvus_client

    client = _milvus_client(url)
    try:
        if client.has_collection(url.collection):
            client.drop_collection(url.collection)
    finally:
        client.close()


def index_documents(
    docs: str | Path | DocumentSet,
    target: str | Path,
    *,
    encoder: Encoder | None = None,
    engine: str = "local",
    ray: RayOptions | None = None,
    chunk: ChunkSettings | None = None,
    dtype: str = "float32",
    ann: str = "auto",
    text_column: str = "text",
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_size: int = 64,
    show_progress: bool | None = None,
    rebuild: bool = False,
    device: str = "cpu",
) -> tuple[VectorStore, SyncReport, DocumentSet, RayReport | None]:
    """Index ``docs`` into ``target``; returns the (open, writable) store, what changed, the documents and,
    for ``engine="ray"``, what Ray did. Close the store when done."""
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    url = parse_store_url(target)
    exclude = (url.target,) if url.kind == "folder" else ()
    found = docs if isinstance(docs, DocumentSet) else load_documents(docs, text_column=text_column,
                                                                          max_bytes=max_bytes, exclude=exclude)
    existing = None if rebuild else _existing(url, device)
    if encoder is None:
        if existing is not None:
            from textemb import load_encoder

            encoder = load_encoder(existing.encoder_spec, device=device, from_data=f"the manifest of {url}")
        else:
            from textemb.search import default_encoder

            encoder = default_encoder(device)
    if existing is not None:
        existing.close()
    spec = encoder.spec or encoder.name
    if engine == "ray":
        _check_rebuildable(encoder)
    chunk = chunk or (existing.chunk if existing is not None else ChunkSettings())
    if rebuild:
        drop_store(url)  # a folder is instead replaced by a new generation when the new index is saved
    store = create_store(url, encoder_spec=spec, dim=encoder.dim, chunk=chunk, dtype=dtype, ann=ann,
                         encoder=encoder, device=device, fresh=rebuild)
    ray_report = None
    try:
        if url.kind == "folder" and found.root:
            store.index.root = str(found.root)
        if engine == "local":
            encode = store.local_encode(batch_size=batch_size, show_progress=show_progress)
        else:
            ray = ray or RayOptions()
            shard_dir = Path(ray.shard_dir) if ray.shard_dir else default_shard_dir(url)
            ray_report = RayReport(shard_dir=str(shard_dir))
            tokenizer = getattr(encoder, "tokenizer", None) if chunk.unit == "tokens" else None

            def encode(documents: list[Document]) -> Index:
                nonlocal ray_report
                part, ray_report = encode_with_ray(
                    documents, spec, dim=encoder.dim, shard_dir=shard_dir, chunk=chunk, dtype=dtype,
                    address=ray.address, num_cpus=ray.num_cpus, actors=ray.actors, gpus_per_actor=ray.gpus_per_actor,
                    device=device, batch_size=batch_size, shard_size=ray.shard_size, tokenizer=tokenizer,
                    show_progress=bool(show_progress), timeout=ray.timeout)
                return part

        report = store.sync(found, encode=encode, batch_size=batch_size)
        if engine == "ray" and not ray.keep_shards:
            clean_shards(Path(ray_report.shard_dir))
    except BaseException:
        store.close()
        raise
    return store, report, found, ray_report


def _check_rebuildable(encoder: Encoder) -> None:
    """Ray workers rebuild the encoder from its spec: refuse, before starting Ray, one they could not."""
    from textemb import models
    from textemb.encoders.registry import parse_spec

    prefix, arg, _ = parse_spec(encoder.spec) if encoder.spec else (None, "", {})
    if not encoder.spec or (prefix is None and models.get(arg) is None):
        raise InputError(f"--engine ray rebuilds the encoder on every worker from its spec, and {encoder!r} has no "
                         "spec textemb can load (a named model or PREFIX:ARG); load it with textemb.load_encoder(SPEC)")


def _existing(url: StoreURL, device: str) -> VectorStore | None:
    if url.kind == "folder" and not (Path(url.target) / "manifest.json").is_file():
        return None
    try:
        return open_store(url, device=device)
    except InputError:
        if url.kind == "folder":
            raise
        return None  # no such collection yet
