"""The fast CPU paths of all-MiniLM-L6-v2 side by side: sentence-transformers (PyTorch), ONNX fp32, ONNX int8, static.

Throughput: 2,000 real sentences (gensim's ``lee_background.cor`` split as in bench_encode.py), batch 64,
every path warmed up, then ``--rounds`` rounds in alternating order; CPU time (``time.process_time``, all
threads of this process) is the figure to trust on a shared machine, wall time is printed beside it.
Quality: Lee Pearson (bench/lee_contextual.py's 50 documents, 1,225 pairs) and nDCG@10 on the shipped
Wikipedia sample (bench/eval_retrieval.py's settings via textemb.search.retrieval.evaluate_retrieval).

    HF_HUB_OFFLINE=1 python bench/bench_fast_paths.py --static FOLDER [--threads 2] [--rounds 3] [--quality all|lee|none]

Writes bench/results/fast_paths.json (a file of its own; other benches' results are left alone).
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


def quality(encoder, spec: str, ndcg: bool = True) -> dict:
    import warnings

    from lee_contextual import lee_data, score

    from textemb.search import ChunkSettings
    from textemb.search.retrieval import evaluate_retrieval, load_beir

    docs, human = lee_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson, spearman = score(encoder.encode(docs, batch_size=16), human)
    if not ndcg:
        return {"lee_pearson": pearson, "lee_spearman": spearman}
    data = load_beir(ROOT / "corpora" / "wikipedia-sample-eval", corpus=_corpus())
    result = evaluate_retrieval(data, encoder, bm25=False, chunk=ChunkSettings(128, 32), doc_score="max")
    metrics = next(iter(result.metrics.values()))
    return {"lee_pearson": pearson, "lee_spearman": spearman, "ndcg@10": metrics["nDCG@10"],
            "mrr@10": metrics["MRR@10"], "retrieval_seconds": result.settings["dense_seconds"]}


def _corpus():
    beir = ROOT / "corpora" / "wikipedia-sample-eval"
    return None if (beir / "corpus.jsonl").is_file() else ROOT / "corpora" / "wikipedia-sample" / "corpus.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--static", default=None, help="a folder from `textemb distill all-MiniLM-L6-v2 -o FOLDER`")
    ap.add_argument("--threads", type=int, default=2, help="torch and onnxruntime intra-op threads")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--quality", choices=["all", "lee", "none"], default="all",
                    help="lee: Lee Pearson for every path, nDCG@10 only for the static path (minutes less on 2 CPUs)")
    args = ap.parse_args()
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
            speed[n].update(quality(loaded.get(n, st_enc), specs[n] or "sbert:all-MiniLM-L6-v2", ndcg=full))
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
