"""The data behind a report's figures, computed when an evaluation runs (numpy only, no plotting).

Evaluators store it in :attr:`EvalResult.figures <textemb.evaluation.result.EvalResult.figures>` as
small JSON-ready values (lists of floats rounded to :data:`DIGITS` decimals), so a report written from
a saved JSON result draws exactly the pictures of the report written from the live result:

- ``analogy_pairs``: per group of :data:`~textemb.evaluation.analogy_groups.ANALOGY_GROUPS`, the
  pairs the model knows and their 2-D PCA projection (:func:`analogy_pairs_figure`);
- ``correlation``: the human scores and model cosines of a similarity benchmark (:func:`correlation_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from textemb.errors import InputError
from textemb.evaluation.analogy_groups import ANALOGY_GROUPS

#: decimals kept in figure data (plots need no more; keeps the JSON small)
DIGITS = 6


def pca_project(x: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """The rows of ``x`` on their first two principal components, and the variance ratio each explains.

    numpy only (no plotting library), so the report plots and ``textemb serve``'s scatter share it.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise InputError(f"need at least 2 vectors to project, got shape {x.shape}")
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    comps = vt[:2]
    signs = np.sign(comps[np.arange(len(comps)), np.argmax(np.abs(comps), axis=1)])
    out = xc @ (comps * signs[:, None]).T
    if out.shape[1] < 2:
        out = np.hstack([out, np.zeros((len(out), 2 - out.shape[1]))])
    var = s**2
    total = float(var.sum()) or 1.0
    ratios = [float(v / total) for v in var[:2]] + [0.0] * (2 - len(var[:2]))
    return out, ratios


def _floats(values: np.ndarray) -> list:
    """``values`` as nested lists of Python floats rounded to :data:`DIGITS` decimals (JSON-ready)."""
    return np.round(np.asarray(values, dtype=np.float64), DIGITS).tolist()


def analogy_pairs_figure(vectors: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """Per analogy group with at least 2 known pairs: ``{"title", "pairs", "points"}``.

    ``vectors`` maps group words to their vectors (words missing from it are left out); ``points``
    holds the 2-D PCA coordinates of the group's words in pair order (``a0, b0, a1, b1, ...``).
    """
    usable = {w: np.asarray(v, dtype=np.float64) for w, v in vectors.items()}
    usable = {w: v for w, v in usable.items() if v.ndim == 1 and np.isfinite(v).all()}  # broken rows: no point
    out = []
    for title, pairs in ANALOGY_GROUPS:
        known = [(a, b) for a, b in pairs if a in usable and b in usable]
        if len(known) < 2:
            continue
        words = [w for pair in known for w in pair]
        try:
            points = pca_project(np.stack([usable[w] for w in words]))[0]
        except np.linalg.LinAlgError:  # SVD did not converge: no picture, the evaluation is unaffected
            continue
        out.append({"title": title, "pairs": [list(p) for p in known], "points": _floats(points)})
    return out


def correlation_figure(gold: np.ndarray, model: np.ndarray) -> dict[str, list[float]]:
    """Human scores and model cosines, pair by pair, for the correlation scatter (finite pairs only,
    so the JSON stays valid)."""
    gold, model = np.asarray(gold, dtype=np.float64), np.asarray(model, dtype=np.float64)
    finite = np.isfinite(gold) & np.isfinite(model)
    return {"gold": _floats(gold[finite]), "model": _floats(model[finite])}
