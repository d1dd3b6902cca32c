"""GloVe / word2vec vector files as :class:`~textemb.vectors.WordVectors`, with the cache.

The first load of a text file parses it (multi-threaded) and stores a memory-mappable copy
in the cache; later loads of the unchanged file open that copy in milliseconds.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np

from textemb.encoders.options import pop_bool, pop_int, pop_str, reject_unknown
from textemb.errors import InputError
from textemb.io import cache
from textemb.io.formats import read_vectors
from textemb.vectors import WordVectors


def load_vector_file(
    path: str | Path,
    *,
    format: str = "auto",
    use_cache: bool = True,
    limit: int | None = None,
    vocab: Collection[str] | None = None,
    errors: str = "strict",
    nonfinite: str = "error",
    device: str = "cpu",
    prefix: str = "glove",
    trust_pickle: bool = False,
) -> WordVectors:
    """Load a GloVe text, word2vec text or word2vec binary file (``.gz`` too).

    Args:
        format: ``auto``, ``glove``, ``word2vec`` or ``word2vec-bin``.
        use_cache: read from / write to the on-disk cache (see :func:`textemb.io.cache.cache_root`).
        limit: keep the first ``limit`` words; vocab: keep only these words (file order kept).
        errors / nonfinite: see :func:`textemb.io.formats.read_vectors`.
        trust_pickle: allow pickle-based files (gensim ``.model``); they can run code when opened.
    """
    from textemb.io.bounded import check_regular
    from textemb.io.safety import load_trusted_gensim, refuse_pickle
    from textemb.text import printable

    path = Path(path)
    if path.is_dir():
        raise InputError(f"{printable(path)} is a folder, not a vector file; {folder_hint(path)}")
    check_regular(path, what="vector file")  # a device, FIFO or /proc file is refused before anything opens it
    refuse_pickle(path, trust_pickle=trust_pickle)
    if trust_pickle and path.suffix.lower() == ".model":
        words, vectors = load_trusted_gensim(path)
        return _subset(WordVectors(words, vectors, name=path.name, spec=f"{prefix}:{path}", device=device), limit, vocab)
    options = {"format": format, "errors": errors, "nonfinite": nonfinite}
    name = path.name
    spec = f"{prefix}:{path}"
    hit = cache.lookup(path, options) if use_cache else None
    if hit is not None:
        words, vectors, _ = hit
        return _subset(WordVectors(words, vectors, name=name, spec=spec, device=device), limit, vocab)
    parsed = read_vectors(path, format=format, errors=errors, nonfinite=nonfinite, limit=limit, vocab=vocab)
    if use_cache and limit is None and vocab is None:
        stored = cache.store(path, options, parsed.words, parsed.vectors, {"name": name, "spec": spec},
                             sha256=parsed.source_sha256, identity=parsed.source_identity)
        if stored is not None:  # serve from the memory map, like every later load, keeping the parsed words
            words, shape = parsed.words, parsed.vectors.shape
            del parsed  # the parsed matrix goes before the cached one is mapped
            vectors = cache.map_matrix(stored, shape)
            return WordVectors(words, vectors, name=name, spec=spec, device=device)
    return WordVectors(parsed.words, parsed.vectors, name=name, spec=spec, device=device)


#: the manifest that marks each backend's model folder
_FOLDER_MANIFESTS = {"manifest.json": "vectors", "fasttext.json": "fasttext", "lsa.json": "lsa", "doc2vec.json": "doc2vec",
                     "averaging.json": "avg-saved", "textemb_static.json": "static"}
_VECTOR_SUFFIXES = {".txt": "glove", ".vec": "word2vec", ".bin": "word2vec", ".gz": "glove"}


def folder_hint(path: Path) -> str:
    """What to pass for the folder ``path``: the backend its manifest names, or one of the vector files in it."""
    from textemb.text import printable

    for manifest, prefix in _FOLDER_MANIFESTS.items():
        if (path / manifest).is_file() and (prefix != "vectors" or (path / "vectors.npy").is_file()):
            return f"it is a textemb {prefix} model folder: use '{prefix}:{printable(path)}'"
    try:
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in _VECTOR_SUFFIXES and p.is_file())[:3]
    except OSError:
        files = []
    if not files:
        return "give a vector file (glove:FILE.txt, word2vec:FILE.bin or FILE.txt with an 'N DIM' header)"
    shown = ", ".join(f"'{_VECTOR_SUFFIXES[f.suffix.lower()]}:{printable(f)}'" for f in files)
    return (f"give one of its files, e.g. {shown} (glove: for text without a header, word2vec: for a .bin or "
            "text with an 'N DIM' first line)")


def _subset(wv: WordVectors, limit: int | None, vocab: Collection[str] | None) -> WordVectors:
    if limit is None and vocab is None:
        return wv
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InputError(f"limit must be a positive integer, got {limit!r}")
    rows = np.arange(len(wv) if limit is None else min(limit, len(wv)))
    if vocab is not None:
        wanted = set(vocab)
        rows = np.array([i for i in rows if wv.words[i] in wanted], dtype=np.int64)
    words = [wv.words[i] for i in rows]
    vectors = wv.vectors[: len(rows)] if vocab is None else np.asarray(wv.vectors[rows])
    return WordVectors(words, vectors, name=wv.name, spec=wv.spec, device=wv.device)


def from_spec(arg: str, options: dict, device: str) -> WordVectors:
    """Registry factory for ``glove:PATH`` (GloVe text, no header) and named GloVe models."""
    from textemb import models

    if arg in models.NAMED and models.NAMED[arg].kind == "word-vectors":
        limit = pop_int(options, "limit", minimum=1)
        reject_unknown(options, "glove")
        return models.load_named_vectors(arg, device=device, limit=limit)
    fmt = options.pop("format", "glove")
    return load_vector_file(arg, format=fmt, device=device, prefix="glove", **file_options(options, "glove"))


def vectors_from_spec(arg: str, options: dict, device: str) -> WordVectors:
    """Registry factory for ``vectors:FOLDER`` (textemb's own folder format)."""
    limit = pop_int(options, "limit", minimum=1)
    reject_unknown(options, "vectors")
    return _subset(WordVectors.load(arg, device=device), limit, None)


def file_options(options: dict, prefix: str) -> dict:
    """The file-reading options shared by ``glove:``/``word2vec:`` (parsed by :mod:`textemb.encoders.options`);
    any other option left is refused here, before a large file is read."""
    out: dict = {}
    limit = pop_int(options, "limit", minimum=1)
    if limit is not None:
        out["limit"] = limit
    for key in ("errors", "nonfinite"):
        value = pop_str(options, key)
        if value is not None:
            out[key] = value
    for key, name in (("cache", "use_cache"), ("trust_pickle", "trust_pickle")):
        flag = pop_bool(options, key)
        if flag is not None:
            out[name] = flag
    reject_unknown(options, prefix)
    return out
