"""Import cost of the quick commands (``--help``, ``neighbors``, ``search``), before and after, side by side.

Each command runs in a fresh ``python -X importtime -m textemb_cli`` process, ``--repeats`` times, with
the code of each ``--root`` (e.g. the main checkout before the change and this worktree after it) on
PYTHONPATH. Reported: the process's CPU time (user+sys, from ``resource.getrusage`` of the child), the
summed top-level import time, and which heavy libraries were imported. Min and median of the repeats.

    python bench/bench_imports.py --root before=/work/main --root after=.

Writes bench/results/imports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HEAVY = ("pandas", "torch", "transformers", "sentence_transformers", "scipy", "sklearn", "onnxruntime")
ROOT = Path(__file__).resolve().parents[1]


def run_once(root: Path, args: list[str], env: dict, fresh_cache: bool = False) -> tuple[float, float, list[str]]:
    """(CPU seconds, import seconds, heavy modules) of one command (``fresh_cache``: an empty TEXTEMB_CACHE)."""
    if fresh_cache:
        env = {**env, "TEXTEMB_CACHE": tempfile.mkdtemp(prefix="textemb-imports-cache-")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    shim = root / ".pyshim"
    env = {**env, "PYTHONPATH": f"{root}:{shim}" if shim.is_dir() else str(root)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "textemb_cli", *args], capture_output=True,
                          text=True, env=env, timeout=600, cwd=tempfile.gettempdir())  # cwd would shadow PYTHONPATH
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed under {root}: {proc.stderr[-800:]}")
    total, heavy = 0, set()
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)([\w.]+)$", line)
        if m and not m.group(2).strip(" ") and len(m.group(2)) == 1:
            total += int(m.group(1))
        if m and m.group(3).split(".")[0] in HEAVY:
            heavy.add(m.group(3).split(".")[0])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, total / 1e6, sorted(heavy)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", action="append", required=True, help="LABEL=PATH of a textemb checkout")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="textemb-imports-"))
    docs = tmp / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The frog sat on a log near the pond.", encoding="utf-8")
    (docs / "b.txt").write_text("Paris is the capital of France.", encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TEXTEMB_CACHE": str(tmp / "cache")}
    roots = dict(r.split("=", 1) for r in args.root)
    for label, root in roots.items():  # each checkout gets its own index, built with its own code
        subprocess.run([sys.executable, "-m", "textemb_cli", "index", str(docs), "-o", str(tmp / f"idx-{label}"),
                        "--encoder", "avg:glove-6b-50d", "--quiet"], check=True, capture_output=True,
                       env={**env, "PYTHONPATH": f"{root}:{Path(root) / '.pyshim'}"}, cwd=tmp)
    commands = {"--help": lambda label: ["--help"],
                "neighbors frog (glove-6b-50d, first load)": lambda label: ["neighbors", "frog", "--encoder", "glove-6b-50d"],
                "neighbors frog (glove-6b-50d, cached)": lambda label: ["neighbors", "frog", "--encoder", "glove-6b-50d"],
                "search (existing avg:glove index)": lambda label: ["search", "frog", "--index", str(tmp / f"idx-{label}")]}
    rows = []
    for name, argv in commands.items():
        for label, root in roots.items():
            runs = [run_once(Path(root).resolve(), argv(label), env, "first load" in name) for _ in range(args.repeats)]
            cpu = [r[0] for r in runs]
            imp = [r[1] for r in runs]
            rows.append({"command": name, "checkout": label, "cpu_min_s": min(cpu), "cpu_median_s": statistics.median(cpu),
                         "import_min_s": min(imp), "import_median_s": statistics.median(imp), "heavy": runs[0][2]})
    print(f"{args.repeats} runs each, fresh process per run; CPU = user+sys of the child (machine shared, loaded)\n")
    print("| command | checkout | CPU s min | CPU s median | import s min | import s median | heavy modules imported |")
    print("|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['command']} | {r['checkout']} | {r['cpu_min_s']:.2f} | {r['cpu_median_s']:.2f} | "
              f"{r['import_min_s']:.2f} | {r['import_median_s']:.2f} | {', '.join(r['heavy']) or '-'} |")
    out = ROOT / "bench" / "results" / "imports.json"
    out.write_text(json.dumps({"repeats": args.repeats, "roots": roots, "rows": rows}, indent=1), encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
