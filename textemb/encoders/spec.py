"""A spec is a value: parsed and resolved once, compared by value, written back as one canonical string.

Grammar (one grammar for Python, the CLI, manifests and reports)::

    SPEC    := NAME [ "?" OPTIONS ] | PREFIX ":" ARG [ "?" OPTIONS ]
    OPTIONS := key=value ("&" key=value)*

``NAME`` is a named offline model (``glove-6b-50d``), ``PREFIX`` a registered backend and ``ARG`` a path, a
named model, a Hugging Face name or, for a wrapper backend (``avg``, ``avg-sif`` ...), another spec. A wrapper
keeps the options it declares; the others belong to the spec it wraps, so ``avg-sif:glove-6b-50d?limit=1000``
is the SIF mean over ``glove-6b-50d?limit=1000``.

>>> s = Spec.parse("glove:glove-6b-50d?limit=1000")
>>> s.canonical, s == Spec.parse("glove-6b-50d?limit=1000"), s.resolve()
('glove-6b-50d?limit=1000', True, ('glove', 'glove-6b-50d', {'limit': '1000'}))

``canonical`` is the one string written to ``encoder.spec``, manifests and reports; it always loads back.
``key`` is what makes two encoders' vectors comparable: the canonical form without runtime options
(``backend``, ``threads``, ``batch_size``), so ``all-MiniLM-L6-v2`` and ``all-MiniLM-L6-v2?backend=onnx`` share
a key while ``quantize=int8`` (other weights, other vectors) does not.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from textemb.errors import UnknownEncoderError

__all__ = ["RUNTIME_OPTIONS", "Spec", "spec_key"]

#: options that choose how a model runs, not what vectors it gives (ONNX fp32 rows agree with PyTorch to
#: cosine >= 0.999); ``quantize`` is not among them: int8 weights give other vectors
RUNTIME_OPTIONS = frozenset({"backend", "threads", "batch_size"})
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Spec:
    """A parsed, resolved encoder spec. Build it with :meth:`parse`; ``str(spec) == spec.canonical``."""

    backend: str
    arg: str  # a path, a model name, or for a wrapper the canonical form of the inner spec (without its options)
    options: tuple[tuple[str, str], ...] = ()  # this backend's options, sorted
    named: str | None = None  # the named model (glove-6b-50d) this spec loads, when it loads one as named
    inner: Spec | None = None  # for a wrapper backend: the spec it wraps

    @classmethod
    def parse(cls, text: str | Spec) -> Spec:
        """The spec ``text`` names (a :class:`Spec` is returned as it is); :class:`UnknownEncoderError` if it names
        no backend or named model."""
        if isinstance(text, Spec):
            return text
        if not isinstance(text, str) or not text.strip():
            from textemb.encoders.registry import known_summary

            raise UnknownEncoderError(f"empty encoder spec; {known_summary()}")
        return _parse(text.strip(), 0)

    def resolve(self) -> tuple[str, str, dict[str, str]]:
        """``(backend, arg, options)`` to build the encoder from: a named model expanded, a wrapper's ARG the
        inner spec's canonical form (its options included)."""
        arg = self.inner.canonical if self.inner is not None else self.arg
        return self.backend, arg, dict(self.options)

    @property
    def all_options(self) -> dict[str, str]:
        """This spec's options and those of any spec it wraps (the flat ``?`` part of :attr:`canonical`)."""
        inner = self.inner.all_options if self.inner is not None else {}
        return {**inner, **dict(self.options)}

    @property
    def base(self) -> str:
        """The canonical form without options: ``glove-6b-50d``, ``avg-sif:glove:PATH``."""
        if self.named is not None:
            return self.named
        return f"{self.backend}:{self.inner.base if self.inner is not None else self.arg}"

    @property
    def canonical(self) -> str:
        """The one string stored in ``encoder.spec``, manifests and reports; ``load_encoder`` loads it back."""
        return _join(self.base, self.all_options)

    @property
    def key(self) -> str:
        """What makes two encoders' vectors comparable: :attr:`canonical` without runtime options."""
        kept = {k: v for k, v in self.all_options.items() if k not in RUNTIME_OPTIONS}
        return _join(self.base, kept)

    def with_options(self, **options: str | None) -> Spec:
        """The same spec with options set (``None`` removes one): ``spec.with_options(backend="onnx")``."""
        merged = {**self.all_options, **{k: str(v) for k, v in options.items() if v is not None}}
        for k, v in options.items():
            if v is None:
                merged.pop(k, None)
        return Spec.parse(_join(self.base, merged))

    def __str__(self) -> str:
        return self.canonical

    def __repr__(self) -> str:
        return f"Spec({self.canonical!r})"


def spec_key(text: str) -> str:
    """:attr:`Spec.key` of ``text``, or ``text`` itself (stripped) when it is no loadable spec (an encoder built
    in Python and named, not specified): such an encoder matches only itself."""
    try:
        return Spec.parse(text).key
    except UnknownEncoderError:
        return text.strip() if isinstance(text, str) else repr(text)


def split_options(text: str) -> tuple[str, dict[str, str]]:
    """``HEAD?key=value&...`` -> (HEAD, options); a last ``?`` not followed by ``key=value`` is part of HEAD."""
    head, q, query = text.rpartition("?")
    if not q or "=" not in query:
        return text, {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise UnknownEncoderError(f"cannot parse options {query!r} in spec {text!r}: use key=value&key=value") from None
    return head, dict(pairs)


def forget_parsed() -> None:
    """Drop the cache of parsed specs (the registry calls it when a backend is registered: a prefix may now mean
    another backend)."""
    _parse.cache_clear()


def _join(base: str, options: dict[str, str]) -> str:
    return base + (f"?{urlencode(sorted(options.items()), safe='/:.~-_,')}" if options else "")


@functools.lru_cache(maxsize=512)
def _parse(text: str, depth: int) -> Spec:
    from textemb import models
    from textemb.encoders.registry import backend_named, did_you_mean

    if depth > _MAX_DEPTH:
        raise UnknownEncoderError(f"spec {text[:200]!r} nests too deeply")
    prefix, sep, rest = text.partition(":")
    backend = backend_named(prefix) if sep else None
    if backend is None:  # NAME[?options]: a named model
        name, options = split_options(text)
        model = models.get(name)
        if model is None:
            raise UnknownEncoderError(f"unknown encoder {text!r}{did_you_mean(name)}; "
                                      "`textemb models` lists named models and backends")
        expanded = Spec.parse(model.spec)
        return Spec(expanded.backend, expanded.arg, _sorted({**expanded.all_options, **options}), model.name)
    arg, options = split_options(rest)
    if not arg:
        raise UnknownEncoderError(f"spec {text!r} names no path or model after '{prefix}:'; e.g. {backend.example}")
    if backend.wraps:  # the options a wrapper does not declare belong to the spec it wraps
        own = {k: v for k, v in options.items() if k in backend.options}
        passed = {k: v for k, v in options.items() if k not in backend.options}
        try:
            inner = _parse(_join(arg, passed), depth + 1)
        except UnknownEncoderError as exc:
            if "nests too deeply" in str(exc):
                raise
            return Spec(backend.prefix, arg, _sorted(options))  # not a spec: the backend says what it wants instead
        return Spec(backend.prefix, inner.base, _sorted(own), None, inner)
    model = models.get(arg)
    as_named = None
    if model is not None and model.spec == f"{backend.prefix}:{model.name}":
        as_named = arg = model.name  # glove:glove-6b-50d is glove-6b-50d
    return Spec(backend.prefix, arg, _sorted(options), as_named)


def _sorted(options: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(options.items()))
