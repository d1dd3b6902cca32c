"""The classic analogy pictures, as plain data: which word pairs a report draws (no plotting here).

The analogy evaluator looks these words up when it runs and stores their 2-D projection in the
result (:func:`analogy_pairs_figure`, with :mod:`textemb.evaluation.figure_data`'s PCA);
:mod:`textemb.evaluation.plots` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from textemb.evaluation.figure_data import json_floats, pca_project

#: the classic analogy pictures: (title, [(from, to), ...])
ANALOGY_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("male → female", [("man", "woman"), ("king", "queen"), ("uncle", "aunt"), ("brother", "sister"),
                       ("nephew", "niece"), ("actor", "actress")]),
    ("country → capital", [("france", "paris"), ("italy", "rome"), ("germany", "berlin"), ("japan", "tokyo"),
                           ("china", "beijing"), ("russia", "moscow"), ("greece", "athens"), ("egypt", "cairo")]),
]


def group_words() -> list[str]:
    """Every word of :data:`ANALOGY_GROUPS`, in order, each once."""
    return list(dict.fromkeys(w for _, pairs in ANALOGY_GROUPS for pair in pairs for w in pair))


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
        out.append({"title": title, "pairs": [list(p) for p in known], "points": json_floats(points)})
    return out
