"""The fast CPU paths of all-MiniLM-L6-v2 side by side: sentence-transformers (PyTorch), ONNX fp32, ONNX int8, static.

Throughput: 2,000 real sentences (gensim's ``lee_background.cor`` split as in bench_encode.py), batch 64,
every path warmed up, then ``--rounds`` rounds in alternating order; CPU time (``time.process_time``, all
threads of this process) is the figure to trust on a shared machine, wall time is printed beside it.
Quality: Lee Pearson (bench/lee_contextual.py's 50 documents, 1,225 pairs) and nDCG@10 on the shipped
Wikipedia sample (bench/eval_retrieval.py's settings via textemb.search.retrieval.evaluate_retrieval).

    HF_HUB_OFFLINE=1 python bench/bench_fast_paths.py --static FOLDER [--threads 2] [--rounds 3] [--quality all|lee|none]
    HF_HUB_OFFLINE=1 python bench/bench_fast_paths.py --static FOLDER --quality-only [--paths onnx-int8,onnx-fp32]

Writes bench/results/fast_paths.json (a file of its own; other benches' results are left alone); --quality-only
writes bench/results/fast_paths_quality.json and .md, one path at a time (a re-run replaces only its paths).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def _paths(static: str | None, threads: int) -> dict[str, str]:
    paths = {"sentence-transformers (PyTorch)": "",
             "ONNX fp32": f"sbert:all-MiniLM-L6-v2?backend=onnx&threads={threads}",
             "ONNX int8": f"sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8&threads={threads}"}
    if static:
        paths["static (model2vec distilled)"] = f"static:{static}"
    return paths


def throughput(encoders: dict, texts: list[str], batch: int, rounds: int) -> dict[str, dict]:
    for enc in encoders.values():
        enc(texts[:256], batch)  # warm-up
    wall = {n: [] for n in encoders}
    cpu = {n: [] for n in encoders}
    names = list(encoders)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            t0, c0 = time.perf_counter(), time.process_time()
            encoders[name](texts, batch)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    base = min(cpu[names[0]])
    return {n: {"cpu_s": cpu[n], "wall_s": wall[n], "cpu_min_s": min(cpu[n]), "cpu_median_s": float(np.median(cpu[n])),
                "wall_min_s": min(wall[n]), "sentences_per_cpu_s": len(texts) / min(cpu[n]),
                "cpu_ratio_vs_st": base / min(cpu[n]), "cpu_ratio_vs_st_median": float(np.median(cpu[names[0]])) / float(np.median(cpu[n]))}
            for n in names}


def quality(encoder, ndcg: bool = True) -> dict:
    """Lee Pearson/Spearman, and (``ndcg``) dense retrieval on the Wikipedia sample, with CPU and wall time of each."""
    import warnings

    from lee_contextual import lee_data, score

    from textemb.search import ChunkSettings
    from textemb.search.retrieval import build_index, evaluate_retrieval, load_beir

    docs, human = lee_data()
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson, spearman = score(encoder.encode(docs, batch_size=16), human)
    row = {"lee_pearson": pearson, "lee_spearman": spearman,
           "lee_cpu_s": round(time.process_time() - c0, 2), "lee_wall_s": round(time.perf_counter() - t0, 2)}
    if not ndcg:
        return row
    data = load_beir(ROOT / "corpora" / "wikipedia-sample-eval", corpus=_corpus())
    t0, c0 = time.perf_counter(), time.process_time()
    index = build_index(data, encoder, chunk=ChunkSettings(128, 32), show_progress=False)
    row.update({"passages": index.store.passage_count(), "index_cpu_s": round(time.process_time() - c0, 2),
                "index_wall_s": round(time.perf_counter() - t0, 2)})
    result = evaluate_retrieval(data, encoder, modes=("dense",), chunk=ChunkSettings(128, 32), doc_score="max",
                                index=index)[0]
    m = result.metrics
    row.update({"ndcg@10": m["nDCG@10"], "mrr@10": m["MRR@10"], "recall@1": m["Recall@1"],
                "recall@5": m["Recall@5"], "recall@10": m["Recall@10"], "queries": result.settings["queries"],
                "documents": result.settings["documents"], "chunk": result.settings["chunk"],
                "doc_score": result.settings["doc_score"], "metrics_by": result.settings["metrics_by"]})
    return row


def _corpus():
    beir = ROOT / "corpora" / "wikipedia-sample-eval"
    return None if (beir / "corpus.jsonl").is_file() else ROOT / "corpora" / "wikipedia-sample" / "corpus.jsonl"


KEYS = {"pytorch": "sentence-transformers (PyTorch)", "onnx-fp32": "ONNX fp32", "onnx-int8": "ONNX int8",
        "static": "static (model2vec distilled)"}
QUALITY_JSON = ROOT / "bench" / "results" / "fast_paths_quality.json"


def quality_only(args) -> None:
    """Quality of the chosen paths, one at a time, merged into fast_paths_quality.json (and its .md) after each."""
    import torch

    from textemb import load_encoder

    torch.set_num_threads(args.threads)
    specs = _paths(args.static, args.threads)
    specs[KEYS["pytorch"]] = "sbert:all-MiniLM-L6-v2"  # textemb's wrapper around sentence-transformers
    for key in args.paths.split(","):
        name = KEYS[key]
        if name not in specs:
            raise SystemExit(f"path {key!r} needs --static FOLDER")
        c0 = time.process_time()
        encoder = load_encoder(specs[name])
        row = {"spec": specs[name], "load_cpu_s": round(time.process_time() - c0, 2), **quality(encoder)}
        print(json.dumps({name: row}), flush=True)
        doc = json.loads(QUALITY_JSON.read_text(encoding="utf-8")) if QUALITY_JSON.is_file() else {"rows": {}}
        doc["rows"][name] = row  # read just before writing: runs for other paths may have written meanwhile
        doc.update({"threads": args.threads, "cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "machine": platform.machine(), "note": QUALITY_NOTE})
        QUALITY_JSON.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        QUALITY_JSON.with_suffix(".md").write_text(quality_markdown(doc), encoding="utf-8")
        print(quality_markdown(doc), flush=True)


QUALITY_NOTE = ("Lee: 50 documents of gensim's lee.cor, 1,225 pairs, Pearson of cosine vs human mean (batch 16). "
                "Retrieval: corpora/wikipedia-sample (106 articles) with wikipedia-sample-eval's 45 paraphrase "
                "queries, 128-word passages with 32 overlap and the title prefixed, dense mode only, document score "
                "= best passage, metrics by ir-measures (BEIR conventions), as bench/eval_retrieval.py. "
                "Index CPU/wall seconds: chunk + encode 4,766 passages + BM25, CPU time of this process, 2 torch/onnxruntime "
                "threads, 2-CPU machine shared with other jobs (load average 7-9), run under nice; the three MiniLM "
                "paths ran concurrently, so read CPU, not wall.")


def quality_markdown(doc: dict) -> str:
    """``path | Lee Pearson | nDCG@10 | MRR@10 | R@1 | drift vs fp32`` (nDCG@10 minus ONNX fp32's)."""
    rows = doc["rows"]
    base = rows.get(KEYS["onnx-fp32"], {}).get("ndcg@10")
    lines = ["# Quality of the fast CPU paths of all-MiniLM-L6-v2", "", doc.get("note", ""), "",
             "| path | Lee Pearson | nDCG@10 | MRR@10 | R@1 | nDCG@10 drift vs ONNX fp32 | index (chunk, encode, BM25) CPU s / wall s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in KEYS.values():
        r = rows.get(name)
        if r is None:
            continue
        drift = "-" if base is None or "ndcg@10" not in r else f"{r['ndcg@10'] - base:+.4f}"
        lines.append(f"| {name} | {r['lee_pearson']:.3f} | {r.get('ndcg@10', float('nan')):.3f} | "
                     f"{r.get('mrr@10', float('nan')):.3f} | {r.get('recall@1', float('nan')):.3f} | {drift} | "
                     f"{r.get('index_cpu_s', float('nan')):.0f} / {r.get('index_wall_s', float('nan')):.0f} |")
    return "\n".join(lines + ["", *_verdicts(rows, base)]) + "\n"


def _verdicts(rows: dict, base: float | None) -> list[str]:
    """The issue's checks: int8 within 0.01 nDCG@10 of fp32; the fastest path (index CPU) within 0.02 of fp32."""
    if base is None:
        return []
    out = []
    int8 = rows.get(KEYS["onnx-int8"], {}).get("ndcg@10")
    if int8 is not None:
        out.append(f"ONNX int8 within 0.01 nDCG@10 of ONNX fp32: {'yes' if abs(int8 - base) <= 0.01 else 'NO'} "
                   f"({int8 - base:+.4f}).")
    near = [n for n, r in rows.items() if "ndcg@10" in r and r["ndcg@10"] >= base - 0.02]
    fastest = min(near, key=lambda n: rows[n]["index_cpu_s"])
    out.append(f"Fastest path within 0.02 nDCG@10 of ONNX fp32 (index CPU s): {fastest}.")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--static", default=None, help="a folder from `textemb distill all-MiniLM-L6-v2 -o FOLDER`")
    ap.add_argument("--threads", type=int, default=2, help="torch and onnxruntime intra-op threads")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--quality", choices=["all", "lee", "none"], default="all",
                    help="lee: Lee Pearson for every path, nDCG@10 only for the static path (minutes less on 2 CPUs)")
    ap.add_argument("--quality-only", action="store_true",
                    help="no throughput: quality of --paths, merged into bench/results/fast_paths_quality.json/.md")
    ap.add_argument("--paths", default="onnx-int8,onnx-fp32,static,pytorch", help=f"with --quality-only: {','.join(KEYS)}")
    args = ap.parse_args()
    if args.quality_only:
        return quality_only(args)
    import torch
    from bench_encode import sentences
    from sentence_transformers import SentenceTransformer

    from textemb import load_encoder
    from textemb.models import model_path

    torch.set_num_threads(args.threads)
    texts = sentences(2000)
    st = SentenceTransformer(str(model_path("all-MiniLM-L6-v2")), device="cpu")
    specs = _paths(args.static, args.threads)
    loaded = {n: load_encoder(s) for n, s in specs.items() if s}
    calls = {next(iter(specs)): lambda t, b: st.encode(t, batch_size=b, show_progress_bar=False)}
    calls.update({n: (lambda e: lambda t, b: e.encode(t, batch_size=b, show_progress=False))(e) for n, e in loaded.items()})
    speed = throughput(calls, texts, args.batch_size, args.rounds)
    print(json.dumps({n: [r["cpu_min_s"], r["cpu_median_s"], r["cpu_ratio_vs_st"]] for n, r in speed.items()}), flush=True)
    ref = st.encode(texts[:500], batch_size=64)
    for n, e in loaded.items():
        if e.dim == ref.shape[1]:
            v = e.encode(texts[:500], batch_size=64)
            cos = (v * ref).sum(1) / np.linalg.norm(v, axis=1) / np.linalg.norm(ref, axis=1)
            speed[n]["cosine_to_st_mean"], speed[n]["cosine_to_st_min"] = float(cos.mean()), float(cos.min())
    if args.quality != "none":
        st_enc = load_encoder("sbert:all-MiniLM-L6-v2")
        for n in specs:
            full = args.quality == "all" or specs[n].startswith("static:")
            speed[n].update(quality(loaded.get(n, st_enc), ndcg=full))
    print(f"2,000 sentences (lee_background.cor), batch {args.batch_size}, {args.rounds} alternating rounds, "
          f"{args.threads} threads (torch and onnxruntime), cpus {os.cpu_count()}, machine shared and loaded\n")
    print("| path | CPU s min | CPU s median | sentences / CPU s | CPU ratio vs ST (min / median) | cos to ST mean / min "
          "| Lee Pearson | nDCG@10 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, r in speed.items():
        cos = f"{r['cosine_to_st_mean']:.4f} / {r['cosine_to_st_min']:.4f}" if "cosine_to_st_mean" in r else "-"
        print(f"| {n} | {r['cpu_min_s']:.2f} | {r['cpu_median_s']:.2f} | {r['sentences_per_cpu_s']:.0f} | "
              f"{r['cpu_ratio_vs_st']:.2f}x / {r['cpu_ratio_vs_st_median']:.2f}x | {cos} | "
              f"{r.get('lee_pearson', float('nan')):.3f} | {r.get('ndcg@10', float('nan')):.3f} |")
    out = ROOT / "bench" / "results" / "fast_paths.json"
    out.write_text(json.dumps({"n": len(texts), "batch_size": args.batch_size, "threads": args.threads,
                               "rounds": args.rounds, "specs": specs, "cpus": os.cpu_count(),
                               "python": sys.version.split()[0], "machine": platform.machine(),
                               "note": "CPU time of this process; machine shared by several jobs", "rows": speed},
                              indent=1), encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
