"""Reading model files that may be damaged: bounded JSON, ``.npy`` headers checked against the file size,
and one guard that turns what a damaged file makes a parser raise into a :class:`FormatError` naming it.

Every model loader (model folders of each backend, vector folders, fastText ``.bin``, static and ONNX files)
reads its manifests with :func:`read_json`, its arrays with :func:`load_npy` and calls third-party
parsers inside :func:`damaged_file`, so a truncated file, a 100,000-deep JSON list, a header claiming
10^12 rows or a library's own parse error is one line that says which file and what to do, never
``RecursionError``, ``MemoryError``, ``struct.error`` or a library's exception type.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, TextembError

#: manifests larger than this are refused before parsing (a vocabulary of ~10M words fits)
MAX_JSON_BYTES = 512 * 1024 * 1024

#: what a damaged or crafted file makes Python's and numpy's parsers raise
DAMAGE_ERRORS: tuple[type[BaseException], ...] = (
    RecursionError, MemoryError, struct.error, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
    UnicodeDecodeError, OverflowError,
)
#: libraries whose exceptions mean "this file is not what it should be" when raised while opening a file
PARSER_LIBRARIES = ("safetensors", "tokenizers", "onnxruntime", "onnx", "google", "model2vec")


def read_json(path: str | Path, *, what: str = "manifest", max_bytes: int = MAX_JSON_BYTES, hint: str = "") -> object:
    """The JSON value in the regular file ``path``, read under ``max_bytes``; any failure is a FormatError.

    Nesting too deep for Python's parser (a crafted ``[[[[...]]]]``) is refused like any invalid JSON.
    """
    from textemb.io.bounded import open_regular, read_capped

    path = Path(path)
    fix = f"; {hint}" if hint else ""
    with open_regular(path, what=what) as fh:
        data = read_capped(fh, max_bytes, path, hint=hint or "a manifest this large is not one textemb wrote")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what} is not UTF-8 (byte {exc.start:,}){fix}", path=path) from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}){fix}",
                          path=path) from None
    except (RecursionError, MemoryError):
        raise FormatError(f"{what} nests JSON too deeply to read (a damaged or crafted file){fix}", path=path) from None


def read_json_object(path: str | Path, *, what: str = "manifest", hint: str = "") -> dict:
    """:func:`read_json` for a file that must hold a JSON object."""
    data = read_json(path, what=what, hint=hint)
    if not isinstance(data, dict):
        raise FormatError(f"{what} must hold a JSON object, not {type(data).__name__}" + (f"; {hint}" if hint else ""),
                          path=path)
    return data


def npy_header(path: str | Path, *, hint: str = "") -> tuple[tuple[int, ...], np.dtype]:
    """``(shape, dtype)`` of a ``.npy`` file, checked against its size before anything is allocated.

    A header that does not parse, an object dtype, Fortran order, or a shape whose bytes differ from
    what follows the header (a truncated file, or a header claiming 10^12 rows) is a :class:`FormatError`.
    """
    from textemb.io.bounded import open_regular

    path = Path(path)
    fix = f"; {hint}" if hint else ""
    fmt = np.lib.format
    with open_regular(path, what="array file") as fh:
        try:
            major, _ = fmt.read_magic(fh)
            read = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
            shape, fortran, dtype = read(fh, max_header_size=1 << 16)
            offset, size = fh.tell(), os.fstat(fh.fileno()).st_size
        except (ValueError, EOFError, OSError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            raise FormatError(f"{path.name}: unreadable array header ({type(exc).__name__}){fix}", path=path.parent) from None
    if dtype.hasobject or fortran or dtype.names is not None or dtype.subdtype is not None:
        what = "objects" if dtype.hasobject else "a Fortran-order array" if fortran else "a structured dtype"
        raise FormatError(f"{path.name}: holds {what}, which textemb never writes{fix}", path=path.parent)
    need = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if offset + need != size:
        raise FormatError(f"{path.name} is {size:,} bytes, but its header's {str(tuple(shape))[:60]} {dtype} array "
                          f"needs {offset + need:,} (truncated, or a damaged header){fix}", path=path.parent)
    return tuple(int(n) for n in shape), dtype


def load_npy(path: str | Path, *, shape: object = None, dtype: object = None, mmap: bool = False,
             hint: str = "") -> np.ndarray:
    """``np.load`` (no pickle) of a ``.npy`` file whose header :func:`npy_header` checked first.

    ``shape``/``dtype`` (when given, e.g. from a manifest) must match the header.
    """
    path = Path(path)
    got_shape, got_dtype = npy_header(path, hint=hint)
    want = None if shape is None else tuple(shape) if isinstance(shape, (list, tuple)) else shape
    if (want is not None and got_shape != want) or (dtype is not None and str(got_dtype) != str(dtype)):
        raise FormatError(f"{path.name} is {str(got_shape)[:60]} {got_dtype}, the manifest says {str(want)[:60]} "
                          f"{str(dtype)[:20]}" + (f"; {hint}" if hint else ""), path=path.parent)
    with damaged_file(path, hint=hint):
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` is what a damaged file makes a parser raise (not a bug of textemb's own)."""
    if isinstance(exc, TextembError):
        return False
    if isinstance(exc, DAMAGE_ERRORS):
        return True
    return any(t.__module__.split(".")[0] in PARSER_LIBRARIES for t in type(exc).__mro__ if t is not object
               and t.__module__ != "builtins")


@contextmanager
def damaged_file(path: object, *, what: str = "", hint: str = "", broad: bool = False) -> Iterator[None]:
    """Turn a damaged file's parse errors inside the block into one :class:`FormatError` naming ``path``.

    ``broad`` converts every non-textemb ``Exception`` (for a library that raises bare ``Exception`` or
    ``ValueError`` on bad input, such as tokenizers or model2vec): use it around one library call that only
    parses the file. The library's message is not quoted (it may hold the file's bytes); its type is.
    """
    try:
        yield
    except TextembError:
        raise
    except Exception as exc:  # noqa: BLE001 - narrowed by is_damage unless the caller says the block only parses
        if not ((broad and not isinstance(exc, ImportError)) or is_damage(exc)):
            raise
        raise damage_error(path, exc, what=what, hint=hint) from None


def damage_error(path: object, exc: BaseException, *, what: str = "", hint: str = "") -> FormatError:
    """The FormatError :func:`damaged_file` raises: the file, the error's type, and how to fix it."""
    from textemb.text import printable

    kind = "too little memory, or a header claiming more than the file holds" if isinstance(exc, MemoryError) else (
        "a damaged, truncated or crafted file")
    return FormatError(f"cannot read {what or 'this file'}: {type(exc).__name__} ({kind}); "
                       f"{hint or 'replace it with an intact copy, or rebuild it'}", path=printable(str(path)))
