"""Options shared by several commands."""

from __future__ import annotations

import argparse

DEFAULT_WORD_ENCODER = "glove-6b-50d"


def add_encoder_args(p: argparse.ArgumentParser, default: str = DEFAULT_WORD_ENCODER) -> None:
    p.add_argument("--encoder", "-e", default=default, metavar="SPEC",
                   help=f"encoder spec (default: {default}); see 'textemb models'")
    p.add_argument("--device", default="cpu", metavar="DEV", help="cpu (default), auto, cuda, cuda:N or mps")


def add_json_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for machines")


def load_word_vectors(args: argparse.Namespace):
    """The encoder named by ``--encoder``, which must offer word vectors."""
    from textemb import load_encoder
    from textemb.errors import InputError
    from textemb.vectors import WordVectors

    enc = load_encoder(args.encoder, device=args.device)
    if isinstance(enc, WordVectors):
        return enc
    as_wv = getattr(enc, "word_vectors", None)
    if callable(as_wv):
        return as_wv()
    raise InputError(f"encoder {args.encoder!r} has no word vectors; use a word-vector spec such as glove-6b-50d")
