"""textemb's own index folder (see :mod:`textemb.search.store`) behind the :class:`VectorStore` interface."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder
from textemb.search.index import ChunkSettings, Hit, Index
from textemb.search.store import IndexLock
from textemb.search.stores.base import VectorStore, describe


class FolderStore(VectorStore):
    """An :class:`Index` folder: vectors memory-mapped, exact search by matrix multiply, saved crash-safely.

    Opened ``writable`` it holds the folder's lock until :meth:`close`; :meth:`flush` saves a new
    generation (readers keep seeing the old one until the manifest swap).
    """

    def __init__(self, index: Index, *, encoder: Encoder | None = None) -> None:
        self.index = index
        self.url = str(index.path)
        manifest = describe(index.encoder_spec, index.dim, index.chunk, index.dtype)
        manifest.update({k: index.manifest[k] for k in ("metric", "normalize") if k in index.manifest})
        super().__init__(manifest, encoder=encoder, device=index.device)
        self._dirty = False

    @classmethod
    def open(cls, path: str | Path, *, encoder: Encoder | None = None, device: str = "cpu",
             writable: bool = False) -> "FolderStore":
        """Open an existing index folder."""
        return cls(Index.open(path, device=device, writable=writable), encoder=encoder)

    @classmethod
    def create(cls, path: str | Path, *, encoder_spec: str, dim: int, chunk: ChunkSettings = ChunkSettings(),
               dtype: str = "float32", ann: str = "auto", encoder: Encoder | None = None, device: str = "cpu",
               fresh: bool = False) -> "FolderStore":
        """Open ``path`` for writing; a new (or, ``fresh``, replaced) index lives in memory until :meth:`flush`.

        Nothing is written before the first flush, so a build that fails leaves the folder as it was.
        """
        path = Path(path)
        if not fresh and (path / "manifest.json").is_file():
            return cls.open(path, encoder=encoder, device=device, writable=True)
        with IndexLock(path):  # fail now, not after encoding, when another process is writing there
            pass
        index = Index(dim=dim, encoder_spec=encoder_spec, chunk=chunk, dtype=dtype, ann=ann, device=device)
        index.path = path
        store = cls(index, encoder=encoder)
        store._dirty = True
        return store

    def indexed_sources(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for d in self.index.docs:
            out.setdefault(d.get("source", ""), d.get("source_hash", ""))
        return out

    def document_ids(self) -> list[str]:
        return [d["id"] for d in self.index.docs]

    def document_ids_for_sources(self, sources: set[str]) -> list[str]:
        return [d["id"] for d in self.index.docs if d.get("source", "") in sources]

    def passage_count(self) -> int:
        return int(len(self.index.passages))

    def add_encoded(self, part: Index) -> int:
        idx = self.index
        replaced = {d["id"] for d in idx.docs} & {d["id"] for d in part.docs}
        if replaced:
            idx.remove(replaced)
        rows = np.array(part.passages, dtype=np.int64, copy=True)
        rows[:, 0] += len(idx.docs)
        idx.docs.extend(part.docs)
        vecs = np.asarray(part.vectors, dtype=np.float32)
        idx.vectors = np.concatenate([np.asarray(idx.vectors, dtype=np.float32), vecs]) if len(idx.vectors) else vecs
        idx.passages = np.concatenate([idx.passages, rows]) if len(idx.passages) else rows
        idx._invalidate_ann()  # the HNSW graph (if any) no longer covers every vector
        self._dirty = True
        return int(len(rows))

    def remove(self, ids: Iterable[str]) -> int:
        n = self.index.remove(ids)
        self._dirty = self._dirty or n > 0
        return n

    def search_vectors(self, q_vecs: np.ndarray, k: int) -> list[list[Hit]]:
        return self.index.search_vectors(q_vecs, k, doc_score="max", mode="exact")

    def flush(self) -> None:
        if self._dirty:
            self.index.save()
            self._dirty = False

    def close(self) -> None:
        self.index.close()
