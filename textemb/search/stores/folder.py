"""textemb's own index folder: a :class:`MemoryStore` saved as crash-safe generations (see :mod:`.folder_files`).

Opened ``writable`` it holds the folder's lock until :meth:`FolderStore.close`; :meth:`FolderStore.flush`
writes a new generation (readers keep seeing the old one until the manifest swap).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, InputError
from textemb.search.chunking import ChunkSettings
from textemb.search.compat import check_vectors, chunk_from_manifest, encoder_key
from textemb.search.stores import folder_files as files
from textemb.search.stores.memory import MemoryStore

#: ``open(verify=None)`` checks the sha256 of indexes up to this size (bigger ones: sizes only)
VERIFY_AUTO_BYTES = 64 * 1024**2


class FolderStore(MemoryStore):
    """An index folder: vectors memory-mapped, exact or HNSW search, saved crash-safely under a lock."""

    def __init__(self, path: str | Path, **kwargs) -> None:
        super().__init__(url=str(path), **kwargs)
        self.path = Path(path)
        self.root: str | None = None
        self._lock: files.IndexLock | None = None
        self._sidecar_files: dict[str, Path] = {}
        self._dirty = False

    @classmethod
    def create(cls, path: str | Path, *, encoder_spec: str, dim: int, chunk: ChunkSettings = ChunkSettings(),
               dtype: str = "float32", ann: str = "auto", device: str = "cpu", fresh: bool = False) -> FolderStore:
        """Open ``path`` for writing; a new (or, ``fresh``, replaced) index lives in memory until :meth:`flush`.

        Nothing is written before the first flush, so a build that fails leaves the folder as it was.
        """
        path = Path(path)
        if not fresh and (path / "manifest.json").is_file():
            return cls.open(path, device=device, writable=True)
        store = cls(path, encoder_spec=encoder_spec, dim=dim, chunk=chunk, dtype=dtype, ann=ann, device=device)
        store._lock = files.IndexLock(path).acquire()  # fail now, not after encoding, when another process writes
        store._dirty = True
        return store

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
                store = cls(path, encoder_spec=str(manifest["encoder"]["spec"]), dim=int(manifest["dim"]),
                            chunk=chunk_from_manifest(s.get("chunk"), path), dtype=manifest.get("dtype", "float32"),
                            ann=s.get("ann", "auto"), device=device)
            except (KeyError, TypeError, AttributeError, ValueError, OverflowError, InputError) as exc:
                raise FormatError(f"manifest.json is damaged ({type(exc).__name__}: {exc}); re-index", path=path) from None
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        store.vectors, store.passages, store.docs, store._hnsw_file = loaded
        store.manifest.update(manifest)
        store.root, store._lock = manifest.get("root"), lock
        store._sidecar_files = files.sidecar_paths(path, manifest)
        return store

    def read_sidecar(self, name: str) -> dict[str, bytes] | None:
        if name in self.sidecars:
            return self.sidecars[name]
        paths = {role: p for role, p in self._sidecar_files.items() if role.split(".")[0] == name}
        if not paths:
            return None
        try:
            return {role.split(".", 1)[1]: p.read_bytes() for role, p in paths.items()}
        except OSError as exc:  # a newer writer removed this generation: the caller rebuilds it
            raise FormatError(f"{name} files are missing or unreadable ({exc.strerror or exc})", path=self.path) from None

    def write_sidecar(self, name: str, data: dict[str, bytes]) -> None:
        super().write_sidecar(name, data)
        self._dirty = True

    def add(self, docs, passages, vectors) -> int:
        self._dirty = True
        return super().add(docs, passages, vectors)

    def remove(self, ids) -> int:
        n = super().remove(ids)
        self._dirty = self._dirty or n > 0
        return n

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

    def _save_locked(self) -> None:
        hnsw = None
        if self.wants_ann() and len(self.passages):
            import faiss

            hnsw = faiss.serialize_index(self.graph()).tobytes()
        on_disk = np.asarray(self.vectors, dtype=np.float16 if self.dtype == "float16" else np.float32)
        manifest = {
            "format": files.FORMAT, "format_version": files.FORMAT_VERSION,
            "generation": files.next_generation(self.path),
            "dim": self.dim, "metric": "cosine", "normalize": "l2",  # rows are L2-normalised: inner product = cosine
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
