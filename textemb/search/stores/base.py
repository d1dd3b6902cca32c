"""The one storage abstraction: :class:`VectorStore`, what every store (memory, folder, Milvus) implements.

A store keeps L2-normalized passage vectors, the document fields a :class:`~textemb.search.ranking.Hit`
shows, a manifest (:func:`textemb.search.compat.describe`) and, for the lexical index, opaque
*sidecar* files it saves with its data. It answers "top-n passages for these query vectors"; chunking,
encoding, sync planning, score aggregation and fusion belong to the façade
(:class:`textemb.search.index.Index`), so every store ranks identically.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from textemb.search.chunking import ChunkSettings
from textemb.search.ranking import PassageMatches

if TYPE_CHECKING:  # pragma: no cover
    from textemb.search.stores.memory import MemoryStore


@runtime_checkable
class VectorStore(Protocol):
    """Passage vectors + documents + manifest behind add / remove / top-passages."""

    url: str
    manifest: dict
    encoder_spec: str
    dim: int
    chunk: ChunkSettings
    dtype: str
    #: the ANN setting: ``auto``, ``hnsw`` or ``none`` (a store without HNSW graphs says ``none``)
    ann: str
    #: the largest ``n`` :meth:`top_passages` accepts (None: no limit)
    max_top: int | None

    @property
    def location(self) -> Path | str | None:
        """Where the store lives: its index folder, its store URL, or None for a store held only in memory."""

    @property
    def folder(self) -> Path | None:
        """The local folder the store's own files live in (an index folder), else None: an encoder spec read
        from the manifest may name files inside it (see :func:`textemb.search.compat.check_stored_spec`)."""

    @property
    def generation(self) -> int:
        """The saved generation readers see (an index folder counts its saves; other stores say 0)."""

    @property
    def root(self) -> str | None:
        """The documents folder the index was built from, as recorded with the data (None when unknown)."""

    @root.setter
    def root(self, value: str | None) -> None:
        """Record the documents folder with the next save (a store that cannot record it ignores it)."""

    def has_ann(self) -> bool:
        """Whether an approximate (HNSW) graph is built or saved, so ``ann="auto"`` searches use it."""

    def change_settings(self, *, dtype: str | None = None, ann: str | None = None) -> bool:
        """Store vectors as ``dtype`` / with the ``ann`` setting from the next save (None keeps the current one);
        True when something changed. A store that cannot change them raises :class:`~textemb.errors.InputError`."""

    def indexed_sources(self) -> dict[str, str]:
        """``source -> source_hash`` of every indexed file (what sync compares)."""

    def document_ids(self) -> list[str]:
        """Ids of the indexed documents."""

    def document_ids_for_sources(self, sources: set[str]) -> list[str]:
        """Ids of the documents read from these files."""

    def passage_count(self) -> int:
        """How many passage vectors the store holds."""

    def add(self, docs: Sequence[dict], passages: np.ndarray, vectors: np.ndarray) -> int:
        """Store document records, their ``(doc row, start, end)`` passages and vectors (same ids replace)."""

    def remove(self, ids: Iterable[str]) -> int:
        """Drop the documents with these ids (unknown ids are ignored); returns how many were removed."""

    def top_passages(self, q_vecs: np.ndarray, n: int, *, ann: str = "exact", ef_search: int = 128) -> list[PassageMatches]:
        """The ``n`` best passages (inner product) for each normalized query vector, best first."""

    def fetch(self, refs: Sequence[tuple[str, int]]) -> list[dict | None]:
        """The :class:`Hit` fields of passages given as ``(document id, passage number)``; None when gone."""

    def iter_passages(self) -> Iterator[tuple[str, list[str]]]:
        """``(document id, its passage texts as encoded)`` for every document (to rebuild the lexical index)."""

    def read_sidecar(self, name: str) -> dict[str, bytes] | None:
        """Files saved with the store under ``name`` by :meth:`write_sidecar`, or None."""

    def write_sidecar(self, name: str, files: dict[str, bytes]) -> None:
        """Save derived files (e.g. the lexical index) with the store's next flush."""

    def flush(self) -> None:
        """Make what was added or removed durable (and visible to other readers)."""

    def save(self) -> None:
        """Like :meth:`flush`, but an index folder writes a new generation even when nothing changed."""

    def close(self) -> None:
        """Release connections and locks."""


@runtime_checkable
class HoldsArrays(Protocol):
    """A store whose data is numpy arrays in this process (memory and folder stores): what tests and notebooks
    inspect, and what :meth:`textemb.search.Index.save` copies into a new index folder."""

    docs: list[dict]
    vectors: np.ndarray
    #: one ``(document row, start, end)`` row per passage
    passages: np.ndarray

    def in_memory(self) -> MemoryStore:
        """A new in-memory store holding the same data, settings, sidecars and HNSW graph (arrays shared)."""
