"""Bounded file reading: never read (or decompress) more than a cap into memory."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from textemb.errors import FormatError, InputError

#: Largest file (after decompression) the readers load; override with ``max_bytes=``.
DEFAULT_MAX_BYTES = 16 * 1024**3
_CHUNK = 1 << 22


def read_bounded(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """All bytes of ``path`` (gunzipped if it ends in ``.gz``), failing past ``max_bytes``."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a vector file")
    try:
        size = path.stat().st_size
        if path.suffix == ".gz":
            return _gunzip_bounded(path, max_bytes)
        if size > max_bytes:
            raise FormatError(
                f"file is {size:,} bytes, over the {max_bytes:,}-byte cap (pass max_bytes= to raise it)",
                path=path,
            )
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _gunzip_bounded(path: Path, max_bytes: int) -> bytes:
    parts, total = [], 0
    try:
        with gzip.open(path, "rb") as fh:
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


def file_identity(path: str | Path) -> dict:
    """Size, mtime, inode, device and ctime of a file: what tells a cache its source is unchanged."""
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino, "device": st.st_dev,
            "ctime_ns": st.st_ctime_ns}
