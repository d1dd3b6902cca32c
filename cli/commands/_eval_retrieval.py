"""``textemb eval retrieval``: dense, bm25 and hybrid search side by side on a BEIR folder (not a command)."""

from __future__ import annotations

from pathlib import Path

from textemb_cli.commands.common import shown

#: the default model of a retrieval evaluation (the same runtime as the search default would change the figures
#: only within 0.01 nDCG@10; the evaluation measures the reference PyTorch model)
DEFAULT_RETRIEVAL_ENCODER = "all-MiniLM-L6-v2"


def add_retrieval(tasks, report_args) -> None:
    """The ``retrieval`` task: only the options it uses (no word-level --restrict-vocab/--case-sensitive/--items)."""
    r = tasks.add_parser("retrieval", help="search quality on a BEIR folder: nDCG@10, MRR@10, Recall@k",
                         description="Index the corpus once (in memory) and rank every query with dense, bm25 and "
                                     "hybrid search; metrics by ir-measures (BEIR/MTEB conventions). Example: "
                                     "textemb eval retrieval --dataset corpora/wikipedia-sample-eval "
                                     "--corpus corpora/wikipedia-sample -e glove-6b-50d")
    r.add_argument("--dataset", "-d", required=True, metavar="BEIR_FOLDER",
                   help="folder with queries.jsonl, qrels.tsv (or qrels/test.tsv) and corpus.jsonl (or --corpus)")
    r.add_argument("--corpus", metavar="FILE|FOLDER",
                   help="corpus.jsonl kept elsewhere, or the folder holding it (e.g. corpora/wikipedia-sample)")
    r.add_argument("--mode", action="append", choices=["dense", "bm25", "hybrid"],
                   help="modes to run (repeat; default: all three)")
    r.add_argument("--fusion", choices=["weighted", "rrf"], default="weighted", help="hybrid fusion (default weighted)")
    r.add_argument("--doc-score", choices=["max", "mean"], default="max",
                   help="a document's score: its best passage (default) or the mean of its passages")
    r.add_argument("--encoder", "-e", action="append", metavar="SPEC",
                   help=f"encoder spec; repeat to compare several (default: {DEFAULT_RETRIEVAL_ENCODER})")
    r.add_argument("--device", default="cpu", metavar="DEV", help="cpu (default), auto, cuda, cuda:N or mps")
    report_args(r)


def beir_files(dataset: str, corpus: str | None) -> dict[str, Path]:
    """The corpus, queries and qrels files of a BEIR folder (``corpus`` may be a file or the folder holding it),
    each checked before anything loads; errors name the option that fixes them."""
    from textemb.errors import InputError

    folder = Path(dataset)
    if not folder.is_dir():
        raise InputError(f"--dataset {shown(dataset)}: no such folder (a BEIR folder: queries.jsonl, qrels.tsv and "
                         "corpus.jsonl, or --corpus FILE)")
    files = {"queries": folder / "queries.jsonl"}
    files["qrels"] = next((p for p in (folder / "qrels.tsv", folder / "qrels" / "test.tsv") if p.is_file()),
                          folder / "qrels.tsv")
    for path in files.values():
        if not path.is_file():
            raise InputError(f"--dataset {shown(dataset)}: no {path.name} in it (a BEIR folder needs queries.jsonl "
                             "and qrels.tsv or qrels/test.tsv)")
    files["corpus"] = _corpus(folder, corpus)
    return files


def _corpus(folder: Path, corpus: str | None) -> Path:
    from textemb.errors import InputError

    if corpus is not None:
        path = Path(corpus)
        if path.is_dir():
            path = path / "corpus.jsonl"
        if not path.is_file():
            raise InputError(f"--corpus {shown(corpus)}: no such file (give corpus.jsonl or the folder holding it)")
        return path
    if (folder / "corpus.jsonl").is_file():
        return folder / "corpus.jsonl"
    sibling = folder.parent / folder.name.removesuffix("-eval")
    example = shown(sibling) if sibling != folder and (sibling / "corpus.jsonl").is_file() else "FILE|FOLDER"
    raise InputError(f"--dataset {shown(folder)} has no corpus.jsonl: pass --corpus {example} (the corpus.jsonl "
                     "these queries search, or the folder holding it)")


def retrieval(args, progress) -> tuple[list, list[str]]:
    """Every --encoder on the BEIR folder, each mode one EvalResult carrying the dataset files' sha256 and the
    model's identity (weights hash, revision)."""
    from textemb import load_encoder
    from textemb.evaluation.datasets import sha256
    from textemb.evaluation.result import encoder_identity
    from textemb.search.retrieval import evaluate_retrieval, load_beir

    files = beir_files(args.dataset, args.corpus)
    data = load_beir(args.dataset, corpus=files["corpus"], queries=files["queries"], qrels=files["qrels"])
    described = {"name": data.name, "kind": "beir",
                 "files": [{"role": role, "path": str(p), "sha256": sha256(p)} for role, p in files.items()]}
    specs = list(dict.fromkeys(args.encoder or [DEFAULT_RETRIEVAL_ENCODER]))
    results, notes = [], []
    for n, spec in enumerate(specs, 1):
        progress(args, f"[{n}/{len(specs)}] loading {spec}")
        enc = load_encoder(spec, device=args.device)
        progress(args, f"[{n}/{len(specs)}] {spec}: indexing {len(data.corpus):,} documents{_cost(spec, files)}, "
                       f"then {len(data.queries):,} queries in {len(args.mode or ('dense', 'bm25', 'hybrid'))} modes")
        for r in evaluate_retrieval(data, enc, modes=args.mode or ("dense", "bm25", "hybrid"),
                                    doc_score=args.doc_score, fusion=args.fusion):
            r.encoder = spec
            r.settings.update({"dataset": described, "model": encoder_identity(enc), "encoder": spec,
                               "items": {"items": "all", "total": r.settings.get("queries", 0)}})
            results.append(r)
    if args.report:
        from textemb.evaluation import write_report

        notes.append(f"report written to {write_report(results, args.report)}")
    return results, notes


def _cost(spec: str, files: dict[str, Path]) -> str:
    """`` (about 4 min on 2 CPUs, ...)`` when encoding the corpus will take longer than a few seconds."""
    from textemb_cli.commands._cost import SLOW, encode_seconds, text_bytes

    from textemb.progress import format_duration

    seconds = encode_seconds(spec, text_bytes(files["corpus"]))
    return f" (about {format_duration(seconds)} on 2 CPUs, longer on a busy machine)" if seconds >= SLOW else ""


def print_retrieval(results) -> None:
    from textemb_cli.output import table

    names = list(results[0].metrics) if results else []
    print(table(["encoder", "mode", *names],
                [[r.encoder, r.settings.get("method", ""), *(r.metrics[n] for n in names)] for r in results]))
