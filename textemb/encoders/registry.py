"""One spec string selects a backend everywhere (Python and CLI).

Grammar::

    SPEC    := NAME | PREFIX ":" ARG [ "?" OPTIONS ]
    OPTIONS := key=value ("&" key=value)*

``NAME`` is a named offline model (``glove-6b-50d``, ``all-MiniLM-L6-v2``); ``PREFIX`` is a
registered backend (``glove``, ``word2vec``, ``vectors``, ``avg``, ``bert``, ``sbert`` ...);
``ARG`` is a path, a named model, a Hugging Face name or — for wrappers such as ``avg-sif`` —
another spec. Backends register a lazy ``"module:function"`` factory, so importing the
registry imports no heavy library. A factory takes ``(arg, options, device)``, pops the
options it understands, and any option left over is an error (nothing is silently ignored).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from urllib.parse import parse_qsl

from textemb.encoders.base import Encoder
from textemb.errors import InputError, UnknownEncoderError


@dataclass(frozen=True)
class Backend:
    prefix: str
    factory: str  # "module:function"
    help: str
    example: str


_BACKENDS: dict[str, Backend] = {}


def register(prefix: str, factory: str, *, help: str, example: str) -> None:
    """Register a backend under ``prefix`` (a later registration replaces an earlier one)."""
    _BACKENDS[prefix] = Backend(prefix, factory, help, example)


def backends() -> list[Backend]:
    return sorted(_BACKENDS.values(), key=lambda b: b.prefix)


register("glove", "textemb.encoders.glove:from_spec", help="GloVe text file (no header), or glove-6b-50d",
         example="glove:path/to/glove.6B.300d.txt")
register("word2vec", "textemb.encoders.word2vec:from_spec", help="word2vec binary (.bin) or text file (with header)",
         example="word2vec:model.bin")
register("avg", "textemb.encoders.averaging:mean_from_spec", help="mean of word vectors over a text's tokens",
         example="avg:glove-6b-50d")
register("avg-tfidf", "textemb.encoders.averaging:tfidf_from_spec", help="TF-IDF weighted mean of word vectors",
         example="avg-tfidf:glove-6b-50d?corpus=corpus.txt")
register("avg-sif", "textemb.encoders.averaging:sif_from_spec", help="SIF: a/(a+p(w)) weighted mean, first PC removed",
         example="avg-sif:glove-6b-50d")
register("bert", "textemb.encoders.contextual:from_spec", help="contextual token vectors of a BERT-family model",
         example="bert:all-MiniLM-L6-v2?layers=-4..-1&pool=mean")
register("sbert", "textemb.encoders.sbert:from_spec", help="a sentence-transformers model folder or name",
         example="sbert:all-MiniLM-L6-v2")
register("static", "textemb.encoders.static:from_spec", help="a static model distilled with `textemb distill` (model2vec)",
         example="static:path/to/folder")
register("vectors", "textemb.encoders.glove:vectors_from_spec", help="a textemb vector folder (WordVectors.save)",
         example="vectors:path/to/folder")


def parse_spec(spec: str) -> tuple[str | None, str, dict[str, str]]:
    """Split a spec into ``(prefix or None, arg, options)``."""
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownEncoderError(f"empty encoder spec; {_known()}")
    spec = spec.strip()
    prefix, sep, rest = spec.partition(":")
    if not sep or prefix not in _BACKENDS:
        return None, spec, {}
    arg, options = rest, {}
    head, q, query = rest.rpartition("?")
    if q and "=" in query:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise UnknownEncoderError(f"cannot parse options {query!r} in spec {spec!r}: use key=value&key=value") from None
        arg, options = head, dict(pairs)
    if not arg:
        raise UnknownEncoderError(f"spec {spec!r} names no path or model after '{prefix}:'; e.g. {_BACKENDS[prefix].example}")
    return prefix, arg, options


def load_encoder(spec: str, *, device: str | None = "cpu", **options: object) -> Encoder:
    """Build the encoder a spec string names.

    >>> load_encoder("glove-6b-50d")                    # named offline model
    >>> load_encoder("glove:path/to/glove.6B.300d.txt")  # any GloVe file
    >>> load_encoder("word2vec:model.bin")

    Keyword options are merged with the spec's ``?key=value`` options.
    """
    from textemb import models

    prefix, arg, spec_options = parse_spec(spec)
    if prefix is None:
        named = models.get(arg)
        if named is None:
            raise UnknownEncoderError(f"unknown encoder {spec!r}; {_known()}")
        prefix, arg, spec_options = parse_spec(named.spec)
        if named.kind == "word-vectors":
            arg = named.name
    merged = {**spec_options, **{k: str(v) for k, v in options.items()}}
    backend = _BACKENDS[prefix]
    module_name, func_name = backend.factory.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError(exc.name or module_name, "all", f"the {prefix!r} backend") from exc
    encoder = getattr(module, func_name)(arg, merged, device or "cpu")
    if merged:
        raise InputError(f"unknown option(s) for the {prefix!r} backend: {', '.join(sorted(merged))}")
    if not getattr(encoder, "spec", ""):
        encoder.spec = spec
    return encoder


def _known() -> str:
    from textemb import models

    names = ", ".join(models.NAMED)
    prefixes = ", ".join(f"{b.prefix}:... (e.g. {b.example})" for b in backends())
    return f"named models: {names}; backends: {prefixes}"
