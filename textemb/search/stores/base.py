"""The vector-store interface behind a search index, and what every store shares.

A store holds L2-normalised passage vectors plus the document fields a :class:`Hit` shows, and a
manifest (encoder spec, dim, metric, normalisation, chunking) so an index built in one place is
searched elsewhere with the same encoder or not at all. Two implementations:
:class:`~textemb.search.stores.folder.FolderStore` (textemb's own index folder, the default) and
:class:`~textemb.search.stores.milvus.MilvusStore` (a Milvus server, or a milvus-lite file).

Encoding is not the store's business: :meth:`VectorStore.add` chunks and encodes with an in-memory
:class:`~textemb.search.index.Index` (or Ray, see :mod:`textemb.search.distributed`) and hands the
result to :meth:`VectorStore.add_encoded`. So every store indexes identically and differs only in
where vectors live and who computes the top-k.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from textemb.encoders.base import Encoder, l2_normalize
from textemb.errors import FormatError, InputError
from textemb.search.documents import Document, DocumentSet
from textemb.search.index import ChunkSettings, Hit, Index, SyncReport, encoder_key

#: how vectors are compared in every store: inner product of L2-normalised rows (= cosine)
METRIC = "cosine"
NORMALIZE = "l2"


def describe(encoder_spec: str, dim: int, chunk: ChunkSettings, dtype: str = "float32") -> dict:
    """The manifest fields that make vectors comparable: encoder, dim, metric, normalisation, chunking."""
    return {"encoder": {"spec": encoder_spec, "key": encoder_key(encoder_spec), "dim": int(dim)},
            "dim": int(dim), "metric": METRIC, "normalize": NORMALIZE, "dtype": dtype,
            "chunk": dataclasses.asdict(chunk)}


def check_comparable(manifest: dict, where: str) -> None:
    """Refuse a manifest whose vectors are not L2-normalised for cosine (inner product) search."""
    metric, norm = manifest.get("metric", METRIC), manifest.get("normalize", NORMALIZE)
    if metric != METRIC or norm != NORMALIZE:
        raise FormatError(f"vectors use metric {metric!r} with normalisation {norm!r}; textemb searches "
                          f"{METRIC!r} over {NORMALIZE!r}-normalised vectors: re-index with this textemb", path=where)


def check_encoder(encoder: Encoder, spec: str, dim: int, where: str) -> None:
    """A clear error when ``encoder`` does not produce the vectors an index built with ``spec`` holds."""
    got = encoder.spec or encoder.name
    if encoder.dim != dim:
        raise InputError(f"the query encoder {got!r} gives {encoder.dim}-d vectors but {where} holds {dim}-d "
                         f"vectors from {spec!r}; search with --encoder {spec}")
    if encoder_key(got) != encoder_key(spec):
        raise InputError(f"{where} was built with encoder {spec!r} but the query encoder is {got!r}; vectors from "
                         f"different encoders are not comparable: use --encoder {spec} or re-index")


#: turns documents into an in-memory Index (chunked, encoded, normalised): local or Ray
EncodeFn = Callable[[list[Document]], Index]


class VectorStore(ABC):
    """Documents' passage vectors behind ``add`` / ``remove`` / ``search``, with a manifest."""

    url: str = ""

    def __init__(self, manifest: dict, *, encoder: Encoder | None = None, device: str = "cpu") -> None:
        if not isinstance(manifest, dict):
            raise FormatError("the store's manifest is not a JSON object; it is damaged: re-index", path=self.url)
        check_comparable(manifest, self.url)
        self.manifest = manifest
        try:  # the manifest is data (a collection property, a file): a damaged one is a FormatError
            self.encoder_spec: str = str(manifest["encoder"]["spec"])
            self.dim = int(manifest["dim"])
            self.chunk = ChunkSettings(**manifest.get("chunk", {}))
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise FormatError(f"the store's manifest is damaged ({type(exc).__name__}: {str(exc)[:80]}); re-index",
                              path=self.url) from None
        if self.dim < 1:
            raise FormatError(f"the store's manifest says dim {self.dim}; it is damaged: re-index", path=self.url)
        self.dtype = manifest.get("dtype", "float32")
        self.device = device
        self._encoder: Encoder | None = None
        if encoder is not None:
            self.use_encoder(encoder)

    # ------------------------------------------------------------------ what each store implements
    @abstractmethod
    def indexed_sources(self) -> dict[str, str]:
        """``source -> source_hash`` of every indexed file (what :meth:`sync` compares)."""

    @abstractmethod
    def document_ids(self) -> list[str]:
        """Ids of the indexed documents."""

    @abstractmethod
    def document_ids_for_sources(self, sources: set[str]) -> list[str]:
        """Ids of the documents read from these files."""

    @abstractmethod
    def passage_count(self) -> int:
        """How many passage vectors the store holds."""

    @abstractmethod
    def add_encoded(self, part: Index) -> int:
        """Store the documents, passages and vectors of an in-memory index (same ids replace); returns passages added."""

    @abstractmethod
    def remove(self, ids: Iterable[str]) -> int:
        """Drop the documents with these ids (unknown ids are ignored); returns how many were removed."""

    @abstractmethod
    def search_vectors(self, q_vecs: np.ndarray, k: int) -> list[list[Hit]]:
        """Top-``k`` documents (best passage each, exact inner product) for each normalised query vector."""

    def flush(self) -> None:
        """Make what was added or removed durable (and visible to other readers)."""

    def close(self) -> None:
        """Release connections and locks."""

    # ------------------------------------------------------------------ shared behaviour
    def __len__(self) -> int:
        return len(self.document_ids())

    def __enter__(self) -> "VectorStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def encoder(self) -> Encoder:
        """The query encoder, loaded from the manifest's spec on first use."""
        if self._encoder is None:
            from textemb import load_encoder

            self.use_encoder(load_encoder(self.encoder_spec, device=self.device,
                                          from_data=f"the manifest of {self.url or 'the store'}"))
        return self._encoder

    def use_encoder(self, encoder: Encoder) -> "VectorStore":
        """Search with this (already loaded) encoder; it must match the manifest's spec and dim."""
        check_encoder(encoder, self.encoder_spec, self.dim, self.url)
        self._encoder = encoder
        return self

    def search(self, queries: str | Sequence[str], k: int = 10) -> list[Hit] | list[list[Hit]]:
        """Top-``k`` documents per query (a single string gives one list of hits)."""
        single = isinstance(queries, str)
        qs = [queries] if single else list(queries)
        if not qs:
            raise InputError("no queries given")
        for q in qs:
            if not isinstance(q, str) or not q.strip():
                raise InputError(f"empty query {q!r:.60}: give some words to search for")
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        q_vecs = l2_normalize(self.encoder.encode(qs, show_progress=False))
        hits = self.search_vectors(q_vecs, int(k))
        return hits[0] if single else hits

    def local_encode(self, *, batch_size: int = 64, show_progress: bool | None = None) -> EncodeFn:
        """An :data:`EncodeFn` that chunks and encodes in this process, as :meth:`Index.build` does."""

        def encode(documents: list[Document]) -> Index:
            part = Index(dim=self.dim, encoder_spec=self.encoder_spec, chunk=self.chunk, dtype=self.dtype,
                         ann="none", encoder=self.encoder, device=self.device)
            part.add(documents, batch_size=batch_size, show_progress=show_progress)
            return part

        return encode

    def add(self, documents: Iterable[Document], *, encode: EncodeFn | None = None, batch_size: int = 64) -> int:
        """Chunk, encode and store documents (an id already stored is replaced); returns passages added."""
        documents = list(documents)
        if not documents:
            return 0
        part = (encode or self.local_encode(batch_size=batch_size))(documents)
        return self.add_encoded(part)

    def sync(self, docs: DocumentSet, *, encode: EncodeFn | None = None, batch_size: int = 64) -> SyncReport:
        """Bring the store in line with ``docs``: encode only files whose content hash changed, drop deleted ones."""
        t0 = time.perf_counter()
        indexed = self.indexed_sources()
        stale, todo, report = plan_sync(indexed, docs.documents)
        if stale:
            stale_ids = set(self.document_ids_for_sources(stale))
            self.remove(stale_ids)
        report.encoded_passages = self.add(todo, encode=encode, batch_size=batch_size) if todo else 0
        self.flush()
        report.seconds = time.perf_counter() - t0
        return report



def plan_sync(indexed: dict[str, str], documents: list[Document]) -> tuple[set[str], list[Document], SyncReport]:
    """Which indexed sources to drop and which documents to (re-)encode, as :meth:`Index.sync` decides."""
    by_source: dict[str, list[Document]] = {}
    for d in documents:
        by_source.setdefault(d.source, []).append(d)
    report = SyncReport()
    stale = {s for s in indexed if s not in by_source}
    report.removed = len(stale)
    todo: list[Document] = []
    for src, group in by_source.items():
        if src not in indexed:
            todo.extend(group)
            report.added += 1
        elif indexed[src] != group[0].source_hash:
            todo.extend(group)
            stale.add(src)
            report.updated += 1
        else:
            report.unchanged += 1
    return stale, todo, report
