"""Where an index's vectors live, named by one string (``--store`` / ``-o`` / ``--index`` on the CLI).

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

>>> from textemb.search.stores import open_store
>>> with open_store("milvus-lite:wiki.db/wiki") as store:
...     store.search("a nocturnal burrowing animal that eats termites", k=3)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from textemb.encoders.base import Encoder
from textemb.errors import InputError
from textemb.search.index import ChunkSettings
from textemb.search.stores.base import VectorStore, check_encoder, describe, plan_sync

__all__ = ["StoreURL", "VectorStore", "check_encoder", "create_store", "describe", "is_store_url", "mask_url",
           "open_store", "parse_store_url", "plan_sync"]

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
            raise InputError(f"unknown option(s) {mask_url(', '.join(sorted(unknown)))} in {mask_url(text)!r}: only ?db=NAME is read "
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


def open_store(url: str | Path | StoreURL, *, encoder: Encoder | None = None, device: str = "cpu",
               writable: bool = False) -> VectorStore:
    """Open an existing store for searching (or, ``writable``, for ``add``/``remove``/``sync``)."""
    url = url if isinstance(url, StoreURL) else parse_store_url(url)
    if url.kind == "folder":
        from textemb.search.stores.folder import FolderStore

        return FolderStore.open(url.target, encoder=encoder, device=device, writable=writable)
    from textemb.search.stores.milvus import MilvusStore

    client = _milvus_client(url)
    try:
        return MilvusStore.open(client, url.collection, url=str(url), encoder=encoder, device=device)
    except BaseException:
        client.close()
        raise


def create_store(url: str | Path | StoreURL, *, encoder_spec: str, dim: int, chunk: ChunkSettings = ChunkSettings(),
                 dtype: str = "float32", ann: str = "auto", encoder: Encoder | None = None,
                 device: str = "cpu", fresh: bool = False) -> VectorStore:
    """Open a store for writing, creating it with this manifest if it does not exist yet.

    An existing store built with another encoder or chunking is an :class:`InputError`. ``fresh``
    replaces an existing folder index at the first flush (a Milvus collection must be dropped first).
    """
    url = url if isinstance(url, StoreURL) else parse_store_url(url)
    if url.kind == "folder":
        from textemb.search.stores.folder import FolderStore

        store = FolderStore.create(url.target, encoder_spec=encoder_spec, dim=dim, chunk=chunk, dtype=dtype,
                                   ann=ann, device=device, fresh=fresh)
    else:
        from textemb.search.stores.milvus import MilvusStore

        client = _milvus_client(url)
        try:
            store = MilvusStore.create(client, url.collection, url=str(url), encoder_spec=encoder_spec, dim=dim,
                                       chunk=chunk, dtype=dtype, device=device)
        except BaseException:
            client.close()
            raise
    try:
        want = describe(encoder_spec, dim, chunk, dtype)
        if store.manifest["encoder"].get("key") not in (None, want["encoder"]["key"]) or store.dim != dim:
            raise InputError(f"{url} was built with encoder {store.encoder_spec!r} ({store.dim}-d), not "
                             f"{encoder_spec!r} ({dim}-d); pass --rebuild or use another store")
        if store.chunk != chunk:
            raise InputError(f"{url} was built with chunking {store.manifest['chunk']}, not {want['chunk']}; "
                             "pass --rebuild or use another store")
        if encoder is not None:
            store.use_encoder(encoder)
    except BaseException:
        store.close()
        raise
    return store
