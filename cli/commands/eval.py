"""textemb eval analogy|similarity|all : benchmarks, printed as tables and written as reports."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from textemb_cli.commands._eval_retrieval import add_retrieval, print_retrieval, retrieval
from textemb_cli.commands.common import DEFAULT_WORD_ENCODER, add_json_arg, at_least
from textemb_cli.output import print_json

from textemb.text import printable


def _common(p: argparse.ArgumentParser) -> None:
    """Options of the word-level and text-level benchmarks (analogy, similarity, all)."""
    p.add_argument("--encoder", "-e", action="append", metavar="SPEC",
                   help=f"encoder spec; repeat to compare several side by side (default: {DEFAULT_WORD_ENCODER})")
    p.add_argument("--device", default="cpu", metavar="DEV", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--restrict-vocab", type=at_least(0), default=300_000, metavar="N",
                   help="only the N most frequent words count as known and as answers; questions or pairs with "
                        "another word are skipped (default 300000, as gensim; 0 = the whole vocabulary)")
    p.add_argument("--case-sensitive", action="store_true",
                   help="match words as written (default: upper-case both sides, as gensim)")
    p.add_argument("--items", choices=["common", "own"], default="common",
                   help="with several --encoder: common (default) scores every model on the items all of them "
                        "cover and also shows each on its own items; own: only each on its own items")
    _report_args(p)


def _report_args(p: argparse.ArgumentParser) -> None:
    """Options every eval task has: --report/--force, --quiet, --json."""
    p.add_argument("--report", "-o", metavar="FILE",
                   help="also write a report, its format from the extension: .html (with plots), .md or .json "
                        "(checked before anything runs; e.g. out/report.html)")
    p.add_argument("--force", action="store_true",
                   help="replace the --report file even when textemb cannot tell it wrote it (reports textemb "
                        "wrote are replaced without it)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
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
    a.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd",
                   help="3cosadd (default, gensim's): nearest to b - a + c; 3cosmul: Levy & Goldberg's "
                        "multiplicative form")
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
    s.add_argument("--encoding", default="utf-8", metavar="NAME", help="text encoding of a PATH dataset (default utf-8; e.g. "
                                                                       "latin-1)")
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
    add_retrieval(tasks, _report_args)
    return p


def run(args) -> int:
    """Run the benchmarks; DataWarnings go to stderr (errors too: under --json the entry point prints them as
    JSON on stdout)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            results, notes = _run_all(args)
        finally:
            _print_warnings(caught, args)
    if args.json:
        from textemb.evaluation.conventions import conventions
        from textemb.evaluation.report import comparison

        print_json({"conventions": conventions(results), "comparison": comparison(results),
                    "results": [r.to_dict() for r in results], "notes": notes})
        return 0
    from textemb_cli.commands._eval_print import print_results

    print_retrieval(results) if args.task == "retrieval" else print_results(results)
    for n in notes:
        print(printable(n))
    return 0


def _encoders(args) -> list[str]:
    return list(dict.fromkeys(args.encoder or [DEFAULT_WORD_ENCODER]))


@dataclass
class _Model:
    spec: str
    enc: object
    wv: object | None  # its word vectors, None where it has none (eval all skips word-level benchmarks)


@dataclass(frozen=True)
class _Job:
    kind: str  # analogy | word-pairs | documents | sentences
    dataset: str
    method: str = ""
    oov: str = "skip"

    @property
    def label(self) -> str:
        return f"{self.dataset} ({self.method})" if self.method else self.dataset


def _jobs(args) -> list[_Job]:
    """The benchmarks a run asks for, decided from the arguments alone."""
    from textemb.evaluation.datasets import NAMED_DATASETS

    if args.task == "analogy":
        return [_Job("analogy", args.dataset, args.method, args.oov)]
    if args.task == "similarity":
        if args.columns:
            return [_Job("sentences", args.dataset)]
        if NAMED_DATASETS.get(args.dataset, ("",))[0] == "documents":
            return [_Job("documents", args.dataset)]
        return [_Job("word-pairs", args.dataset, oov=args.oov)]
    return [_Job("analogy", "google", "3cosadd"), _Job("analogy", "google", "3cosmul"),
            _Job("word-pairs", "wordsim353"), _Job("word-pairs", "simlex999"), _Job("documents", "lee")]


def _check_args(args, specs: list[str], jobs: list[_Job]) -> None:
    """Everything that can be checked without loading a model, checked first (not after minutes of work)."""
    from textemb.encoders.registry import check_word_vectors
    from textemb.evaluation.datasets import resolve_dataset

    _check_report(args)
    if getattr(args, "columns", None):
        _columns(args)
    kinds = {"analogy": "analogy", "word-pairs": "word-pairs", "documents": "documents", "sentences": "sentence-pairs"}
    for job in jobs:
        resolve_dataset(job.dataset, kinds[job.kind])
    if args.task != "all" and jobs[0].kind in ("analogy", "word-pairs"):
        for spec in specs:
            check_word_vectors(spec)


def _check_report(args) -> None:
    """The --report file's format and ownership, before anything runs."""
    from textemb_cli.commands.common import check_output_file

    from textemb.evaluation.report import format_for

    if args.report:
        format_for(args.report)
        check_output_file(args.report, args.force)


def _load_all(args, specs: list[str], jobs: list[_Job], notes: list[str]) -> list[_Model]:
    """Load every encoder (and its word vectors, where word-level benchmarks run) before scoring anything."""
    from textemb import load_encoder
    from textemb.encoders.capabilities import word_vectors_of
    from textemb.encoders.registry import check_word_vectors
    from textemb.errors import InputError

    word_level = any(j.kind in ("analogy", "word-pairs") for j in jobs)
    models = []
    for n, spec in enumerate(specs, 1):
        skip = None
        if word_level:
            try:
                check_word_vectors(spec)  # eval all: a sentence model still runs the document benchmark
            except InputError as exc:
                skip = exc
        _progress(args, f"[{n}/{len(specs)}] loading {spec}")
        enc = load_encoder(spec, device=args.device)
        wv = None
        if word_level and skip is None:
            try:
                wv = word_vectors_of(enc, spec)
            except InputError as exc:
                if args.task != "all":
                    raise
                skip = exc
        if skip is not None:
            notes.append(f"{spec}: word-level benchmarks skipped ({skip})")
        models.append(_Model(spec, enc, wv))
    return models


def _run_all(args) -> tuple[list, list[str]]:
    import tempfile

    if args.task == "retrieval":
        _check_report(args)
        return retrieval(args, _progress)
    results: list = []
    notes: list[str] = []
    specs = _encoders(args)
    jobs = _jobs(args)
    _check_args(args, specs, jobs)
    models = _load_all(args, specs, jobs, notes)
    with tempfile.TemporaryDirectory(prefix="textemb-common-items-") as tmp:
        for job in jobs:
            if job.kind in ("analogy", "word-pairs"):
                results += _word_level(job, [m for m in models if m.wv is not None], args, tmp)
            else:
                for n, m in enumerate(models, 1):
                    _progress(args, f"[{n}/{len(models)}] {m.spec}: {job.label}")
                    results.append(_labelled(_text_level(job, m, args), m.spec, None))
    if args.report:
        from textemb.evaluation import write_report

        path = write_report(results, args.report)
        notes.append(f"report written to {path}")
    return results, notes


def _word_level(job: _Job, models: list[_Model], args, tmp: str) -> list:
    """Each model on the items all of them cover (when comparing), and on all the items it covers itself."""
    from textemb.evaluation.common_items import relabel

    common = _common_items(job, models, args, tmp) if args.items == "common" and len(models) > 1 else None
    out = []
    for n, m in enumerate(models, 1):
        if common is not None:
            _progress(args, f"[{n}/{len(models)}] {m.spec}: {job.label} on the {common.common:,} common items")
            r = _evaluate_words(job, m, args, common.path)
            relabel(r, common)
            out.append(_labelled(r, m.spec, "common"))
        _progress(args, f"[{n}/{len(models)}] {m.spec}: {job.label}" + (" on its own items" if common else ""))
        out.append(_labelled(_evaluate_words(job, m, args), m.spec, "own"))
    return out


def _common_items(job: _Job, models: list[_Model], args, tmp: str):
    from textemb.evaluation.common_items import common_analogies, common_word_pairs

    labelled = {m.spec: m.wv for m in models}
    if job.kind == "analogy":
        items = common_analogies(job.dataset, labelled, folder=tmp, restrict_vocab=_restrict(args),
                                 case_insensitive=not args.case_sensitive)
    else:
        items = common_word_pairs(job.dataset, labelled, folder=tmp, restrict_vocab=_restrict(args),
                                  case_insensitive=not args.case_sensitive, delimiter=_delimiter(args),
                                  encoding=getattr(args, "encoding", "utf-8"), quoting=getattr(args, "quoting", "auto"))
    counts = ", ".join(f"{spec} {n:,}" for spec, n in items.covered.items())
    _progress(args, f"{job.label}: {items.common:,} of {items.total:,} items are known to all {len(models)} models "
                    f"({counts}); every model is scored on those, and on its own items")
    return items


def _evaluate_words(job: _Job, m: _Model, args, common=None):
    """One word-level benchmark on the whole dataset, or on ``common`` (the common-items file)."""
    from textemb.evaluation import evaluate_analogies, evaluate_word_pairs

    dataset = common or job.dataset
    if job.kind == "analogy":
        return evaluate_analogies(m.wv, dataset, method=job.method, restrict_vocab=_restrict(args),
                                  case_insensitive=not args.case_sensitive, oov=job.oov, device=args.device)
    return evaluate_word_pairs(m.wv, dataset, restrict_vocab=_restrict(args), case_insensitive=not args.case_sensitive,
                               oov=job.oov, delimiter="," if common else _delimiter(args),
                               encoding="utf-8" if common else getattr(args, "encoding", "utf-8"),
                               quoting="csv" if common else getattr(args, "quoting", "auto"))


def _text_level(job: _Job, m: _Model, args):
    from textemb.evaluation import evaluate_documents, evaluate_sentence_pairs

    quiet = False if args.quiet else None
    if job.kind == "documents":
        return evaluate_documents(m.enc, job.dataset, show_progress=quiet)
    cols = _columns(args)
    return evaluate_sentence_pairs(m.enc, job.dataset, score_col=cols[0], text1_col=cols[1], text2_col=cols[2],
                                   delimiter=_delimiter(args), encoding=args.encoding, quoting=args.quoting,
                                   show_progress=quiet)


def _labelled(r, spec: str, items: str | None):
    """Label a result with the spec as typed (it may carry options) and with the items it was scored on."""
    from textemb.evaluation.common_items import coverage

    r.encoder = spec
    if items == "own":
        covered, total = coverage(r)
        r.settings["items"] = {"items": "own", "covered": covered, "total": total}
    elif items is None:
        r.settings.setdefault("items", {"items": "all", "total": coverage(r)[1]})
    return r


def _columns(args) -> list:
    from textemb.errors import InputError

    cols = [int(c) if c.strip().lstrip("-").isdigit() else c.strip() for c in args.columns.split(",")]
    if len(cols) != 3:
        raise InputError(f"--columns needs SCORE,TEXT1,TEXT2, got {args.columns!r}")
    return cols


def _restrict(args) -> int | None:
    return args.restrict_vocab or None


def _delimiter(args) -> str | None:
    from textemb.evaluation.delimited import parse_delimiter

    return parse_delimiter(getattr(args, "delimiter", None))


def _progress(args, message: str) -> None:
    """A line on stderr before each step (loading, each benchmark), unless --quiet: no silent waits."""
    from textemb.progress import announce

    if not args.quiet:
        announce(printable(message))


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


