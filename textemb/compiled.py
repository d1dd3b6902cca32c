"""Optional compiled loops (numba) for one query against many rows: a one-pass top-k (:func:`top_k`), and the
row dots ``out[i] = rows[i] @ q`` (:func:`row_dots`) for what the top-k leaves to numpy's chunked path (k over
:data:`TOP_K_MAX`, NaN scores).

numpy has no single-query row dot at memory speed: on GloVe 400k x 50 ``einsum`` takes 3.8 ms and ``matmul``
(BLAS gemv) 5.7 ms, where one compiled pass over the same 80 MB takes 2.4 ms (``bench/bench_topk.py``). The loops
are compiled once per process, in about 1.4 s with numba's import, so they are used only where that pays:

- after :func:`prepare` (``textemb serve`` calls it at start-up; so can a long Python session or a benchmark), or
- on its own, once the process has scored :data:`AUTO_AFTER` multiply-adds one query at a time with numpy.

Batches of queries never come here: BLAS' matrix product is already at memory speed for them. Nothing is cached
on disk (numba's cache index is a pickle, and textemb runs no code from a file). ``TEXTEMB_COMPILED=0`` turns the
compiled loop off; without numba (``pip install 'textemb[fast]'``) numpy is used and the results are the same.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

#: multiply-adds scored one query at a time before the 1.4 s compile: about 2 s of numpy time (500 GloVe 400k x 50
#: queries), as a JIT compiles what has run as long as compiling takes; a process doing that much is likely to go on
AUTO_AFTER = 10_000_000_000

#: the one-pass top-k keeps its best list sorted by insertion: cheap for small k, quadratic-ish for large k
TOP_K_MAX = 256

_STATE: dict[str, Any] = {"loop": None, "tried": False, "work": 0}


def enabled() -> bool:
    """Whether the compiled loop may be used here (``TEXTEMB_COMPILED`` is not ``0``/``false``/``off``)."""
    return os.environ.get("TEXTEMB_COMPILED", "1").strip().lower() not in ("0", "false", "no", "off")


def prepare() -> bool:
    """Compile the loop now (once per process); True when it is ready, False without numba or when turned off."""
    if _STATE["loop"] is not None:
        return True
    if _STATE["tried"] or not enabled():
        return False
    _STATE["tried"] = True
    try:
        import numba
    except ImportError:
        return False
    try:
        _STATE["loop"] = _compile(numba)
    except Exception as exc:  # an LLVM or numba fault must not fail a search: numpy gives the same answers
        import warnings

        warnings.warn(f"the compiled search loop could not be built ({type(exc).__name__}: {exc}); numpy is "
                      "used instead (set TEXTEMB_COMPILED=0 to skip trying)", RuntimeWarning, stacklevel=2)
        return False
    return True


def _compile(numba: Any) -> Any:
    """The row-dot loop and the one-pass top-k, compiled for C-contiguous float32 rows and query (read-only).

    ``reassoc`` lets LLVM sum each dot in SIMD lanes (as numpy's and faiss' kernels do); NaN and infinity keep
    their IEEE meaning, so a NaN row still scores NaN.
    """
    ro = numba.types.Array(numba.float32, 2, "C", readonly=True), numba.types.Array(numba.float32, 1, "C", readonly=True)

    @numba.njit(numba.void(ro[0], ro[1], numba.float32[::1]), fastmath={"reassoc", "contract"}, nogil=True,
                cache=False)
    def row_dots(rows, q, out):  # pragma: no cover - compiled
        n, d = rows.shape
        for i in range(n):
            acc = np.float32(0.0)
            for j in range(d):
                acc += rows[i, j] * q[j]
            out[i] = acc

    @numba.njit(numba.types.Tuple((numba.int64[::1], numba.float32[::1], numba.boolean))(ro[0], ro[1], numba.int64,
                                                                                         numba.int64[::1]),
                fastmath={"reassoc", "contract"}, nogil=True, cache=False)
    def top_k(rows, q, k, excluded):  # pragma: no cover - compiled
        n, d = rows.shape
        k = min(k, n)
        idx = np.zeros(k, np.int64)
        sc = np.zeros(k, np.float32)
        filled = 0
        for i in range(n):
            acc = np.float32(0.0)
            for j in range(d):
                acc += rows[i, j] * q[j]
            if acc != acc:  # NaN: numpy's path orders it
                return idx, sc, False
            if filled == k and not acc > sc[k - 1]:
                continue
            if len(excluded):  # sorted; only rows that would enter the list are looked up
                at = np.searchsorted(excluded, i)
                if at < len(excluded) and excluded[at] == i:
                    acc = -np.inf  # as numpy's path scores them: they come last, and only if k needs them
                    if filled == k and not acc > sc[k - 1]:
                        continue
            pos = filled if filled < k else k - 1
            while pos > 0 and acc > sc[pos - 1]:  # equal scores keep the earlier (lower) index first
                if pos < k:
                    sc[pos] = sc[pos - 1]
                    idx[pos] = idx[pos - 1]
                pos -= 1
            sc[pos] = acc
            idx[pos] = i
            filled = min(filled + 1, k)
        return idx, sc, True

    return row_dots, top_k


def top_k(rows: np.ndarray, q: np.ndarray, k: int, excluded: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray] | None:
    """Indices and scores of the ``k`` best ``rows @ q`` in one compiled pass (best first, ties by lower index),
    or None when numpy must do it (loop not ready, large ``k``, a NaN score, rows not C-contiguous float32).

    Rows in ``excluded`` score ``-inf``, as in :func:`textemb.kernels.nearest`.
    """
    if k > TOP_K_MAX or not _ready_for(rows, count=False) or not (q.dtype == np.float32 and q.flags.c_contiguous):
        return None
    excluded = np.unique(np.asarray([] if excluded is None else excluded, dtype=np.int64))
    idx, sc, ok = _STATE["loop"][1](_readonly(rows), _readonly(q), k, excluded)
    return (idx, sc) if ok else None


def row_dots(rows: np.ndarray, q: np.ndarray, out: np.ndarray) -> bool:
    """Fill ``out`` with ``rows @ q`` through the compiled loop; False (``out`` untouched) when numpy must do it.

    Counts the work towards :data:`AUTO_AFTER` until the loop is compiled.
    """
    if not (_ready_for(rows) and q.dtype == out.dtype == np.float32 and q.flags.c_contiguous
            and out.flags.c_contiguous):
        return False
    _STATE["loop"][0](_readonly(rows), _readonly(q), out)
    return True


def _readonly(a: np.ndarray) -> np.ndarray:
    """A read-only plain-ndarray view of ``a``: the loops are compiled once, for read-only inputs, so a
    memory-mapped ``mode='r'`` matrix and a writable one take the same compiled code."""
    view = np.asarray(a).view(np.ndarray)
    view.flags.writeable = False
    return view


def _ready_for(rows: np.ndarray, count: bool = True) -> bool:
    """Whether the compiled loops can take ``rows`` now; with ``count``, the rows count towards
    :data:`AUTO_AFTER` and the loops are compiled once it is reached (numpy's row dots count, each once)."""
    if _STATE["loop"] is None or not enabled():
        if _STATE["loop"] is not None or _STATE["tried"] or not count:
            return False
        _STATE["work"] += rows.size
        if _STATE["work"] < AUTO_AFTER or not prepare():
            return False
    return rows.dtype == np.float32 and rows.flags.c_contiguous


def ready() -> bool:
    """Whether the compiled loop is compiled in this process."""
    return _STATE["loop"] is not None
