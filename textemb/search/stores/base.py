"""The one storage abstraction: :class:`VectorStore`, what every store (memory, folder, Milvus) implements.

A store keeps L2-normalised passage vectors, the document fields a :class:`~textemb.search.ranking.Hit`
shows, a manifest (:func:`textemb.search.compat.describe`) and, for the lexical index, opaque
*sidecar* files it saves with its data. It answers "top-n passages for these query vectors"; chunking,
encoding, sync planning, score aggregation and fusion belong to the façade
(:class:`textemb.search.index.Index`), so every store ranks identically.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from textemb.search.chunking import ChunkSettings
from textemb.search.ranking import PassageMatches


@runtime_checkable
class VectorStore(Protocol):
    """Passage vectors + documents + manifest behind add / remove / top-passages."""

    url: str
    manifest: dict
    encoder_spec: str
    dim: int
    chunk: ChunkSettings
    dtype: str
    #: the largest ``n`` :meth:`top_passages` accepts (None: no limit)
    max_top: int | None

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
        """The ``n`` best passages (inner product) for each normalised query vector, best first."""

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

    def close(self) -> None:
        """Release connections and locks."""
