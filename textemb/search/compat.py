"""Whether vectors are comparable: the manifest fields every store records, and the one encoder check.

A store's manifest names the encoder (spec and canonical key), dim, metric, normalisation, dtype and
chunking; :func:`check_vectors` refuses vectors that are not L2-normalised for cosine search and
:func:`check_encoder` refuses a query encoder that did not make the stored vectors. The format/version
check itself is :func:`textemb.io.cache.check_format`, shared with the vector cache.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textemb.encoders.base import Encoder
from textemb.errors import FormatError, InputError
from textemb.io.cache import check_format
from textemb.search.chunking import ChunkSettings

__all__ = [
    "METRIC",
    "NORMALIZE",
    "check_encoder",
    "check_encoder_spec",
    "check_format",
    "check_same_build",
    "check_stored_spec",
    "check_vectors",
    "chunk_from_manifest",
    "describe",
    "encoder_key",
]

#: how vectors are compared in every store: inner product of L2-normalised rows (= cosine)
METRIC = "cosine"
NORMALIZE = "l2"


#: spec options that choose how a model runs, not what vectors it gives (ONNX fp32 rows agree with PyTorch to
#: cosine >= 0.999): an index built with one may be searched with the other. ``quantize`` is not among them.
RUNTIME_OPTIONS = frozenset({"backend", "threads"})


def encoder_key(spec: str) -> str:
    """A canonical form of a spec, so ``all-MiniLM-L6-v2``, ``sbert:all-MiniLM-L6-v2`` and
    ``sbert:all-MiniLM-L6-v2?backend=onnx`` match (runtime options aside, options in sorted order)."""
    from urllib.parse import urlencode

    prefix, arg, options = _expanded(spec)
    if prefix is None:
        return spec.strip()
    kept = sorted((k, v) for k, v in options.items() if k not in RUNTIME_OPTIONS and not (k == "backend" and v == "torch"))
    return f"{prefix}:{arg}" + (f"?{urlencode(kept)}" if kept else "")


def _expanded(spec: str) -> tuple[str | None, str, dict[str, str]]:
    """``(prefix, arg, options)`` of a spec with a named model resolved to its backend spec."""
    from textemb import models
    from textemb.encoders.registry import parse_spec, split_named

    prefix, arg, options = parse_spec(spec)
    if prefix is None:
        name, named_options = split_named(arg, spec)
        named = models.get(name)
        if named is None:
            return None, arg, {}
        prefix, arg, options = parse_spec(named.spec)
        options = {**options, **named_options}
    return prefix, arg, options


def onnx_query_model(spec: str, device: str = "cpu") -> str | None:
    """The model a plain ``sbert:`` spec names when its queries could run on ONNX Runtime (CPU, onnxruntime
    installed, no explicit options, a local model folder); None otherwise."""
    import importlib.util

    try:
        prefix, arg, options = _expanded(spec)
    except Exception:  # noqa: BLE001 - an odd spec is checked, with its own error, when it is loaded
        return None
    if prefix != "sbert" or options or device != "cpu" or importlib.util.find_spec("onnxruntime") is None:
        return None
    from textemb.encoders.contextual import locate_model

    try:
        return arg if locate_model(arg)[2] else None  # exports are made from a local model folder only
    except Exception:  # noqa: BLE001 - not a model folder: the query runs as the index was built
        return None


def query_spec(spec: str, device: str = "cpu") -> str:
    """The spec to encode queries with for an index built with ``spec``: the same model, run by ONNX
    Runtime when that gives the same vectors and the export is already on disk.

    A ``sbert:`` index searched on the CPU uses the model's cached fp32 ONNX export (written by
    ``textemb index``, or by any ``?backend=onnx`` use) when onnxruntime is installed: same vectors
    (cosine >= 0.999), and no torch import (about 1 s instead of 8-13 s of CPU per CLI query).
    Anything else (no export yet, another backend, explicit options) is ``spec`` unchanged.
    """
    from textemb.encoders.onnx_export import cached_model_folder_export

    model = onnx_query_model(spec, device)
    if model is None or cached_model_folder_export(model) is None:
        return spec
    return f"sbert:{model}?backend=onnx"


def export_for_queries(model: str) -> Path | None:
    """The fp32 ONNX file of ``model`` that :func:`query_spec` looks for, exported on first use (then cached);
    None for a model that is not a local folder."""
    from textemb.encoders.contextual import locate_model
    from textemb.encoders.onnx_export import onnx_model
    from textemb.encoders.onnx_sbert import read_pipeline

    path, _, is_folder = locate_model(model)
    return onnx_model(read_pipeline(Path(path))["transformer"], outputs="last") if is_folder else None


def check_stored_spec(spec: str, folder: str | Path | None, where: object) -> None:
    """Refuse an encoder spec read from an index (manifest or store metadata) that names a path outside the index
    folder and the textemb cache: loading it would make the index read any local file the user can read.

    Named offline models, Hugging Face names and plain option values are fine; a path is a value that is absolute,
    starts with ``~`` or exists on disk. Only the user's own ``--encoder SPEC`` may name any path.
    """
    import os

    from textemb import models
    from textemb.encoders.registry import spec_values
    from textemb.io.cache import cache_root
    from textemb.text import excerpt

    roots = [os.path.realpath(p) for p in ([folder] if folder is not None else []) + [cache_root()]]
    for value in spec_values(spec):
        text = os.path.expanduser(value.strip())
        if models.get(value) is not None or "\x00" in text:
            continue
        if not (os.path.isabs(text) or value.strip().startswith("~") or os.path.lexists(text)):
            continue  # a Hugging Face name or a plain option value
        real = os.path.realpath(text)
        if not any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            raise FormatError(
                f"the encoder spec stored in its manifest names {excerpt(value, 80)}, a path outside the index folder "
                "and the textemb cache; textemb does not read such a path on an index's word: pass the encoder "
                "yourself (--encoder SPEC, or Index.open(..., encoder=load_encoder(SPEC)) in Python)", path=where)


def describe(encoder_spec: str, dim: int, chunk: ChunkSettings, dtype: str = "float32") -> dict:
    """The manifest fields that make vectors comparable: encoder, dim, metric, normalisation, chunking."""
    return {"encoder": {"spec": encoder_spec, "key": encoder_key(encoder_spec), "dim": int(dim)},
            "dim": int(dim), "metric": METRIC, "normalize": NORMALIZE, "dtype": dtype,
            "chunk": dataclasses.asdict(chunk)}


def check_vectors(manifest: dict, where: object) -> None:
    """Refuse a manifest whose vectors are not L2-normalised for cosine (inner product) search."""
    metric, norm = manifest.get("metric", METRIC), manifest.get("normalize", NORMALIZE)
    if metric != METRIC or norm != NORMALIZE:
        raise FormatError(f"vectors use metric {metric!r} with normalisation {norm!r}; textemb searches "
                          f"{METRIC!r} over {NORMALIZE!r}-normalised vectors: re-index with this textemb", path=where)


def chunk_from_manifest(chunk: object, where: object) -> ChunkSettings:
    """The chunk settings a manifest records, or a FormatError naming the damage."""
    try:
        return ChunkSettings(**(chunk or {}))
    except TypeError as exc:
        raise FormatError(f"manifest chunk settings are damaged ({exc}); re-index", path=where) from None


def check_encoder(encoder: Encoder, spec: str, dim: int, where: object) -> None:
    """A clear error when ``encoder`` does not produce the vectors an index built with ``spec`` holds."""
    got = encoder.spec or encoder.name
    if encoder.dim != dim:
        raise InputError(f"the query encoder {got!r} gives {encoder.dim}-d vectors but {where} holds {dim}-d "
                         f"vectors from {_shown(spec)}; search with --encoder {_shown(spec, quote=False)}")
    check_encoder_spec(got, spec, where)


def check_encoder_spec(got: str, spec: str, where: object) -> None:
    """The model check of :func:`check_encoder` on specs alone, so a wrong ``--encoder`` is refused before it loads."""
    if encoder_key(got) != encoder_key(spec):
        raise InputError(f"{where} was built with encoder {_shown(spec)} but the query encoder is {got!r}; vectors "
                         f"from different encoders are not comparable: use --encoder {_shown(spec, quote=False)} or re-index")


def check_same_build(where: object, spec: str, dim: int, chunk: ChunkSettings, encoder: Encoder | None,
                     want_chunk: ChunkSettings | None) -> None:
    """Refuse to update an index with another encoder or chunking than it was built with (``--rebuild`` does)."""
    if want_chunk is not None and want_chunk != chunk:
        raise InputError(f"{where} was built with chunking {dataclasses.asdict(chunk)}, not "
                         f"{dataclasses.asdict(want_chunk)}; pass --rebuild (rebuild=True) to re-index from scratch")
    if encoder is not None:
        got = encoder.spec or encoder.name
        if encoder_key(got) != encoder_key(spec) or encoder.dim != dim:
            raise InputError(f"{where} was built with encoder {_shown(spec)} ({dim}-d), not {got!r} ({encoder.dim}-d); "
                             "pass --rebuild (rebuild=True) to re-index with the new encoder")


def _shown(spec: str, quote: bool = True) -> str:
    """A spec read from an index as an error message shows it: printable, at most 200 characters, and where it is
    part of a suggested command (``quote=False``) shell-quoted, so pasting the command is not cut at ``&``."""
    import shlex

    from textemb.text import excerpt

    return excerpt(repr(spec), 200) if quote else shlex.quote(excerpt(spec, 200))
