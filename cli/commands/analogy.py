"""textemb analogy A B C : solve A : B :: C : ? (the order of the Google analogy file)."""

from __future__ import annotations

from textemb.text import printable
from textemb_cli.commands.common import add_encoder_args, add_json_arg, load_word_vectors
from textemb_cli.output import print_json, table


def add_parser(sub):
    p = sub.add_parser("analogy", help="solve a : b :: c : ?",
                       description="Solve A : B :: C : ?  e.g. 'textemb analogy man king woman' -> queen.")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("c")
    p.add_argument("-k", "--topn", type=int, default=5, help="answers to show (default 5)")
    p.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd")
    p.add_argument("--restrict-vocab", type=int, default=None, metavar="N")
    add_encoder_args(p)
    add_json_arg(p)
    return p


def run(args) -> int:
    wv = load_word_vectors(args)
    hits = wv.analogy(args.a, args.b, args.c, topn=args.topn, method=args.method, restrict_vocab=args.restrict_vocab)
    if args.json:
        print_json({"encoder": wv.spec, "question": [args.a, args.b, args.c], "method": args.method,
                    "answers": [{"word": w, "score": s} for w, s in hits]})
        return 0
    a, b, c, name = (printable(x) for x in (args.a, args.b, args.c, wv.name))
    print(f"{a} : {b} :: {c} : ?   ({args.method}, {name})")
    print(table(["rank", "word", "score"], [[r, w, s] for r, (w, s) in enumerate(hits, 1)]))
    return 0
