"""Whether vectors are comparable: the manifest fields every store records, and the one encoder check.

A store's manifest names the encoder (spec and canonical key), dim, metric, normalisation, dtype and
chunking; :func:`check_vectors` refuses vectors that are not L2-normalised for cosine search and
:func:`check_encoder` refuses a query encoder that did not make the stored vectors. The format/version
check itself is :func:`textemb.io.cache.check_format`, shared with the vector cache.
"""

from __future__ import annotations

import dataclasses

from textemb.encoders.base import Encoder
from textemb.errors import FormatError, InputError
from textemb.io.cache import check_format
from textemb.search.chunking import ChunkSettings

__all__ = [
    "METRIC",
    "NORMALIZE",
    "check_encoder",
    "check_format",
    "check_same_build",
    "check_vectors",
    "chunk_from_manifest",
    "describe",
    "encoder_key",
]

#: how vectors are compared in every store: inner product of L2-normalised rows (= cosine)
METRIC = "cosine"
NORMALIZE = "l2"


def encoder_key(spec: str) -> str:
    """A canonical form of a spec, so ``all-MiniLM-L6-v2`` and ``sbert:all-MiniLM-L6-v2`` match."""
    from textemb import models
    from textemb.encoders.registry import parse_spec

    prefix, arg, _ = parse_spec(spec)
    named = models.get(arg) if prefix is None else None
    return named.spec if named is not None else spec.strip()


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
                         f"vectors from {spec!r}; search with --encoder {spec}")
    if encoder_key(got) != encoder_key(spec):
        raise InputError(f"{where} was built with encoder {spec!r} but the query encoder is {got!r}; vectors from "
                         f"different encoders are not comparable: use --encoder {spec} or re-index")


def check_same_build(where: object, spec: str, dim: int, chunk: ChunkSettings, encoder: Encoder | None,
                     want_chunk: ChunkSettings | None) -> None:
    """Refuse to update an index with another encoder or chunking than it was built with (``--rebuild`` does)."""
    if want_chunk is not None and want_chunk != chunk:
        raise InputError(f"{where} was built with chunking {dataclasses.asdict(chunk)}, not "
                         f"{dataclasses.asdict(want_chunk)}; pass --rebuild (rebuild=True) to re-index from scratch")
    if encoder is not None:
        got = encoder.spec or encoder.name
        if encoder_key(got) != encoder_key(spec) or encoder.dim != dim:
            raise InputError(f"{where} was built with encoder {spec!r} ({dim}-d), not {got!r} ({encoder.dim}-d); "
                             "pass --rebuild (rebuild=True) to re-index with the new encoder")
