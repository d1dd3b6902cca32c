"""A Milvus collection (server, cluster, or a local milvus-lite file) behind the :class:`VectorStore` interface.

One row per passage: a deterministic int64 primary key (from the document id and the passage's
position), the document fields a hit shows (id, title, source, source hash, meta), the passage text
and offsets, and the L2-normalized vector. The vector index is ``FLAT`` with metric ``IP`` (exact
inner product = cosine); :meth:`MilvusStore.top_passages` returns the best passages and the façade ranks
documents from them exactly as for the folder store. The manifest (encoder spec, dim, metric, normalization,
chunking) is stored as the collection property ``textemb.manifest``. Collections are created with ``Strong``
consistency, so a search sees what was just added. Sidecar files (the BM25 index) live beside the collection:
next to a milvus-lite ``.db`` (``FILE.db.textemb/COLLECTION/``) or, for a server, in the cache.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, InputError, MilvusError, require
from textemb.io.atomic import atomic_open
from textemb.io.cache import check_format
from textemb.search.chunking import ChunkSettings, passage_text
from textemb.search.compat import check_vectors, chunk_from_manifest, describe
from textemb.search.ranking import PassageMatches

FORMAT = "textemb-milvus"
FORMAT_VERSION = 1
PROPERTY = "textemb.manifest"
VARCHAR_MAX = 65_535  # Milvus' VARCHAR limit, in bytes
INSERT_BATCH = 512
FILTER_BATCH = 500
TOPK_MAX = 16_384  # Milvus' largest search limit
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_SCALARS = ["doc_id", "title", "source", "source_hash", "start", "end", "seq", "passage", "meta"]


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


class MilvusStore:
    """Passages of a textemb index in one Milvus collection (see the module docstring)."""

    max_top: int | None = TOPK_MAX
    #: a FLAT (exact) index: no HNSW graph
    ann = "none"

    def __init__(self, client, collection: str, manifest: dict, *, url: str, sidecar_dir: Path | None = None) -> None:
        if not isinstance(manifest, dict):
            raise FormatError("the store's manifest is not a JSON object; it is damaged: re-index", path=url)
        check_vectors(manifest, url)
        self.url, self.client, self.collection, self.manifest = url, client, collection, manifest
        try:  # the manifest is data (a collection property): a damaged one is a FormatError
            self.encoder_spec: str = str(manifest["encoder"]["spec"])
            self.dim = int(manifest["dim"])
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise FormatError(f"the store's manifest is damaged ({type(exc).__name__}: {str(exc)[:80]}); re-index",
                              path=url) from None
        if self.dim < 1:
            raise FormatError(f"the store's manifest says dim {self.dim}; it is damaged: re-index", path=url)
        self.chunk = chunk_from_manifest(manifest.get("chunk"), url)
        self.dtype = manifest.get("dtype", "float32")
        self.sidecar_dir = sidecar_dir
        self._pending: dict[str, dict[str, bytes]] = {}

    # ------------------------------------------------------------------ where and what (the protocol)
    @property
    def location(self) -> str:
        """The store URL."""
        return self.url

    @property
    def folder(self) -> None:
        """None: the collection's files are Milvus' own (a manifest spec may not name files beside them)."""
        return None

    @property
    def generation(self) -> int:
        """0: a collection has no generations (a search sees what was just added)."""
        return 0

    @property
    def root(self) -> None:
        """None: a collection does not record the documents folder."""
        return None

    @root.setter
    def root(self, value: str | None) -> None:
        """Ignored: a collection does not record the documents folder."""

    def has_ann(self) -> bool:
        return False

    def change_settings(self, *, dtype: str | None = None, ann: str | None = None) -> bool:
        """Refused unless nothing changes: a collection keeps float32 vectors in an exact (FLAT) index."""
        if dtype not in (None, self.dtype) or ann not in (None, "auto", "none"):
            raise InputError(f"{self.url} keeps float32 vectors in an exact (FLAT) index: --dtype and --ann apply to "
                             "index folders only")
        return False

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
    def open(cls, client, collection: str, *, url: str, sidecar_dir: Path | None = None) -> "MilvusStore":
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
        except (ValueError, RecursionError, MemoryError) as exc:  # deep nesting, a 4,300+ digit number
            raise FormatError(f"the {PROPERTY} property is damaged JSON ({type(exc).__name__}); re-index",
                              path=url) from None
        check_format(manifest, FORMAT, FORMAT_VERSION, url)
        vec_dim = next((f.get("params", {}).get("dim") for f in info.get("fields", []) if f.get("name") == "vec"), None)
        if vec_dim is not None and str(vec_dim) != str(manifest.get("dim")):
            raise FormatError(f"the vector field is {vec_dim}-d but the manifest says {manifest.get('dim')}-d", path=url)
        try:
            client.load_collection(collection)
        except Exception as exc:
            raise MilvusError(f"{url}: cannot load collection {collection!r}: {exc}") from None
        return cls(client, collection, manifest, url=url, sidecar_dir=sidecar_dir)

    @classmethod
    def create(cls, client, collection: str, *, url: str, encoder_spec: str, dim: int,
               chunk: ChunkSettings = ChunkSettings(), dtype: str = "float32",
               sidecar_dir: Path | None = None) -> "MilvusStore":
        """Open ``collection``, first creating it (FLAT / IP, manifest property) if it does not exist."""
        _check_name(collection)
        if client.has_collection(collection):
            return cls.open(client, collection, url=url, sidecar_dir=sidecar_dir)
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
        return cls.open(client, collection, url=url, sidecar_dir=sidecar_dir)

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
    def add(self, docs: Sequence[dict], passages: np.ndarray, vectors: np.ndarray) -> int:
        ids = [d["id"] for d in docs]
        if ids:
            self.remove(ids)
        vecs = np.asarray(vectors, dtype=np.float32)
        if vecs.shape[1:] != (self.dim,) or len(vecs) != len(passages):
            raise InputError(f"got {vecs.shape} vectors for {len(passages)} passages; {self.url} holds {self.dim}-d vectors")
        seq = np.zeros(len(docs), dtype=np.int64)
        rows = []
        for i, (drow, s, e) in enumerate(np.asarray(passages, dtype=np.int64).reshape(-1, 3)):
            d = docs[int(drow)]
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
        for name, group in self._pending.items():
            folder = self._sidecar_folder(name)
            folder.mkdir(parents=True, exist_ok=True)
            for suffix, data in group.items():
                with atomic_open(folder / f"{name}.{suffix}") as fh:
                    fh.write(data)
        self._pending.clear()

    def save(self) -> None:
        """The same as :meth:`flush`: a collection has no generations."""
        self.flush()

    # ------------------------------------------------------------------ sidecar files (beside the collection)
    def _sidecar_folder(self, name: str) -> Path:
        if self.sidecar_dir is None:
            raise InputError(f"{self.url}: no folder for sidecar files was given")
        return self.sidecar_dir / self.collection

    def read_sidecar(self, name: str) -> dict[str, bytes] | None:
        if name in self._pending:
            return self._pending[name]
        if self.sidecar_dir is None:
            return None
        folder = self._sidecar_folder(name)
        found = {p.name.split(".", 1)[1]: p for p in folder.glob(f"{name}.*") if p.is_file() and not p.is_symlink()}
        try:
            return {suffix: p.read_bytes() for suffix, p in found.items()} or None
        except OSError:
            return None

    def write_sidecar(self, name: str, files: dict[str, bytes]) -> None:
        self._pending[name] = dict(files)

    def iter_passages(self) -> Iterator[tuple[str, list[str]]]:
        by_doc: dict[str, list[tuple[int, str]]] = {}
        for r in self._scan(["doc_id", "seq", "title", "passage"]):
            by_doc.setdefault(r["doc_id"], []).append((int(r["seq"]), passage_text(r["title"] or None, r["passage"], self.chunk)))
        for doc_id in sorted(by_doc):
            yield doc_id, [t for _, t in sorted(by_doc[doc_id])]

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ search
    def top_passages(self, q_vecs: np.ndarray, n: int, *, ann: str = "exact", ef_search: int = 128) -> list[PassageMatches]:
        """Exact top passages (FLAT index, inner product); ``ann="ann"`` is refused (there is no graph here)."""
        if ann == "ann":
            raise InputError(f"{self.url} searches exactly (a FLAT index): drop --ann / ann='ann'")
        q_vecs = np.atleast_2d(np.asarray(q_vecs, dtype=np.float32))
        total = self.passage_count()
        n = min(int(n), total, TOPK_MAX)
        if n == 0:
            return [_matches([], True) for _ in q_vecs]
        try:
            found = self.client.search(self.collection, data=[q for q in q_vecs], limit=n, anns_field="vec",
                                       search_params={"metric_type": "IP"}, output_fields=_SCALARS)
        except Exception as exc:
            raise MilvusError(f"{self.url}: search failed: {exc}") from None
        return [_matches(list(rows), n == total) for rows in found]

    def fetch(self, refs: Sequence[tuple[str, int]]) -> list[dict | None]:
        keys = {passage_key(d, int(s)): (d, int(s)) for d, s in refs}
        got: dict[tuple[str, int], dict] = {}
        pids = sorted(keys)
        for i in range(0, len(pids), FILTER_BATCH):
            try:
                rows = self.client.query(self.collection, filter=f"pid in {pids[i:i + FILTER_BATCH]}", output_fields=_SCALARS)
            except Exception as exc:
                raise MilvusError(f"{self.url}: query failed: {exc}") from None
            for r in rows:
                got[(r["doc_id"], int(r["seq"]))] = _fields(r)
        return [got.get((d, int(s))) for d, s in refs]


def _fields(e: dict) -> dict:
    return {"id": e["doc_id"], "title": e["title"] or None, "source": e["source"], "passage": e["passage"],
            "start": int(e["start"]), "end": int(e["end"]), "meta": dict(e["meta"] or {})}


def _matches(rows: list, complete: bool) -> PassageMatches:
    """A search answer (hits best first) as :class:`PassageMatches` keyed by document id."""
    docs = np.array([h["entity"]["doc_id"] for h in rows], dtype=object)
    seqs = np.array([int(h["entity"]["seq"]) for h in rows], dtype=np.int64)
    scores = np.array([float(h["distance"]) for h in rows], dtype=np.float32)
    return PassageMatches(docs, seqs, scores, lambda i: _fields(rows[i]["entity"]), complete)


def _in(field: str, values: Iterable[str]) -> str:
    """A ``field in [...]`` filter expression with the strings quoted and escaped (JSON string syntax)."""
    return f"{field} in {json.dumps(sorted(set(values)), ensure_ascii=False)}"


def _check_name(collection: str) -> None:
    if not _NAME.match(collection or ""):
        raise InputError(f"bad Milvus collection name {collection!r}: use letters, digits and underscores, "
                         "starting with a letter or underscore")
