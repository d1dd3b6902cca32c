"""The façade: :class:`Index` owns chunk -> encode -> sync -> search against any :class:`VectorStore`.

>>> from textemb.search import Index, load_documents
>>> idx = Index.build(load_documents("notes/"), encoder, path="notes.idx")      # or "milvus-lite:n.db/notes"
>>> idx.search("how do frogs sleep", k=5, mode="hybrid")[0].title

Passages are stored L2-normalized, so dense scores are cosine similarities. A document's score is its best
passage's (``doc_score="max"``, default) or the mean of its passages' scores, for every store and both
retrievers. ``mode``: ``dense`` (vectors), ``bm25`` (the lexical index kept beside the vectors) or
``hybrid`` (both: by default the mean of their min-max-normalized scores, ``fusion="rrf"`` reciprocal-rank fusion).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder, l2_normalize
from textemb.errors import FormatError, InputError
from textemb.search.chunking import ChunkSettings, chunk_documents, chunk_tokenizer
from textemb.search.compat import canonical, check_encoder, check_same_build, check_stored_spec
from textemb.search.documents import Document, DocumentSet
from textemb.search.engines import DTYPES, Engine, LocalEngine
from textemb.search.lexical import LexicalIndex
from textemb.search.query_args import (
    ANN_CHOICES,
    DEFAULT_FUSION,
    DEFAULT_MODE,
    FUSION_DEPTH,
    MODES,
    check_k_and_doc_score,
    check_queries,
    is_blank,
    resolve_mode,
)
from textemb.search.ranking import DocScore, Hit, PassageMatches, aggregate, fuse, hits_of
from textemb.search.stores.base import HoldsArrays, VectorStore
from textemb.search.stores.memory import MemoryStore
from textemb.search.sync import SyncReport, plan_sync


class Index:
    """Documents searchable by meaning and by words, in any store (memory, folder, Milvus)."""

    def __init__(self, store: VectorStore, *, encoder: Encoder | None = None, device: str = "cpu") -> None:
        self.store, self.device = store, device
        self._encoder: Encoder | None = None
        self._lexical: LexicalIndex | None = None
        self._lexical_dirty = False
        if encoder is not None:
            self.use_encoder(encoder)

    # ------------------------------------------------------------------ opening and building
    @classmethod
    def build(cls, docs: DocumentSet | Iterable[Document | str], encoder: Encoder, *, path: str | Path | None = None,
              chunk: ChunkSettings = ChunkSettings(), dtype: str = "float32", ann: str = "auto", batch_size: int = 64,
              show_progress: bool | None = None, device: str = "cpu", engine: Engine | None = None) -> Index:
        """Chunk and encode ``docs``; in memory, or saved to ``path`` (a folder or a store URL) under its lock."""
        from textemb.search.stores import create_store

        root = str(docs.root) if isinstance(docs, DocumentSet) and docs.root else None
        documents = docs.documents if isinstance(docs, DocumentSet) else list(docs)
        spec = canonical(encoder.spec)  # the manifest stores the canonical form
        if path is None:
            store: VectorStore = MemoryStore(encoder_spec=spec, dim=encoder.dim, chunk=chunk, dtype=dtype, ann=ann,
                                             device=device)
        else:
            store = create_store(path, encoder_spec=spec, dim=encoder.dim, chunk=chunk, dtype=dtype, ann=ann,
                                 device=device, fresh=True)
        try:
            check_same_build(store.url, store.encoder_spec, store.dim, store.chunk, encoder, chunk)
            idx = cls(store, encoder=encoder, device=device)
        except BaseException:
            store.close()
            raise
        try:
            idx.add(documents, batch_size=batch_size, show_progress=show_progress, engine=engine)
            if root is not None:
                idx.root = root
            if path is not None:
                idx.save()
        finally:
            if path is not None:
                store.close()  # releases the lock; the index stays usable (a later save takes it again)
        return idx

    @classmethod
    def open(cls, path: str | Path, *, encoder: Encoder | None = None, device: str = "cpu",
             verify: bool | None = None, writable: bool = False) -> Index:
        """Open an index folder or store URL; ``writable`` holds the write lock until :meth:`close`.

        ``verify`` checks every file's sha256 against the manifest (None: indexes up to 64 MB).
        """
        from textemb.search.stores import open_store

        store = open_store(path, device=device, writable=writable, verify=verify)
        try:
            return cls(store, encoder=encoder, device=device)
        except BaseException:
            store.close()
            raise

    # ------------------------------------------------------------------ what the store holds
    # what every store records: the encoder spec, dim, chunk settings and the manifest
    encoder_spec = property(lambda self: self.store.encoder_spec)
    dim = property(lambda self: self.store.dim)
    chunk = property(lambda self: self.store.chunk)
    manifest = property(lambda self: self.store.manifest)

    @property
    def path(self) -> Path | str | None:
        """The index folder (or store URL); None for an index held only in memory."""
        return self.store.location

    @property
    def root(self) -> str | None:
        """The documents folder the index was built from (None when unknown, and for a Milvus store)."""
        return self.store.root

    @root.setter
    def root(self, value: str | None) -> None:
        self.store.root = value

    # the arrays of a memory or folder store (what tests and notebooks inspect)
    docs = property(lambda self: self._arrays().docs)
    vectors = property(lambda self: self._arrays().vectors)
    passages = property(lambda self: self._arrays().passages)

    def _arrays(self) -> HoldsArrays:
        if not isinstance(self.store, HoldsArrays):
            raise AttributeError(f"{type(self.store).__name__} does not hold its data as arrays in this process")
        return self.store

    def __len__(self) -> int:
        return len(self.store.document_ids())

    def __repr__(self) -> str:
        return (f"Index({len(self):,} documents, {self.store.passage_count():,} passages, dim={self.dim}, "
                f"encoder={self.encoder_spec!r}, store={self.store.url!r})")

    # ------------------------------------------------------------------ encoder
    @property
    def encoder(self) -> Encoder:
        """The encoder (loaded from the stored spec on first use)."""
        if self._encoder is None:
            from textemb import load_encoder

            where = f"the manifest of {self.path}" if self.path is not None else "the index"
            check_stored_spec(self.encoder_spec, self.store.folder, self.path or "the index")
            # the fastest runtime of the same model (ONNX when exported; same key); data never opts in to anything
            self.use_encoder(load_encoder(self.encoder_spec, device=self.device, from_data=where, runtime="fast"))
        return self._encoder

    def use_encoder(self, encoder: Encoder) -> Index:
        """Encode with this (already loaded) encoder; it must match the index's spec and dim."""
        check_encoder(encoder, self.encoder_spec, self.dim, "the index")
        self._encoder = encoder
        return self

    # ------------------------------------------------------------------ writing
    def add(self, documents: Iterable[Document | str], *, batch_size: int = 64, show_progress: bool | None = None,
            engine: Engine | None = None) -> int:
        """Chunk, encode and store documents (an id already indexed is replaced); returns passages added.

        Plain strings are accepted too and get ids ``"0"``, ``"1"``, ... after the documents already indexed.
        """
        documents = list(documents)
        n_docs = len(self) if any(isinstance(d, str) for d in documents) else 0
        documents = [Document(str(n_docs + i), d) if isinstance(d, str) else d for i, d in enumerate(documents)]
        for d in documents:
            if not isinstance(d, Document):
                raise InputError(f"expected Document objects or strings, got {type(d).__name__}")
        ids = [d.id for d in documents]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise InputError(f"duplicate document id {dup!r}; ids must be unique")
        if not documents:
            return 0
        lexical = self.lexical()  # loaded (or rebuilt) before the store changes
        tokenizer = chunk_tokenizer(self.encoder, self.chunk.unit)
        texts, rows = chunk_documents(documents, self.chunk, tokenizer)
        encode = engine or LocalEngine(self.encoder, batch_size=batch_size, dtype=self.store.dtype,
                                       show_progress=show_progress)
        vectors = encode(texts)
        records = [_record(d) for d in documents]
        added = self.store.add(records, rows, vectors)
        counts = np.bincount(rows[:, 0], minlength=len(documents)) if len(rows) else np.zeros(len(documents), int)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        lexical.add((d.id, texts[bounds[i]:bounds[i + 1]]) for i, d in enumerate(documents))
        self._lexical_dirty = True
        return added

    def remove(self, ids: Iterable[str]) -> int:
        """Drop the documents with these ids (unknown ids are ignored); returns how many were removed."""
        ids = list(ids)
        lexical = self.lexical()
        removed = self.store.remove(ids)
        if removed:
            lexical.remove(ids)
            self._lexical_dirty = True
        return removed

    def sync(self, docs: DocumentSet, *, batch_size: int = 64, show_progress: bool | None = None,
             engine: Engine | None = None) -> SyncReport:
        """Bring the index in line with ``docs``: encode only files whose content hash changed, drop deleted ones."""
        t0 = time.perf_counter()
        stale, todo, report = plan_sync(self.store.indexed_sources(), docs.documents)
        if stale:
            self.remove(self.store.document_ids_for_sources(stale))
        report.encoded_passages = self.add(todo, batch_size=batch_size, show_progress=show_progress,
                                           engine=engine) if todo else 0
        if docs.root:
            self.root = str(docs.root)
        report.seconds = time.perf_counter() - t0
        return report

    def save(self, path: str | Path | None = None) -> Path | str:
        """Make the index durable: write a new generation of its folder (or flush its store); returns where.

        An index held in memory needs ``path`` (a folder); an index opened ``writable`` saves under its lock.
        """
        if path is not None and (self.path is None or Path(str(path)) != Path(str(self.path))):
            self._move_to_folder(Path(path))  # saved there
            return self.path
        if self.path is None:
            raise InputError("this index has no folder yet: pass save(path)")
        if self._lexical is not None and (self._lexical_dirty or self.store.read_sidecar("lexical") is None):
            npz, meta = self._lexical.to_bytes()
            self.store.write_sidecar("lexical", {"npz": npz, "json": meta})
            self._lexical_dirty = False
        self.store.save()  # an explicit save of a folder index always writes a new generation
        return self.path

    def _move_to_folder(self, path: Path) -> None:
        """Give an in-memory index (or one in another folder) a new folder store holding the same data."""
        from textemb.search.stores.folder import FolderStore

        if not isinstance(self.store, HoldsArrays):
            raise InputError(f"save(path) copies in-memory and folder indexes; {self.store.url} is saved by save()")
        old = self.store
        new = FolderStore.holding(path, old.in_memory())
        try:
            self.lexical()
            self._lexical_dirty = True
            self.store = new
            self.save()
        finally:
            new.close()
        old.close()

    def close(self) -> None:
        """Release the store (the write lock of a folder opened ``writable``, a Milvus connection)."""
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ lexical index
    def lexical(self) -> LexicalIndex:
        """The BM25 index: read from the store's sidecar files, or rebuilt from its passages when missing or stale."""
        if self._lexical is None:
            files = None
            try:
                files = self.store.read_sidecar("lexical")
            except FormatError:
                files = None
            lex = None
            if files and "npz" in files and "json" in files:
                lex = LexicalIndex.from_bytes(files["npz"], files["json"], where=f"{self.store.url} (lexical index)")
                if len(lex) != self.store.passage_count() or sorted(lex.doc_ids) != sorted(self.store.document_ids()):
                    lex = None  # written by another version of the collection: rebuild
            if lex is None:
                lex = LexicalIndex()
                lex.add(self.store.iter_passages())
                self._lexical_dirty = self.store.passage_count() > 0
            self._lexical = lex
        return self._lexical

    # ------------------------------------------------------------------ searching
    def search(self, queries: str | Sequence[str], k: int = 10, *, mode: str | None = None, doc_score: str = "max",
               ann: str = "auto", ef_search: int = 128, fusion: str = DEFAULT_FUSION,
               weights: Sequence[float] = (1.0, 1.0)) -> list[Hit] | list[list[Hit]]:
        """Top-``k`` documents per query (a single string gives one list of hits).

        ``mode``: ``dense``, ``bm25`` or ``hybrid`` (default :data:`DEFAULT_MODE`); the older spellings
        ``exact``/``ann`` mean dense search with that vector search. ``ann``: ``exact`` (matrix multiply),
        ``ann`` (faiss HNSW) or ``auto`` (HNSW when the index has one). ``weights``: (dense, bm25) in a fusion.
        """
        mode, ann = resolve_mode(mode, ann)
        single = isinstance(queries, str)
        qs = check_queries(queries, k, doc_score)
        depth = int(k) if mode != "hybrid" else max(int(k), FUSION_DEPTH)
        dense = self._dense(l2_normalize(self.encoder.encode(qs, show_progress=False)), depth, doc_score, ann,
                            ef_search) if mode != "bm25" else None
        lexical = [self._bm25(q, depth, doc_score) for q in qs] if mode != "dense" else None
        if mode == "dense":
            hits = [hits_of(d, "dense") for d in dense]
        elif mode == "bm25":
            hits = [self._complete(hits_of(b, "bm25")) for b in lexical]
        else:
            hits = [self._fuse(d, b, int(k), fusion, weights) for d, b in zip(dense, lexical)]
        hits = [h[: int(k)] for h in hits]
        return hits[0] if single else hits

    def search_vectors(self, q_vecs: np.ndarray, k: int, *, doc_score: str = "max", mode: str = "auto",
                       ef_search: int = 128) -> list[list[Hit]]:
        """Dense search for query vectors already encoded and normalized (``mode``: auto, exact or ann)."""
        check_k_and_doc_score(k, doc_score)
        if mode not in ANN_CHOICES:
            raise InputError(f"mode must be auto, exact or ann, got {mode!r}")
        q_vecs = np.atleast_2d(np.asarray(q_vecs, dtype=np.float32))
        if q_vecs.shape[1] != self.dim:
            raise InputError(f"query vectors are {q_vecs.shape[1]}-d, the index holds {self.dim}-d vectors")
        return [hits_of(d, "dense") for d in self._dense(q_vecs, int(k), doc_score, mode, ef_search)]

    def _dense(self, q_vecs: np.ndarray, k: int, how: str, ann: str, ef_search: int):
        """Per query: the top-``k`` documents with the passage matches they came from."""
        out: list = [[] for _ in q_vecs]
        known = np.isfinite(q_vecs).all(axis=1) & (np.abs(q_vecs).sum(axis=1) > 0)  # a zero vector matches nothing
        total = self.store.passage_count()
        cap = min(total, self.store.max_top or total)
        if not known.any() or total == 0:
            return out
        n = cap if how == "mean" else min(cap, 2 * k)  # a few spare passages for repeated documents; widened below
        rows = np.flatnonzero(known)
        first = self.store.top_passages(q_vecs[rows], n, ann=ann, ef_search=ef_search)
        for qi, m in zip(rows, first):
            docs, w = aggregate(m, k, how), n
            while len(docs) < k and w < cap:  # too few distinct documents among the top passages
                w = min(cap, w * 4)
                m = self.store.top_passages(q_vecs[qi][None], w, ann=ann, ef_search=ef_search)[0]
                docs = aggregate(m, k, how)
            out[qi] = [(d, m) for d in docs]
        return out

    def _bm25(self, query: str, k: int, how: str):
        """The top-``k`` documents by BM25 (passage scores aggregated like dense ones)."""
        lex = self.lexical()
        scores = lex.scores(query)
        hit = np.flatnonzero(scores > 0)
        if not len(hit):
            return []
        doc_rows, seqs = lex.rows()
        if how == "mean":
            hit = np.flatnonzero(np.isin(doc_rows, np.unique(doc_rows[hit])))
        order = hit[np.argsort(-scores[hit], kind="stable")]
        ids = lex.doc_ids
        m = PassageMatches(doc_rows[order], seqs[order], scores[order],
                           lambda i: {"id": ids[doc_rows[order[i]]], "seq": int(seqs[order[i]])}, complete=True)
        return [(d, m) for d in aggregate(m, k, how)]

    def _complete(self, hits: list[Hit]) -> list[Hit]:
        """Fill in the title, source and passage of lexical hits from the store."""
        need = [i for i, h in enumerate(hits) if h.passage is None]
        if need:
            fields = self.store.fetch([(hits[i].id, hits[i].start) for i in need])
            for i, f in zip(need, fields):
                if f is not None:
                    scores, rank, score = hits[i].scores, hits[i].rank, hits[i].score
                    hits[i] = Hit(rank, score, **f, scores=scores)
        return [h for h in hits if h.passage is not None]

    def _fuse(self, dense, lexical, k: int, fusion: str, weights) -> list[Hit]:
        d_hits, b_hits = hits_of(dense, "dense"), hits_of(lexical, "bm25")
        by_id = {h.id: h for h in b_hits}
        by_id.update({h.id: h for h in d_hits})  # a dense hit's passage is the one shown
        for h in b_hits:
            by_id[h.id].scores.update(h.scores)
        fused = fuse([[h.id for h in d_hits], [h.id for h in b_hits]], method=fusion, weights=weights, k=k,
                     scores=[[h.score for h in d_hits], [h.score for h in b_hits]])
        out = []
        for rank, (doc_id, score) in enumerate(fused, 1):
            h = by_id[doc_id]
            out.append(Hit(rank, score, h.id, h.title, h.source, h.passage, h.start, h.end, h.meta, dict(h.scores)))
        return self._complete(out)


def _record(d: Document) -> dict:
    return {"id": d.id, "title": d.title, "source": d.source, "source_hash": d.source_hash, "text": d.text,
            "meta": d.meta}


__all__ = ["ANN_CHOICES", "DEFAULT_FUSION", "DEFAULT_MODE", "DTYPES", "MODES", "DocScore", "Hit", "Index", "is_blank"]
