"""A saved averaging encoder (``mean`` / ``tfidf`` / ``sif``): one self-contained, pickle-free folder.

``AveragingEncoder.save(path)`` writes, and returns the spec ``avg-saved:PATH`` that loads back
exactly (same output bit for bit)::

    PATH/averaging.json      method, settings, spec it was built from, shapes (format textemb-averaging v2)
    PATH/vectors/            the word vectors (textemb's vector folder: vectors.npy + words.json)
    PATH/weights.npy         one float32 weight per word: the IDF (tfidf) or a/(a+p(w)) (sif)
    PATH/word_prob.npy       p(w) per word (sif), kept so the weights can be explained/recomputed
    PATH/components.npy      the fitted principal components removed from every vector (sif, k x dim)

``averaging.json`` lists every array it saved (``arrays``: shape and dtype); a folder missing one of
them, or one its method needs (``weights`` for tfidf and sif, ``word_prob`` for sif), is refused, so a
partial copy never loads and encodes differently.

Folders of format version 1 (no ``vectors/``) name their vectors by spec; that spec is read from a
file, so it may never switch on ``trust_pickle``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from textemb.errors import FormatError, InputError
from textemb.io.guard import load_npy, read_json_object

if TYPE_CHECKING:  # pragma: no cover
    from textemb.encoders.averaging import AveragingEncoder
    from textemb.vectors import WordVectors

FORMAT = "textemb-averaging"
FORMAT_VERSION = 2
META = "averaging.json"
_ARRAYS = ("weights", "word_prob", "components")
_HINT = "copy the whole folder again, or save the encoder again (encoder.save(PATH))"


def save_averaging(encoder: AveragingEncoder, path: str | Path, *, overwrite: bool = False) -> str:
    """Write ``encoder`` (vectors included) to ``path``; returns ``avg-saved:PATH``."""
    from textemb.io.atomic import atomic_dir

    path = Path(path)
    with atomic_dir(path, overwrite=overwrite, kind="averaging") as tmp:
        encoder.wv.save(tmp / "vectors")
        arrays = {}
        for name in _ARRAYS:
            value = getattr(encoder, name, None)
            if value is not None:
                value = np.asarray(value)
                np.save(tmp / f"{name}.npy", value, allow_pickle=False)
                arrays[name] = {"shape": list(value.shape), "dtype": str(value.dtype)}
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "method": encoder.method,
                "vectors": "vectors", "vectors_spec": encoder.wv.spec, "vocab_size": len(encoder.wv),
                "dim": encoder.dim, "n_components": encoder.n_components, "built_from": encoder.spec,
                "settings": _jsonable(encoder.settings), "arrays": arrays}
        (tmp / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return f"avg-saved:{path.resolve()}"


def load_averaging(path: str | Path, *, wv: WordVectors | None = None, device: str = "cpu") -> AveragingEncoder:
    """Rebuild the encoder :func:`save_averaging` wrote (``wv`` replaces the saved vectors).

    ``path`` is the folder, or the ``avg-saved:FOLDER`` spec :func:`save_averaging` returned.
    """
    from textemb.encoders.averaging import AveragingEncoder

    text = str(path)
    path = Path(text.removeprefix("avg-saved:"))
    meta = read_meta(path)
    if wv is None:
        wv = _saved_vectors(path, meta, device)
    if len(wv) != meta.get("vocab_size"):
        raise FormatError(f"the vectors have {len(wv)} words, the saved weights {meta.get('vocab_size')}", path=path)
    arrays = _arrays(path, meta)
    settings = {k: v for k, v in meta.get("settings", {}).items() if k not in ("method", "vectors")}
    enc = AveragingEncoder(wv, method=meta["method"], weights=arrays["weights"], components=arrays["components"],
                           n_components=int(meta.get("n_components", 0)), settings=settings,
                           spec=f"avg-saved:{path.resolve()}")
    enc.word_prob = arrays["word_prob"]
    return enc


def read_meta(path: Path) -> dict:
    """``averaging.json`` of a saved folder, checked; :class:`FormatError` for anything else."""
    file = path / META
    if not path.is_dir() or not file.is_file():
        raise FormatError(f"not a saved averaging encoder: no {META} (write one with AveragingEncoder.save)", path=path)
    meta = read_json_object(file, what=META, hint=_HINT)
    if meta.get("format") != FORMAT:
        raise FormatError(f"{META} does not describe a {FORMAT} folder", path=path)
    version = meta.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatError(f"{META}: format_version is not a number; {_HINT}", path=path)
    if version > FORMAT_VERSION:
        raise FormatError(f"format version {version} is newer than this textemb reads ({FORMAT_VERSION}); "
                          "upgrade textemb", path=path)
    return meta


def is_saved_averaging(arg: str | Path) -> bool:
    """Whether ``arg`` is a folder holding a saved averaging encoder."""
    try:
        return (Path(arg) / META).is_file()
    except (OSError, ValueError):
        return False


def _saved_vectors(path: Path, meta: dict, device: str) -> WordVectors:
    from textemb.vectors import WordVectors

    if meta.get("vectors"):
        return WordVectors.load(path / str(meta["vectors"]), device=device)
    spec = str(meta.get("vectors_spec", ""))  # format v1: vectors named by a spec read from the file
    _refuse_untrusted(spec, path)
    from textemb import load_encoder
    from textemb.encoders.averaging import _word_vectors

    return _word_vectors(load_encoder(spec, device=device), spec)


def _refuse_untrusted(spec: str, where: Path) -> None:
    """A spec read from a file never opts in to pickle or remote code (rules of trust)."""
    from textemb.encoders.registry import parse_spec

    _prefix, _arg, options = parse_spec(spec)
    for key in ("trust_pickle", "trust_remote_code"):
        if key in options:
            raise FormatError(f"the recorded vectors spec sets {key}; a spec read from a file may not opt in "
                              "(load the vectors yourself and pass AveragingEncoder.load(path, wv=...))", path=where)


def _arrays(path: Path, meta: dict) -> dict[str, np.ndarray | None]:
    """The saved arrays: each one the manifest lists (or, in folders that list none, the method needs), checked."""
    listed = meta.get("arrays")
    if listed is None:  # written before the manifest listed its arrays
        need = {"tfidf": ("weights",), "sif": ("weights", "word_prob")}.get(str(meta.get("method")), ())
        listed = {name: {} for name in _ARRAYS if name in need or (path / f"{name}.npy").is_file()}
    if not isinstance(listed, dict) or set(listed) - set(_ARRAYS) or not all(isinstance(v, dict) for v in listed.values()):
        raise FormatError(f"{META} entry 'arrays' must map {', '.join(_ARRAYS)} to {{shape, dtype}}; {_HINT}", path=path)
    out: dict[str, np.ndarray | None] = dict.fromkeys(_ARRAYS)
    for name, info in listed.items():
        file = path / f"{name}.npy"
        if not file.is_file():
            method = meta.get("method") if meta.get("method") in ("mean", "tfidf", "sif") else "averaging"
            raise FormatError(f"{name}.npy is missing, and the saved {method} encoder needs it "
                              f"(a partial copy?); {_HINT}", path=path)
        out[name] = load_npy(file, shape=info.get("shape"), dtype=info.get("dtype"), hint=_HINT)
    rows = meta.get("vocab_size")
    for name in ("weights", "word_prob"):
        value = out[name]
        if value is not None and value.shape != (rows,):
            raise FormatError(f"{name}.npy has shape {value.shape}, expected ({rows},): one per word; {_HINT}", path=path)
    return out


def _jsonable(settings: dict) -> dict:
    return {k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v)) for k, v in settings.items()}


def from_spec(arg: str, options: dict, device: str) -> AveragingEncoder:
    """Registry factory for ``avg-saved:FOLDER`` (a folder written by ``AveragingEncoder.save``)."""
    from textemb.text import printable

    if not is_saved_averaging(arg):
        raise InputError(f"avg-saved:{printable(arg)}: no {META} there; save an averaging encoder with encoder.save(PATH) "
                         "or build one from word vectors with avg:SPEC / avg-tfidf:SPEC / avg-sif:SPEC")
    return load_averaging(arg, device=device)
