"""Bounded file reading: only regular files, never more than a cap (counted as read) into memory.

:func:`open_regular` is the one way textemb's readers open a data file: it opens with
``O_NONBLOCK`` (so a FIFO never blocks), checks with ``fstat`` that what it opened is a regular
file (not a device such as ``/dev/zero``, a FIFO or a socket) and refuses the kernel's pseudo files
under ``/proc`` and ``/sys``, whose reported size is 0 whatever they hold. Caps count the
bytes actually read, never ``st_size``.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from pathlib import Path
from typing import BinaryIO

from textemb.errors import FormatError, InputError

#: Largest file (after decompression) the readers load; override with ``max_bytes=``.
DEFAULT_MAX_BYTES = 16 * 1024**3
_CHUNK = 1 << 22


_PSEUDO_ROOTS = ("/proc", "/sys")


def open_regular(path: str | Path, *, what: str = "file") -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file; never blocks on a FIFO.

    Raises :class:`InputError` (one line, saying what the path is) for a missing path, a folder, a
    device, FIFO or socket, or a pseudo file under /proc or /sys.
    """
    from textemb.text import printable

    path = Path(path)
    shown = printable(path)
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        real = str(path)
    if any(real == root or real.startswith(root + "/") for root in _PSEUDO_ROOTS):
        raise InputError(f"{shown}: is a system pseudo file ({printable(real)}); textemb reads only regular {what}s")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, expected a {what}") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot open: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else (
                "a socket" if stat.S_ISSOCK(mode) else "a device file")
            raise InputError(f"{shown}: is {kind}, not a regular file; textemb reads only regular {what}s")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: str | Path, *, what: str = "file") -> None:
    """Raise like :func:`open_regular` unless ``path`` is a readable regular file."""
    open_regular(path, what=what).close()


def read_capped(fh: BinaryIO, max_bytes: int, path: object, *, hint: str = "pass max_bytes= to raise it") -> bytes:
    """Everything ``fh`` yields, counting bytes as they are read; FormatError past ``max_bytes``."""
    parts, total = [], 0
    while True:
        chunk = fh.read(min(_CHUNK, max_bytes + 1 - total))
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > max_bytes:
            raise FormatError(f"holds more than the {max_bytes:,}-byte cap ({hint})", path=path)
        parts.append(chunk)


#: largest plain text file (a list of texts or words) read whole
MAX_TEXT_BYTES = 1 << 30


def read_text_lines(path: str | Path, *, what: str = "text file", max_bytes: int = MAX_TEXT_BYTES) -> list[str]:
    """The lines of a regular UTF-8 text file (without line ends), read under a byte cap."""
    path = Path(path)
    with open_regular(path, what=what) as fh:
        data = read_capped(fh, max_bytes, path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start:,})", path=path) from None
    return text.splitlines()


def read_bounded(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """All bytes of the regular file ``path`` (gunzipped if it ends in ``.gz``), failing past ``max_bytes``."""
    path = Path(path)
    fh = open_regular(path, what="vector file")
    try:
        with fh:
            if path.suffix == ".gz":
                return _gunzip_bounded(fh, path, max_bytes)
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise FormatError(
                    f"file is {size:,} bytes, over the {max_bytes:,}-byte cap (pass max_bytes= to raise it)",
                    path=path,
                )
            return read_capped(fh, max_bytes, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _gunzip_bounded(raw: BinaryIO, path: Path, max_bytes: int) -> bytes:
    parts, total = [], 0
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise FormatError(
                        f"decompresses to more than the {max_bytes:,}-byte cap "
                        "(a gzip bomb, or pass max_bytes= to raise it)",
                        path=path,
                    )
                parts.append(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise FormatError(f"not a valid gzip file: {exc}", path=path) from exc
    return b"".join(parts)


def file_identity(path: str | Path | int) -> dict:
    """Size, mtime, inode, device and ctime of a file (a path, or an open file descriptor): what tells a
    cache its source is unchanged."""
    st = os.fstat(path) if isinstance(path, int) else os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino, "device": st.st_dev,
            "ctime_ns": st.st_ctime_ns}
