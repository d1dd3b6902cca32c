"""Exact top-10 search: textemb.kernels.nearest vs faiss IndexFlatIP (and textemb before issue 13), side by side.

Shapes: the real GloVe 6B 50d vectors (400k x 50, unit rows; queries are vectors of vocabulary words) and
1M x 384 synthetic unit vectors (random queries). One query at a time (``--singles`` different queries per
repeat) and a batch of 64 queries. Threads 1 and 2: each (shape, threads) runs in a fresh subprocess with
OMP/OPENBLAS/MKL_NUM_THREADS set, threadpoolctl limits on every BLAS/OpenMP pool (numpy's and faiss's
OpenBLAS, libgomp) and ``faiss.omp_set_num_threads``. 3 repeats after a warm-up; CPU time (process_time, all
threads) and wall time per query, min and median. The machine is shared, so CPU-time ratios are the fairer
figure; faiss' OpenMP threads spin while waiting, which shows up as CPU time at 2 threads.

textemb runs with its compiled single-query loop (numba, compiled once per process before timing: the time
it took is ``prepare_s`` in every row) and with numpy only (``TEXTEMB_COMPILED=0``, as without numba).

Every textemb result is compared with faiss: same ids in the same order, or a swap between equal scores.

    python bench/bench_topk.py [--shapes glove,1000000x384] [--threads 1,2]

Writes bench/results/topk.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save  # noqa: E402

K = 10
BATCH = 64


def _data(shape: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(unit matrix, BATCH unit queries)`` for ``glove`` (real vectors) or ``NxD`` (synthetic)."""
    if shape == "glove":
        import textemb

        wv = textemb.load_encoder("glove-6b-50d")
        mat = np.ascontiguousarray(wv.unit_vectors, dtype=np.float32)
        queries = mat[rng.choice(np.arange(100, 50000), size=BATCH, replace=False)].copy()
        return mat, queries
    n, d = map(int, shape.split("x"))
    mat = rng.standard_normal((n, d), dtype=np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    queries = rng.standard_normal((BATCH, d), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return mat, queries


def _same(idx: np.ndarray, sc: np.ndarray, ref_idx: np.ndarray, ref_sc: np.ndarray) -> dict:
    """Positions where the ids differ, and how many of those are swaps between equal scores (ties)."""
    diff = idx != ref_idx
    ties = diff & np.isclose(sc, ref_sc, rtol=0, atol=1e-6)
    return {"identical": bool(not diff.any()), "differing_positions": int(diff.sum()), "of_which_ties": int(ties.sum())}


def _time(fn, calls: int, repeats: int = 3) -> dict:
    fn()  # warm-up
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c) * 1e3 / calls)
        wall.append((time.perf_counter() - w) * 1e3 / calls)
    return {"cpu_ms_per_query_min": min(cpu), "cpu_ms_per_query_median": float(np.median(cpu)),
            "wall_ms_per_query_min": min(wall), "wall_ms_per_query_median": float(np.median(wall))}


def child(shape: str, threads: int, singles: int) -> list[dict]:
    """Every run for one shape at one thread count (in this process)."""
    import faiss
    import threadpoolctl

    from textemb import compiled, kernels

    rng = np.random.default_rng(0)
    mat, queries = _data(shape, rng)
    index = faiss.IndexFlatIP(mat.shape[1])
    index.add(mat)
    faiss.omp_set_num_threads(threads)
    started = time.perf_counter()
    prepared = {"compiled": compiled.prepare(), "prepare_s": round(time.perf_counter() - started, 3)}
    rows = []
    with threadpoolctl.threadpool_limits(threads):
        for batch in (1, BATCH):
            runs = {
                "faiss IndexFlatIP": lambda q: index.search(q, K)[::-1],
                "textemb nearest": lambda q: kernels.nearest(q, mat, K),
                "textemb nearest, numpy only": lambda q: _numpy_only(kernels.nearest, q, mat),
                "textemb before (q @ M.T + topk_scores)": lambda q: kernels.topk_scores(q @ mat.T, K, inplace=True),
            }
            groups = [queries[i : i + 1] for i in range(singles)] if batch == 1 else [queries]
            ref = [runs["faiss IndexFlatIP"](q) for q in groups]
            for name, fn in runs.items():
                got = [fn(q) for q in groups]
                check = _same(np.concatenate([g[0] for g in got]), np.concatenate([g[1] for g in got]),
                              np.concatenate([r[0] for r in ref]), np.concatenate([r[1] for r in ref]))
                timing = _time(lambda: [fn(q) for q in groups], calls=len(groups) * batch)
                rows.append({"shape": shape, "n": int(mat.shape[0]), "d": int(mat.shape[1]), "threads": threads,
                             "batch": batch, "run": name, **timing, "vs_faiss": check, **prepared})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def _numpy_only(nearest, q: np.ndarray, mat: np.ndarray):
    """``nearest`` with the compiled loop turned off (``TEXTEMB_COMPILED=0``), as on a machine without numba."""
    os.environ["TEXTEMB_COMPILED"] = "0"
    try:
        return nearest(q, mat, K)
    finally:
        del os.environ["TEXTEMB_COMPILED"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="glove,1000000x384")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--singles", type=int, default=16, help="single queries timed one after another per repeat")
    ap.add_argument("--child", nargs=2, metavar=("SHAPE", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        rows = child(args.child[0], int(args.child[1]), args.singles)
        print("ROWS " + json.dumps(rows))
        return
    rows = []
    for shape in args.shapes.split(","):
        for threads in map(int, args.threads.split(",")):
            env = {**os.environ, **{v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
            out = subprocess.run([sys.executable, __file__, "--child", shape, str(threads), "--singles", str(args.singles)],
                                 env=env, check=True, capture_output=True, text=True).stdout
            rows += json.loads(out.split("ROWS ", 1)[1])
    _print_table(rows)
    path = save("topk", {"k": K, "note": "CPU time (process_time, all threads) and wall, per query; 3 repeats after "
                         "a warm-up; 2-core machine, its load average at the end is under 'machine'", "rows": rows})
    print(f"wrote {path}")


def _print_table(rows: list[dict]) -> None:
    print("\n| shape | threads | batch | faiss CPU ms/q (min/med) | textemb CPU ms/q | CPU ratio faiss/textemb "
          "| faiss wall ms/q | textemb wall ms/q | numpy-only CPU ms/q | before CPU ms/q | same ids as faiss |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    by = {(r["shape"], r["threads"], r["batch"], r["run"]): r for r in rows}
    for (shape, threads, batch, run), r in by.items():
        if run != "textemb nearest":
            continue
        f = by[(shape, threads, batch, "faiss IndexFlatIP")]
        b = by[(shape, threads, batch, "textemb before (q @ M.T + topk_scores)")]
        u = by[(shape, threads, batch, "textemb nearest, numpy only")]
        print(f"| {shape} | {threads} | {batch} | {f['cpu_ms_per_query_min']:.2f} / {f['cpu_ms_per_query_median']:.2f} "
              f"| {r['cpu_ms_per_query_min']:.2f} / {r['cpu_ms_per_query_median']:.2f} "
              f"| {f['cpu_ms_per_query_min'] / r['cpu_ms_per_query_min']:.2f}x "
              f"| {f['wall_ms_per_query_min']:.2f} | {r['wall_ms_per_query_min']:.2f} | {u['cpu_ms_per_query_min']:.2f} "
              f"| {b['cpu_ms_per_query_min']:.2f} "
              f"| {r['vs_faiss']['identical']} ({r['vs_faiss']['differing_positions']} diff, {r['vs_faiss']['of_which_ties']} ties) |")


if __name__ == "__main__":
    main()
