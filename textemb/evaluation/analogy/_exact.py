"""gensim's own arithmetic and answer rule for analogies: the exact path behind every near tie.

The kernel (:mod:`textemb.evaluation.analogy._kernel`) scores in its own float32 order of operations,
which differs from gensim's in the last bits. Where a decision rests on two scores closer than the
tolerance, the question is re-scored here exactly as gensim 4.4 does it, so counts match question by question.
"""

from __future__ import annotations

import numpy as np

TOPN = 5  #: gensim looks at the 5 best candidates (after removing the question words)
KEEP = TOPN + 1  #: one more, to see whether the 5th place is a near tie


def reference_top(vectors: np.ndarray, norms: np.ndarray, candidates: int, question: tuple[int, int, int],
                  method: str, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``KEEP`` best candidates (rows, scores) of one question (a, b, c), computed exactly like gensim 4.4."""
    a, b, c = question
    n = candidates
    if method == "3cosadd":
        mean = gensim_mean(vectors, norms, (b, c, a), (1.0, 1.0, -1.0))
        dists = np.dot(vectors[:n], mean) / norms[:n]
    else:  # gensim most_similar_cosmul: ((1 + dot(vectors, unit) / norms) / 2), eq. (4)
        sims = [((1 + np.dot(vectors[:n], vectors[x] / norms[x]) / norms[:n]) / 2) for x in (b, c, a)]
        dists = sims[0] * sims[1] / (sims[2] + epsilon)
    best = gensim_argsort(dists, TOPN + 3)
    keep = [int(r) for r in best if r not in (a, b, c)][:KEEP]
    rows = np.full(KEEP, -1, dtype=np.int64)
    scores = np.full(KEEP, -np.inf, dtype=np.float32)
    rows[: len(keep)] = keep
    scores[: len(keep)] = dists[keep]
    return rows, scores


def gensim_mean(vectors: np.ndarray, norms: np.ndarray, keys, weights) -> np.ndarray:
    """``KeyedVectors.get_mean_vector(pre_normalize=True, post_normalize=True)`` step by step."""
    from scipy.linalg import get_blas_funcs

    w = np.asarray(weights, dtype=np.float64)
    mean = np.zeros(vectors.shape[1], dtype=np.float32)
    total = 0
    for i, k in enumerate(keys):
        mean += w[i] * (vectors[k] / norms[k])
        total += abs(w[i])
    mean = mean / total
    nrm2 = get_blas_funcs("nrm2", (np.zeros(1),))
    scal = get_blas_funcs("scal", (np.zeros(1),))
    length = nrm2(mean)
    if length > 0.0:
        mean = scal(1.0 / length, mean).astype(mean.dtype)
    return mean.astype(np.float32)


def gensim_argsort(x: np.ndarray, topn: int) -> np.ndarray:
    """``gensim.matutils.argsort(x, topn, reverse=True)``, so exact ties break the same way."""
    x = -np.asarray(x)
    if topn >= x.size:
        return np.argsort(x)[:topn]
    most_extreme = np.argpartition(x, topn)[:topn]
    return most_extreme.take(np.argsort(x.take(most_extreme)))


def decide(keys: np.ndarray, questions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """gensim's answer over the 5 best candidates' keys (question words by row already removed).

    The answer is the first candidate whose key is not a question word; if all are, gensim keeps the
    last one it looked at. ``keys``: (m, >=5) key id per place, -1 for none. Returns (place, key), -1 when none.
    """
    top = keys[:, :TOPN]
    present = top >= 0
    allowed = present & (top != questions[:, 0:1]) & (top != questions[:, 1:2]) & (top != questions[:, 2:3])
    has = allowed.any(axis=1)
    first = np.argmax(allowed, axis=1)
    last = present.sum(axis=1) - 1
    place = np.where(has, first, last)
    key = np.where(place >= 0, np.take_along_axis(top, np.maximum(place, 0)[:, None], axis=1)[:, 0], -1)
    return place, key


def near_ties(scores: np.ndarray, place: np.ndarray, tol: float) -> np.ndarray:
    """Questions where a gap between consecutive candidates up to place ``place + 1`` is under ``tol``."""
    with np.errstate(invalid="ignore"):
        gaps = scores[:, :-1] - scores[:, 1:]  # place i vs i+1; -inf rows give nan/inf, never < tol
        scale = np.maximum(1.0, np.abs(scores[:, :-1]))
        upto = np.arange(gaps.shape[1])[None, :] <= place[:, None]
        return ((gaps < tol * scale) & upto).any(axis=1)
