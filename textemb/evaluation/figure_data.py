"""The data behind a report's figures, computed when an evaluation runs (numpy only, no plotting).

Evaluators store it in :attr:`EvalResult.figures <textemb.evaluation.result.EvalResult.figures>` as
small JSON-ready values (lists of floats rounded to :data:`DIGITS` decimals), so a report written from
a saved JSON result draws exactly the pictures of the report written from the live result:

- ``analogy_pairs``: per group of :data:`~textemb.evaluation.analogy.ANALOGY_GROUPS`, the
  pairs the model knows and their 2-D PCA projection
  (:func:`~textemb.evaluation.analogy.analogy_pairs_figure`, beside the groups it draws);
- ``correlation``: the human scores and model cosines of a similarity benchmark (:func:`correlation_figure`).
"""

from __future__ import annotations

import numpy as np

from textemb.errors import InputError

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


def json_floats(values: np.ndarray) -> list:
    """``values`` as nested lists of Python floats rounded to :data:`DIGITS` decimals (JSON-ready)."""
    return np.round(np.asarray(values, dtype=np.float64), DIGITS).tolist()


def correlation_figure(gold: np.ndarray, model: np.ndarray) -> dict[str, list[float]]:
    """Human scores and model cosines, pair by pair, for the correlation scatter (finite pairs only,
    so the JSON stays valid)."""
    gold, model = np.asarray(gold, dtype=np.float64), np.asarray(model, dtype=np.float64)
    finite = np.isfinite(gold) & np.isfinite(model)
    return {"gold": json_floats(gold[finite]), "model": json_floats(model[finite])}
