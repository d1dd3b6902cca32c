"""Pickle-free model folders shared by the trained backends (LSA, fastText, Doc2Vec).

A model folder holds one JSON manifest (``<kind>.json``: format name, version, settings, the
vocabulary) and plain ``.npy`` arrays written with ``allow_pickle=False``. It is written through
:func:`textemb.io.atomic.atomic_dir` (all or nothing) and read back without gensim pickles, so a
model folder can never run code when opened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from textemb.errors import FormatError, InputError
from textemb.text import printable

FORMAT_VERSION = 1
#: manifests larger than this are refused before parsing (a vocabulary of ~10M words fits)
MAX_MANIFEST_BYTES = 512 * 1024 * 1024


def write_model_folder(path: str | Path, kind: str, meta: dict[str, Any], arrays: dict[str, np.ndarray], *,
                       overwrite: bool = False) -> str:
    """Write ``meta`` as ``<kind>.json`` and each array as ``<name>.npy`` into the folder ``path``.

    Returns the spec that loads it back (``KIND:/absolute/path``). An existing folder is replaced only
    if textemb wrote it and ``overwrite=True`` (see :func:`textemb.io.atomic.atomic_dir`).
    """
    from textemb.io.atomic import atomic_dir

    path = Path(path)
    manifest = {"format": f"textemb-{kind}", "format_version": FORMAT_VERSION, **meta,
                "arrays": {name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in arrays.items()}}
    with atomic_dir(path, overwrite=overwrite, kind=f"{kind} model folder") as tmp:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        text = json.dumps(manifest, indent=1, ensure_ascii=False)
        (tmp / f"{kind}.json").write_text(text, encoding="utf-8")
    return f"{kind}:{path.resolve()}"


def is_model_folder(path: str | Path, kind: str) -> bool:
    """True when ``path`` is a folder with a ``<kind>.json`` manifest."""
    p = Path(path)
    return p.is_dir() and (p / f"{kind}.json").is_file()


def read_model_folder(path: str | Path, kind: str, *, mmap: bool = False) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a folder written by :func:`write_model_folder`: (manifest, arrays), shapes checked."""
    path = Path(path)
    manifest_path = path / f"{kind}.json"
    if not path.is_dir():
        raise InputError(f"{printable(path)} is not a folder; expected a textemb {kind} model folder (textemb train {kind} ...)")
    if not manifest_path.is_file():
        raise FormatError(f"no {kind}.json in the folder; is this a textemb {kind} model?", path=path)
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise FormatError(f"{kind}.json is larger than {MAX_MANIFEST_BYTES} bytes", path=manifest_path)
    try:
        meta = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"cannot read the manifest ({exc})", path=manifest_path) from None
    if not isinstance(meta, dict) or meta.get("format") != f"textemb-{kind}":
        raise FormatError(f"not a textemb-{kind} manifest (format={meta.get('format')!r})", path=manifest_path)
    if meta.get("format_version") != FORMAT_VERSION:
        raise FormatError(f"format_version {meta.get('format_version')!r} is not supported (expected "
                          f"{FORMAT_VERSION}); upgrade textemb", path=manifest_path)
    arrays = {}
    for name, info in (meta.get("arrays") or {}).items():
        file = path / f"{name}.npy"
        if not file.is_file():
            raise FormatError(f"missing {file.name}", path=path)
        try:
            arr = np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise FormatError(f"cannot read {file.name} ({exc})", path=path) from None
        if list(arr.shape) != list(info.get("shape", [])) or str(arr.dtype) != info.get("dtype"):
            raise FormatError(f"{file.name} is {arr.shape} {arr.dtype}, the manifest says "
                              f"{tuple(info.get('shape', []))} {info.get('dtype')}", path=path)
        arrays[name] = arr
    return meta, arrays


def check_words(meta: dict, key: str, rows: int, path: str | Path) -> list[str]:
    """The word list ``meta[key]``, checked to be ``rows`` distinct strings."""
    words = meta.get(key)
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise FormatError(f"manifest entry {key!r} must be a list of strings", path=path)
    if len(words) != rows or len(set(words)) != len(words):
        raise FormatError(f"{key}: {len(words)} words (distinct: {len(set(words))}) for {rows} vector rows", path=path)
    return words


def require_gensim(what: str):
    """Import gensim or raise :class:`MissingDependencyError` naming the ``word2vec`` extra."""
    try:
        import gensim
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError("gensim", "word2vec", what) from exc
    return gensim
