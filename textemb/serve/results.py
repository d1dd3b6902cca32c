"""Turn library results into JSON-ready dicts: hits with an excerpt and highlight spans, a PCA scatter.

The page never receives HTML: a hit carries the excerpt as plain text plus ``[start, end)``
character spans of the query words in it, and the page builds text nodes and ``<mark>``
elements from them (``textContent``), so nothing from a document is ever parsed as markup.
"""

from __future__ import annotations

import math

import numpy as np

from textemb.search.highlight import excerpt, highlight_spans
from textemb.text import utf8_safe

#: characters of the best passage shown in a result
EXCERPT_CHARS = 320


def clean(text: object) -> str:
    """A string that always encodes as UTF-8 (lone surrogates from undecodable names become U+FFFD)."""
    return utf8_safe(text if isinstance(text, str) else str(text))


def finite(x: float) -> float | None:
    """A float JSON can carry (NaN and infinities become ``null``)."""
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def hit_json(hit, words: list[str], width: int = EXCERPT_CHARS) -> dict:
    """One search hit for the API: score, where it came from, the best passage and its excerpt."""
    text = clean(excerpt(hit.passage, words, width))
    return {"rank": hit.rank, "score": finite(hit.score), "id": clean(hit.id),
            "title": None if hit.title is None else clean(hit.title), "source": clean(hit.source),
            "start": hit.start, "end": hit.end, "passage": clean(hit.passage),
            "excerpt": text, "highlights": highlight_spans(text, words)}


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Project rows onto their first two principal components; returns points and explained-variance ratios."""
    from textemb.evaluation.figure_data import pca_project

    points, ratios = pca_project(vectors)
    return points.astype(np.float32), ratios
