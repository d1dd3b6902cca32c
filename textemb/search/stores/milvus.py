"""A Milvus collection (server, cluster, or a local milvus-lite file) behind the :class:`VectorStore` interface.

One row per passage: a deterministic int64 primary key (from the document id and the passage's
position), the document fields a hit shows (id, title, source, source hash, meta), the passage text
and offsets, and the L2-normalised vector. The vector index is ``FLAT`` with metric ``IP`` (exact
inner product = cosine); a search takes the best passage of each document (see :meth:`MilvusStore.search_vectors`):
the same ranking as textemb's folder index. The manifest (encoder spec, dim,
metric, normalisation, chunking) is stored as the collection property ``textemb.manifest``.
Collections are created with ``Strong`` consistency, so a search sees what was just added.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

import numpy as np

from textemb.encoders.base import Encoder
from textemb.errors import FormatError, InputError, TextembError, require
from textemb.search.index import ChunkSettings, Hit, Index
from textemb.search.stores.base import VectorStore, describe

FORMAT = "textemb-milvus"
FORMAT_VERSION = 1
PROPERTY = "textemb.manifest"
VARCHAR_MAX = 65_535  # Milvus' VARCHAR limit, in bytes
INSERT_BATCH = 512
FILTER_BATCH = 500
TOPK_MAX = 16_384  # Milvus' largest search limit
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_SCALARS = ["doc_id", "title", "source", "source_hash", "start", "end", "seq", "passage", "meta"]


class MilvusError(TextembError):
    """The Milvus server or milvus-lite refused an operation."""


def _pymilvus():
    return require("pymilvus", extra="scale", feature="the Milvus vector store")


def passage_key(doc_id: str, seq: int) -> int:
    """A stable 63-bit primary key for passage ``seq`` of document ``doc_id``."""
    h = hashlib.sha256(f"{doc_id}\x00{seq}".encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


def _clip(text: str | None, limit: int = VARCHAR_MAX) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (on a character boundary)."""
    text = text or ""
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", errors="ignore")


class MilvusStore(VectorStore):
    """Passages of a textemb index in one Milvus collection (see the module docstring)."""

    def __init__(self, client, collection: str, manifest: dict, *, url: str, encoder: Encoder | None = None,
                 device: str = "cpu") -> None:
        self.url = url
        self.client, self.collection = client, collection
        super().__init__(manifest, encoder=encoder, device=device)

    # ------------------------------------------------------------------ connecting
    @staticmethod
    def connect(uri: str, *, token: str = "", db_name: str = ""):
        """A ``pymilvus.MilvusClient`` for a server URI (``http://host:port``) or a milvus-lite ``.db`` path."""
        pymilvus = _pymilvus()
        if uri.endswith(".db"):  # milvus-lite has no server-side iterator timestamp; pymilvus falls back and warns
            import logging

            logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
        kwargs = {"uri": uri}
        if token:
            kwargs["token"] = token
        if db_name:
            kwargs["db_name"] = db_name
        try:
            return pymilvus.MilvusClient(**kwargs)
        except Exception as exc:  # pymilvus raises MilvusException / ConnectionError subclasses
            hint = ("is milvus-lite installed? pip install 'textemb[scale]'" if uri.endswith(".db")
                    else "is the server running and reachable? (docker compose / helm; default port 19530)")
            from textemb.search.stores import mask_url

            reason = str(exc).replace(token, "***") if token else str(exc)  # never echo the MILVUS_TOKEN secret
            raise MilvusError(f"cannot connect to Milvus at {mask_url(uri)}: {mask_url(reason)} ({hint})") from None

    @classmethod
    def open(cls, client, collection: str, *, url: str, encoder: Encoder | None = None,
             device: str = "cpu") -> "MilvusStore":
        """Open an existing textemb collection."""
        _check_name(collection)
        if not client.has_collection(collection):
            raise InputError(f"{url}: no collection {collection!r}; build it with 'textemb index DOCS -o {url}'")
        info = client.describe_collection(collection)
        raw = (info.get("properties") or {}).get(PROPERTY)
        if not raw:
            raise FormatError(f"collection {collection!r} was not created by textemb (no {PROPERTY} property)", path=url)
        try:
            manifest = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FormatError(f"the {PROPERTY} property is not valid JSON ({exc})", path=url) from None
        if (not isinstance(manifest, dict) or manifest.get("format") != FORMAT
                or not isinstance(manifest.get("format_version"), int)):
            raise FormatError(f"collection {collection!r} does not hold a {FORMAT} index", path=url)
        if manifest["format_version"] > FORMAT_VERSION:
            raise FormatError(f"index format version {manifest['format_version']} is newer than this textemb reads "
                              f"({FORMAT_VERSION}); upgrade textemb", path=url)
        vec_dim = next((f.get("params", {}).get("dim") for f in info.get("fields", []) if f.get("name") == "vec"), None)
        if vec_dim is not None and str(vec_dim) != str(manifest.get("dim")):
            raise FormatError(f"the vector field is {vec_dim}-d but the manifest says {manifest.get('dim')}-d", path=url)
        try:
            client.load_collection(collection)
        except Exception as exc:
            raise MilvusError(f"{url}: cannot load collection {collection!r}: {exc}") from None
        return cls(client, collection, manifest, url=url, encoder=encoder, device=device)

    @classmethod
    def create(cls, client, collection: str, *, url: str, encoder_spec: str, dim: int,
               chunk: ChunkSettings = ChunkSettings(), dtype: str = "float32", encoder: Encoder | None = None,
               device: str = "cpu") -> "MilvusStore":
        """Open ``collection``, first creating it (FLAT / IP, manifest property) if it does not exist."""
        _check_name(collection)
        if client.has_collection(collection):
            return cls.open(client, collection, url=url, encoder=encoder, device=device)
        pymilvus = _pymilvus()
        DataType = pymilvus.DataType
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **describe(encoder_spec, dim, chunk, dtype)}
        schema = pymilvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pid", DataType.INT64, is_primary=True)
        for name in ("doc_id", "title", "source", "passage"):
            schema.add_field(name, DataType.VARCHAR, max_length=VARCHAR_MAX)
        schema.add_field("source_hash", DataType.VARCHAR, max_length=128)
        for name in ("start", "end", "seq"):
            schema.add_field(name, DataType.INT64)
        schema.add_field("meta", DataType.JSON)
        schema.add_field("vec", DataType.FLOAT_VECTOR, dim=int(dim))
        index_params = client.prepare_index_params()
        index_params.add_index(field_name="vec", index_type="FLAT", metric_type="IP")
        try:
            client.create_collection(collection, schema=schema, index_params=index_params,
                                     consistency_level="Strong", properties={PROPERTY: json.dumps(manifest)})
        except Exception as exc:
            raise MilvusError(f"{url}: cannot create collection {collection!r}: {exc}") from None
        return cls.open(client, collection, url=url, encoder=encoder, device=device)

    # ------------------------------------------------------------------ reading
    def _scan(self, fields: list[str], filter: str = "") -> Iterable[dict]:
        try:
            it = self.client.query_iterator(self.collection, batch_size=1000, filter=filter, output_fields=fields)
        except Exception as exc:
            raise MilvusError(f"{self.url}: query failed: {exc}") from None
        try:
            while True:
                rows = it.next()
                if not rows:
                    return
                yield from rows
        finally:
            it.close()

    def indexed_sources(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for r in self._scan(["source", "source_hash"]):
            out.setdefault(r["source"], r["source_hash"])
        return out

    def document_ids(self) -> list[str]:
        return sorted({r["doc_id"] for r in self._scan(["doc_id"])})

    def document_ids_for_sources(self, sources: set[str]) -> list[str]:
        srcs = sorted(sources)
        return sorted({r["doc_id"] for i in range(0, len(srcs), FILTER_BATCH)
                       for r in self._scan(["doc_id"], _in("source", srcs[i:i + FILTER_BATCH]))})

    def passage_count(self) -> int:
        res = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    # ------------------------------------------------------------------ writing
    def add_encoded(self, part: Index) -> int:
        ids = [d["id"] for d in part.docs]
        if ids:
            self.remove(ids)
        vecs = np.asarray(part.vectors, dtype=np.float32)
        if vecs.shape[1:] != (self.dim,):
            raise InputError(f"vectors are {vecs.shape[1:]}, {self.url} holds {self.dim}-d vectors")
        seq = np.zeros(len(part.docs), dtype=np.int64)
        rows = []
        for i, (drow, s, e) in enumerate(np.asarray(part.passages, dtype=np.int64)):
            d = part.docs[int(drow)]
            n, seq[drow] = int(seq[drow]), seq[drow] + 1
            rows.append({"pid": passage_key(d["id"], n), "doc_id": d["id"], "title": _clip(d.get("title")),
                         "source": _clip(d.get("source")), "source_hash": d.get("source_hash") or "",
                         "start": int(s), "end": int(e), "seq": n, "passage": _clip(d["text"][s:e]),
                         "meta": d.get("meta") or {}, "vec": vecs[i]})
            if len(rows) == INSERT_BATCH:
                self._insert(rows)
                rows = []
        if rows:
            self._insert(rows)
        return int(len(vecs))

    def _insert(self, rows: list[dict]) -> None:
        try:
            self.client.insert(self.collection, rows)
        except Exception as exc:
            raise MilvusError(f"{self.url}: insert failed: {exc}") from None

    def remove(self, ids: Iterable[str]) -> int:
        ids = sorted(set(ids))
        removed = 0
        for i in range(0, len(ids), FILTER_BATCH):  # keep filter expressions a manageable size
            present = sorted({r["doc_id"] for r in self._scan(["doc_id"], _in("doc_id", ids[i:i + FILTER_BATCH]))})
            if present:
                try:
                    self.client.delete(self.collection, filter=_in("doc_id", present))
                except Exception as exc:
                    raise MilvusError(f"{self.url}: delete failed: {exc}") from None
            removed += len(present)
        return removed

    def flush(self) -> None:
        try:
            self.client.flush(self.collection)
        except Exception as exc:
            raise MilvusError(f"{self.url}: flush failed: {exc}") from None

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ search
    def search_vectors(self, q_vecs: np.ndarray, k: int) -> list[list[Hit]]:
        """Exact top passages (FLAT, IP), then the best passage per document, as the folder index ranks.

        Milvus' own ``group_by_field`` over-fetches a fixed multiple of ``k`` and may return fewer groups,
        so, like :meth:`Index.search_vectors`, this asks for ``max(4k, 32)`` passages and asks again for 4x
        more while fewer than ``k`` distinct documents came back (up to Milvus' top-k cap of 16,384).
        """
        q_vecs = np.atleast_2d(np.asarray(q_vecs, dtype=np.float32))
        if q_vecs.shape[1] != self.dim:
            raise InputError(f"query vectors are {q_vecs.shape[1]}-d, {self.url} holds {self.dim}-d vectors")
        n_pass = self.passage_count()
        want = min(n_pass, max(4 * k, 32), TOPK_MAX)
        if want == 0:
            return [[] for _ in q_vecs]
        first = self._search(q_vecs, want)
        out = []
        for q, rows in zip(q_vecs, first):
            hits, w = _best_per_doc(rows, k), want
            while len(hits) < k and w < min(n_pass, TOPK_MAX):
                w = min(n_pass, w * 4, TOPK_MAX)
                hits = _best_per_doc(self._search(q[None], w)[0], k)
            out.append(hits)
        return out

    def _search(self, q_vecs: np.ndarray, limit: int) -> list:
        try:
            return self.client.search(self.collection, data=[q for q in q_vecs], limit=int(limit), anns_field="vec",
                                      search_params={"metric_type": "IP"}, output_fields=_SCALARS)
        except Exception as exc:
            raise MilvusError(f"{self.url}: search failed: {exc}") from None


def _best_per_doc(rows, k: int) -> list[Hit]:
    hits: list[Hit] = []
    seen: set[str] = set()
    for h in rows:  # passages in descending score order
        e = h["entity"]
        if e["doc_id"] in seen:
            continue
        seen.add(e["doc_id"])
        hits.append(Hit(len(hits) + 1, float(h["distance"]), e["doc_id"], e["title"] or None, e["source"],
                        e["passage"], int(e["start"]), int(e["end"]), dict(e["meta"] or {})))
        if len(hits) == k:
            break
    return hits


def _in(field: str, values: Iterable[str]) -> str:
    """A ``field in [...]`` filter expression with the strings quoted and escaped (JSON string syntax)."""
    return f"{field} in {json.dumps(sorted(set(values)), ensure_ascii=False)}"


def _check_name(collection: str) -> None:
    if not _NAME.match(collection or ""):
        raise InputError(f"bad Milvus collection name {collection!r}: use letters, digits and underscores, "
                         "starting with a letter or underscore")
