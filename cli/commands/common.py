"""Options and helpers shared by several commands (a command never imports another command)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings

DEFAULT_WORD_ENCODER = "glove-6b-50d"


def add_encoder_args(p: argparse.ArgumentParser, default: str = DEFAULT_WORD_ENCODER) -> None:
    p.add_argument("--encoder", "-e", default=default, metavar="SPEC",
                   help=f"encoder spec: a named model, or PREFIX:PATH?key=value (default: {default}); "
                        "'textemb models' lists them")
    p.add_argument("--device", default="cpu", metavar="DEV",
                   help="where to compute: cpu (default), auto (cuda, then mps, then cpu), cuda, cuda:N or mps")


def add_json_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for machines")


def add_force_arg(p: argparse.ArgumentParser, what: str = "the output file") -> None:
    p.add_argument("--force", action="store_true",
                   help=f"replace {what} even when it exists and textemb cannot tell it wrote it "
                        "(reports and plots textemb wrote are replaced without it)")


def check_output_file(path: str, force: bool) -> None:
    """Refuse, before any work, an existing output file that textemb did not write (unless --force)."""
    from textemb.io.ownership import check_file_replaceable

    check_file_replaceable(path, overwrite=force)


def load_word_vectors(args: argparse.Namespace):
    """The encoder named by ``--encoder`` as word vectors.

    A backend declared to give none is refused before anything loads (no torch for a sentence model).
    """
    from textemb.encoders.capabilities import word_vectors_of
    from textemb.encoders.registry import check_word_vectors

    check_word_vectors(args.encoder)
    return word_vectors_of(load(args), args.encoder)


def load(args: argparse.Namespace):
    """``load_encoder(--encoder)``, with a line first when the load is slow (PyTorch and a model: seconds to a
    minute); ONNX Runtime and word vectors load in about a second and say nothing."""
    return load_announced(args.encoder, args.device)


def load_announced(spec: str, device: str, *, quiet: bool = False):
    """``load_encoder(spec)``, announced first (with its cost) when it is slow, unless ``quiet``."""
    from textemb_cli.commands._cost import load_message

    from textemb import load_encoder
    from textemb.progress import announce

    cost = load_message(spec)
    if cost and not quiet:
        announce(f"loading {shown(spec)} ({cost})")
    return load_encoder(spec, device=device)


def shown(text: object) -> str:
    """A spec, path or command for a message: printable and shell-quoted, so pasting it runs it
    (``'all-MiniLM-L6-v2?backend=onnx&quantize=int8'``, not a command cut at ``&``)."""
    import shlex

    from textemb.text import printable

    return shlex.quote(printable(str(text)))


def oov_for_cli(exc, command: str, encoder: str):
    """An :class:`OOVError` re-worded with what exists on this command line (it has no ``--oov``)."""
    from textemb.errors import OOVError

    return OOVError(exc.words, vocab_size=getattr(exc, "vocab_size", None),
                    hint=f"check spelling and case; `textemb {command}` needs every word in the vocabulary of "
                         f"{encoder}: try other words or another --encoder")


def at_least(low: int):
    """An argparse ``type`` for an integer >= ``low``: ``-k -1`` is a usage error in every mode, not ``[]``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def add_index_args(p) -> None:
    """Options shared with 'textemb search ... DOCS' (which indexes on the fly)."""
    p.add_argument("--encoder", "-e", default=None, metavar="SPEC",
                   help="encoder spec (default: the index's own; for a new index "
                        "'all-MiniLM-L6-v2?backend=onnx&quantize=int8', MiniLM on ONNX Runtime with int8 weights: "
                        "PyTorch's retrieval quality at about a third of the CPU time; without onnxruntime, "
                        "all-MiniLM-L6-v2 on PyTorch, then averaged glove-6b-50d)")
    p.add_argument("--device", default="cpu", metavar="DEV", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--chunk-size", type=at_least(1), default=None, metavar="N", help="passage length in units (default 128)")
    p.add_argument("--overlap", type=at_least(0), default=None, metavar="N",
                   help="units shared by consecutive passages (default 32)")
    p.add_argument("--unit", choices=["words", "tokens"], default=None, help="chunk by words (default) or encoder tokens")
    p.add_argument("--dtype", choices=["float32", "float16"], default=None,
                   help="stored vector type (default: float32, or what an existing index uses)")
    p.add_argument("--ann", choices=["auto", "hnsw", "none"], default=None,
                   help="faiss HNSW graph: auto (>= 100k passages; the default for a new index), hnsw (always), none")
    p.add_argument("--text-column", default="text", metavar="COL", help="CSV column holding the text (default 'text')")
    p.add_argument("--batch-size", type=at_least(1), default=64)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def chunk_from_args(args):
    from textemb.search import ChunkSettings

    if args.chunk_size is None and args.overlap is None and args.unit is None:
        return None
    d = ChunkSettings()
    size = args.chunk_size if args.chunk_size is not None else d.size
    overlap = args.overlap if args.overlap is not None else min(d.overlap, size // 4)
    return ChunkSettings(size=size, overlap=overlap, unit=args.unit or d.unit)


@contextlib.contextmanager
def notes():
    """Show library warnings (e.g. the encoder fallback) as one-line notes on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                from textemb.text import printable

                print(f"textemb: note: {printable(w.message)}", file=sys.stderr)


def json_safe(obj):
    """``obj`` with every string made encodable as UTF-8 (lone surrogates from undecodable names -> U+FFFD),
    so ``--json`` output is always valid UTF-8; JSON itself escapes control characters."""
    if isinstance(obj, str):
        from textemb.text import utf8_safe

        return utf8_safe(obj)
    if isinstance(obj, dict):
        return {json_safe(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


#: the encoder of a new index and of a one-step search: all-MiniLM-L6-v2 on ONNX Runtime with int8 weights, the
#: fastest path whose retrieval quality equals PyTorch fp32 (bench/results/fast_paths_quality.md: nDCG@10 0.984 on
#: both, 2.8x less CPU); without onnxruntime, the library's default (PyTorch MiniLM, then averaged GloVe)
DEFAULT_SEARCH_SPEC = "all-MiniLM-L6-v2?backend=onnx&quantize=int8"  # = textemb.search.DEFAULT_SEARCH_ENCODERS[0]


def check_docs(docs: str) -> None:
    """Refuse a DOCS path that does not exist, before any model loads or any 'indexing ...' line."""
    from pathlib import Path

    from textemb.errors import InputError

    if not Path(docs).exists():
        raise InputError(f"{shown(docs)}: no such file or folder; give a folder of documents or a single file")


def index_encoder(target: str) -> str | None:
    """The encoder spec recorded by the index folder at ``target`` (None: no index there, or not a folder)."""
    from pathlib import Path

    from textemb.errors import TextembError
    from textemb.search.stores import parse_store_url
    from textemb.search.stores.folder_files import read_manifest

    url = parse_store_url(target)
    if url.kind != "folder" or not (Path(url.target) / "manifest.json").is_file():
        return None
    try:
        spec = read_manifest(Path(url.target)).get("encoder", {}).get("spec")
    except (TextembError, AttributeError):
        return None  # a damaged manifest: opening the index reports it
    return spec if isinstance(spec, str) else None


def refuse_other_encoder(target: str, built: str | None, wanted: str, *, updating: bool) -> None:
    """Refuse, from the specs alone (before any model loads), ``--encoder wanted`` on an index built with another
    model or other weights. Runtimes of the same weights match (PyTorch and ONNX fp32: cosine >= 0.999); int8
    weights do not match fp32 ones: their vectors differ, so an update would mix two kinds in one index."""
    from textemb.errors import InputError
    from textemb.search.compat import encoder_key

    if built is None or encoder_key(built) == encoder_key(wanted):
        return
    fix = (f"leave out --encoder to update it with its own, pass --rebuild to re-index it with {shown(wanted)}, "
           "or choose another -o" if updating else
           f"leave out --encoder (or pass --encoder {shown(built)}), or re-index it with `textemb index DOCS -o "
           f"{shown(target)} --rebuild --encoder {shown(wanted)}`")
    why = ("int8 weights give other vectors than fp32 ones" if ("quantize=" in encoder_key(built)) !=
           ("quantize=" in encoder_key(wanted)) else "another model, other weights or other options")
    raise InputError(f"{target} holds vectors from {shown(built)}; --encoder {shown(wanted)} makes other vectors, "
                     f"not comparable with them ({why}: {encoder_key(wanted)} vs {encoder_key(built)}): {fix}")


def load_search_encoder(spec: str | None, device: str, *, quiet: bool = False):
    """``spec`` loaded (announced when slow), or for None the default search encoder: :data:`DEFAULT_SEARCH_SPEC`,
    else the library's fallbacks (with a note) when onnxruntime or the model is missing."""
    from textemb.errors import MissingDependencyError, ModelNotInstalledError

    if spec is not None:
        return load_announced(spec, device, quiet=quiet)
    try:
        return load_announced(DEFAULT_SEARCH_SPEC, device, quiet=quiet)
    except (MissingDependencyError, ModelNotInstalledError) as exc:
        from textemb.search import default_encoder

        warnings.warn(f"{DEFAULT_SEARCH_SPEC} is not available ({exc}); using the library's default encoder",
                      stacklevel=2)
        return default_encoder(device)


def announce_indexing(docs: str, target: object, spec: str, *, first: bool, loads: bool = False) -> None:
    """One line before indexing: what, with which encoder, and for a first indexing the estimated time
    (``loads``: the index loads its own encoder next, which is said when that is slow)."""
    from textemb_cli.commands._cost import SLOW, encode_seconds, load_message, text_bytes

    from textemb.progress import announce, format_duration

    if not first:
        load = load_message(spec) if loads else None
        announce(f"updating {shown(target)} from {shown(docs)} with {shown(spec)} (only new or changed files are "
                 f"encoded{'; loading it: ' + load if load else ''})")
        return
    n_bytes = text_bytes(docs)
    seconds = encode_seconds(spec, n_bytes)
    cost = (f"; about {format_duration(seconds)} for {n_bytes / 1e6:,.1f} MB on 2 CPUs, longer on a busy machine"
            if seconds >= SLOW else "")
    announce(f"indexing {shown(docs)} into {shown(target)} with {shown(spec)} (first time: every file is encoded"
             f"{cost}; progress follows)")
