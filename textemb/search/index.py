"""A semantic search index over documents: chunk, encode, store, search (exact or faiss HNSW).

>>> from textemb.search import Index, load_documents
>>> idx = Index.build(load_documents("notes/"), encoder, path="notes.idx")
>>> idx.search("how do frogs sleep", k=5)[0].title

Passages are stored L2-normalised, so scores are cosine similarities. A document's score is
its best passage's score (``doc_score="max"``, default) or the mean of its passages' scores.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textemb import kernels
from textemb.encoders.base import Encoder, l2_normalize, progress
from textemb.errors import FormatError, InputError
from textemb.search import store
from textemb.search.documents import Document, DocumentSet, chunk_spans

DOC_SCORES = ("max", "mean")
#: an index with at least this many passages gets an HNSW graph when ``ann="auto"``
ANN_AUTO_THRESHOLD = 100_000
#: ``Index.open(verify=None)`` checks the sha256 of indexes up to this size (bigger ones: sizes only)
VERIFY_AUTO_BYTES = 64 * 1024**2


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are split into passages (``unit``: ``words`` or ``tokens``)."""

    size: int = 128
    overlap: int = 32
    unit: str = "words"
    title: bool = True  # prepend the title to every passage before encoding


@dataclass
class Hit:
    """One search result: a document, its score, and its best-matching passage."""

    rank: int
    score: float
    id: str
    title: str | None
    source: str
    passage: str
    start: int
    end: int
    meta: dict

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class SyncReport:
    """What :meth:`Index.sync` changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    encoded_passages: int = 0
    seconds: float = 0.0


def is_blank(query: object) -> bool:
    """Whether a query holds nothing to search for: not a string, or only spaces and control/format characters."""
    import unicodedata

    return not isinstance(query, str) or all(unicodedata.category(c)[0] in "CZ" for c in query)


def encoder_key(spec: str) -> str:
    """A canonical form of a spec, so ``all-MiniLM-L6-v2`` and ``sbert:all-MiniLM-L6-v2`` match."""
    from textemb import models
    from textemb.encoders.registry import parse_spec

    prefix, arg, _ = parse_spec(spec)
    named = models.get(arg) if prefix is None else None
    return named.spec if named is not None else spec.strip()


class Index:
    """Passage vectors + documents + settings; searchable, updatable, saved crash-safely."""

    def __init__(self, *, dim: int, encoder_spec: str, chunk: ChunkSettings = ChunkSettings(),
                 dtype: str = "float32", ann: str = "auto", encoder: Encoder | None = None,
                 device: str = "cpu", root: str | None = None) -> None:
        if dtype not in ("float32", "float16"):
            raise InputError(f"dtype must be float32 or float16, got {dtype!r}")
        if ann not in ("auto", "hnsw", "none"):
            raise InputError(f"ann must be auto, hnsw or none, got {ann!r}")
        self.dim, self.encoder_spec, self.chunk, self.dtype, self.ann = dim, encoder_spec, chunk, dtype, ann
        self.device = kernels.resolve_device(device)
        self.root = root
        self.path: Path | None = None
        self._encoder = encoder
        self.docs: list[dict] = []
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.passages = np.zeros((0, 3), dtype=np.int64)  # doc row, start, end
        self._hnsw = None  # the faiss graph, once built or read
        self._hnsw_file: Path | None = None  # the saved graph of the opened generation, read on first ANN search
        self._lock: store.IndexLock | None = None
        self.manifest: dict = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, docs: DocumentSet | Iterable[Document | str], encoder: Encoder, *, path: str | Path | None = None,
              chunk: ChunkSettings = ChunkSettings(), dtype: str = "float32", ann: str = "auto",
              batch_size: int = 64, show_progress: bool | None = None, device: str = "cpu") -> "Index":
        """Chunk and encode ``docs`` with ``encoder``; save to ``path`` if given (under the index lock)."""
        root = str(docs.root) if isinstance(docs, DocumentSet) and docs.root else None
        documents = docs.documents if isinstance(docs, DocumentSet) else list(docs)
        idx = cls(dim=encoder.dim, encoder_spec=encoder.spec or encoder.name, chunk=chunk, dtype=dtype,
                  ann=ann, encoder=encoder, device=device, root=root)
        if path is None:
            idx.add(documents, batch_size=batch_size, show_progress=show_progress)
            return idx
        lock = store.IndexLock(path).acquire()
        try:
            idx.add(documents, batch_size=batch_size, show_progress=show_progress)
            idx._save_locked(Path(path))
        finally:
            lock.release()
        return idx

    def add(self, documents: Iterable[Document | str], *, batch_size: int = 64, show_progress: bool | None = None) -> int:
        """Encode and add documents (a document whose id is already indexed replaces it); returns passages added.

        Plain strings are accepted too and get ids ``"0"``, ``"1"``, ... after the documents already indexed.
        """
        documents = [Document(str(len(self.docs) + i), d) if isinstance(d, str) else d for i, d in enumerate(documents)]
        for d in documents:
            if not isinstance(d, Document):
                raise InputError(f"expected Document objects or strings, got {type(d).__name__}")
        ids = [d.id for d in documents]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise InputError(f"duplicate document id {dup!r}; ids must be unique")
        existing = {d["id"] for d in self.docs} & set(ids)
        if existing:
            self.remove(existing)
        vecs, rows = self._encode_documents(documents, batch_size=batch_size, show_progress=show_progress)
        base = len(self.docs)
        rows[:, 0] += base
        self.docs.extend(_doc_record(d) for d in documents)
        self.vectors = np.concatenate([np.asarray(self.vectors, dtype=np.float32), vecs]) if len(self.vectors) else vecs
        self.passages = np.concatenate([self.passages, rows]) if len(self.passages) else rows
        self._invalidate_ann()
        return len(rows)

    def remove(self, ids: Iterable[str]) -> int:
        """Drop the documents with these ids (unknown ids are ignored); returns how many were removed."""
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
        self._invalidate_ann()
        return removed

    def sync(self, docs: DocumentSet, *, batch_size: int = 64, show_progress: bool | None = None) -> SyncReport:
        """Bring the index in line with ``docs``: encode only files whose content hash changed, drop deleted ones."""
        t0 = time.perf_counter()
        indexed: dict[str, str] = {}
        for d in self.docs:
            indexed.setdefault(d.get("source", ""), d.get("source_hash", ""))
        by_source: dict[str, list[Document]] = {}
        for d in docs.documents:
            by_source.setdefault(d.source, []).append(d)
        report = SyncReport()
        stale = [s for s in indexed if s not in by_source]
        changed, fresh = [], []
        for src, group in by_source.items():
            if src not in indexed:
                fresh.extend(group)
                report.added += 1
            elif indexed[src] != group[0].source_hash:
                changed.extend(group)
                stale.append(src)
                report.updated += 1
            else:
                report.unchanged += 1
        report.removed = len([s for s in indexed if s not in by_source])
        stale_set = set(stale)
        self.remove(d["id"] for d in self.docs if d.get("source", "") in stale_set)
        report.encoded_passages = self.add(changed + fresh, batch_size=batch_size, show_progress=show_progress)
        if docs.root:
            self.root = str(docs.root)
        report.seconds = time.perf_counter() - t0
        return report

    def _encode_documents(self, documents: list[Document], *, batch_size: int, show_progress: bool | None):
        """Chunk and encode documents in groups, so the progress bar counts documents (docs/s)."""
        enc = self.encoder
        tokenizer = _hf_tokenizer(enc) if self.chunk.unit == "tokens" else None
        if show_progress is None:
            show_progress = len(documents) >= 200
        vec_parts, row_parts = [], []
        group = max(1, 4 * batch_size)  # passages per encode call
        texts: list[str] = []
        rows: list[tuple[int, int, int]] = []
        bar = progress(None, total=len(documents), enabled=show_progress, desc="indexing", unit="doc") if show_progress else None
        pending_docs = 0

        def flush() -> None:
            nonlocal texts, rows, pending_docs
            if texts:
                vec_parts.append(self._prepare(enc.encode(texts, batch_size=batch_size, show_progress=False)))
                row_parts.append(np.asarray(rows, dtype=np.int64))
            if bar is not None and pending_docs:
                bar.update(pending_docs)
            texts, rows, pending_docs = [], [], 0

        for i, doc in enumerate(documents):
            spans = chunk_spans(doc.text, size=self.chunk.size, overlap=self.chunk.overlap,
                                unit=self.chunk.unit, tokenizer=tokenizer)
            prefix = f"{doc.title}\n" if self.chunk.title and doc.title else ""
            for s, e in spans:
                texts.append(prefix + doc.text[s:e])
                rows.append((i, s, e))
            pending_docs += 1
            if len(texts) >= group:
                flush()
        flush()
        if bar is not None:
            bar.close()
        if not vec_parts:
            return np.zeros((0, self.dim), dtype=np.float32), np.zeros((0, 3), dtype=np.int64)
        return np.concatenate(vec_parts), np.concatenate(row_parts)

    def _prepare(self, vectors: np.ndarray) -> np.ndarray:
        vectors = l2_normalize(vectors)
        if self.dtype == "float16":  # round now, so a fresh index scores exactly like the saved one
            vectors = vectors.astype(np.float16).astype(np.float32)
        return vectors

    # ------------------------------------------------------------------ encoder
    @property
    def encoder(self) -> Encoder:
        """The encoder (loaded from the stored spec on first use, as an untrusted spec: see
        :func:`textemb.encoders.registry.check_untrusted_spec`)."""
        if self._encoder is None:
            from textemb import load_encoder

            where = f"{self.path / 'manifest.json'}" if self.path is not None else "the index"
            self._encoder = load_encoder(self.encoder_spec, device=self.device, from_data=where)  # data never opts in
            self._check_encoder(self._encoder)
        return self._encoder

    def _check_encoder(self, encoder: Encoder) -> None:
        if encoder.dim != self.dim:
            raise InputError(f"the query encoder {encoder.spec or encoder.name!r} gives {encoder.dim}-d vectors but the "
                             f"index holds {self.dim}-d vectors from {self.encoder_spec!r}; search with --encoder {self.encoder_spec}")
        spec = encoder.spec or encoder.name
        if encoder_key(spec) != encoder_key(self.encoder_spec):
            raise InputError(f"the index was built with encoder {self.encoder_spec!r} but the query encoder is {spec!r}; "
                             f"vectors from different encoders are not comparable: use --encoder {self.encoder_spec} or re-index")

    def use_encoder(self, encoder: Encoder) -> "Index":
        """Search with this (already loaded) encoder; it must match the index's spec and dim."""
        self._check_encoder(encoder)
        self._encoder = encoder
        return self

    # ------------------------------------------------------------------ search
    def __len__(self) -> int:
        return len(self.docs)

    def search(self, queries: str | Sequence[str], k: int = 10, *, doc_score: str = "max",
               mode: str = "auto", ef_search: int = 128) -> list[Hit] | list[list[Hit]]:
        """Top-``k`` documents per query (a single string gives one list of hits).

        ``mode``: ``exact`` (matrix multiply on the index's device), ``ann`` (faiss HNSW), or
        ``auto`` (HNSW when the index has one). ``k`` larger than the index returns every document.
        """
        single = isinstance(queries, str)
        qs = [queries] if single else list(queries)
        if not qs:
            raise InputError("no queries given")
        for q in qs:
            if not isinstance(q, str) or not q.strip():
                raise InputError(f"empty query {q!r:.60}: give some words to search for")
        q_vecs = l2_normalize(self.encoder.encode(qs, show_progress=False))
        hits = self.search_vectors(q_vecs, k, doc_score=doc_score, mode=mode, ef_search=ef_search)
        return hits[0] if single else hits

    def search_vectors(self, q_vecs: np.ndarray, k: int, *, doc_score: str = "max", mode: str = "auto",
                       ef_search: int = 128) -> list[list[Hit]]:
        """Like :meth:`search`, for query vectors already encoded (and normalised)."""
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        if doc_score not in DOC_SCORES:
            raise InputError(f"doc_score must be one of {', '.join(DOC_SCORES)}, got {doc_score!r}")
        if mode not in ("auto", "exact", "ann"):
            raise InputError(f"mode must be auto, exact or ann, got {mode!r}")
        q_vecs = np.atleast_2d(np.asarray(q_vecs, dtype=np.float32))
        if q_vecs.shape[1] != self.dim:
            raise InputError(f"query vectors are {q_vecs.shape[1]}-d, the index holds {self.dim}-d vectors")
        if not self.docs:
            return [[] for _ in q_vecs]
        known = np.isfinite(q_vecs).all(axis=1) & (np.abs(q_vecs).sum(axis=1) > 0)
        if not known.all():  # a zero vector (e.g. every query word out of vocabulary) matches nothing
            found = self.search_vectors(q_vecs[known], k, doc_score=doc_score, mode=mode, ef_search=ef_search) if known.any() else []
            it = iter(found)
            return [next(it) if ok else [] for ok in known]
        k = min(int(k), len(self.docs))
        if doc_score == "mean":
            return [self._mean_hits(q, k) for q in q_vecs]
        use_ann = mode == "ann" or (mode == "auto" and self._has_ann())
        n_pass = len(self.passages)

        def passages_for(qv: np.ndarray, want: int):
            if use_ann:
                return self._ann_search(qv, want, ef_search)
            return kernels.nearest(qv, self._matrix(), want, device=self.device)

        want = min(n_pass, max(4 * k, 32))
        p_idx, p_sc = passages_for(q_vecs, want)  # all queries in one batched call
        out = []
        for qi, q in enumerate(q_vecs):
            hits, w, idx, sc = self._best_per_doc(p_idx[qi], p_sc[qi], k), want, p_idx[qi], p_sc[qi]
            while len(hits) < k and w < n_pass:  # too few distinct documents among the top passages
                w = min(n_pass, w * 4)
                idx, sc = passages_for(q[None], w)
                hits = self._best_per_doc(idx[0], sc[0], k)
            out.append(hits)
        return out

    def _best_per_doc(self, p_idx: np.ndarray, p_sc: np.ndarray, k: int) -> list[Hit]:
        seen: set[int] = set()
        hits = []
        for pi, sc in zip(p_idx, p_sc):
            if pi < 0 or not np.isfinite(sc):
                continue
            drow = int(self.passages[pi, 0])
            if drow in seen:
                continue
            seen.add(drow)
            hits.append(self._hit(len(hits) + 1, float(sc), int(pi)))
            if len(hits) == k:
                break
        return hits

    def _mean_hits(self, q: np.ndarray, k: int) -> list[Hit]:
        scores = self._matrix() @ q
        n_docs = len(self.docs)
        sums = np.bincount(self.passages[:, 0], weights=scores, minlength=n_docs)
        counts = np.bincount(self.passages[:, 0], minlength=n_docs)
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf).astype(np.float32)
        top, top_sc = kernels.topk_scores(mean[None], k)
        hits = []
        for drow, sc in zip(top[0], top_sc[0]):
            if not np.isfinite(sc):
                continue
            rows = np.flatnonzero(self.passages[:, 0] == drow)
            best = int(rows[np.argmax(scores[rows])])
            hits.append(self._hit(len(hits) + 1, float(sc), best))
        return hits

    def _hit(self, rank: int, score: float, prow: int) -> Hit:
        drow, s, e = (int(x) for x in self.passages[prow])
        d = self.docs[drow]
        return Hit(rank, score, d["id"], d.get("title"), d.get("source", ""), d["text"][s:e], s, e, d.get("meta", {}))

    def _matrix(self) -> np.ndarray:
        if self.vectors.dtype != np.float32:
            self.vectors = np.asarray(self.vectors, dtype=np.float32)  # float16 on disk, float32 to compute
        return self.vectors

    # ------------------------------------------------------------------ ANN (faiss HNSW)
    def _has_ann(self) -> bool:
        return self._hnsw is not None or self._hnsw_file is not None

    def _invalidate_ann(self) -> None:
        self._hnsw, self._hnsw_file = None, None

    def _wants_ann(self) -> bool:
        return self.ann == "hnsw" or (self.ann == "auto" and len(self.passages) >= ANN_AUTO_THRESHOLD)

    def build_ann(self, *, m: int = 32, ef_construction: int = 80) -> None:
        """Build the faiss HNSW graph over the passage vectors (inner product = cosine)."""
        from textemb.errors import require

        faiss = require("faiss", package="faiss-cpu", extra="search", feature="approximate search (HNSW)")
        index = faiss.IndexHNSWFlat(self.dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        if len(self.passages):
            index.add(np.ascontiguousarray(self._matrix()))
        self._hnsw, self._hnsw_file = index, None

    def _graph(self):
        """The HNSW graph: read from the index folder, or built now if there is none."""
        if self._hnsw is None:
            if self._hnsw_file is None or not self._hnsw_file.is_file():  # none, or a newer writer removed it
                self.build_ann()
            else:
                self._hnsw = _read_hnsw(self._hnsw_file, (self.manifest.get("files") or {}).get("hnsw"),
                                        self.dim, len(self.passages))
        return self._hnsw

    def _ann_search(self, q: np.ndarray, k: int, ef_search: int):
        self._graph().hnsw.efSearch = max(ef_search, k)
        sc, idx = self._hnsw.search(np.ascontiguousarray(q, dtype=np.float32), k)
        return idx, sc

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path | None = None) -> Path:
        """Write the index folder crash-safely (under the index lock); returns its path."""
        path = Path(path) if path is not None else self.path
        if path is None:
            raise InputError("this index has no folder yet: pass save(path)")
        if self._lock is not None and Path(self._lock.folder) == path:
            self._save_locked(path)
            return path
        with store.IndexLock(path):
            self._save_locked(path)
        return path

    def _save_locked(self, path: Path) -> None:
        hnsw = None
        if self._wants_ann() and len(self.passages):
            import faiss

            hnsw = faiss.serialize_index(self._graph()).tobytes()
        on_disk = np.asarray(self.vectors, dtype=np.float16 if self.dtype == "float16" else np.float32)
        manifest = {
            "format": store.FORMAT,
            "format_version": store.FORMAT_VERSION,
            "generation": store.next_generation(path),
            "dim": self.dim,
            "metric": "cosine",
            "normalize": "l2",  # rows are L2-normalised: inner product = cosine
            "dtype": self.dtype,
            "counts": {"documents": len(self.docs), "passages": int(len(self.passages)),
                       "sources": len({d.get("source", "") for d in self.docs})},
            "encoder": {"spec": self.encoder_spec, "dim": self.dim},
            "settings": {"chunk": dataclasses.asdict(self.chunk), "ann": self.ann,
                         "hnsw": {"m": 32, "ef_construction": 80} if hnsw is not None else None},
            "root": self.root,
        }
        self.manifest = store.write_generation(path, manifest, on_disk, self.passages, self.docs, hnsw)
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, encoder: Encoder | None = None, device: str = "cpu",
             verify: bool | None = None, writable: bool = False) -> "Index":
        """Open an index folder (vectors memory-mapped). ``writable`` holds the lock until :meth:`close`.

        ``verify`` checks every file's sha256 against the manifest (a flipped byte is caught); the
        default (``None``) verifies indexes whose files total at most :data:`VERIFY_AUTO_BYTES`.
        """
        path = Path(path)
        lock = store.IndexLock(path).acquire() if writable else None
        try:
            for attempt in range(50):  # a writer may swap generations while we read: retry while it moves on
                manifest = store.read_manifest(path)
                try:
                    vectors, passages, docs, hnsw = store.load_files(path, manifest, verify=_verify(manifest, verify))
                    break
                except FormatError:
                    if attempt == 49 or store.read_manifest(path).get("generation") == manifest.get("generation"):
                        raise
            if manifest.get("metric", "cosine") != "cosine" or manifest.get("normalize", "l2") != "l2":
                raise FormatError(f"vectors use metric {manifest.get('metric')!r} with normalisation "
                                  f"{manifest.get('normalize')!r}; this textemb searches cosine over L2-normalised "
                                  "vectors: re-index", path=path)
            try:
                s = manifest.get("settings", {})
                idx = cls(dim=int(manifest["dim"]), encoder_spec=str(manifest["encoder"]["spec"]),
                          chunk=ChunkSettings(**s.get("chunk", {})), dtype=manifest.get("dtype", "float32"),
                          ann=s.get("ann", "auto"), device=device, root=manifest.get("root"))
            except (KeyError, TypeError, AttributeError, ValueError, OverflowError, InputError) as exc:
                raise FormatError(f"manifest.json is damaged ({type(exc).__name__}: {exc}); re-index", path=path) from None
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        idx.vectors, idx.passages, idx.docs, idx._hnsw_file = vectors, passages, docs, hnsw
        idx.path, idx.manifest, idx._lock = path, manifest, lock
        if encoder is not None:
            idx.use_encoder(encoder)
        return idx

    def close(self) -> None:
        """Release the write lock (if this index holds one)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"Index({len(self.docs):,} documents, {len(self.passages):,} passages, dim={self.dim}, "
                f"encoder={self.encoder_spec!r}, path={str(self.path) if self.path else None!r})")


def _verify(manifest: dict, verify: bool | None) -> bool:
    if verify is not None:
        return bool(verify)
    files = manifest.get("files")
    if not isinstance(files, dict):
        return True  # load_files reports the damage
    total = sum(f.get("size", 0) for f in files.values() if isinstance(f, dict) and isinstance(f.get("size"), int))
    return total <= VERIFY_AUTO_BYTES


def _read_hnsw(path: Path, info: object, dim: int, n_passages: int):
    """The saved faiss graph, read only when its bytes match the manifest's size and sha256 (whatever the
    index size: faiss trusts the offsets in the file, so a damaged graph must never reach it)."""
    import hashlib

    import faiss

    damaged = "the index is damaged: re-index (or search with --mode exact)"
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


def _hf_tokenizer(encoder: Encoder):
    """The encoder's Hugging Face fast tokenizer (``encoder.tokenizer`` or ``encoder.model.tokenizer``), if any."""
    for owner in (encoder, getattr(encoder, "model", None)):
        tok = getattr(owner, "tokenizer", None)
        if callable(tok) and getattr(tok, "is_fast", False):
            return tok
    return None


def _doc_record(d: Document) -> dict:
    return {"id": d.id, "title": d.title, "source": d.source, "source_hash": d.source_hash,
            "text": d.text, "meta": d.meta}
