"""Analogy evaluation: textemb vs gensim 4.4 side by side, in one run, on the same CPU, gensim on the FULL set.

GloVe 6B 50d, gensim's questions-words.txt, gensim's conventions (restrict_vocab=300000, case-insensitive,
OOV questions skipped). gensim's ``evaluate_word_analogies`` runs once on all 19,544 questions (~3 min on a
quiet 2-core machine); textemb runs 3 times in-process (evaluation only) and 3 times as the whole command
``textemb eval analogy --encoder glove-6b-50d --json`` (start-up and loading included). Wall and CPU time
(process time, children's rusage for the command) are both reported, with the thread count and the load
average: on a shared machine the CPU-time ratio is the fairer one. The counts are compared question by
question (3CosAdd on the full set; 3CosMul against gensim's ``most_similar_cosmul`` on a random stratified
sample, ``--cosmul-per-section`` questions of every section, or the full set with ``--cosmul-full``, with
epsilon=1e-6 as gensim hard-codes it; textemb's default 3CosMul epsilon is Levy & Goldberg's 1e-3).

    python bench/bench_analogy.py [--repeat 3] [--cosmul-per-section 40] [--cosmul-full]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "analogy-full-gensim.json"


def clock(fn):
    """(wall s, CPU s of this process, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def command_run() -> tuple[float, float, dict]:
    """The whole ``textemb eval analogy`` command as a subprocess: (wall s, CPU s of the child, its JSON)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    exe = [shutil.which("textemb")] if shutil.which("textemb") else [sys.executable, "-m", "textemb_cli"]
    proc = subprocess.run([*exe, "eval", "analogy", "--encoder", "glove-6b-50d", "--json"],
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(proc.stdout)


def summary(values: list[float]) -> dict:
    return {"runs": [round(v, 3) for v in values], "min": round(min(values), 3), "median": round(statistics.median(values), 3)}


def correct_sets(res) -> list[set]:
    """Per section, the set of questions textemb counts correct (gensim's upper-cased tuples)."""
    out: list[set] = [set() for _ in res.sections[:-1]]
    sec_of = np.repeat(np.arange(len(out)), [s["questions"] for s in res.sections[:-1]])
    for q, ok, s in zip(res.extra["questions"], res.extra["correct_mask"], sec_of):
        if ok:
            out[s].add(tuple(q))
    return out


def gensim_sets(sections) -> list[set]:
    return [{tuple(q) for q in s["correct"]} for s in sections[:-1]]


def stratified_sample(src: Path, per_section: int, dst: Path, seed: int = 0) -> None:
    """A random sample of ``per_section`` questions of every section, in file order."""
    rng = np.random.default_rng(seed)
    out, block = [], []
    for line in src.read_text(encoding="utf-8").splitlines() + [": end"]:
        if line.startswith(": "):
            if block:
                keep = np.sort(rng.choice(len(block), min(per_section, len(block)), replace=False))
                out += [block[i] for i in keep]
            out.append(line)
            block = []
        elif line.strip():
            block.append(line)
    dst.write_text("\n".join(out[:-1]) + "\n", encoding="utf-8")


def gensim_cosmul(kv, path: Path):
    """gensim's evaluate_word_analogies with most_similar_cosmul answering each question."""
    cosmul = kv.most_similar_cosmul
    kv.most_similar = lambda positive, negative, topn, restrict_vocab: cosmul(
        positive=positive, negative=negative, topn=topn, restrict_vocab=restrict_vocab)
    try:
        return kv.evaluate_word_analogies(str(path))
    finally:
        del kv.most_similar


def run_textemb(wv, repeat: int) -> dict:
    from textemb.evaluation import evaluate_analogies

    out: dict = {}
    for method in ("3cosadd", "3cosmul"):
        walls, cpus, res = [], [], None
        for _ in range(repeat):
            wall, cpu, res = clock(lambda: evaluate_analogies(wv, "google", method=method))
            walls.append(wall)
            cpus.append(cpu)
        out[method] = {"wall_s": summary(walls), "cpu_s": summary(cpus), "result": res}
    _, _, out["whole_vocab"] = clock(lambda: evaluate_analogies(wv, "google", restrict_vocab=0))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cosmul-per-section", type=int, default=40)
    ap.add_argument("--cosmul-full", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()

    import gensim
    from gensim.models import KeyedVectors

    from textemb import load_encoder
    from textemb.evaluation import evaluate_analogies
    from textemb.evaluation.datasets import resolve_dataset

    load_before = os.getloadavg()
    wv = load_encoder("glove-6b-50d")
    kv = KeyedVectors(wv.dim, dtype=np.float32)
    kv.add_vectors(wv.words, np.asarray(wv.vectors))
    google = resolve_dataset("google", "analogy").path
    ours = run_textemb(wv, args.repeat)
    command = [command_run() for _ in range(args.repeat)]
    g_wall, g_cpu, (g_score, g_sections) = clock(lambda: kv.evaluate_word_analogies(str(google)))
    add = ours["3cosadd"]["result"]
    same_add = correct_sets(add) == gensim_sets(g_sections) and [len(s["incorrect"]) for s in g_sections] == [
        s["incorrect"] for s in add.sections]
    with tempfile.TemporaryDirectory() as tmp:
        path = google if args.cosmul_full else Path(tmp) / "sample.txt"
        if not args.cosmul_full:
            stratified_sample(google, args.cosmul_per_section, path)
        m_wall, m_cpu, (_, m_sections) = clock(lambda: gensim_cosmul(kv, path))
        sub = evaluate_analogies(wv, path, method="3cosmul", epsilon=1e-6)  # gensim's hard-coded epsilon
    same_mul = correct_sets(sub) == gensim_sets(m_sections)
    load_after = os.getloadavg()
    payload = report(args, ours, command, (g_wall, g_cpu, g_score, g_sections), (m_wall, m_cpu, m_sections, sub),
                     same_add, same_mul, (load_before, load_after), gensim.__version__)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0 if same_add and same_mul and command[0][2]["results"][0]["metrics"]["correct"] == 9036 else 1


def report(args, ours, command, gensim_add, gensim_mul, same_add, same_mul, loads, gensim_version) -> dict:
    """Print the Markdown table and return the JSON payload."""
    g_wall, g_cpu, g_score, g_sections = gensim_add
    m_wall, m_cpu, m_sections, sub = gensim_mul
    add, mul = ours["3cosadd"], ours["3cosmul"]
    cmd_wall, cmd_cpu = summary([c[0] for c in command]), summary([c[1] for c in command])
    threads = add["result"].settings["threads"]
    print(f"GloVe 6B 50d, questions-words.txt (19,544 questions), restrict_vocab=300000; {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()}), textemb threads={threads}; load average "
          f"{loads[0][0]:.1f} before, {loads[1][0]:.1f} after (a shared machine: compare the CPU-time ratios)")
    print("\n| run (full set, 3CosAdd) | wall s min / median | CPU s min / median | accuracy |")
    print("|---|---:|---:|---:|")
    print(f"| gensim {gensim_version} evaluate_word_analogies (1 run) | {g_wall:.1f} | {g_cpu:.1f} | {g_score:.4f} |")
    print(f"| textemb evaluate_analogies (evaluation only) | {add['wall_s']['min']:.2f} / {add['wall_s']['median']:.2f} "
          f"| {add['cpu_s']['min']:.2f} / {add['cpu_s']['median']:.2f} | {add['result'].score:.4f} |")
    print(f"| `textemb eval analogy --encoder glove-6b-50d --json` (whole command) | {cmd_wall['min']:.2f} / "
          f"{cmd_wall['median']:.2f} | {cmd_cpu['min']:.2f} / {cmd_cpu['median']:.2f} | "
          f"{command[0][2]['results'][0]['metrics']['accuracy']:.4f} |")
    print(f"| textemb 3CosMul (evaluation only) | {mul['wall_s']['min']:.2f} / {mul['wall_s']['median']:.2f} | "
          f"{mul['cpu_s']['min']:.2f} / {mul['cpu_s']['median']:.2f} | {mul['result'].score:.4f} |")
    ratios = {"eval_wall": g_wall / add["wall_s"]["median"], "eval_cpu": g_cpu / add["cpu_s"]["median"],
              "command_wall": g_wall / cmd_wall["median"], "command_cpu": g_cpu / cmd_cpu["median"]}
    print("\nspeed-up vs gensim full run (median): " + ", ".join(f"{k} {v:.0f}x" for k, v in ratios.items()))
    print(f"3CosAdd counts identical to gensim question by question in all 14 sections: {same_add}; "
          f"3CosMul identical to gensim most_similar_cosmul on {sum(len(s['correct']) + len(s['incorrect']) for s in m_sections[:-1])} "
          f"sampled questions: {same_mul} (gensim cosmul took {m_wall:.1f} s wall)")
    res = add["result"]
    return {
        "conditions": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                       "textemb_threads": threads, "loadavg_before": loads[0], "loadavg_after": loads[1],
                       "gensim": gensim_version, "repeat": args.repeat, "shared_machine": True},
        "gensim_3cosadd_full": {"wall_s": g_wall, "cpu_s": g_cpu, "accuracy": g_score,
                                "sections": [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in g_sections]},
        "textemb_3cosadd_eval": {"wall_s": add["wall_s"], "cpu_s": add["cpu_s"], "correct": res.metrics["correct"],
                                 "evaluated": res.metrics["evaluated"], "accuracy": res.score,
                                 "near_ties_rechecked": res.settings["near_ties_rechecked"],
                                 "scored_fraction": res.settings["scored_fraction"]},
        "textemb_command": {"wall_s": cmd_wall, "cpu_s": cmd_cpu},
        "textemb_3cosmul_eval": {"wall_s": mul["wall_s"], "cpu_s": mul["cpu_s"], "correct": mul["result"].metrics["correct"],
                                 "accuracy": mul["result"].score},
        "textemb_whole_vocab_3cosadd": {"correct": ours["whole_vocab"].metrics["correct"],
                                        "evaluated": ours["whole_vocab"].metrics["evaluated"]},
        "speedup_median": ratios, "counts_identical_3cosadd_full": same_add,
        "counts_identical_3cosmul_sample": same_mul, "gensim_cosmul_sample_wall_s": m_wall,
    }


if __name__ == "__main__":
    raise SystemExit(main())
