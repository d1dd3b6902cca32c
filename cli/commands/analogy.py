"""textemb analogy A B C : solve A : B :: C : ? (the order of the Google analogy file)."""

from __future__ import annotations

from textemb_cli.commands.common import add_encoder_args, add_json_arg, at_least, load_word_vectors, oov_for_cli
from textemb_cli.output import print_json, table

from textemb.text import printable


def add_parser(sub):
    p = sub.add_parser("analogy", help="solve a : b :: c : ?",
                       description="Solve A : B :: C : ?  e.g. 'textemb analogy man king woman' -> queen "
                                   "(man is to king as woman is to ?). Needs word vectors: GloVe, word2vec, "
                                   "or bert:MODEL (word vectors built from its vocabulary on first use, then cached).")
    p.add_argument("a", metavar="A", help="first word of the known pair (man)")
    p.add_argument("b", metavar="B", help="its partner (king)")
    p.add_argument("c", metavar="C", help="the word whose partner is asked for (woman)")
    p.add_argument("-k", "--topn", type=at_least(1), default=5, help="answers to show (default 5)")
    p.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd",
                   help="3cosadd (default): nearest to B - A + C, as gensim's most_similar; "
                        "3cosmul: Levy & Goldberg's multiplicative form, less dominated by one large similarity")
    p.add_argument("--restrict-vocab", type=at_least(0), default=None, metavar="N",
                   help="answers come only from the N most frequent words (default: the whole vocabulary)")
    add_encoder_args(p)
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.errors import OOVError

    wv = load_word_vectors(args)
    try:
        hits = wv.analogy(args.a, args.b, args.c, topn=args.topn, method=args.method,
                          restrict_vocab=args.restrict_vocab)
    except OOVError as exc:
        raise oov_for_cli(exc, "analogy", args.encoder) from None
    if args.json:
        print_json({"encoder": wv.spec, "question": [args.a, args.b, args.c], "method": args.method,
                    "answers": [{"word": w, "score": s} for w, s in hits]})
        return 0
    a, b, c, name = (printable(x) for x in (args.a, args.b, args.c, wv.name))
    print(f"{a} : {b} :: {c} : ?   ({args.method}, {name})")
    print(table(["rank", "word", "score"], [[r, w, s] for r, (w, s) in enumerate(hits, 1)]))
    return 0
