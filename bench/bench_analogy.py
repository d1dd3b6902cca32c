"""Analogy evaluation: textemb vs gensim 4.4 side by side, in one run, on the same CPU.

GloVe 6B 50d, gensim's questions-words.txt, gensim's conventions (restrict_vocab=300000,
case-insensitive, OOV questions skipped). gensim scores one question at a time (~10 ms each),
so by default it runs on a stated subset (the first --gensim-per-section questions of every
section) and its full-set time is extrapolated per evaluated question; ``--gensim-full`` runs
it on everything. textemb always runs the full set. The subset counts of both are compared.

    python bench/bench_analogy.py [--gensim-per-section 40] [--gensim-full] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def subset_file(src: Path, per_section: int, dst: Path) -> None:
    out, kept = [], 0
    for line in src.read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            out.append(line)
            kept = 0
        elif kept < per_section:
            out.append(line)
            kept += 1
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gensim-per-section", type=int, default=40)
    ap.add_argument("--gensim-full", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "analogy.json"))
    args = ap.parse_args()

    import gensim
    from gensim.models import KeyedVectors

    from textemb import load_encoder
    from textemb.evaluation import evaluate_analogies
    from textemb.evaluation.datasets import resolve_dataset

    wv = load_encoder("glove-6b-50d")
    kv = KeyedVectors(wv.dim, dtype=np.float32)
    kv.add_vectors(wv.words, np.asarray(wv.vectors))
    full = resolve_dataset("google", "analogy").path

    # textemb full set and gensim on the subset, interleaved (textemb, gensim, textemb ...) so that
    # load from other processes hits both; textemb's time is the best of --repeat runs
    with tempfile.TemporaryDirectory() as tmp:
        path = full
        if not args.gensim_full:
            path = Path(tmp) / "subset.txt"
            subset_file(full, args.gensim_per_section, path)
        times, res = [], None
        g_time = None
        for i in range(max(1, args.repeat)):
            t = time.perf_counter()
            res = evaluate_analogies(wv, "google")
            times.append(time.perf_counter() - t)
            if i == 0:
                t = time.perf_counter()
                g_score, g_sections = kv.evaluate_word_analogies(str(path))
                g_time = time.perf_counter() - t
        sub = evaluate_analogies(wv, path)
    t_mul = time.perf_counter()
    res_mul = evaluate_analogies(wv, "google", method="3cosmul")
    t_mul = time.perf_counter() - t_mul
    g_total = g_sections[-1]
    g_eval = len(g_total["correct"]) + len(g_total["incorrect"])
    same_subset = [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in g_sections] == [
        (s["section"], s["correct"], s["incorrect"]) for s in sub.sections]
    g_full_est = g_time / g_eval * res.metrics["evaluated"]
    best = min(times)
    ratio = g_full_est / best

    rows = [
        ("gensim 4.4 evaluate_word_analogies" + ("" if args.gensim_full else f" ({g_eval:,} questions, extrapolated)"),
         g_full_est, g_score if args.gensim_full else None),
        ("textemb evaluate_analogies 3CosAdd (full set)", best, res.score),
        ("textemb evaluate_analogies 3CosMul (full set)", t_mul, res_mul.score),
    ]
    print(f"GloVe 6B 50d, questions-words.txt, restrict_vocab=300000, {os.cpu_count()} CPU(s), {platform.processor() or platform.machine()}")
    print()
    print("| run | seconds (full set) | accuracy |")
    print("|---|---:|---:|")
    for name, sec, acc in rows:
        print(f"| {name} | {sec:.2f} | {'' if acc is None else f'{acc:.4f}'} |")
    print()
    print(f"speed-up textemb vs gensim (3CosAdd): **{ratio:.1f}x**  "
          f"(gensim measured {g_time:.1f} s on {g_eval:,} questions = {g_time / g_eval * 1e3:.2f} ms/question)")
    print(f"textemb 3CosAdd: {res.metrics['correct']:,} / {res.metrics['evaluated']:,} correct; "
          f"{res.settings['near_ties_rechecked']} near ties re-checked exactly; "
          f"subset counts identical to gensim: {same_subset}")
    payload = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "gensim": {"version": gensim.__version__, "seconds_measured": g_time, "questions_measured": g_eval,
                   "full_set": args.gensim_full, "seconds_full_estimate": g_full_est},
        "textemb": {"seconds_3cosadd": times, "seconds_3cosmul": t_mul, "correct": res.metrics["correct"],
                    "evaluated": res.metrics["evaluated"], "accuracy_3cosadd": res.score,
                    "accuracy_3cosmul": res_mul.score, "near_ties_rechecked": res.settings["near_ties_rechecked"]},
        "speedup": ratio, "subset_counts_identical": same_subset,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0 if same_subset else 1


if __name__ == "__main__":
    raise SystemExit(main())
