"""Pictures for reports and for ``textemb plot``: 2-D projections and accuracy bars.

matplotlib is imported lazily and used through its object-oriented Agg canvas (no pyplot, no
global backend switch), so plotting works headless and never touches the caller's state. Every label
(words, section names, encoder names, titles) is plain text: control characters are escaped and a
``$`` is never parsed as mathtext (see :func:`plain`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textemb.errors import InputError, MissingDependencyError
from textemb.evaluation.analogy import ANALOGY_GROUPS
from textemb.evaluation.figure_data import pca_project

__all__ = ["ANALOGY_GROUPS", "PROJECTIONS", "analogy_pairs_png", "correlation_png", "pca_2d", "pca_project", "plain",
           "plot_texts", "project", "scatter_png", "section_bars_png"]

PROJECTIONS = ("pca", "tsne", "umap")
_PROJ_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}

_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _figure(width: float, height: float):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingDependencyError("matplotlib", "eval", "plots and HTML reports") from exc
    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def plain(text: object) -> str:
    """``text`` as a literal matplotlib label: controls escaped, every ``$`` shown as a dollar sign.

    matplotlib parses text between two ``$`` as mathtext (``$\\frac{$`` crashes the whole figure,
    ``prices $5 to $10`` silently renders as math); an escaped ``\\$`` is always drawn as ``$``.
    """
    from textemb.text import printable

    return printable(text).replace("$", r"\$")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    from textemb import __version__

    # the PNG's Software text chunk marks it as textemb's (textemb.io.ownership.FILE_SIGNATURES)
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": f"textemb {__version__}"})
    return buf.getvalue()


def pca_2d(x: np.ndarray) -> np.ndarray:
    """First two principal components of the rows of ``x`` (numpy SVD, signs made deterministic)."""
    return pca_project(x)[0]


def project(x: np.ndarray, method: str = "pca", *, seed: int = 0) -> np.ndarray:
    """2-D coordinates of the rows of ``x`` by PCA (numpy), t-SNE (scikit-learn) or UMAP (umap-learn)."""
    x = np.asarray(x, dtype=np.float64)
    if method == "pca":
        return pca_2d(x)
    if len(x) < 3:
        raise InputError(f"{method} needs at least 3 points, got {len(x)}; use --method pca")
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError as exc:
            raise MissingDependencyError("scikit-learn", "eval", "t-SNE plots") from exc
        perplexity = float(min(30.0, max(1.0, (len(x) - 1) / 3)))
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    if method == "umap":
        try:
            import umap
        except ImportError as exc:
            raise MissingDependencyError("umap-learn", "umap", "UMAP plots") from exc
        n_neighbors = int(min(15, len(x) - 1))
        return umap.UMAP(n_components=2, n_neighbors=n_neighbors, random_state=seed).fit_transform(x)
    raise InputError(f"unknown projection {method!r}: use one of {', '.join(PROJECTIONS)}")


def scatter_png(labels: Sequence[str], coords: np.ndarray, *, title: str = "") -> bytes:
    """A labelled 2-D scatter plot as PNG bytes."""
    fig = _figure(7.5, 6.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(coords[:, 0], coords[:, 1], s=28, color=_COLORS[0], alpha=0.8)
    for (x, y), label in zip(coords, labels):
        ax.annotate(plain(_short(label)), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=9)
    ax.set_title(plain(title), fontsize=11)
    ax.grid(alpha=0.25)
    return _png(fig)


def plot_texts(encoder, texts: Sequence[str], path: str | Path, *, method: str = "pca", seed: int = 0,
               title: str | None = None) -> Path:
    """Embed ``texts`` (words or documents) with ``encoder``, project to 2-D, write a PNG."""
    texts = list(texts)
    if len(texts) < 2:
        raise InputError("give at least 2 words or texts to plot")
    vectors = encoder.encode(texts, normalize=True)
    coords = project(vectors, method, seed=seed)
    kind = "words" if all(len(t.split()) == 1 for t in texts) else "texts"
    title = title or f"{getattr(encoder, 'name', 'encoder')} — {_PROJ_NAMES[method]} of {len(texts)} {kind}"
    path = Path(path)
    from textemb.io.atomic import atomic_write_bytes

    atomic_write_bytes(path, scatter_png(texts, coords, title=title))
    return path


def analogy_pairs_png(groups: Sequence[dict], *, title: str = "") -> bytes | None:
    """The classic picture: word pairs in 2-D with an arrow from each word to its partner.

    ``groups`` is a result's ``figures["analogy_pairs"]`` (:func:`~textemb.evaluation.analogy.analogy_pairs_figure`):
    per group a title, its pairs and their projected points, computed when the evaluation ran.
    """
    if not groups:
        return None
    fig = _figure(6.0 * len(groups), 5.0)
    for g_i, group in enumerate(groups):
        ax = fig.add_subplot(1, len(groups), g_i + 1)
        _draw_pairs(ax, [tuple(p) for p in group["pairs"]], np.asarray(group["points"], dtype=np.float64))
        ax.set_title(plain(group["title"]), fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.margins(0.12)
    if title:
        fig.suptitle(plain(title), fontsize=11)
    return _png(fig)


def _draw_pairs(ax, pairs: Sequence[tuple[str, str]], coords: np.ndarray) -> None:
    """Arrows from each pair's first word to its second, both labelled (the second in bold)."""
    labels = _spread_labels(coords, [w for pair in pairs for w in pair])
    for p_i, (a, b) in enumerate(pairs):
        ca, cb = coords[2 * p_i], coords[2 * p_i + 1]
        color = _COLORS[p_i % len(_COLORS)]
        ax.annotate("", xy=cb, xytext=ca, arrowprops=dict(arrowstyle="->", color=color, lw=1.4, alpha=0.8))
        ax.scatter([ca[0]], [ca[1]], color=color, s=22, marker="o")
        ax.scatter([cb[0]], [cb[1]], color=color, s=22, marker="s")
        for word, xy, bold in ((a, labels[2 * p_i], False), (b, labels[2 * p_i + 1], True)):
            ax.annotate(plain(word), xy, xytext=(4, 2), textcoords="offset points", fontsize=9, color="#222",
                        fontweight="bold" if bold else "normal")


def _spread_labels(coords: np.ndarray, words: Sequence[str]) -> np.ndarray:
    """Label anchors nudged vertically so that labels of nearby points do not overlap."""
    span = np.ptp(coords, axis=0)
    span[span == 0] = 1.0
    pos = coords.copy()
    height = 0.06 * span[1]
    for _ in range(30):
        moved = False
        order = np.argsort(-pos[:, 1])
        for i_, i in enumerate(order):
            for j in order[i_ + 1 :]:
                width = 0.026 * span[0] * max(len(words[i]), len(words[j])) + 0.02 * span[0]
                if abs(pos[i, 0] - pos[j, 0]) < width and abs(pos[i, 1] - pos[j, 1]) < height:
                    pos[j, 1] = pos[i, 1] - height
                    moved = True
        if not moved:
            break
    return pos


def section_bars_png(sections_by_encoder: dict[str, list[dict]], *, title: str = "") -> bytes:
    """Horizontal bars of per-section accuracy, one bar per encoder in each section."""
    encoders = list(sections_by_encoder)
    names = [s["section"] for s in next(iter(sections_by_encoder.values()))]
    n, k = len(names), len(encoders)
    fig = _figure(8.0, 0.32 * n * max(1, k) + 1.4)
    ax = fig.add_subplot(1, 1, 1)
    height = 0.8 / k
    y = np.arange(n)
    for e_i, enc in enumerate(encoders):
        acc = {s["section"]: s.get("accuracy", 0.0) for s in sections_by_encoder[enc]}
        vals = [acc.get(name, 0.0) for name in names]
        pos = y + (e_i - (k - 1) / 2) * height
        bars = ax.barh(pos, vals, height=height * 0.92, color=_COLORS[e_i % len(_COLORS)], label=plain(enc))
        for rect, v in zip(bars, vals):
            ax.text(rect.get_width() + 0.005, rect.get_y() + rect.get_height() / 2, f"{v:.1%}",
                    va="center", fontsize=7.5)
    ax.set_yticks(y)
    ax.set_yticklabels([plain(n) for n in names], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("accuracy")
    ax.grid(axis="x", alpha=0.25)
    if k > 1:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.07 - 1.2 / (n * k + 4)), ncol=min(k, 3),
                  frameon=False)
    ax.set_title(plain(title), fontsize=11)
    return _png(fig)


def correlation_png(gold: np.ndarray, model: np.ndarray, *, title: str = "") -> bytes:
    """Scatter of human score vs. model cosine."""
    fig = _figure(4.6, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(gold, model, s=8, alpha=0.5, color=_COLORS[0])
    ax.set_xlabel("human score")
    ax.set_ylabel("model cosine")
    ax.set_title(plain(title), fontsize=10)
    ax.grid(alpha=0.25)
    return _png(fig)


def _short(text: str, limit: int = 28) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
