"""The index folder on disk: generation-numbered data files, a manifest swapped atomically, a lock.

Layout of an index folder (generation ``G`` = the manifest's ``generation``)::

    manifest.json        format, version, generation, dim, metric, counts, encoder, settings, checksums
    vectors-G.npy        passage vectors, float32 or float16, L2-normalized rows
    passages-G.npy       int64 (n, 3): document row, start and end character offsets
    docs-G.jsonl         one JSON object per document: id, title, source, source_hash, text, meta
    hnsw-G.faiss         optional faiss HNSW graph over vectors-G
    lexical-G.npz/.json  optional sidecar files (the BM25 index: numeric arrays + JSON, no pickle)
    lock                 flock()ed by the one writer
    .textemb-owner.json  ownership marker (kind index), written when textemb creates the folder
                         (textemb.io.ownership; indexes from older versions carry .textemb-index)

textemb writes only into a folder that is new, empty, or already a textemb index (its manifest or
marker says so): a non-empty folder of someone else's files is refused before anything is created or
truncated there (:func:`claim_folder`), and cleanup deletes only files with textemb's own data and
temp-file names inside such a folder.

A write puts every file of generation G+1 in place (temp file, fsync, rename), then replaces
``manifest.json`` the same way, then deletes older generations. A writer killed at any point
leaves a manifest that names complete files of one generation: the old index or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from tokenize import TokenError  # numpy re-tokenizes a header that does not parse

import numpy as np

from textemb.errors import FormatError, IndexLockedError, IndexWriteError, InputError, NotAnIndexFolderError
from textemb.io import ownership
from textemb.io.atomic import atomic_open, fsync_dir
from textemb.io.cache import check_format, sha256_file
from textemb.text import excerpt

FORMAT = ownership.INDEX_FORMAT
FORMAT_VERSION = 1
_DATA = ownership.INDEX_DATA
_TEMP = ownership.INDEX_TEMP
MARKER = ownership.MARKER
#: a manifest is a few KB of settings and checksums; a bigger one is damage, not read into memory
MAX_MANIFEST_BYTES = 16 * 1024**2


def is_index_folder(folder: str | Path) -> bool:
    """Whether ``folder`` is a textemb index: its ownership marker (or, from older versions, its
    manifest.json or ``.textemb-index`` marker) says so."""
    return ownership.kind_of(folder) == "index"


def claim_folder(folder: str | Path) -> None:
    """Make sure textemb may write in ``folder``: create it (or take an empty one) and mark it as ours.

    A folder that holds anything and is not already a textemb index is refused with
    :class:`NotAnIndexFolderError` before anything is created, truncated or deleted there.
    """
    try:
        ownership.claim(folder, "index", what="a textemb index")
    except InputError as exc:
        raise NotAnIndexFolderError(str(exc)) from None


class IndexLock:
    """An exclusive, non-blocking ``flock`` on ``INDEX/lock``; released on close or process death."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._fh = None

    def acquire(self) -> "IndexLock":
        claim_folder(self.folder)  # never create or truncate a "lock" in someone else's folder
        fh = open(self.folder / "lock", "a+")
        try:
            _flock(fh)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise IndexLockedError(
                f"index is locked: {self.folder} is being written by {holder}; "
                "wait for it to finish (a killed writer releases the lock automatically)"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.truncate(0)
            self._fh.close()  # closing drops the flock
            self._fh = None

    def __enter__(self) -> "IndexLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _flock(fh) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def read_manifest(folder: Path) -> dict:
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise FormatError(f"not a textemb index: {mpath} is missing (build one with 'textemb index DOCS -o {folder}')",
                          path=folder)
    try:
        with open(mpath, "rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise FormatError(f"manifest.json is unreadable ({exc.strerror or exc})", path=folder) from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise FormatError(f"manifest.json is over {MAX_MANIFEST_BYTES:,} bytes (textemb writes a few KB); the "
                          "index is damaged: re-index", path=folder)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"manifest.json is not valid JSON ({exc})", path=folder) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. [[[[... nested 100,000 deep
        raise FormatError(f"manifest.json is damaged ({_json_damage(exc)}): re-index", path=folder) from None
    return check_format(manifest, FORMAT, FORMAT_VERSION, folder)


def write_generation(folder: Path, manifest: dict, vectors: np.ndarray, passages: np.ndarray,
                     docs: list[dict], hnsw: bytes | None, sidecars: dict[str, bytes] | None = None) -> dict:
    """Write generation ``manifest['generation']`` and swap the manifest in. Caller holds the lock.

    ``sidecars`` maps a file name pattern ``lexical-{gen}.npz`` (role = the name up to the dash plus the
    suffix, e.g. ``lexical.npz``) to its bytes."""
    gen = manifest["generation"]
    try:
        manifest = _write_files(folder, manifest, gen, vectors, passages, docs, hnsw, sidecars or {})
    except OSError as exc:
        _remove_generation(folder, gen)  # no half-written generation and no temp files stay behind
        reason = exc.strerror or str(exc)
        raise IndexWriteError(
            f"could not write index {folder} ({reason}); nothing was changed: the previous generation (if any) "
            "is intact and the partial files were removed. Free disk space or fix the folder's permissions and retry") from None
    _remove_other_generations(folder, gen)
    return manifest


def _write_files(folder: Path, manifest: dict, gen: int, vectors: np.ndarray, passages: np.ndarray,
                 docs: list[dict], hnsw: bytes | None, sidecars: dict[str, bytes]) -> dict:
    names = {"vectors": f"vectors-{gen:06d}.npy", "passages": f"passages-{gen:06d}.npy", "docs": f"docs-{gen:06d}.jsonl"}
    with atomic_open(folder / names["vectors"]) as fh:
        np.save(fh, np.ascontiguousarray(vectors), allow_pickle=False)
    with atomic_open(folder / names["passages"]) as fh:
        np.save(fh, np.ascontiguousarray(passages, dtype=np.int64), allow_pickle=False)
    with atomic_open(folder / names["docs"]) as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False).encode("utf-8") + b"\n")
    if hnsw is not None:
        names["hnsw"] = f"hnsw-{gen:06d}.faiss"
        with atomic_open(folder / names["hnsw"]) as fh:
            fh.write(hnsw)
    for role, data in sidecars.items():  # role "lexical.npz" -> file lexical-G.npz
        stem, suffix = role.split(".", 1)
        names[role] = f"{stem}-{gen:06d}.{suffix}"
        with atomic_open(folder / names[role]) as fh:
            fh.write(data)
    manifest = dict(manifest)
    manifest["files"] = {
        role: {"name": name, "size": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}
        for role, name in names.items()
    }
    manifest["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with atomic_open(folder / "manifest.json") as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    return manifest


def _remove_generation(folder: Path, gen: int) -> None:
    """Delete generation ``gen``'s data files and any temp file (after a failed write)."""
    with contextlib.suppress(OSError):
        for p in folder.iterdir():
            m = _DATA.match(p.name)
            if (m and int(m.group(2)) == gen) or _TEMP.match(p.name):
                with contextlib.suppress(OSError):
                    p.unlink()


def _remove_other_generations(folder: Path, keep: int) -> None:
    for p in folder.iterdir():
        m = _DATA.match(p.name)
        if (m and int(m.group(2)) != keep) or _TEMP.match(p.name):
            with contextlib.suppress(OSError):
                p.unlink()
    fsync_dir(folder)


def next_generation(folder: Path) -> int:
    """One past the highest generation named by the manifest or by any data file left in the folder."""
    gens = [int(m.group(2)) for p in folder.iterdir() if (m := _DATA.match(p.name))] if folder.is_dir() else []
    with contextlib.suppress(FormatError, ValueError, TypeError, OverflowError):  # a damaged manifest names none
        if (folder / "manifest.json").is_file():
            gens.append(int(read_manifest(folder).get("generation", 0)))
    return max(gens, default=0) + 1


def load_files(folder: Path, manifest: dict, *, verify: bool = False) -> tuple[np.ndarray, np.ndarray, list[dict], Path | None]:
    """The data files a manifest names, checked against its sizes (and sha256 with ``verify``)."""
    files = manifest.get("files") or {}
    if not isinstance(files, dict):
        raise FormatError("manifest.json 'files' is not an object; the manifest is damaged: re-index", path=folder)
    for role in ("vectors", "passages", "docs"):
        if role not in files:
            raise FormatError(f"manifest.json names no {role} file", path=folder)
    for role, info in files.items():
        _check_file_entry(folder, role, info, verify)
    n_pass, dim = _manifest_shape(manifest, folder)
    vec_dtype = np.float16 if manifest.get("dtype") == "float16" else np.float32
    check_npy_header(folder / files["vectors"]["name"], (n_pass, dim), vec_dtype, "vectors")
    check_npy_header(folder / files["passages"]["name"], (n_pass, 3), np.int64, "passages")
    try:
        vectors = np.load(folder / files["vectors"]["name"], mmap_mode="r", allow_pickle=False)
        passages = np.load(folder / files["passages"]["name"], allow_pickle=False)
    except (ValueError, EOFError, OSError, MemoryError, RecursionError) as exc:
        raise FormatError(f"unreadable array ({excerpt(str(exc), 120)}); the index is damaged: re-index", path=folder) from None
    docs = _read_docs(folder, folder / files["docs"]["name"])
    hnsw = folder / files["hnsw"]["name"] if "hnsw" in files else None  # read only when ANN search is used
    counts = manifest.get("counts", {})
    if vectors.ndim != 2 or vectors.shape != (counts.get("passages"), manifest.get("dim")):
        raise FormatError(f"vectors are {vectors.shape}, the manifest says ({counts.get('passages')}, "
                          f"{manifest.get('dim')})", path=folder)
    if passages.shape != (vectors.shape[0], 3) or len(docs) != counts.get("documents"):
        raise FormatError("passage table or document list does not match the manifest counts", path=folder)
    if vectors.dtype not in (np.float32, np.float16) or passages.dtype != np.int64:
        raise FormatError(f"vectors are {vectors.dtype} and passages {passages.dtype}; expected float32/float16 and "
                          "int64: re-index", path=folder)
    if len(passages) and (passages[:, 0].min() < 0 or passages[:, 0].max() >= len(docs)
                          or passages[:, 1].min() < 0 or (passages[:, 2] < passages[:, 1]).any()):
        raise FormatError("passage table points outside the document list; the index is damaged: re-index", path=folder)
    return vectors, passages, docs, hnsw


def _check_file_entry(folder: Path, role: str, info: object, verify: bool) -> None:
    """A manifest's entry for one data file is well formed, and the file is there at its size (and sha256)."""
    if (not isinstance(info, dict) or not isinstance(info.get("name"), str) or not _DATA.match(info["name"])
            or not isinstance(info.get("size"), int) or not isinstance(info.get("sha256"), str)):
        raise FormatError(f"manifest.json entry for the {role} file is damaged ({info!r:.80}): re-index", path=folder)
    p = folder / info["name"]
    try:
        if not p.is_file():
            raise FormatError(f"{info['name']} is missing; the index is damaged: re-index", path=folder)
        size = p.stat().st_size
        if size != info["size"]:
            raise FormatError(f"{info['name']} is {size:,} bytes, the manifest says {info['size']:,} (truncated or "
                              "replaced); the index is damaged: re-index", path=folder)
        if verify and sha256_file(p) != info["sha256"]:
            raise FormatError(f"{info['name']} does not match its sha256 in the manifest (corrupted); "
                              "the index is damaged: re-index", path=folder)
    except OSError as exc:  # removed while we looked (a writer swapped generations) or unreadable
        raise FormatError(f"{info['name']} is missing or unreadable ({exc.strerror or exc})", path=folder) from None


def _read_docs(folder: Path, dpath: Path) -> list[dict]:
    """The document records of ``docs-G.jsonl``, each checked to have a string id and text."""
    docs = []
    try:
        fh = open(dpath, "rb")
    except OSError as exc:  # e.g. a writer swapped generations since the manifest was read
        raise FormatError(f"{dpath.name} is missing or unreadable ({exc.strerror or exc})", path=folder) from None
    with fh:
        for n, line in enumerate(fh, 1):
            try:
                doc = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise FormatError(f"bad JSON ({exc}); the index is damaged: re-index", path=dpath, line=n) from None
            except (ValueError, RecursionError, MemoryError) as exc:
                raise FormatError(f"{_json_damage(exc)}; the index is damaged: re-index", path=dpath, line=n) from None
            why = _record_damage(doc)
            if why:
                raise FormatError(f"not a document record ({why}); the index is damaged: re-index", path=dpath, line=n)
            docs.append(doc)
    return docs


def _record_damage(doc: object) -> str | None:
    """What is wrong with one ``docs-G.jsonl`` record (field names and types only), or None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not isinstance(doc.get("text"), str):
        return "needs string 'id' and 'text'"
    for key in ("title", "source", "source_hash"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            return f"{key!r} is a {type(doc[key]).__name__}, not a string"
    if doc.get("meta") is not None and not isinstance(doc["meta"], dict):
        return f"'meta' is a {type(doc['meta']).__name__}, not an object"
    return None


def _json_damage(exc: BaseException) -> str:
    """What a JSON parse that ran out of stack or memory met (never the text itself)."""
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read"
    return "JSON too large to read" if isinstance(exc, MemoryError) else "JSON holds a number too long to read"


def _manifest_shape(manifest: dict, folder: Path) -> tuple[int, int]:
    """``(passages, dim)`` the manifest promises, checked to be plain non-negative integers."""
    counts = manifest.get("counts")
    n_pass = counts.get("passages") if isinstance(counts, dict) else None
    n_docs = counts.get("documents") if isinstance(counts, dict) else None
    dim = manifest.get("dim")
    for name, value in (("counts.passages", n_pass), ("counts.documents", n_docs), ("dim", dim)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (name == "dim" and value < 1):
            raise FormatError(f"manifest.json {name} is {value!r:.40}, not a count; the index is damaged: re-index",
                              path=folder)
    return n_pass, dim


def check_npy_header(path: Path, shape: tuple[int, ...], dtype, role: str = "array") -> None:
    """Refuse a ``.npy`` file whose header does not say ``shape``/``dtype`` or whose size does not fit it.

    Read before ``np.load``, so a damaged header (say, 10^11 rows) is a :class:`FormatError`, never an
    allocation of what the header claims.
    """
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            major, _ = fmt.read_magic(fh)
            read = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
            got_shape, fortran, got_dtype = read(fh)
            offset = fh.tell()
            size = os.fstat(fh.fileno()).st_size
    except (ValueError, EOFError, OSError, SyntaxError, TypeError, MemoryError, RecursionError, TokenError) as exc:
        raise FormatError(f"{path.name}: unreadable array header ({excerpt(str(exc), 80)}); the index is damaged: re-index",
                          path=path.parent) from None
    want = np.dtype(dtype)
    if tuple(got_shape) != tuple(shape) or got_dtype != want or fortran:
        raise FormatError(f"{role} are {str(tuple(got_shape))[:60]}, the manifest says {tuple(shape)} ({path.name} "
                          f"holds {got_dtype}{' in Fortran order' if fortran else ''}, expected {want}); the index is "
                          "damaged: re-index", path=path.parent)
    if offset + int(np.prod(shape, dtype=object)) * want.itemsize != size:
        raise FormatError(f"{path.name} is {size:,} bytes, not what its {tuple(shape)} {want} array needs; the "
                          "index is damaged: re-index", path=path.parent)


def sidecar_paths(folder: Path, manifest: dict) -> dict[str, Path]:
    """``role -> path`` of the sidecar files (``lexical.npz`` ...) a checked manifest names."""
    files = manifest.get("files") or {}
    return {role: folder / info["name"] for role, info in files.items() if "." in role}
