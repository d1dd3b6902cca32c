"""textemb eval analogy|similarity|all : benchmarks, printed as tables and written as reports."""

from __future__ import annotations

import argparse

from textemb_cli.commands.common import DEFAULT_WORD_ENCODER, add_json_arg
from textemb_cli.output import print_json, table


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoder", "-e", action="append", metavar="SPEC",
                   help=f"encoder spec; repeat to compare several side by side (default: {DEFAULT_WORD_ENCODER})")
    p.add_argument("--device", default="cpu", metavar="DEV", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--report", "-o", metavar="FILE", help="write a report: .html (with plots), .md or .json")
    p.add_argument("--restrict-vocab", type=int, default=300_000, metavar="N",
                   help="only the N most frequent words are known and candidates (default 300000, as gensim; 0 = all)")
    p.add_argument("--case-sensitive", action="store_true",
                   help="match words as written (default: upper-case both sides, as gensim)")
    add_json_arg(p)


def add_parser(sub):
    p = sub.add_parser("eval", help="run benchmarks (analogies, word/document/sentence similarity)",
                       description="Evaluate encoders on analogy and similarity benchmarks; write HTML/Markdown/JSON reports.")
    tasks = p.add_subparsers(dest="task", metavar="TASK")
    tasks.required = True

    a = tasks.add_parser("analogy", help="a : b :: c : ? accuracy (Google analogy set by default)",
                         description="Analogy accuracy with gensim's conventions (same counts as "
                                     "gensim's evaluate_word_analogies for 3cosadd).")
    a.add_argument("--dataset", "-d", default="google", metavar="NAME|PATH", help="google (default) or a file in that format")
    a.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd")
    a.add_argument("--oov", choices=["skip", "wrong"], default="skip",
                   help="questions with unknown words: skip (default, gensim) or count as wrong")
    _common(a)

    s = tasks.add_parser("similarity", help="correlation with human similarity scores",
                         description="Word pairs (wordsim353, simlex999 or a word1<TAB>word2<TAB>score file), "
                                     "Lee documents (lee), or sentence pairs from any delimited file (--columns).")
    s.add_argument("--dataset", "-d", default="wordsim353", metavar="NAME|PATH",
                   help="wordsim353 (default), simlex999, lee, or a path")
    s.add_argument("--columns", metavar="SCORE,TEXT1,TEXT2",
                   help="sentence pairs: the score and two text columns (0-based indices or header names)")
    s.add_argument("--delimiter", default="\t", help="field delimiter of a PATH dataset (default: tab)")
    s.add_argument("--oov", choices=["skip", "zero"], default="skip",
                   help="word pairs with unknown words: skip (default, gensim) or score 0")
    _common(s)

    al = tasks.add_parser("all", help="every benchmark, several encoders side by side in one report",
                          description="Analogies (3CosAdd and 3CosMul), WordSim-353, SimLex-999 and Lee documents "
                                      "for each --encoder; word-level benchmarks use the encoder's word vectors.")
    _common(al)
    _add_retrieval(tasks)
    return p


def _add_retrieval(tasks) -> None:
    """``textemb eval retrieval``: dense, bm25 and hybrid search side by side on a BEIR folder."""
    r = tasks.add_parser("retrieval", help="search quality on a BEIR folder: nDCG@10, MRR@10, Recall@k",
                         description="Index the corpus once (in memory) and rank every query with dense, bm25 and "
                                     "hybrid search; metrics by ir-measures (BEIR/MTEB conventions).")
    r.add_argument("--dataset", "-d", required=True, metavar="BEIR_FOLDER",
                   help="folder with corpus.jsonl, queries.jsonl and qrels.tsv (or qrels/test.tsv)")
    r.add_argument("--corpus", metavar="FILE", help="corpus.jsonl kept elsewhere (e.g. corpora/wikipedia-sample)")
    r.add_argument("--mode", action="append", choices=["dense", "bm25", "hybrid"],
                   help="modes to run (repeat; default: all three)")
    r.add_argument("--fusion", choices=["weighted", "rrf"], default="weighted", help="hybrid fusion (default weighted)")
    r.add_argument("--doc-score", choices=["max", "mean"], default="max")
    _common(r)


def _encoders(args) -> list[str]:
    return args.encoder or [DEFAULT_WORD_ENCODER]


def _load(spec: str, args):
    from textemb import load_encoder

    return load_encoder(spec, device=args.device)


def _word_vectors(enc, spec: str):
    from textemb.errors import InputError
    from textemb.vectors import WordVectors

    if isinstance(enc, WordVectors):
        return enc
    as_wv = getattr(enc, "word_vectors", None)
    if callable(as_wv):
        return as_wv()
    raise InputError(f"encoder {spec!r} has no word vectors for word-level benchmarks")


def _restrict(args) -> int | None:
    return args.restrict_vocab or None


def _analogy(wv, args, method: str, dataset: str = "google", oov: str = "skip"):
    from textemb.evaluation import evaluate_analogies

    return evaluate_analogies(wv, dataset, method=method, restrict_vocab=_restrict(args),
                              case_insensitive=not args.case_sensitive, oov=oov, device=args.device)


def _similarity(enc, spec: str, args, dataset: str):
    from textemb.evaluation import evaluate_documents, evaluate_sentence_pairs, evaluate_word_pairs
    from textemb.evaluation.datasets import NAMED_DATASETS

    if getattr(args, "columns", None):
        cols = [int(c) if c.strip().lstrip("-").isdigit() else c.strip() for c in args.columns.split(",")]
        if len(cols) != 3:
            from textemb.errors import InputError

            raise InputError(f"--columns needs SCORE,TEXT1,TEXT2, got {args.columns!r}")
        return evaluate_sentence_pairs(enc, dataset, score_col=cols[0], text1_col=cols[1], text2_col=cols[2],
                                       delimiter=args.delimiter)
    if NAMED_DATASETS.get(dataset, ("",))[0] == "documents":
        return evaluate_documents(enc, dataset)
    return evaluate_word_pairs(_word_vectors(enc, spec), dataset, restrict_vocab=_restrict(args),
                               case_insensitive=not args.case_sensitive, oov=getattr(args, "oov", "skip"),
                               delimiter=getattr(args, "delimiter", "\t"))


def _retrieval(args) -> list:
    from textemb.search.retrieval import evaluate_retrieval, load_beir

    data = load_beir(args.dataset, corpus=args.corpus)
    out = []
    for spec in args.encoder or ["all-MiniLM-L6-v2"]:
        for r in evaluate_retrieval(data, _load(spec, args), modes=args.mode or ("dense", "bm25", "hybrid"),
                                    doc_score=args.doc_score, fusion=args.fusion):
            r.encoder = spec
            out.append(r)
    return out


def run(args) -> int:
    results = []
    notes = []
    for spec in [] if args.task == "retrieval" else _encoders(args):
        enc = _load(spec, args)
        first = len(results)
        if args.task == "analogy":
            results.append(_analogy(_word_vectors(enc, spec), args, args.method, args.dataset, args.oov))
        elif args.task == "similarity":
            results.append(_similarity(enc, spec, args, args.dataset))
        else:
            from textemb.errors import InputError

            try:
                wv = _word_vectors(enc, spec)
            except InputError as exc:
                wv = None
                notes.append(f"{spec}: word-level benchmarks skipped ({exc})")
            if wv is not None:
                results.append(_analogy(wv, args, "3cosadd"))
                results.append(_analogy(wv, args, "3cosmul"))
                for name in ("wordsim353", "simlex999"):
                    results.append(_similarity(enc, spec, args, name))
            results.append(_similarity(enc, spec, args, "lee"))
        for r in results[first:]:  # label results with the spec as typed (it may carry options)
            r.encoder = spec
    if args.task == "retrieval":
        results = _retrieval(args)
    if args.report:
        from textemb.evaluation import write_report

        path = write_report(results, args.report)
        notes.append(f"report written to {path}")
    if args.json:
        print_json({"results": [r.to_dict() for r in results], "notes": notes})
        return 0
    _print(results)
    for n in notes:
        print(n)
    return 0


def _print(results) -> None:
    from textemb.evaluation.report import comparison

    if len(results) == 1 and results[0].task == "analogy":
        r = results[0]
        print(table(["section", "correct", "total", "accuracy"],
                    [[s["section"], s["correct"], s["total"], s["accuracy"]] for s in r.sections]))
        print()
        print(f"{r.summary()}  ({r.metrics['correct']:,} of {r.metrics['evaluated']:,} evaluated, "
              f"{r.metrics['oov_questions']} OOV questions, {r.settings['elapsed_s']:.2f} s)")
        return
    comp = comparison(results)
    print(table(["benchmark", "metric", *comp["encoders"]],
                [[row["benchmark"], row["metric"], *(row["values"].get(e) for e in comp["encoders"])]
                 for row in comp["rows"]]))
    if len(results) == 1:
        r = results[0]
        extra = {k: v for k, v in r.metrics.items() if k not in ("spearman", "pearson")}
        print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items()))
