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
from textemb.io.guard import load_npy, read_json_object
from textemb.text import printable

FORMAT_VERSION = 1


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
    hint = f"rebuild the folder (textemb train {kind} ... -o FOLDER) or copy it again whole"
    meta = read_json_object(manifest_path, what=f"{kind}.json", hint=hint)
    if meta.get("format") != f"textemb-{kind}":
        raise FormatError(f"not a textemb-{kind} manifest (its 'format' entry is not textemb-{kind}); {hint}",
                          path=manifest_path)
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        shown = version if isinstance(version, int) else "not a number"
        raise FormatError(f"format_version {shown} is not supported (expected {FORMAT_VERSION}); upgrade textemb",
                          path=manifest_path)
    listed = meta.get("arrays") or {}
    if not isinstance(listed, dict) or not all(isinstance(i, dict) for i in listed.values()):
        raise FormatError(f"manifest entry 'arrays' must map names to {{shape, dtype}}; {hint}", path=manifest_path)
    arrays = {}
    for name, info in listed.items():
        file = path / f"{name}.npy"
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            raise FormatError(f"manifest lists an array with an unsafe name; {hint}", path=manifest_path)
        if not file.is_file():
            raise FormatError(f"missing {file.name}, which {kind}.json lists; {hint}", path=path)
        arrays[name] = load_npy(file, shape=info.get("shape", []), dtype=info.get("dtype", "?"), mmap=mmap, hint=hint)
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
