"""Whether vectors are comparable: the manifest fields every store records, and the one encoder check.

A store's manifest names the encoder (spec and canonical key), dim, metric, normalization, dtype and
chunking; :func:`check_vectors` refuses vectors that are not L2-normalized for cosine search and
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
    "canonical",
    "describe",
    "encoder_key",
]

#: how vectors are compared in every store: inner product of L2-normalized rows (= cosine)
METRIC = "cosine"
NORMALIZE = "l2"


def encoder_key(spec: str) -> str:
    """:attr:`textemb.Spec.key` of a spec (what makes vectors comparable), or the string itself for an encoder
    that has no loadable spec, so ``all-MiniLM-L6-v2``, ``sbert:all-MiniLM-L6-v2`` and
    ``sbert:all-MiniLM-L6-v2?backend=onnx`` match."""
    from textemb.encoders.spec import spec_key

    return spec_key(spec)


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
    """The manifest fields that make vectors comparable: encoder, dim, metric, normalization, chunking."""
    return {"encoder": {"spec": canonical(encoder_spec), "key": encoder_key(encoder_spec), "dim": int(dim)},
            "dim": int(dim), "metric": METRIC, "normalize": NORMALIZE, "dtype": dtype,
            "chunk": dataclasses.asdict(chunk)}


def canonical(spec: str) -> str:
    """The canonical form of a spec (as manifests store it), or the string itself where it is no loadable spec."""
    from textemb.encoders.spec import Spec
    from textemb.errors import UnknownEncoderError

    try:
        return Spec.parse(spec).canonical
    except UnknownEncoderError:
        return spec


def check_vectors(manifest: dict, where: object) -> None:
    """Refuse a manifest whose vectors are not L2-normalized for cosine (inner product) search."""
    metric, norm = manifest.get("metric", METRIC), manifest.get("normalize", NORMALIZE)
    if metric != METRIC or norm != NORMALIZE:
        raise FormatError(f"vectors use metric {metric!r} with normalization {norm!r}; textemb searches "
                          f"{METRIC!r} over {NORMALIZE!r}-normalized vectors: re-index with this textemb", path=where)


def chunk_from_manifest(chunk: object, where: object) -> ChunkSettings:
    """The chunk settings a manifest records, or a FormatError naming the damage."""
    try:
        return ChunkSettings(**(chunk or {}))
    except TypeError as exc:
        raise FormatError(f"manifest chunk settings are damaged ({exc}); re-index", path=where) from None


def check_encoder(encoder: Encoder, spec: str, dim: int, where: object) -> None:
    """A clear error when ``encoder`` does not produce the vectors an index built with ``spec`` holds."""
    got = encoder.spec
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
        got = encoder.spec
        if encoder_key(got) != encoder_key(spec) or encoder.dim != dim:
            raise InputError(f"{where} was built with encoder {_shown(spec)} ({dim}-d), not {got!r} ({encoder.dim}-d); "
                             "pass --rebuild (rebuild=True) to re-index with the new encoder")


def _shown(spec: str, quote: bool = True) -> str:
    """A spec read from an index as an error message shows it: printable, at most 200 characters, and where it is
    part of a suggested command (``quote=False``) shell-quoted, so pasting the command is not cut at ``&``."""
    import shlex

    from textemb.text import excerpt

    return excerpt(repr(spec), 200) if quote else shlex.quote(excerpt(spec, 200))
