"""The in-memory store: documents, a passage table and a vector matrix; exact search or a faiss HNSW graph.

:class:`~textemb.search.stores.folder.FolderStore` is this store persisted to an index folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from textemb import kernels
from textemb.errors import FormatError, InputError
from textemb.search.chunking import ChunkSettings, passage_text
from textemb.search.compat import describe
from textemb.search.ranking import PassageMatches

#: a store with at least this many passages gets an HNSW graph when ``ann="auto"``
ANN_AUTO_THRESHOLD = 100_000
ANN_SETTINGS = ("auto", "hnsw", "none")


class MemoryStore:
    """Passage vectors in a numpy matrix (float32 to compute; float16 rounding when ``dtype`` says so)."""

    max_top: int | None = None

    def __init__(self, *, encoder_spec: str, dim: int, chunk: ChunkSettings = ChunkSettings(), dtype: str = "float32",
                 ann: str = "auto", device: str = "cpu", url: str = "memory") -> None:
        if dtype not in ("float32", "float16"):
            raise InputError(f"dtype must be float32 or float16, got {dtype!r}")
        if ann not in ANN_SETTINGS:
            raise InputError(f"ann must be auto, hnsw or none, got {ann!r}")
        self.url, self.encoder_spec, self.dim, self.chunk, self.dtype, self.ann = url, encoder_spec, int(dim), chunk, dtype, ann
        self.device = kernels.resolve_device(device)
        self.manifest: dict = describe(encoder_spec, dim, chunk, dtype)
        self.docs: list[dict] = []
        self.vectors = np.zeros((0, self.dim), dtype=np.float32)
        self.passages = np.zeros((0, 3), dtype=np.int64)  # doc row, start, end
        self.sidecars: dict[str, dict[str, bytes]] = {}
        self._hnsw = None
        self._hnsw_file: Path | None = None  # a saved graph, read on first ANN search
        self._first: np.ndarray | None = None  # first passage row of each document
        self._by_id: dict[str, int] | None = None
        #: the documents folder the index was built from (saved by a folder store)
        self.root: str | None = None

    # ------------------------------------------------------------------ where and what (the protocol)
    @property
    def location(self) -> Path | str | None:
        """None: a memory store lives only in this process."""
        return None

    @property
    def folder(self) -> Path | None:
        return None

    @property
    def generation(self) -> int:
        return int(self.manifest.get("generation", 0))

    def change_settings(self, *, dtype: str | None = None, ann: str | None = None) -> bool:
        new = (dtype or self.dtype, ann or self.ann)
        if new == (self.dtype, self.ann):
            return False
        if new[0] not in ("float32", "float16"):
            raise InputError(f"dtype must be float32 or float16, got {new[0]!r}")
        if new[1] not in ANN_SETTINGS:
            raise InputError(f"ann must be auto, hnsw or none, got {new[1]!r}")
        self.dtype, self.ann = new
        return True

    def load(self, docs: list[dict], passages: np.ndarray, vectors: np.ndarray, graph_file: Path | None = None) -> None:
        """Hold these arrays as read from an index folder (not copied), with the HNSW graph saved beside them."""
        self.docs, self.passages, self.vectors = docs, passages, vectors
        self._changed()
        self._hnsw_file = graph_file

    def in_memory(self) -> MemoryStore:
        """A new memory store with the same data, settings, sidecars, root and built HNSW graph."""
        new = MemoryStore(encoder_spec=self.encoder_spec, dim=self.dim, chunk=self.chunk, dtype=self.dtype,
                          ann=self.ann, device=self.device)
        new.add(self.docs, np.array(self.passages, copy=True), self.matrix())
        new.root, new.sidecars = self.root, dict(self.sidecars)
        if self._hnsw is not None:
            new.use_graph(self._hnsw)
        return new

    # ------------------------------------------------------------------ reading
    def indexed_sources(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for d in self.docs:
            out.setdefault(d.get("source", ""), d.get("source_hash", ""))
        return out

    def document_ids(self) -> list[str]:
        return [d["id"] for d in self.docs]

    def document_ids_for_sources(self, sources: set[str]) -> list[str]:
        return [d["id"] for d in self.docs if d.get("source", "") in sources]

    def passage_count(self) -> int:
        return len(self.passages)

    def iter_passages(self) -> Iterator[tuple[str, list[str]]]:
        first = self._first_rows()
        n_docs = len(self.docs)
        counts = np.bincount(self.passages[:, 0], minlength=n_docs) if len(self.passages) else np.zeros(n_docs, int)
        for drow, d in enumerate(self.docs):
            rows = self.passages[first[drow]:first[drow] + counts[drow]]
            yield d["id"], [passage_text(d.get("title"), d["text"][s:e], self.chunk) for _, s, e in rows]

    def read_sidecar(self, name: str) -> dict[str, bytes] | None:
        return self.sidecars.get(name)

    def write_sidecar(self, name: str, files: dict[str, bytes]) -> None:
        self.sidecars[name] = dict(files)

    # ------------------------------------------------------------------ writing
    def add(self, docs: Sequence[dict], passages: np.ndarray, vectors: np.ndarray) -> int:
        replaced = {d["id"] for d in self.docs} & {d["id"] for d in docs}
        if replaced:
            self.remove(replaced)
        vecs = np.asarray(vectors, dtype=np.float32)
        if vecs.shape[1:] != (self.dim,) or len(vecs) != len(passages):
            raise InputError(f"got {vecs.shape} vectors for {len(passages)} passages; the store holds {self.dim}-d vectors")
        rows = np.array(passages, dtype=np.int64, copy=True).reshape(-1, 3)
        rows[:, 0] += len(self.docs)
        self.docs.extend(docs)
        self.vectors = np.concatenate([self.matrix(), vecs]) if len(self.vectors) else vecs
        self.passages = np.concatenate([self.passages, rows]) if len(self.passages) else rows
        self._changed()
        return len(rows)

    def remove(self, ids: Iterable[str]) -> int:
        drop = set(ids)
        keep_docs = [i for i, d in enumerate(self.docs) if d["id"] not in drop]
        removed = len(self.docs) - len(keep_docs)
        if not removed:
            return 0
        new_row = np.full(len(self.docs), -1, dtype=np.int64)
        new_row[keep_docs] = np.arange(len(keep_docs))
        keep_p = new_row[self.passages[:, 0]] >= 0
        self.vectors = np.asarray(self.vectors)[keep_p]
        self.passages = self.passages[keep_p].copy()
        self.passages[:, 0] = new_row[self.passages[:, 0]]
        self.docs = [self.docs[i] for i in keep_docs]
        self._changed()
        return removed

    def _changed(self) -> None:
        self._hnsw, self._hnsw_file, self._first, self._by_id = None, None, None, None

    def flush(self) -> None:
        """Nothing to make durable in memory."""

    def save(self) -> None:
        """Nothing to make durable in memory."""

    def close(self) -> None:
        """Nothing to release in memory."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ searching
    def matrix(self) -> np.ndarray:
        """The vectors as float32 (a float16 file on disk is converted once)."""
        if self.vectors.dtype != np.float32:
            self.vectors = np.asarray(self.vectors, dtype=np.float32)
        return self.vectors

    def top_passages(self, q_vecs: np.ndarray, n: int, *, ann: str = "exact", ef_search: int = 128) -> list[PassageMatches]:
        q_vecs = np.atleast_2d(np.asarray(q_vecs, dtype=np.float32))
        n = min(int(n), len(self.passages))
        if n == 0:
            return [self._matches(np.zeros(0, np.int64), np.zeros(0, np.float32), True) for _ in q_vecs]
        use_ann = ann == "ann" or (ann == "auto" and self.has_ann())
        if use_ann:
            graph = self.graph()
            graph.hnsw.efSearch = max(ef_search, n)
            sc, idx = graph.search(np.ascontiguousarray(q_vecs, dtype=np.float32), n)
        else:
            idx, sc = kernels.nearest(q_vecs, self.matrix(), n, device=self.device)
        complete = not use_ann and n == len(self.passages)
        return [self._matches(np.asarray(i, dtype=np.int64), np.asarray(s, dtype=np.float32), complete)
                for i, s in zip(idx, sc)]

    def _matches(self, rows: np.ndarray, scores: np.ndarray, complete: bool) -> PassageMatches:
        ok = rows >= 0
        rows, scores = rows[ok], scores[ok]
        drows = self.passages[rows, 0] if len(rows) else np.zeros(0, np.int64)
        seqs = rows - self._first_rows()[drows] if len(rows) else np.zeros(0, np.int64)
        return PassageMatches(drows, seqs, scores, lambda i: self._describe(int(rows[i])), complete)

    def _describe(self, prow: int) -> dict:
        drow, s, e = (int(x) for x in self.passages[prow])
        d = self.docs[drow]
        return {"id": d["id"], "title": d.get("title"), "source": d.get("source", ""), "passage": d["text"][s:e],
                "start": s, "end": e, "meta": d.get("meta") or {}}

    def _first_rows(self) -> np.ndarray:
        if self._first is None:
            first = np.zeros(len(self.docs), dtype=np.int64)
            if len(self.passages):
                drows, idx = np.unique(self.passages[:, 0], return_index=True)
                first[drows] = idx
            self._first = first
        return self._first

    def fetch(self, refs: Sequence[tuple[str, int]]) -> list[dict | None]:
        if self._by_id is None:
            self._by_id = {d["id"]: i for i, d in enumerate(self.docs)}
        out: list[dict | None] = []
        for doc_id, seq in refs:
            drow = self._by_id.get(doc_id)
            row = None if drow is None else int(self._first_rows()[drow]) + int(seq)
            ok = row is not None and row < len(self.passages) and int(self.passages[row, 0]) == drow
            out.append(self._describe(row) if ok else None)
        return out

    # ------------------------------------------------------------------ ANN (faiss HNSW)
    def has_ann(self) -> bool:
        return self._hnsw is not None or self._hnsw_file is not None

    def wants_ann(self) -> bool:
        return self.ann == "hnsw" or (self.ann == "auto" and len(self.passages) >= ANN_AUTO_THRESHOLD)

    def build_ann(self, *, m: int = 32, ef_construction: int = 80) -> None:
        """Build the faiss HNSW graph over the passage vectors (inner product = cosine)."""
        from textemb.errors import require

        faiss = require("faiss", package="faiss-cpu", extra="search", feature="approximate search (HNSW)")
        index = faiss.IndexHNSWFlat(self.dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        if len(self.passages):
            index.add(np.ascontiguousarray(self.matrix()))
        self.use_graph(index)

    def use_graph(self, graph) -> None:
        """Search with this HNSW graph, already built over the store's current vectors."""
        self._hnsw, self._hnsw_file = graph, None

    def graph(self):
        """The HNSW graph: read from the index folder, or built now if there is none."""
        if self._hnsw is None:
            if self._hnsw_file is None or not self._hnsw_file.is_file():  # none, or a newer writer removed it
                self.build_ann()
            else:
                self._hnsw = _read_hnsw(self._hnsw_file, (self.manifest.get("files") or {}).get("hnsw"),
                                        self.dim, len(self.passages))
        return self._hnsw


def _read_hnsw(path: Path, info: object, dim: int, n_passages: int):
    """The saved faiss graph, read only when its bytes match the manifest's size and sha256 (whatever the
    index size: faiss trusts the offsets in the file, so a damaged graph must never reach it)."""
    import hashlib

    import faiss

    damaged = "the index is damaged: re-index (or search with --vector-search exact)"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"{path.name} is missing or unreadable ({exc.strerror or exc}); {damaged}", path=path.parent) from None
    if (not isinstance(info, dict) or len(data) != info.get("size")
            or hashlib.sha256(data).hexdigest() != info.get("sha256")):
        raise FormatError(f"{path.name} does not match its size and sha256 in the manifest; {damaged}", path=path.parent)
    try:
        graph = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except (RuntimeError, MemoryError, ValueError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise FormatError(f"{path.name}: faiss cannot read the graph ({first}); {damaged}", path=path.parent) from None
    if graph.ntotal != n_passages or graph.d != dim or not hasattr(graph, "hnsw"):
        raise FormatError(f"{path.name} holds {graph.ntotal} {graph.d}-d vectors, the index {n_passages} {dim}-d; "
                          f"{damaged}", path=path.parent)
    return graph
