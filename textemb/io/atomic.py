"""Crash-safe writes: write a temp file beside the target, fsync, then rename over it."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[BinaryIO]:
    """Open a temp file for binary writing; on success it replaces ``path`` atomically.

    On any error (or a kill) the target is untouched and the temp file is removed (or left with
    a ``.tmp`` name that nothing reads).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_open(path) as fh:
        fh.write(data)


def fsync_dir(path: str | Path) -> None:
    """Flush a directory entry (rename durability); a no-op where unsupported."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_dir(path: str | Path, *, overwrite: bool = False, kind: str = "folder") -> Iterator[Path]:
    """Build a folder in a temp location; on success swap it in place of ``path``.

    ``path`` must be absent, an empty folder, or a folder textemb wrote (see
    :mod:`textemb.io.ownership`) that holds nothing else and ``overwrite=True``: anything else is
    refused with an :class:`~textemb.errors.InputError` before work starts and again before the
    swap. The new folder carries the ownership marker, so a later write or cleanup can prove it is ours.
    """
    from textemb.io import ownership

    path = Path(path)
    ownership.check_replaceable(path, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ownership.clean_stale_temps(path.parent, prefix=f".{path.name}.")  # left by a killed earlier write
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        record = ownership.new_record(kind)
        ownership.write_marker(tmp, record)
        yield tmp
        record.update(state="complete", files=sorted(p.name for p in tmp.iterdir()))
        ownership.write_marker(tmp, record)
        for f in tmp.iterdir():
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        fsync_dir(tmp)
        _swap_in(tmp, path, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, path: Path, overwrite: bool) -> None:
    """Rename ``tmp`` to ``path``; an old folder (checked again: empty, or ours) is removed after."""
    from textemb.io import ownership

    ownership.check_replaceable(path, overwrite=overwrite)
    old = None
    if path.is_dir() and not any(path.iterdir()):
        os.rmdir(path)
    elif os.path.lexists(path):
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
    os.replace(tmp, path)
    fsync_dir(path.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
