"""textemb eval analogy|similarity|all : benchmarks, printed as tables and written as reports."""

from __future__ import annotations

import argparse

from textemb.text import printable
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
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output on stderr")
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
    s.add_argument("--delimiter", default=None, metavar="CHAR",
                   help="field delimiter of a PATH dataset: '\\t' (or tab), ',', ';', ' ' (runs of blanks, "
                        "as MEN); default: detected (tab, then comma, then blanks)")
    s.add_argument("--encoding", default="utf-8", help="text encoding of a PATH dataset (default utf-8; e.g. latin-1)")
    s.add_argument("--quoting", choices=["auto", "csv", "none"], default="auto",
                   help="auto (default): RFC 4180 quoted CSV for ',' and ';' files, quotes as text for tab files; "
                        "csv or none to force")
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
                                       delimiter=_delimiter(args), encoding=args.encoding, quoting=args.quoting,
                                       show_progress=False if args.quiet else None)
    if NAMED_DATASETS.get(dataset, ("",))[0] == "documents":
        return evaluate_documents(enc, dataset, show_progress=False if args.quiet else None)
    return evaluate_word_pairs(_word_vectors(enc, spec), dataset, restrict_vocab=_restrict(args),
                               case_insensitive=not args.case_sensitive, oov=getattr(args, "oov", "skip"),
                               delimiter=_delimiter(args), encoding=getattr(args, "encoding", "utf-8"),
                               quoting=getattr(args, "quoting", "auto"))


def _delimiter(args) -> str | None:
    from textemb.evaluation.delimited import parse_delimiter

    return parse_delimiter(getattr(args, "delimiter", None))


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
    """Run the benchmarks; DataWarnings go to stderr, and under --json errors are JSON on stderr."""
    import warnings

    from textemb.errors import TextembError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            results, notes = _run_all(args)
        except TextembError as exc:
            _print_warnings(caught, args)
            if not args.json:
                raise
            _stderr_json({"error": str(exc), "type": type(exc).__name__})
            return 1
    _print_warnings(caught, args)
    if args.json:
        print_json({"results": [r.to_dict() for r in results], "notes": notes})
        return 0
    _print(results)
    for n in notes:
        print(printable(n))
    return 0


def _run_all(args) -> tuple[list, list[str]]:
    results: list = []
    notes: list[str] = []
    specs = [] if args.task == "retrieval" else _encoders(args)
    for n_spec, spec in enumerate(specs, 1):
        _progress(args, f"[{n_spec}/{len(specs)}] loading {spec}")
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
                for method in ("3cosadd", "3cosmul"):
                    _progress(args, f"[{n_spec}/{len(specs)}] {spec}: google analogies ({method})")
                    results.append(_analogy(wv, args, method))
                for name in ("wordsim353", "simlex999"):
                    _progress(args, f"[{n_spec}/{len(specs)}] {spec}: {name}")
                    results.append(_similarity(enc, spec, args, name))
            _progress(args, f"[{n_spec}/{len(specs)}] {spec}: lee documents")
            results.append(_similarity(enc, spec, args, "lee"))
        for r in results[first:]:  # label results with the spec as typed (it may carry options)
            r.encoder = spec
    if args.task == "retrieval":
        results = _retrieval(args)
    if args.report:
        from textemb.evaluation import write_report

        path = write_report(results, args.report)
        notes.append(f"report written to {path}")
    return results, notes


def _progress(args, message: str) -> None:
    """A progress line on stderr for long runs (several encoders or `eval all`), unless --quiet."""
    import sys

    from textemb.text import printable

    if args.quiet or (args.task != "all" and len(_encoders(args)) < 2):
        return
    print(printable(message), file=sys.stderr, flush=True)


def _print_warnings(caught, args) -> None:
    import sys

    from textemb.text import printable

    for w in caught:
        if args.json:
            _stderr_json({"warning": str(w.message), "type": w.category.__name__})
        else:
            print(f"textemb: warning: {printable(str(w.message))}", file=sys.stderr)


def _stderr_json(obj: dict) -> None:
    import json
    import sys

    sys.stderr.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _print(results) -> None:
    if len(results) == 1 and results[0].task == "analogy":
        r = results[0]
        print(table(["section", "correct", "total", "accuracy"],
                    [[s["section"], s["correct"], s["total"], s["accuracy"]] for s in r.sections]))
        print()
        print(f"{printable(r.summary())}  ({r.metrics['correct']:,} of {r.metrics['evaluated']:,} evaluated, "
              f"{r.metrics['oov_questions']} OOV questions, {r.settings['elapsed_s']:.2f} s)")
        return
    encoders = list(dict.fromkeys(r.encoder for r in results))
    rows: dict[tuple[str, str], dict] = {}
    for r in results:
        bench = _benchmark_name(r)
        metrics = ("spearman", "pearson") if r.task != "analogy" else (r.primary,)
        for m in metrics:
            rows.setdefault((bench, m), {})[r.encoder] = r.metrics.get(m)
    print(table(["benchmark", "metric", *encoders],
                [[b, m, *(vals.get(e) for e in encoders)] for (b, m), vals in rows.items()]))
    if len(results) == 1:
        r = results[0]
        extra = {k: v for k, v in r.metrics.items() if k not in ("spearman", "pearson")}
        print(printable("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items())))
    for line in dict.fromkeys(_conventions(r) for r in results if r.task != "analogy"):
        print(line)


def _benchmark_name(r) -> str:
    from textemb.evaluation.report import comparison

    return comparison([r])["rows"][0]["benchmark"]


def _conventions(r) -> str:
    """One line: similarity function, dataset sha256, model hash/revision, weighting settings."""
    from textemb.text import printable

    st = r.settings
    files = ", ".join(f"{f['path'].rsplit('/', 1)[-1]} sha256 {f['sha256'][:12]}" for f in st.get("dataset", {}).get("files", []))
    model = st.get("model", {})
    parts = [f"{r.encoder}: similarity={st.get('similarity', 'cosine')}", f"dataset {files}"]
    if model.get("revision"):
        parts.append(f"revision {model['revision'][:12]}")
    if model.get("weights_sha256"):
        parts.append(f"weights sha256 {model['weights_sha256'][:12]}")
    weighting = model.get("weighting")
    if weighting:
        keys = ("method", "freq", "a", "pc", "corpus")
        parts.append("weighting " + " ".join(f"{k}={weighting[k]}" for k in keys if k in weighting))
    return printable("  ·  ".join(parts))
