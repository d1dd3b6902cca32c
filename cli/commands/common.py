"""Options shared by several commands."""

from __future__ import annotations

import argparse

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
    """``load_encoder(--encoder)``, with a line first when the backend loads torch and a model (seconds to a minute)."""
    from textemb import load_encoder
    from textemb.encoders.registry import backend_of
    from textemb.progress import announce
    from textemb.text import printable

    backend = backend_of(args.encoder)
    if backend is not None and backend.extra == "contextual":
        announce(f"loading {printable(args.encoder)} (torch and the model: a few seconds, up to a minute on a busy CPU)")
    return load_encoder(args.encoder, device=args.device)


def oov_for_cli(exc, command: str, encoder: str):
    """An :class:`OOVError` re-worded with what exists on this command line (it has no ``--oov``)."""
    from textemb.errors import OOVError

    return OOVError(exc.words, vocab_size=getattr(exc, "vocab_size", None),
                    hint=f"check spelling and case; `textemb {command}` needs every word in the vocabulary of "
                         f"{encoder}: try other words or another --encoder")
