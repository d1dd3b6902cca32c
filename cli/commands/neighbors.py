"""textemb neighbors WORD... : nearest words by cosine similarity."""

from __future__ import annotations

from textemb_cli.commands.common import add_encoder_args, add_json_arg, at_least, load_word_vectors, oov_for_cli
from textemb_cli.output import print_json, table

from textemb.text import printable


def add_parser(sub):
    p = sub.add_parser("neighbors", help="nearest words of one or more words",
                       description="Print the nearest words (cosine similarity) of each WORD.")
    p.add_argument("words", nargs="+", metavar="WORD", help="one or more words (each must be in the vocabulary)")
    p.add_argument("-k", "--topn", type=at_least(1), default=10, help="neighbours per word (default 10)")
    p.add_argument("--restrict-vocab", type=at_least(0), default=None, metavar="N", help="neighbours come only from the N most "
                                                                                 "frequent words (default: the whole vocabulary)")
    add_encoder_args(p)
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.errors import OOVError

    wv = load_word_vectors(args)
    missing = [w for w in args.words if w not in wv]
    if missing:  # all unknown words in one message, before any search
        raise oov_for_cli(OOVError(missing, vocab_size=len(wv)), "neighbors", args.encoder)
    results = {w: wv.most_similar(w, topn=args.topn, restrict_vocab=args.restrict_vocab) for w in args.words}
    if args.json:
        print_json({"encoder": wv.spec, "neighbors": {w: [{"word": x, "score": s} for x, s in hits]
                                                      for w, hits in results.items()}})
        return 0
    for i, (w, hits) in enumerate(results.items()):
        if i:
            print()
        print(f"nearest to {printable(repr(w))} ({printable(wv.name)}):")
        print(table(["rank", "word", "cosine"], [[r, x, s] for r, (x, s) in enumerate(hits, 1)]))
    return 0
