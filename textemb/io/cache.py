"""textemb's own vector folder format and the on-disk cache of parsed vector files.

A vector folder holds ``vectors.npy`` (float32, opened memory-mapped, never pickled),
``words.json`` (the vocabulary in row order) and ``manifest.json`` (format version, shape,
sizes, and for cache entries the source file's size, mtime, inode, ctime and sha256; see
:func:`lookup` for when a cache entry is served). Folders are written atomically, so a killed
process leaves the old folder or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
import warnings
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, InputError
from textemb.io.atomic import atomic_dir
from textemb.io.bounded import file_identity

FORMAT = "textemb-vectors"
FORMAT_VERSION = 1


def cache_root() -> Path:
    """``$TEXTEMB_CACHE``, else ``$XDG_CACHE_HOME/textemb``, else ``~/.cache/textemb``."""
    env = os.environ.get("TEXTEMB_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "textemb"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file, read into one reused 1 MB buffer."""
    h = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb") as fh:
        while got := fh.readinto(buf):
            h.update(view[:got])
    return h.hexdigest()


class _HashingFile:
    """A binary file being written, with the sha256 and size of everything written so far."""

    def __init__(self, path: Path) -> None:
        self.fh = open(path, "xb")
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> None:
        self.fh.write(data)
        self.sha.update(data)
        self.size += len(data)

    def close(self) -> dict:
        """Close the file; its ``{"size", "sha256"}`` for the manifest."""
        self.fh.close()
        return {"size": self.size, "sha256": self.sha.hexdigest()}


def _write_matrix(path: Path, vectors: np.ndarray, step: int = 1 << 20) -> dict:
    """``vectors`` (C-contiguous) as ``.npy``, hashed while written: no copy, no read back."""
    out = _HashingFile(path)
    try:
        np.lib.format.write_array_header_1_0(out, np.lib.format.header_data_from_array_1_0(vectors))
        data = memoryview(vectors).cast("B")
        for i in range(0, len(data), step):
            out.write(data[i : i + step])
    finally:
        info = out.close()
    return info


def save_vectors(
    path: str | Path, words: list[str], vectors: np.ndarray, *, meta: dict | None = None, overwrite: bool = False
) -> Path:
    """Write a vector folder atomically and return its path.

    An existing folder is replaced only when textemb wrote it and ``overwrite=True``; a folder that is
    not ours is never touched (see :func:`textemb.io.atomic.atomic_dir`).
    """
    path = Path(path)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise InputError(f"{len(words)} words do not match a vector matrix of shape {vectors.shape}")
    with atomic_dir(path, overwrite=overwrite, kind="vectors") as tmp:
        files = {"vectors.npy": _write_matrix(tmp / "vectors.npy", vectors),
                 "words.json": _write_words(tmp / "words.json", words)}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "count": len(words),
            "dim": int(vectors.shape[1]),
            "dtype": "float32",
            "files": files,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(meta or {}),
        }
        # ASCII JSON: a source path from an undecodable file name holds surrogates
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return path


def _write_words(path: Path, words: list[str], step: int = 16384) -> dict:
    """``json.dumps(words)`` written (UTF-8) and hashed in slices, so 400k words never sit in memory a second
    time as one string; returns the file's ``{"size", "sha256"}``."""
    out = _HashingFile(path)
    try:
        out.write(b"[")
        for i in range(0, len(words), step):
            out.write(((", " if i else "") + json.dumps(words[i:i + step], ensure_ascii=False)[1:-1]).encode())
        out.write(b"]")
    finally:
        info = out.close()
    return info


def read_manifest(path: str | Path) -> dict:
    path = Path(path)
    mpath = path / "manifest.json"
    if not mpath.is_file():
        raise FormatError(f"not a textemb vector folder: {mpath} is missing", path=path)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"manifest.json is not valid JSON ({exc})", path=path) from None
    return check_format(manifest, FORMAT, FORMAT_VERSION, path)


def check_format(manifest: object, fmt: str, version: int, where: object) -> dict:
    """The one manifest check (vector cache, index folders, Milvus collections): right ``format``, readable version."""
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise FormatError(f"manifest.json does not describe a {fmt} folder", path=where)
    found = manifest.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool) or found > version:
        raise FormatError(
            f"format version {found!r} is newer than this textemb reads ({version}); upgrade textemb",
            path=where,
        )
    return manifest


def map_matrix(path: str | Path, shape: tuple[int, ...]) -> np.ndarray:
    """``vectors.npy`` of a folder just written, memory-mapped, checked to have ``shape``."""
    path = Path(path)
    try:
        vectors = np.load(path / "vectors.npy", mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise FormatError(f"vectors.npy is unreadable ({exc})", path=path) from None
    if vectors.dtype != np.float32 or vectors.shape != tuple(shape):
        raise FormatError(f"vectors.npy is {vectors.dtype} {vectors.shape}, expected float32 {tuple(shape)}", path=path)
    return vectors


def load_vectors(path: str | Path, *, mmap: bool = True, verify: bool = False) -> tuple[list[str], np.ndarray, dict]:
    """Open a vector folder: (words, vectors, manifest). ``verify`` also checks the sha256 sums."""
    path = Path(path)
    manifest = read_manifest(path)
    files = manifest.get("files", {})
    for name in ("vectors.npy", "words.json"):
        f = path / name
        if not f.is_file():
            raise FormatError(f"{name} is missing", path=path)
        expected = files.get(name, {})
        if expected.get("size") is not None and f.stat().st_size != expected["size"]:
            raise FormatError(
                f"{name} is {f.stat().st_size:,} bytes, the manifest says {expected['size']:,} (truncated or replaced)",
                path=path,
            )
        if verify and expected.get("sha256") and sha256_file(f) != expected["sha256"]:
            raise FormatError(f"{name} does not match its sha256 in the manifest (corrupted)", path=path)
    try:
        vectors = np.load(path / "vectors.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as exc:
        raise FormatError(f"vectors.npy is unreadable ({exc})", path=path) from None
    try:
        words = json.loads((path / "words.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"words.json is not valid JSON ({exc})", path=path) from None
    shape = (manifest.get("count"), manifest.get("dim"))
    if vectors.dtype != np.float32 or vectors.ndim != 2 or vectors.shape != shape:
        raise FormatError(f"vectors.npy is {vectors.dtype} {vectors.shape}, the manifest says float32 {shape}", path=path)
    if not isinstance(words, list) or len(words) != vectors.shape[0]:
        raise FormatError(f"words.json has {len(words)} entries for {vectors.shape[0]} vectors", path=path)
    return words, vectors, manifest


def cache_key(source: Path, options: dict) -> str:
    raw = json.dumps({"path": str(source.resolve()), **options}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def cached_entry(source: str | Path, options: dict) -> Path:
    source = Path(source)
    return cache_root() / "vectors" / f"{source.name}-{cache_key(source, options)}"


def lookup(source: str | Path, options: dict) -> tuple[list[str], np.ndarray, dict] | None:
    """The cached parse of ``source`` while the source is provably the same file content.

    The rule: size and mtime must match the recorded ones (else a miss). When the inode, device or
    ctime differ too (a file rewritten in place with its size and mtime restored, as ``cp -p``,
    ``rsync -t`` or ``tar x`` do; ctime cannot be set back), or the source changed within
    :data:`RACY_NS` of being cached, its sha256 is compared with the recorded one: equal serves the
    cache (and records the new identity), different is a miss.
    """
    entry = cached_entry(source, options)
    if not (entry / "manifest.json").is_file():
        return None
    try:
        words, vectors, manifest = load_vectors(entry)
    except FormatError as exc:
        warnings.warn(f"ignoring a damaged cache entry ({exc}); re-reading {source}", stacklevel=3)
        return None
    recorded = manifest.get("source", {})
    current = file_identity(source)
    if recorded.get("size") != current["size"] or recorded.get("mtime_ns") != current["mtime_ns"]:
        return None
    if not _provably_same(recorded, current):
        if not recorded.get("sha256") or sha256_file(source) != recorded["sha256"]:
            return None
        _refresh_identity(entry, manifest, current)
    return words, vectors, manifest


#: a source whose ctime is this close to the moment it was cached is re-checked by content once
RACY_NS = 2_000_000_000


def _provably_same(recorded: dict, current: dict) -> bool:
    if any(recorded.get(k) != current[k] for k in ("inode", "device", "ctime_ns")):
        return False
    checked = recorded.get("checked_ns")
    return isinstance(checked, int) and checked - current["ctime_ns"] > RACY_NS


def _refresh_identity(entry: Path, manifest: dict, current: dict) -> None:
    """Record the source's new identity after its content was verified (best effort)."""
    from textemb.io.atomic import atomic_write_bytes

    manifest["source"] = {**manifest.get("source", {}), **current, "checked_ns": time.time_ns()}
    try:
        atomic_write_bytes(entry / "manifest.json", json.dumps(manifest, indent=2).encode())
    except OSError:
        pass


def store(source: str | Path, options: dict, words: list[str], vectors: np.ndarray, meta: dict, *,
          sha256: str | None = None, identity: dict | None = None) -> Path | None:
    """Cache a parse of ``source``; a read-only or full cache folder (or one holding a folder that is
    not textemb's at this entry's name) only costs a warning.

    ``sha256`` / ``identity``: the hash of the bytes the parse read and the file's identity when it was
    opened; used (instead of reading the file again) only while the file still has that identity.
    """
    from textemb.errors import TextembError
    from textemb.io.ownership import clean_stale_temps

    source = Path(source)
    entry = cached_entry(source, options)
    current = file_identity(source)
    digest = sha256 if sha256 and identity == current else sha256_file(source)
    info = {**current, "path": str(source.resolve()), "sha256": digest, "checked_ns": time.time_ns()}
    try:
        clean_stale_temps(entry.parent)
        return save_vectors(entry, words, vectors, meta={**meta, "source": info, "options": options}, overwrite=True)
    except (OSError, TextembError) as exc:
        warnings.warn(f"could not write the vector cache at {entry} ({exc}); loads stay uncached", stacklevel=3)
        return None


#: the cache's sub-folders textemb lists and clears: vector parses, and the indexes of one-step searches
#: what the cache holds, one folder each: parsed vector files, one-step search indexes, ONNX exports (fp32 and int8,
#: :mod:`textemb.encoders.onnx_export`), distilled static models (``textemb distill`` without ``-o``) and Ray shards
CACHE_KINDS = ("vectors", "indexes", "onnx", "static", "shards")
#: each kind in words, for ``textemb cache info``
KIND_NAMES = {"vectors": "parsed vector files", "indexes": "one-step search indexes", "onnx": "ONNX exports",
              "static": "distilled static models", "shards": "Ray encoding shards"}


def entries(root: Path | None = None) -> list[Path]:
    """The cache entries textemb wrote (temp folders, and anything not textemb's, are left out)."""
    from textemb.io.ownership import is_ours

    found: list[Path] = []
    for kind in CACHE_KINDS:
        base = (root or cache_root()) / kind
        if base.is_dir():
            found += sorted(p for p in base.iterdir() if not p.name.startswith(".") and is_ours(p))
    return found


def tree_bytes(path: str | Path, max_files: int | None = None) -> int:
    """Bytes of the regular files under ``path`` (or of the file itself); links are neither followed nor counted;
    with ``max_files``, only the first that many files are counted (a quick estimate of a huge tree)."""
    total = seen = 0
    walked = [(str(path), [], [""])] if os.path.isfile(path) else os.walk(path)
    for folder, _, files in walked:
        for name in files:
            seen += 1
            if max_files is not None and seen > max_files:
                return total
            try:
                st = os.lstat(os.path.join(folder, name) if name else folder)
            except OSError:
                continue
            total += st.st_size if stat.S_ISREG(st.st_mode) else 0
    return total


def clear(root: Path | None = None) -> tuple[int, list[Path]]:
    """Remove every cache entry textemb wrote (of each of :data:`CACHE_KINDS`), and its stale temp folders.

    Returns (how many entries were removed, what was kept because textemb did not write it, or it
    holds files textemb did not write). Nothing that is not provably textemb's is deleted.
    """
    removed, kept = 0, []
    for kind in CACHE_KINDS:
        n, k = _clear_folder((root or cache_root()) / kind)
        removed, kept = removed + n, kept + k
    return removed, kept


def _clear_folder(base: Path) -> tuple[int, list[Path]]:
    import shutil

    from textemb.io.ownership import clean_stale_temps, foreign_entries, is_ours

    if not base.is_dir():
        return 0, []
    clean_stale_temps(base)
    removed, kept = 0, []
    for p in sorted(base.iterdir()):
        if p.name.startswith(".") and p.is_dir() and is_ours(p):
            continue  # a temp folder another live process is writing right now
        if not is_ours(p) or foreign_entries(p):
            kept.append(p)
            continue
        shutil.rmtree(p)
        removed += 1
    return removed, kept
