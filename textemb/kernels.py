"""Batched nearest-neighbour kernels: many queries against one matrix, on numpy or torch.

Every query is scored against the candidate rows in blocks (one matrix multiply per block)
followed by a partial top-k, never one query at a time. ``device="cpu"`` uses numpy/BLAS;
any other device (``cuda``, ``cuda:1``, ``mps``) uses torch, imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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
    if not isinstance(device, str) or not device.split(":")[0] in ("cpu", "cuda", "mps"):
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
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and dot-product scores of the ``k`` best rows of ``matrix`` for each query.

    Args:
        queries: ``(m, d)`` float32 (normalise both sides first for cosine similarity).
        matrix: ``(n, d)`` float32 candidates.
        k: neighbours per query (capped at the number of candidates).
        exclude: per query, row indices that must not be returned (e.g. the query words).
        limit: only the first ``limit`` rows are candidates (gensim's ``restrict_vocab``).
        device: ``cpu`` for numpy, anything else for torch on that device.
    Returns:
        ``(indices, scores)``, both ``(m, min(k, n))``; excluded rows score ``-inf`` if reached.
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
    out_idx, out_scores = [], []
    for start in range(0, len(queries), block):
        scores = queries[start : start + block] @ np.asarray(candidates).T
        ex = None if exclude is None else exclude[start : start + block]
        idx, sc = topk_scores(scores, k, ex, inplace=True)  # a fresh block: no copy
        out_idx.append(idx)
        out_scores.append(sc)
    return np.concatenate(out_idx), np.concatenate(out_scores)


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
