"""Encode throughput: textemb's encoders vs calling sentence-transformers directly.

The same 2,000 real sentences (gensim's ``lee_background.cor`` split into sentences) go through
``SentenceTransformer.encode`` and through ``textemb.load_encoder("sbert:all-MiniLM-L6-v2")``
(plus ``bert:all-MiniLM-L6-v2``, textemb's own batching over the same BERT: same vectors), in one
process, after a warm-up, in alternating order over several rounds; the best time of each is
compared. Ratio = textemb throughput / sentence-transformers throughput (goal >= 0.97), from wall
time and from the process's CPU time (steadier when other programs share the machine).

    HF_HUB_OFFLINE=1 python bench/bench_encode.py [--rounds 3] [--batch-size 32] [--device cpu] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np


def sentences(n: int) -> list[str]:
    import gensim

    text = (Path(gensim.__file__).parent / "test" / "test_data" / "lee_background.cor").read_text(encoding="latin-1")
    out = []
    for doc in text.splitlines():
        for sent in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", doc.strip()):
            if len(sent.split()) >= 4:
                out.append(sent)
    if len(out) < n:
        raise SystemExit(f"only {len(out)} sentences in lee_background.cor, need {n}")
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer

    from textemb import load_encoder
    from textemb.kernels import resolve_device
    from textemb.models import model_path

    device = resolve_device(args.device)
    texts = sentences(args.n)
    direct = SentenceTransformer(str(model_path("all-MiniLM-L6-v2")), device=device)
    ours = load_encoder("sbert:all-MiniLM-L6-v2", device=device)
    bert = load_encoder("bert:all-MiniLM-L6-v2", device=device)
    bs = args.batch_size
    runs = {
        "sentence-transformers": lambda: direct.encode(texts, batch_size=bs, show_progress_bar=False),
        "textemb sbert:": lambda: ours.encode(texts, batch_size=bs, show_progress=False),
        "textemb bert: (mean, last layer)": lambda: bert.encode(texts, batch_size=bs, show_progress=False),
    }
    outputs = {name: fn() for name, fn in runs.items()}  # warm-up, and the vectors to compare
    ref = outputs["sentence-transformers"]
    agree = {name: float(np.abs(out / np.linalg.norm(out, axis=1, keepdims=True) - ref).max()) for name, out in outputs.items()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]  # alternate so drift in machine load hits both sides
        for name in order:
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t0, c0 = time.perf_counter(), time.process_time()
            runs[name]()
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    base, base_cpu = min(times["sentence-transformers"]), min(cpu["sentence-transformers"])
    rows = []
    for name in names:
        best = min(times[name])
        rows.append({"run": name, "best_s": best, "median_s": float(np.median(times[name])), "all_s": times[name],
                     "cpu_s": cpu[name], "sentences_per_s": len(texts) / best, "ratio_vs_st": base / best,
                     "cpu_ratio_vs_st": base_cpu / min(cpu[name]), "max_abs_diff_vs_st_unit": agree[name]})
    print(f"{len(texts)} sentences from lee_background.cor, batch size {bs}, device {device}, "
          f"{args.rounds} alternating rounds, best time; torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}\n")
    print("| run | best wall s | median wall s | sentences/s | ratio vs sentence-transformers (wall) "
          "| best CPU s | ratio (CPU time) | max diff of unit vectors |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['run']} | {row['best_s']:.2f} | {row['median_s']:.2f} | {row['sentences_per_s']:.0f} | "
              f"{row['ratio_vs_st']:.3f}x | {min(row['cpu_s']):.2f} | {row['cpu_ratio_vs_st']:.3f}x | "
              f"{row['max_abs_diff_vs_st_unit']:.1e} |")
    out = Path(__file__).parent / "results" / "encode.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"n": len(texts), "batch_size": bs, "device": device, "rounds": args.rounds,
                               "threads": torch.get_num_threads(), "torch": torch.__version__, "python": sys.version.split()[0],
                               "machine": platform.machine(), "cpus": os.cpu_count(), "rows": rows}, indent=1),
                   encoding="utf-8")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
