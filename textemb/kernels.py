"""Batched nearest-neighbour kernels: many queries against one matrix, on numpy or torch.

Every query is scored against the candidate rows in blocks (one matrix multiply per block)
followed by a partial top-k, never one query at a time. ``device="cpu"`` uses numpy/BLAS;
any other device (``cuda``, ``cuda:1``, ``mps``) uses torch, imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textemb import compiled
from textemb.errors import InputError, MissingDependencyError

#: queries scored per block; bounds the memory of one score block to block * n_rows floats.
DEFAULT_BLOCK = 256


def resolve_device(device: str | None) -> str:
    """``None``/``"auto"`` → cuda, then mps, then cpu (torch only imported if installed)."""
    if device in (None, "auto"):
        try:
            import torch
        except ImportError:
            return "cpu"
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if not isinstance(device, str) or device.split(":")[0] not in ("cpu", "cuda", "mps"):
        raise InputError(f"unknown device {device!r}: use auto, cpu, cuda, cuda:N or mps")
    if device != "cpu":
        try:
            import torch
        except ImportError as exc:
            raise MissingDependencyError("torch", "contextual", f"device {device!r}") from exc
        kind = device.split(":")[0]
        if kind == "cuda" and not torch.cuda.is_available():
            raise InputError(f"device {device!r} requested but CUDA is not available here; use --device cpu")
        if kind == "mps" and not torch.backends.mps.is_available():
            raise InputError(f"device {device!r} requested but MPS is not available here; use --device cpu")
    return device


def topk_scores(
    scores: np.ndarray, k: int, exclude: Sequence[Sequence[int]] | None = None, *, inplace: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` columns of each row of ``scores`` (descending, ties by lower index).

    Partial selection: one ``np.partition`` per block finds each row's k-th largest score (floats only,
    no full index array, no negated copy), then only the columns at or above it are sorted. ``scores``
    is copied only when ``exclude`` must write into it and ``inplace`` is False.
    """
    scores = np.asarray(scores, dtype=np.float32)
    if scores.ndim == 1:
        scores = scores[None, :]
    if exclude is not None and any(len(cols) for cols in exclude):
        if not inplace or not scores.flags.writeable:
            scores = scores.copy()
        for row, cols in enumerate(exclude):
            if len(cols):
                scores[row, list(cols)] = -np.inf
    m, n = scores.shape
    k = min(k, n)
    idx = np.empty((m, k), dtype=np.int64)
    top = np.empty((m, k), dtype=np.float32)
    kth = np.partition(scores, n - k, axis=1)[:, n - k] if k < n else None
    for r in range(m):
        row = scores[r]
        cand = np.flatnonzero(row >= kth[r]) if kth is not None else None
        if cand is None or len(cand) < k:  # k >= n, or NaN scores (never >=): sort the whole row
            cand = np.arange(n)
        vals = row[cand]
        order = np.lexsort((cand, -vals))[:k]
        idx[r], top[r] = cand[order], vals[order]
    return idx, top


def nearest(
    queries: np.ndarray,
    matrix: np.ndarray,
    k: int,
    *,
    exclude: Sequence[Sequence[int]] | None = None,
    limit: int | None = None,
    device: str = "cpu",
    block: int = DEFAULT_BLOCK,
    chunk: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and dot-product scores of the ``k`` best rows of ``matrix`` for each query.

    Args:
        queries: ``(m, d)`` float32 (normalize both sides first for cosine similarity).
        matrix: ``(n, d)`` float32 candidates.
        k: neighbours per query (capped at the number of candidates).
        exclude: per query, row indices that must not be returned (e.g. the query words).
        limit: only the first ``limit`` rows are candidates (gensim's ``restrict_vocab``).
        device: ``cpu`` for numpy, anything else for torch on that device.
        chunk: candidate rows scored per step on CPU (default: about a million scores per step).

    Returns:
        ``(indices, scores)``, both ``(m, min(k, n))``, best first, ties by lower index; excluded rows score
        ``-inf`` if reached.
    """
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    n = matrix.shape[0] if limit is None else min(limit, matrix.shape[0])
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    if n == 0:
        raise InputError("no candidate vectors to search (empty vocabulary or index)")
    if queries.shape[1] != matrix.shape[1]:
        raise InputError(f"query dimension {queries.shape[1]} does not match the vectors' {matrix.shape[1]}")
    candidates = matrix[:n]
    if device != "cpu":
        return _nearest_torch(queries, candidates, k, exclude, device, block)
    candidates = np.asarray(candidates)
    out_idx, out_scores = [], []
    for start in range(0, len(queries), block):
        ex = None if exclude is None else exclude[start : start + block]
        q = queries[start : start + block]
        threads = _blas_threads(n) if len(q) > 1 else 1
        if threads > 1:
            idx, sc = _scan_threads(q, candidates, min(k, n), ex, chunk, threads)
        else:
            idx, sc = _scan(q, candidates, min(k, n), ex, chunk)
        out_idx.append(idx)
        out_scores.append(sc)
    return np.concatenate(out_idx), np.concatenate(out_scores)


def _blas_threads(n: int) -> int:
    """How many threads BLAS may use now (threadpoolctl), capped so each gets at least 64k candidate rows."""
    controller = _blas_controller()
    if controller is None:
        return 1
    threads = max((lib.num_threads for lib in controller.lib_controllers), default=1)
    return max(1, min(threads, n // 65536))


_CONTROLLER: list = []


def _blas_controller():
    """numpy's BLAS libraries as a threadpoolctl controller (None without threadpoolctl); looked up once."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER.append(None)
        else:
            blas = ThreadpoolController().select(user_api="blas")
            _CONTROLLER.append(blas if blas.lib_controllers else None)
    return _CONTROLLER[0]


def _scan_threads(q: np.ndarray, mat: np.ndarray, k: int, exclude, chunk: int | None, threads: int):
    """:func:`_scan` over ``threads`` row ranges in parallel, BLAS pinned to one thread meanwhile.

    Each thread multiplies and selects in its own range, so no BLAS thread spins while another selects (with
    OpenBLAS' own threads the selection between two small products left the other core spinning: 2x the CPU).
    """
    from concurrent.futures import ThreadPoolExecutor

    bounds = np.linspace(0, len(mat), threads + 1).astype(np.int64)
    ranges = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
    with _blas_controller().limit(limits=1), ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(lambda r: _scan(q, mat[r[0] : r[1]], min(k, r[1] - r[0]), exclude, chunk, r[0]),
                              ranges))
    all_idx = np.concatenate([p[0] for p in parts], axis=1)
    all_sc = np.concatenate([p[1] for p in parts], axis=1)
    order = np.lexsort((all_idx, -all_sc), axis=1)[:, :k]
    return np.take_along_axis(all_idx, order, axis=1), np.take_along_axis(all_sc, order, axis=1)


def _scan(
    q: np.ndarray, mat: np.ndarray, k: int, exclude, chunk: int | None, offset: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` of ``q @ mat.T``, streaming over ``mat`` in chunks of rows.

    Each chunk is scored into one preallocated buffer (BLAS writes it in place: no score copies), and only the
    scores above each query's current k-th best are merged; the first chunk is selected with
    :func:`topk_scores`. Memory is one ``(m, chunk)`` buffer whatever the size of ``mat``. ``mat`` starts at
    row ``offset`` of the whole matrix (``exclude`` and the returned indices count from the whole matrix).
    """
    m, n = len(q), len(mat)
    ex_rows, ex_cols = _exclusions(exclude)
    ex_cols = ex_cols - offset
    if m == 1 and (fused := compiled.top_k(mat, q[0], k, ex_cols)) is not None:
        return fused[0][None] + offset, fused[1][None]
    chunk = max(k, chunk or min(32768, max(4096, (1 << 20) // max(m, 1))))
    buf = np.empty(m * min(chunk, n), dtype=np.float32)
    best_idx = best_sc = None
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        scores = buf[: m * (e - s)].reshape(m, e - s)
        rows = mat[s:e] if mat.dtype == np.float32 else mat[s:e].astype(np.float32)
        if m == 1:  # one query: SIMD row dots (compiled, or numpy's) beat BLAS gemv
            _row_dots(rows, q[0], scores[0])
        else:
            np.matmul(q, rows.T, out=scores)
        if len(ex_cols):
            hit = (ex_cols >= s) & (ex_cols < e)
            scores[ex_rows[hit], ex_cols[hit] - s] = -np.inf
        if best_idx is None:  # a full selection on a short head only; its k-th best filters the rest
            head = min(e - s, max(k, 2048))
            best_idx, best_sc = topk_scores(scores[:, :head], k, inplace=True)
            if head < e - s:
                _merge(scores[:, head:], s + head, best_idx, best_sc)
        else:
            _merge(scores, s, best_idx, best_sc)
    assert best_idx is not None and best_sc is not None
    return (best_idx + offset if offset else best_idx), best_sc


def _row_dots(rows: np.ndarray, q: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = rows[i] @ q`` at memory speed: the compiled loop once it pays (:mod:`textemb.compiled`), else
    numpy's fastest form for the row length (measured on GloVe 400k x 50 and 1M x 384, see bench_topk.py)."""
    if compiled.row_dots(rows, q, out):
        return
    if rows.shape[1] < 128:
        np.einsum("ij,j->i", rows, q, out=out)
    else:
        np.vecdot(rows, q, out=out)


def _exclusions(exclude) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` of every excluded cell."""
    if exclude is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = [np.full(len(cols), r, dtype=np.int64) for r, cols in enumerate(exclude)]
    cols = [np.asarray(list(c), dtype=np.int64) for c in exclude]
    return np.concatenate(rows or [np.zeros(0, np.int64)]), np.concatenate(cols or [np.zeros(0, np.int64)])


def _merge(scores: np.ndarray, offset: int, best_idx: np.ndarray, best_sc: np.ndarray) -> None:
    """Fold the columns of ``scores`` (global index ``offset + j``) that can enter each row's top-k into
    ``best_idx``/``best_sc`` (in place). Only scores above the current k-th best can (ties keep the lower,
    earlier index); a row whose k-th best is NaN takes every column."""
    m, k = best_sc.shape
    kth = best_sc[:, -1]
    if m == 1 and _merge_one(scores[0], offset, best_idx[0], best_sc[0]):
        return
    live = np.flatnonzero((np.fmax.reduce(scores, axis=1) > kth) | np.isnan(kth))  # rows with anything to merge
    if not len(live):
        return
    sub = scores if len(live) == m else scores[live]
    hit = sub > kth[live, None]
    hit[np.isnan(kth[live])] = True
    rows, cols = np.nonzero(hit)
    counts = np.bincount(rows, minlength=len(live))
    if counts.max() > max(4 * k, 64):  # many candidates (adversarial order, NaN): select within the chunk first
        c_idx, c_sc = topk_scores(sub, k, inplace=True)
        c_idx = c_idx + offset
    else:
        width = int(counts.max())
        c_idx = np.full((len(live), width), np.iinfo(np.int64).max, dtype=np.int64)
        c_sc = np.full((len(live), width), np.nan, dtype=np.float32)  # padding sorts after everything real
        slot = np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows]
        c_idx[rows, slot] = cols + offset
        c_sc[rows, slot] = sub[rows, cols]
    all_idx = np.concatenate([best_idx[live], c_idx], axis=1)
    all_sc = np.concatenate([best_sc[live], c_sc], axis=1)
    order = np.lexsort((all_idx, -all_sc), axis=1)[:, :k]
    best_idx[live] = np.take_along_axis(all_idx, order, axis=1)
    best_sc[live] = np.take_along_axis(all_sc, order, axis=1)


def _merge_one(scores: np.ndarray, offset: int, best_idx: np.ndarray, best_sc: np.ndarray) -> bool:
    """:func:`_merge` for one query in a few numpy calls; False when the general path must handle it."""
    k = len(best_sc)
    kth = best_sc[-1]
    if np.isnan(kth):
        return False
    if not np.fmax.reduce(scores) > kth:
        return True
    cand = np.flatnonzero(scores > kth)
    if len(cand) > 32 * k + 256:
        return False
    all_idx = np.concatenate((best_idx, cand + offset))
    all_sc = np.concatenate((best_sc, scores[cand]))
    order = np.lexsort((all_idx, -all_sc))[:k]
    best_idx[:] = all_idx[order]
    best_sc[:] = all_sc[order]
    return True


_DEVICE_CACHE: dict[tuple[int, str, int], object] = {}


def to_device_matrix(matrix: np.ndarray, device: str):
    """The torch copy of ``matrix`` on ``device`` (cached per array, so repeated calls are free)."""
    import torch

    key = (id(matrix), device, matrix.shape[0])
    cached = _DEVICE_CACHE.get(key)
    if cached is None:
        cached = torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32)).to(device)
        _DEVICE_CACHE.clear()  # keep at most one matrix resident
        _DEVICE_CACHE[key] = cached
    return cached


def _nearest_torch(queries, candidates, k, exclude, device, block):
    import torch

    mat = to_device_matrix(np.asarray(candidates), device)
    k = min(k, mat.shape[0])
    out_idx, out_scores = [], []
    with torch.inference_mode():
        for start in range(0, len(queries), block):
            q = torch.from_numpy(queries[start : start + block]).to(device)
            scores = q @ mat.T
            if exclude is not None:
                for row, cols in enumerate(exclude[start : start + block]):
                    if len(cols):
                        scores[row, torch.as_tensor(list(cols), device=device)] = float("-inf")
            sc, idx = torch.topk(scores, k, dim=1, largest=True, sorted=True)
            out_idx.append(idx.cpu().numpy().astype(np.int64))
            out_scores.append(sc.float().cpu().numpy())
    return np.concatenate(out_idx), np.concatenate(out_scores)
