"""textemb's own index folder: a :class:`MemoryStore` it holds, saved as crash-safe generations (see :mod:`.folder_files`).

Opened ``writable`` it holds the folder's lock until :meth:`FolderStore.close`; :meth:`FolderStore.flush`
writes a new generation (readers keep seeing the old one until the manifest swap).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, InputError
from textemb.search.chunking import ChunkSettings
from textemb.search.compat import check_vectors, chunk_from_manifest, encoder_key
from textemb.search.ranking import PassageMatches
from textemb.search.stores import folder_files as files
from textemb.search.stores.memory import MemoryStore

#: ``open(verify=None)`` checks the sha256 of indexes up to this size (bigger ones: sizes only)
VERIFY_AUTO_BYTES = 64 * 1024**2


class FolderStore:
    """An index folder: vectors memory-mapped, exact or HNSW search, saved crash-safely under a lock.

    The data and the search live in a :class:`MemoryStore` (``memory``) this store holds; it adds the folder,
    its lock and generations.
    """

    #: the largest ``n`` :meth:`top_passages` accepts (None: no limit)
    max_top: int | None = None

    def __init__(self, path: str | Path, memory: MemoryStore, *, lock: files.IndexLock | None = None,
                 sidecar_files: dict[str, Path] | None = None, dirty: bool = False) -> None:
        self.path = Path(path)
        self.url = str(path)
        self.memory = memory
        self._lock = lock
        self._sidecar_files: dict[str, Path] = dict(sidecar_files or {})
        self._dirty = dirty  # something to write at the next flush

    @classmethod
    def create(cls, path: str | Path, *, encoder_spec: str, dim: int, chunk: ChunkSettings = ChunkSettings(),
               dtype: str = "float32", ann: str = "auto", device: str = "cpu", fresh: bool = False) -> FolderStore:
        """Open ``path`` for writing; a new (or, ``fresh``, replaced) index lives in memory until :meth:`flush`.

        Nothing is written before the first flush, so a build that fails leaves the folder as it was.
        """
        path = Path(path)
        if not fresh and (path / "manifest.json").is_file():
            return cls.open(path, device=device, writable=True)
        memory = MemoryStore(encoder_spec=encoder_spec, dim=dim, chunk=chunk, dtype=dtype, ann=ann, device=device,
                             url=str(path))
        return cls.holding(path, memory)

    @classmethod
    def holding(cls, path: str | Path, memory: MemoryStore) -> FolderStore:
        """A new index at ``path`` (replacing any there at the first flush) with ``memory``'s data, open for
        writing: the folder's lock is taken now, not after encoding, when another process writes."""
        return cls(path, memory, lock=files.IndexLock(Path(path)).acquire(), dirty=True)

    @classmethod
    def open(cls, path: str | Path, *, device: str = "cpu", verify: bool | None = None,
             writable: bool = False) -> FolderStore:
        """Open an index folder (vectors memory-mapped); ``verify`` checks every file's sha256 (None: small ones)."""
        path = Path(path)
        lock = files.IndexLock(path).acquire() if writable else None
        try:
            manifest, loaded = _read_generation(path, verify)
            check_vectors(manifest, path)
            try:
                s = manifest.get("settings", {})
                memory = MemoryStore(encoder_spec=str(manifest["encoder"]["spec"]), dim=int(manifest["dim"]),
                                     chunk=chunk_from_manifest(s.get("chunk"), path),
                                     dtype=manifest.get("dtype", "float32"), ann=s.get("ann", "auto"), device=device,
                                     url=str(path))
            except (KeyError, TypeError, AttributeError, ValueError, OverflowError, InputError) as exc:
                raise FormatError(f"manifest.json is damaged ({type(exc).__name__}: {exc}); re-index", path=path) from None
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        vectors, passages, docs, hnsw_file = loaded
        memory.load(docs, passages, vectors, graph_file=hnsw_file)
        memory.manifest.update(manifest)
        memory.root = manifest.get("root")
        return cls(path, memory, lock=lock, sidecar_files=files.sidecar_paths(path, manifest))

    # ------------------------------------------------------------------ what the memory store holds
    manifest = property(lambda self: self.memory.manifest)
    encoder_spec = property(lambda self: self.memory.encoder_spec)
    dim = property(lambda self: self.memory.dim)
    chunk = property(lambda self: self.memory.chunk)
    dtype = property(lambda self: self.memory.dtype)
    ann = property(lambda self: self.memory.ann)
    device = property(lambda self: self.memory.device)
    docs = property(lambda self: self.memory.docs)
    vectors = property(lambda self: self.memory.vectors)
    passages = property(lambda self: self.memory.passages)
    sidecars = property(lambda self: self.memory.sidecars)

    @property
    def root(self) -> str | None:
        return self.memory.root

    @root.setter
    def root(self, value: str | None) -> None:
        self.memory.root = value

    @property
    def location(self) -> Path:
        """The index folder."""
        return self.path

    @property
    def folder(self) -> Path:
        return self.path

    @property
    def generation(self) -> int:
        return self.memory.generation

    def indexed_sources(self) -> dict[str, str]:
        return self.memory.indexed_sources()

    def document_ids(self) -> list[str]:
        return self.memory.document_ids()

    def document_ids_for_sources(self, sources: set[str]) -> list[str]:
        return self.memory.document_ids_for_sources(sources)

    def passage_count(self) -> int:
        return self.memory.passage_count()

    def iter_passages(self) -> Iterator[tuple[str, list[str]]]:
        return self.memory.iter_passages()

    def top_passages(self, q_vecs: np.ndarray, n: int, *, ann: str = "exact", ef_search: int = 128) -> list[PassageMatches]:
        return self.memory.top_passages(q_vecs, n, ann=ann, ef_search=ef_search)

    def fetch(self, refs: Sequence[tuple[str, int]]) -> list[dict | None]:
        return self.memory.fetch(refs)

    def matrix(self) -> np.ndarray:
        """The vectors as float32 (a float16 file on disk is converted once)."""
        return self.memory.matrix()

    def has_ann(self) -> bool:
        return self.memory.has_ann()

    def wants_ann(self) -> bool:
        return self.memory.wants_ann()

    def build_ann(self, *, m: int = 32, ef_construction: int = 80) -> None:
        """Build the faiss HNSW graph over the passage vectors (saved with the next generation)."""
        self.memory.build_ann(m=m, ef_construction=ef_construction)

    def graph(self):
        """The HNSW graph: read from the index folder, or built now if there is none."""
        return self.memory.graph()

    def in_memory(self) -> MemoryStore:
        return self.memory.in_memory()

    # ------------------------------------------------------------------ sidecars
    def read_sidecar(self, name: str) -> dict[str, bytes] | None:
        held = self.memory.read_sidecar(name)
        if held is not None:
            return held
        paths = {role: p for role, p in self._sidecar_files.items() if role.split(".")[0] == name}
        if not paths:
            return None
        try:
            return {role.split(".", 1)[1]: p.read_bytes() for role, p in paths.items()}
        except OSError as exc:  # a newer writer removed this generation: the caller rebuilds it
            raise FormatError(f"{name} files are missing or unreadable ({exc.strerror or exc})", path=self.path) from None

    def write_sidecar(self, name: str, data: dict[str, bytes]) -> None:
        self.memory.write_sidecar(name, data)
        self._dirty = True

    # ------------------------------------------------------------------ writing
    def add(self, docs: Sequence[dict], passages: np.ndarray, vectors: np.ndarray) -> int:
        self._dirty = True
        return self.memory.add(docs, passages, vectors)

    def remove(self, ids: Iterable[str]) -> int:
        n = self.memory.remove(ids)
        self._dirty = self._dirty or n > 0
        return n

    def change_settings(self, *, dtype: str | None = None, ann: str | None = None) -> bool:
        changed = self.memory.change_settings(dtype=dtype, ann=ann)
        self._dirty = self._dirty or changed
        return changed

    def flush(self) -> None:
        """Write a new generation if anything changed (under the lock: taken now when not held)."""
        if not self._dirty:
            return
        if self._lock is not None:
            self._save_locked()
        else:
            with files.IndexLock(self.path):
                self._save_locked()
        self._dirty = False

    def save(self) -> None:
        """Write a new generation now, even when nothing changed (an explicit save always does)."""
        self._dirty = True
        self.flush()

    def _save_locked(self) -> None:
        hnsw = None
        if self.wants_ann() and len(self.passages):
            import faiss

            hnsw = faiss.serialize_index(self.graph()).tobytes()
        on_disk = np.asarray(self.vectors, dtype=np.float16 if self.dtype == "float16" else np.float32)
        manifest = {
            "format": files.FORMAT, "format_version": files.FORMAT_VERSION,
            "generation": files.next_generation(self.path),
            "dim": self.dim, "metric": "cosine", "normalize": "l2",  # rows are L2-normalized: inner product = cosine
            "dtype": self.dtype,
            "counts": {"documents": len(self.docs), "passages": len(self.passages),
                       "sources": len({d.get("source", "") for d in self.docs})},
            "encoder": {"spec": self.encoder_spec, "key": encoder_key(self.encoder_spec), "dim": self.dim},
            "settings": {"chunk": dataclasses.asdict(self.chunk), "ann": self.ann,
                         "hnsw": {"m": 32, "ef_construction": 80} if hnsw is not None else None},
            "root": self.root,
        }
        sidecars = {f"{name}.{suffix}": data for name, group in self.sidecars.items() for suffix, data in group.items()}
        written = files.write_generation(self.path, manifest, on_disk, self.passages, self.docs, hnsw, sidecars)
        self.manifest.update(written)
        self._sidecar_files = files.sidecar_paths(self.path, written)

    def close(self) -> None:
        """Release the write lock (if held)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> FolderStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_generation(path: Path, verify: bool | None):
    """The manifest and its files; retried while a writer swaps generations under us."""
    for attempt in range(50):
        manifest = files.read_manifest(path)
        try:
            return manifest, files.load_files(path, manifest, verify=_verify(manifest, verify))
        except FormatError:
            if attempt == 49 or files.read_manifest(path).get("generation") == manifest.get("generation"):
                raise
    raise AssertionError("unreachable")


def _verify(manifest: dict, verify: bool | None) -> bool:
    if verify is not None:
        return bool(verify)
    found = manifest.get("files")
    if not isinstance(found, dict):
        return True  # load_files reports the damage
    total = sum(f.get("size", 0) for f in found.values() if isinstance(f, dict) and isinstance(f.get("size"), int))
    return total <= VERIFY_AUTO_BYTES
