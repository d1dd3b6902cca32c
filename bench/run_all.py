"""Run every benchmark in bench/ one after another (what ``make bench`` does).

Each ``bench_*.py`` / ``lee_*.py`` / ``eval_*.py`` script is run in its own process with its default
arguments, alone (benchmarks run beside other work are noise), and writes its own table under
``bench/results/``. Pass names to run a subset: ``python bench/run_all.py analogy load``.
A failing benchmark is reported and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[Path]:
    """The benchmark scripts to run: all of them, or those whose name contains one of ``names``."""
    found = sorted(p for p in HERE.glob("*.py") if p.name not in {"common.py", "run_all.py"} and not p.name.startswith("_"))
    if not names:
        return found
    return [p for p in found if any(n in p.stem for n in names)]


def main(argv: list[str]) -> int:
    todo = scripts(argv)
    if not todo:
        print(f"no benchmark matches {argv}; known: {', '.join(p.stem for p in scripts([]))}", file=sys.stderr)
        return 2
    failed = []
    for path in todo:
        print(f"== {path.name}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(path)], cwd=HERE.parent)
        print(f"== {path.name}: exit {rc} after {time.perf_counter() - start:.0f} s", flush=True)
        if rc != 0:
            failed.append(path.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
