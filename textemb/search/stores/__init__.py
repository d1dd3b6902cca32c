"""Where an index's vectors live, named by one string (``--store`` / ``-o`` / ``--index`` on the CLI).

Stores (each a :class:`~textemb.search.stores.base.VectorStore`): :mod:`.memory` (numpy, in this process),
:mod:`.folder` (a memory store saved as an index folder; layout and lock in :mod:`.folder_files`) and
:mod:`.milvus` (a Milvus server or a milvus-lite file).

Grammar:

=====================================  =====================================================
``PATH`` (or ``folder:PATH``)          textemb's own index folder (the default)
``milvus://HOST:PORT/COLLECTION``      a Milvus server or cluster over HTTP/gRPC
``milvus+https://HOST:PORT/COLLECTION``  the same over TLS
``milvus-lite:FILE.db/COLLECTION``     a local milvus-lite database (a ``.db`` folder)
=====================================  =====================================================

A Milvus URL may end with ``?db=NAME`` to pick a database; a token (``user:password`` or an API
key) is read from the ``MILVUS_TOKEN`` environment variable, never from the URL: a URL with
credentials (``milvus://user:pass@host...``) is refused, and every message shows it masked
(:func:`mask_url`).

>>> from textemb.search import Index
>>> Index.open("milvus-lite:wiki.db/wiki").search("a nocturnal burrowing animal that eats termites", k=3)
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from textemb.errors import InputError
from textemb.search.chunking import ChunkSettings
from textemb.search.stores.base import VectorStore

__all__ = ["StoreURL", "VectorStore", "create_store", "drop_store", "is_store_url", "mask_url", "open_store",
           "parse_store_url"]

_MILVUS = re.compile(r"^milvus(\+https?)?://(?P<host>[^/:?]+)(:(?P<port>\d+))?/(?P<coll>[^/?]+)(\?(?P<query>.*))?$")
_LITE = re.compile(r"^milvus-lite:(?P<path>.+\.db)/(?P<coll>[^/?]+)$")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)(.*)@", re.S)


def mask_url(text: object) -> str:
    """``text`` with any URL credentials (``scheme://user:password@``) replaced by ``***``, ready to print."""
    from textemb.text import printable

    return printable(_USERINFO.sub(r"\1***@", str(text)))


@dataclass(frozen=True)
class StoreURL:
    """A parsed store string: ``kind`` is ``folder``, ``milvus`` or ``milvus-lite``."""

    kind: str
    target: str  # folder path, server URI (http://host:port) or milvus-lite .db path
    collection: str = ""
    db_name: str = ""
    text: str = ""

    def __str__(self) -> str:
        return self.text or self.target


def is_store_url(text: str) -> bool:
    """Whether ``text`` names a non-folder store (``milvus://...``, ``milvus-lite:...``)."""
    return str(text).startswith(("milvus://", "milvus+http", "milvus-lite:"))


def parse_store_url(text: str | Path) -> StoreURL:
    """Parse the store grammar above; a bad Milvus URL is an :class:`InputError` showing the right form."""
    text = str(text)
    if text.startswith("folder:"):
        return StoreURL("folder", text[len("folder:"):], text=text)
    if text.startswith("milvus-lite:"):
        m = _LITE.match(text)
        if not m:
            raise InputError(f"bad milvus-lite store {mask_url(text)!r}: write milvus-lite:FILE.db/COLLECTION "
                             "(the file name must end in .db), e.g. milvus-lite:wiki.db/wiki")
        return StoreURL("milvus-lite", m.group("path"), m.group("coll"), text=text)
    if text.startswith("milvus"):
        if _USERINFO.match(text):
            raise InputError(f"{mask_url(text)}: credentials in a store URL are not read (they would show in logs, "
                             "shell history and process lists): put them in the MILVUS_TOKEN environment variable "
                             "(user:password or an API key) and write milvus://HOST:PORT/COLLECTION")
        m = _MILVUS.match(text)
        if not m:
            raise InputError(f"bad Milvus store {mask_url(text)!r}: write milvus://HOST:PORT/COLLECTION "
                             "(or milvus+https://...), e.g. milvus://localhost:19530/wiki")
        scheme = "https" if m.group(1) == "+https" else "http"
        query = dict(p.split("=", 1) for p in (m.group("query") or "").split("&") if "=" in p)
        unknown = set(query) - {"db"}
        if unknown:
            raise InputError(f"unknown option(s) {mask_url(', '.join(sorted(unknown)))} in {mask_url(text)!r}: "
                             "only ?db=NAME is read "
                             "(put a token in the MILVUS_TOKEN environment variable)")
        uri = f"{scheme}://{m.group('host')}:{m.group('port') or 19530}"
        return StoreURL("milvus", uri, m.group("coll"), query.get("db", ""), text=text)
    return StoreURL("folder", text, text=text)


def _milvus_client(url: StoreURL):
    from textemb.search.stores.milvus import MilvusStore

    if url.kind == "milvus-lite":
        Path(url.target).parent.mkdir(parents=True, exist_ok=True)
        return MilvusStore.connect(str(Path(url.target).resolve()))
    return MilvusStore.connect(url.target, token=os.environ.get("MILVUS_TOKEN", ""), db_name=url.db_name)


def sidecar_dir(url: StoreURL) -> Path:
    """Where a Milvus store keeps its sidecar files: ``FILE.db.textemb/`` beside milvus-lite, else the cache."""
    if url.kind == "milvus-lite":
        db = Path(url.target).resolve()
        return db.with_name(db.name + ".textemb")
    from textemb.io.cache import cache_root

    key = f"{url.target}|{url.db_name}"
    return cache_root() / "milvus" / hashlib.sha256(key.encode()).hexdigest()[:16]


def open_store(url: str | Path | StoreURL, *, device: str = "cpu", writable: bool = False,
               verify: bool | None = None) -> VectorStore:
    """Open an existing store for searching (or, ``writable``, for ``add``/``remove``/``flush``)."""
    url = url if isinstance(url, StoreURL) else parse_store_url(url)
    if url.kind == "folder":
        from textemb.search.stores.folder import FolderStore

        return FolderStore.open(url.target, device=device, writable=writable, verify=verify)
    from textemb.search.stores.milvus import MilvusStore

    client = _milvus_client(url)
    try:
        return MilvusStore.open(client, url.collection, url=str(url), sidecar_dir=sidecar_dir(url))
    except BaseException:
        client.close()
        raise


def create_store(url: str | Path | StoreURL, *, encoder_spec: str, dim: int, chunk: ChunkSettings = ChunkSettings(),
                 dtype: str = "float32", ann: str = "auto", device: str = "cpu", fresh: bool = False) -> VectorStore:
    """Open a store for writing, creating it with this manifest if it does not exist yet (an existing one keeps
    its own manifest: the façade checks it). ``fresh`` replaces an existing folder index at the first flush
    (a Milvus collection is dropped first with :func:`drop_store`)."""
    url = url if isinstance(url, StoreURL) else parse_store_url(url)
    if url.kind == "folder":
        from textemb.search.stores.folder import FolderStore

        return FolderStore.create(url.target, encoder_spec=encoder_spec, dim=dim, chunk=chunk, dtype=dtype,
                                  ann=ann, device=device, fresh=fresh)
    from textemb.search.stores.milvus import MilvusStore

    client = _milvus_client(url)
    try:
        return MilvusStore.create(client, url.collection, url=str(url), encoder_spec=encoder_spec, dim=dim,
                                  chunk=chunk, dtype=dtype, sidecar_dir=sidecar_dir(url))
    except BaseException:
        client.close()
        raise


def drop_store(url: str | StoreURL) -> None:
    """Empty a Milvus store before a rebuild (drop the collection and its sidecar files); a folder is instead
    replaced by its next generation."""
    import contextlib

    url = url if isinstance(url, StoreURL) else parse_store_url(url)
    if url.kind == "folder":
        return
    client = _milvus_client(url)
    try:
        if client.has_collection(url.collection):
            client.drop_collection(url.collection)
    finally:
        client.close()
    side = sidecar_dir(url) / url.collection
    if side.is_dir() and not side.is_symlink():
        for p in side.glob("lexical.*"):  # only the files textemb writes there
            with contextlib.suppress(OSError):
                p.unlink()
        with contextlib.suppress(OSError):
            side.rmdir()
