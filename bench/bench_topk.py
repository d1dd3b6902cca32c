"""Exact top-10 search, textemb.kernels.nearest vs faiss IndexFlatIP vs the previous topk (full argpartition).

Random unit vectors (400k x 50, the GloVe 6B 50d shape, and 1M x 384); 1 and 64 queries; BLAS/OpenMP
threads 1 and 2 (threadpoolctl / faiss.omp_set_num_threads); 3 repeats; CPU time per query (process_time),
min and median, because the machine is shared.

    python bench/bench_topk.py [--sizes 400000x50,1000000x384]

Writes bench/results/topk.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def previous_topk(scores: np.ndarray, k: int) -> np.ndarray:
    """The implementation before issue 13: copy, negate, argpartition every column, lexsort."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    ps = np.take_along_axis(scores, part, axis=1)
    return np.take_along_axis(part, np.lexsort((part, -ps), axis=1), axis=1)


def main() -> None:
    import faiss
    import threadpoolctl

    from textemb import kernels

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="400000x50,1000000x384")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes.split(","):
        n, d = map(int, size.split("x"))
        mat = rng.standard_normal((n, d)).astype(np.float32)
        mat /= np.linalg.norm(mat, axis=1, keepdims=True)
        index = faiss.IndexFlatIP(d)
        index.add(mat)
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            with threadpoolctl.threadpool_limits(threads):
                for m in (1, 64):
                    q = rng.standard_normal((m, d)).astype(np.float32)
                    runs = {"faiss IndexFlatIP": lambda: index.search(q, 10),
                            "textemb nearest": lambda: kernels.nearest(q, mat, 10),
                            "previous topk": lambda: previous_topk(q @ mat.T, 10)}
                    for name, fn in runs.items():
                        ts = []
                        for _ in range(3):
                            c = time.process_time()
                            fn()
                            ts.append(time.process_time() - c)
                        rows.append({"n": n, "d": d, "threads": threads, "queries": m, "run": name,
                                     "cpu_ms_per_query_min": min(ts) * 1e3 / m,
                                     "cpu_ms_per_query_median": float(np.median(ts)) * 1e3 / m})
                        print(rows[-1], flush=True)
    out = Path(__file__).parent / "results" / "topk.json"
    out.write_text(json.dumps({"note": "CPU time, shared loaded machine, 3 repeats", "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
