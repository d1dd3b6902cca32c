"""textemb encode TEXT... : print vectors (or their norms) for texts."""

from __future__ import annotations

import sys

import numpy as np
from textemb_cli.commands.common import add_encoder_args, add_force_arg, add_json_arg, at_least, shown
from textemb_cli.output import print_json, table

from textemb.text import printable


def add_parser(sub):
    p = sub.add_parser("encode", help="encode texts into vectors",
                       description="Encode each TEXT (or lines of --file, or stdin with '-') and print the vectors.")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to encode (quote each); '-' reads lines from stdin")
    p.add_argument("--file", "-f", default=None, metavar="PATH", help="also encode each line of this UTF-8 file")
    p.add_argument("--normalize", action="store_true", help="scale each vector to length 1")
    p.add_argument("--batch-size", type=at_least(1), default=32, metavar="N",
                   help="texts encoded together (default 32); larger is faster on a GPU, uses more memory")
    p.add_argument("--output", "-o", default=None, metavar="NPY",
                   help="save the matrix as a .npy file (float32, rows in input order) instead of printing, "
                        "e.g. out/vectors.npy")
    p.add_argument("--tokens", action="store_true",
                   help="contextual encoders: print one vector per word and cross-text similarities of shared words")
    add_force_arg(p, "the --output file")
    add_encoder_args(p)
    add_json_arg(p)
    return p


def _texts(args) -> list[str]:
    from textemb.errors import InputError

    texts = list(args.texts)
    if texts == ["-"]:
        texts = [line.rstrip("\n") for line in sys.stdin]
    if args.file:
        from textemb.io.bounded import read_text_lines

        texts += read_text_lines(args.file)
    if not texts:
        raise InputError("nothing to encode: give TEXT arguments, --file PATH, or '-' for stdin")
    return texts


def run(args) -> int:
    from textemb_cli.commands.common import check_output_file, load

    from textemb.encoders.capabilities import token_embedder_of
    from textemb.errors import InputError

    if args.output and not args.output.lower().endswith(".npy"):
        raise InputError(f"--output {shown(args.output)}: give a .npy file name (e.g. out/vectors.npy)")
    if args.output:
        check_output_file(args.output, args.force)
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    texts = _texts(args)
    enc = load(args)
    if args.tokens:
        return _print_tokens(token_embedder_of(enc, args.encoder), texts, args)
    vecs = enc.encode(texts, batch_size=args.batch_size, normalize=args.normalize)
    if args.output:
        from textemb.io.atomic import atomic_open

        with atomic_open(args.output) as fh:
            np.save(fh, vecs, allow_pickle=False)
        print(f"wrote {vecs.shape[0]} x {vecs.shape[1]} float32 to {printable(args.output)}")
        return 0
    if args.json:
        print_json({"encoder": enc.spec, "dim": enc.dim, "vectors": vecs})
        return 0
    for text, v in zip(texts, vecs):
        head = " ".join(f"{x:+.4f}" for x in v[:6])
        print(f"{printable(repr(text[:50])):54} dim={enc.dim} norm={np.linalg.norm(v):.4f}  [{head} ...]")
    return 0


def _print_tokens(enc, texts: list[str], args) -> int:
    per_text = [enc.embed_tokens(t) for t in texts]
    if args.json:
        print_json({"encoder": enc.spec, "texts": [
            {"text": t, "tokens": [{"word": w, "norm": float(np.linalg.norm(v)), "vector": v} for w, v in zip(words, vecs)]}
            for t, (words, vecs) in zip(texts, per_text)]})
        return 0
    for t, (words, vecs) in zip(texts, per_text):
        print(printable(repr(t)))
        print(table(["word", "norm", "first values"],
                    [[w, float(np.linalg.norm(v)), " ".join(f"{x:+.3f}" for x in v[:4])] for w, v in zip(words, vecs)]))
        print()
    # the same word in different texts: contextual vectors differ
    shared = sorted(set.intersection(*(set(w.lower() for w in ws) for ws, _ in per_text))) if len(per_text) > 1 else []
    for word in shared:
        rows = []
        for ws, vs in per_text:
            j = [w.lower() for w in ws].index(word)
            rows.append(vs[j] / (np.linalg.norm(vs[j]) or 1.0))
        sims = [float(rows[0] @ r) for r in rows[1:]]
        print(f"{printable(repr(word))}: cosine between its vector in text 1 and texts 2..: "
              + ", ".join(f"{s:.4f}" for s in sims))
    if shared:
        print("(contextual vectors: a static word vector such as GloVe would give 1.0000 for every shared word)")
    return 0
