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
    extra: str = ""  # the pip extra whose packages the backend imports ("" = core install)


_BACKENDS: dict[str, Backend] = {}


def register(prefix: str, factory: str, *, help: str, example: str, extra: str = "") -> None:
    """Register a backend under ``prefix`` (a later registration replaces an earlier one).

    ``extra`` names the ``pip install 'textemb[EXTRA]'`` that brings the packages the backend imports,
    so a missing package is reported with the right install line.
    """
    _BACKENDS[prefix] = Backend(prefix, factory, help, example, extra)


def backends() -> list[Backend]:
    return sorted(_BACKENDS.values(), key=lambda b: b.prefix)


register("glove", "textemb.encoders.glove:from_spec", help="GloVe text file (no header), or glove-6b-50d",
         example="glove:path/to/glove.6B.300d.txt")
register("word2vec", "textemb.encoders.word2vec:from_spec", help="word2vec binary (.bin) or text file (with header)",
         example="word2vec:model.bin", extra="word2vec")
register("avg", "textemb.encoders.averaging:mean_from_spec", help="mean of word vectors over a text's tokens",
         example="avg:glove-6b-50d")
register("avg-tfidf", "textemb.encoders.averaging:tfidf_from_spec", help="TF-IDF weighted mean of word vectors",
         example="avg-tfidf:glove-6b-50d?corpus=corpus.txt")
register("avg-sif", "textemb.encoders.averaging:sif_from_spec", help="SIF: a/(a+p(w)) weighted mean, first PC removed",
         example="avg-sif:glove-6b-50d")
register("avg-saved", "textemb.encoders.averaging_saved:from_spec",
         help="an averaging encoder saved with encoder.save(PATH) (vectors, weights, components inside)",
         example="avg-saved:path/to/folder")
register("bert", "textemb.encoders.contextual:from_spec", help="contextual token vectors of a BERT-family model",
         example="bert:all-MiniLM-L6-v2?layers=-4..-1&pool=mean", extra="contextual")
register("sbert", "textemb.encoders.sbert:from_spec", help="a sentence-transformers model folder or name",
         example="sbert:all-MiniLM-L6-v2", extra="contextual")
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
        name, named_options = _split_named(arg, spec)
        named = models.get(name)
        if named is None:
            raise UnknownEncoderError(f"unknown encoder {spec!r}{_did_you_mean(name)}; "
                                      "`textemb models` lists named models and backends")
        prefix, arg, spec_options = parse_spec(named.spec)
        spec_options = {**spec_options, **named_options}
        if named.kind == "word-vectors":
            arg = named.name
    merged = {**spec_options, **{k: str(v) for k, v in options.items()}}
    backend = _BACKENDS[prefix]
    module_name, func_name = backend.factory.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError(exc.name or module_name, backend.extra or "all", f"the {prefix!r} backend") from exc
    try:
        encoder = getattr(module, func_name)(arg, merged, device or "cpu")
    except ModuleNotFoundError as exc:  # a backend imports its heavy packages lazily, at load time
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError(exc.name or "?", backend.extra or "all", f"the {prefix!r} backend") from exc
    if merged:
        raise InputError(f"unknown option(s) for the {prefix!r} backend: {', '.join(sorted(merged))}")
    if not getattr(encoder, "spec", ""):
        encoder.spec = spec
    return encoder


def _split_named(arg: str, spec: str) -> tuple[str, dict[str, str]]:
    """``NAME?key=value`` -> (NAME, options): named models take the options of their backend."""
    name, q, query = arg.partition("?")
    if not q:
        return arg, {}
    try:
        return name, dict(parse_qsl(query, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise UnknownEncoderError(f"cannot parse options {query!r} in spec {spec!r}: use key=value&key=value") from None


def _did_you_mean(name: str) -> str:
    """`` (did you mean 'glove-6b-50d'?)`` for a near miss of a named model or ``PREFIX:``, else ``""``."""
    import difflib

    from textemb import models

    candidates = {c.lower(): c for c in [*models.NAMED, *(f"{b.prefix}:" for b in backends())]}
    typed = name.lower()
    close = difflib.get_close_matches(typed, list(candidates), n=2, cutoff=0.75)
    if not close and ":" in typed:
        close = difflib.get_close_matches(typed.split(":", 1)[0] + ":", list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(candidates[c]) for c in close)}?)" if close else ""


def _known() -> str:
    from textemb import models

    names = ", ".join(models.NAMED)
    prefixes = ", ".join(f"{b.prefix}:... (e.g. {b.example})" for b in backends())
    return f"named models: {names}; backends: {prefixes}"
