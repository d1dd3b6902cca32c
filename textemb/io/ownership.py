"""Which folders textemb wrote: the ownership marker, and the rule for replacing or deleting a folder.

Every folder textemb builds with :func:`textemb.io.atomic.atomic_dir` carries a small marker file
(:data:`MARKER`, JSON) naming the writer, the kind of folder, and the top-level entries textemb put
there. A folder is *ours* when that marker says so (or, for folders written before the marker
existed, when its ``manifest.json`` is a textemb vector manifest). The rule of trust built on it:

* an existing, non-empty folder that is not ours is never replaced or deleted;
* a folder that is ours is replaced only on request (``overwrite=True``, CLI ``--force``), and only
  while it holds nothing but the entries textemb wrote (a ``NOTES.md`` added later is kept, so the
  request is refused);
* a single output file (a report, a plot, vectors) replaces an existing file only when that file
  carries textemb's signature (:data:`FILE_SIGNATURES`, reports and plots do) or on request
  (``--force``); a link, folder or device at that path is never replaced;
* a temp folder of ours left by a killed process is stale once its process is gone (same host) or
  it is older than :data:`STALE_AFTER_S`; only then may a cleaner remove it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from pathlib import Path

from textemb.errors import InputError

MARKER = ".textemb-owner.json"
WRITER = "textemb"
#: a temp folder of ours whose owner process cannot be checked is stale after this long
STALE_AFTER_S = 6 * 3600
#: folders written before the marker existed: manifest format -> the entries textemb put there
_LEGACY = {"textemb-vectors": {"manifest.json", "vectors.npy", "words.json", "vocab.txt"}}
#: files textemb adds beside a folder's content after it is written (the word counts of trained vectors)
_SIDECARS = {"vectors": {"vocab.txt"}}
#: a search index's data files, one set per generation G (see textemb.search.stores.folder_files)
INDEX_DATA = re.compile(r"^(vectors|passages|docs|hnsw|lexical)-(\d+)\.(npy|jsonl|faiss|npz|json)$")
#: the format name of a search index's manifest, and the marker of index folders from before the one marker
INDEX_FORMAT = "textemb-index"
LEGACY_INDEX_MARKER = ".textemb-index"
#: the temp files atomic_open leaves beside an index's own files (".vectors-000003.npy.k2j4_x.tmp")
INDEX_TEMP = re.compile(r"^\.((vectors|passages|docs|hnsw|lexical)-\d+\.(npy|jsonl|faiss|npz|json)|manifest\.json|"
                        r"\.textemb-index|\.textemb-owner\.json)\.[A-Za-z0-9_]+\.tmp$")
_INDEX_FIXED = {"manifest.json", "lock", LEGACY_INDEX_MARKER}


def _index_entry(name: str) -> bool:
    return name in _INDEX_FIXED or bool(INDEX_DATA.match(name) or INDEX_TEMP.match(name))


#: folders whose entries change as textemb updates them in place: kind -> which names textemb writes there
_KIND_ENTRIES = {"index": _index_entry}
#: how the single files textemb writes begin (JSON and Markdown reports, PNG plots) and what an HTML report's
#: head holds: (prefix the file starts with, bytes within its first 64 KB). A file matching none was not written
#: by textemb, or textemb cannot tell
FILE_SIGNATURES = ((b'{\n  "generator": "textemb', b""), (b"# textemb evaluation report\n", b""),
                   (b"\x89PNG\r\n\x1a\n", b"tEXtSoftware\x00textemb"),
                   (b"<!DOCTYPE html>", b'<meta name="generator" content="textemb'),
                   (b"<!DOCTYPE html>", b"<title>textemb evaluation report"))
_SNIFF_BYTES = 1 << 16
_TEMP_NAME = re.compile(r"^\..+\.(tmp|old-\d+)$")
_MAX_MARKER_BYTES = 1 << 16


def new_record(kind: str) -> dict:
    """The marker written into a folder textemb starts building (pid/host let a cleaner judge staleness)."""
    return {"written_by": WRITER, "kind": kind, "pid": os.getpid(), "host": socket.gethostname(),
            "created": time.time(), "state": "partial", "files": []}


def write_marker(folder: Path, record: dict) -> None:
    (folder / MARKER).write_text(json.dumps(record, indent=1), encoding="utf-8")


def read_marker(folder: str | Path) -> dict | None:
    """The marker of ``folder`` if it is a small regular file that says textemb wrote the folder."""
    f = Path(folder) / MARKER
    try:
        if f.is_symlink() or not f.is_file() or f.stat().st_size > _MAX_MARKER_BYTES:
            return None
        record = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("written_by") != WRITER:
        return None
    return record


def _json_field(f: Path, key: str) -> object:
    """``key`` of the JSON object in ``f`` when ``f`` is a small regular file (not a link); None otherwise."""
    try:
        if f.is_symlink() or not f.is_file() or f.stat().st_size > _MAX_MARKER_BYTES * 16:
            return None
        data = json.loads(f.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(key) if isinstance(data, dict) else None


def _identify(folder: Path) -> tuple[str | None, set[str] | None]:
    """``(kind, the names its marker lists)`` of a folder textemb wrote, ``(None, None)`` for any other path.

    Folders written before the marker existed count by their ``manifest.json`` (vectors, an index) or, for
    an index, by the old ``.textemb-index`` marker.
    """
    if folder.is_symlink() or not folder.is_dir():
        return None, None
    record = read_marker(folder)
    if record is not None:
        kind, files = str(record.get("kind")), record.get("files")
        listed = {str(f) for f in files} if isinstance(files, list) else set()
        return kind, listed | {MARKER} | _SIDECARS.get(kind, set())
    fmt = _json_field(folder / "manifest.json", "format")
    if isinstance(fmt, str) and fmt in _LEGACY:
        return "vectors", set(_LEGACY[fmt])
    if INDEX_FORMAT in (fmt, _json_field(folder / LEGACY_INDEX_MARKER, "format")):
        return "index", set()
    return None, None


def kind_of(folder: str | Path) -> str | None:
    """The kind of folder textemb wrote at ``folder`` ("vectors", "index" ...), or None when it is not ours."""
    return _identify(Path(folder))[0]


def owned_entries(folder: str | Path) -> set[str] | None:
    """The top-level names textemb wrote in ``folder``; None when the folder is not ours."""
    folder = Path(folder)
    kind, listed = _identify(folder)
    if kind in _KIND_ENTRIES:  # updated in place: what textemb writes there is known by name
        ours = _KIND_ENTRIES[kind]
        return {p.name for p in folder.iterdir() if ours(p.name)} | {MARKER}
    return listed


def claim(folder: str | Path, kind: str, *, what: str) -> None:
    """Make ``folder`` a folder of ``kind`` that textemb updates in place: create it, or take an empty one,
    and mark it ours; a folder that is already ours as ``kind`` is fine as it is.

    Anything else (a file, or a folder holding entries that is not ours as ``kind``) is refused with
    :class:`InputError` before anything is created, truncated or deleted there. ``what`` names the folder
    in the message ("the index").
    """
    from textemb.io.atomic import atomic_write_bytes
    from textemb.text import excerpt, printable

    folder = Path(folder)
    if kind_of(folder) == kind:
        return
    try:
        entries = sorted(e.name for e in os.scandir(folder))
    except FileNotFoundError:
        entries = []
    except NotADirectoryError:
        raise InputError(f"{printable(folder)} exists and is not a folder: give a new or empty folder for {what}") from None
    if entries:
        raise InputError(
            f"{printable(folder)} exists and is not {what} (it holds {len(entries)} entries, e.g. "
            f"{excerpt(entries[0])!r}); textemb never writes into a folder it did not create: give a new or empty "
            f"folder for {what}")
    folder.mkdir(parents=True, exist_ok=True)
    record = {**new_record(kind), "state": "complete", "files": []}
    atomic_write_bytes(folder / MARKER, json.dumps(record, indent=1).encode("utf-8"))


def is_ours(folder: str | Path) -> bool:
    """True when ``folder`` is a real folder (not a link) that textemb wrote."""
    return kind_of(folder) is not None


def foreign_entries(folder: str | Path) -> list[str]:
    """Entries of ``folder`` textemb did not write (all of them when the folder is not ours)."""
    folder = Path(folder)
    owned = owned_entries(folder) or set()
    return sorted(p.name for p in folder.iterdir() if p.name not in owned)


def check_replaceable(path: str | Path, *, overwrite: bool) -> None:
    """Raise unless ``path`` may be (re)written as a folder: absent, empty, or ours and ``overwrite``."""
    from textemb.text import excerpt, printable

    path = Path(path)
    if not os.path.lexists(path):
        return
    shown = printable(path)
    if path.is_symlink() or not path.is_dir():
        raise InputError(f"{shown} exists and is not a folder textemb wrote; refusing to replace it "
                         "(choose another output path, or move it away yourself)")
    if not any(path.iterdir()):
        return
    if owned_entries(path) is None:
        raise InputError(f"{shown} is a folder textemb did not write; refusing to replace it and the files in it "
                         "(choose a new or empty folder, or move it away yourself)")
    extra = foreign_entries(path)
    if extra:
        names = ", ".join(excerpt(n, 40) for n in extra[:5]) + (" ..." if len(extra) > 5 else "")
        raise InputError(f"{shown} was written by textemb but now also holds files it did not write ({names}); "
                         "refusing to delete them (move them out, or choose another folder)")
    if not overwrite:
        raise InputError(f"{shown} already holds a folder textemb wrote; pass overwrite=True "
                         "(CLI: --force) to replace it, or choose another folder")


def file_is_ours(path: str | Path) -> bool:
    """True when ``path`` is a regular file (not a link) whose first bytes carry textemb's signature."""
    from textemb.io.bounded import open_regular

    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with open_regular(path) as fh:
            head = fh.read(_SNIFF_BYTES)
    except (OSError, InputError):
        return False
    return any(head.startswith(start) and inner in head for start, inner in FILE_SIGNATURES)


def check_file_replaceable(path: str | Path, *, overwrite: bool) -> None:
    """Raise unless ``path`` may be (re)written as one file: absent, ours, or a regular file and ``overwrite``.

    A link, folder, device or FIFO at ``path`` is refused even with ``overwrite``: replacing it would
    destroy something that is not a file of output.
    """
    from textemb.text import printable

    path = Path(path)
    if not os.path.lexists(path):
        return
    shown = printable(path)
    if path.is_symlink() or not path.is_file():
        kind = "a link" if path.is_symlink() else "a folder" if path.is_dir() else "not a regular file"
        raise InputError(f"{shown} exists and is {kind}; refusing to replace it with an output file "
                         "(choose another output file name)")
    if overwrite or file_is_ours(path):
        return
    raise InputError(f"{shown} already exists and textemb did not write it (or cannot tell); refusing to replace it: "
                     "pass --force to replace it, or choose another output file name")


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's live process
        return True
    return True


def is_stale_temp(folder: str | Path, *, now: float | None = None) -> bool:
    """True for a temp folder of ours (``.NAME.XXXX.tmp`` / ``.NAME.old-PID``) that nobody is writing."""
    folder = Path(folder)
    if not _TEMP_NAME.match(folder.name) or folder.is_symlink() or not folder.is_dir():
        return False
    record = read_marker(folder)
    if record is None:
        return False
    now = time.time() if now is None else now
    created = record.get("created")
    too_old = isinstance(created, (int, float)) and now - created > STALE_AFTER_S
    same_host = record.get("host") == socket.gethostname()
    if record.get("pid") == os.getpid() and same_host:
        return too_old
    return too_old or (same_host and not _pid_alive(record.get("pid")))


def clean_stale_temps(parent: str | Path, *, prefix: str = ".") -> list[Path]:
    """Remove the stale temp folders of ours directly under ``parent`` (names starting with ``prefix``)."""
    parent = Path(parent)
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for p in parent.iterdir():
        if p.name.startswith(prefix) and is_stale_temp(p):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed
