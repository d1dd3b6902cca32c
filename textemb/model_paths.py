"""Measured figures for each way to run a named model (speed and quality), read from ``model_paths.json``.

The figures are data, not code: ``bench/bench_fast_paths.py`` measures them and ``model_paths.json`` (next to this
file) keeps the few numbers ``textemb models`` shows, with the machine and conventions under ``"about"``.
``tests/test_model_paths.py`` checks that they match ``bench/results/fast_paths_quality.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from textemb.errors import FormatError

FIGURES_FILE = Path(__file__).with_name("model_paths.json")

#: the columns ``textemb models`` shows, key in the JSON -> header
COLUMNS = {"cpu_ratio_vs_pytorch": "speed vs PyTorch (CPU)", "lee_pearson": "Lee Pearson", "ndcg@10": "nDCG@10"}


def load_figures(path: Path = FIGURES_FILE) -> dict:
    """The whole figures file: ``{"about": {...}, "models": {model: {path name: {figure: value}}}}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read the measured path figures ({exc}); reinstall textemb", path=path) from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise FormatError('expected a JSON object with a "models" object', path=path)
    return data


def path_figures(model: str, path: Path = FIGURES_FILE) -> dict[str, dict[str, float]]:
    """``{path name: {figure: value}}`` for ``model`` (path names as in :data:`textemb.models.PATHS`); {} if none."""
    found = load_figures(path)["models"].get(model, {})
    return {name: {k: v for k, v in row.items() if k in COLUMNS} for name, row in found.items()}


def format_figure(key: str, value: float | None) -> str:
    """How a figure prints in a table: ``2.60x`` for a speed ratio, ``0.984`` for a score, ``-`` if unmeasured."""
    if value is None:
        return "-"
    return f"{value:.3g}x" if key == "cpu_ratio_vs_pytorch" and value >= 100 else (
        f"{value:.2f}x" if key == "cpu_ratio_vs_pytorch" else f"{value:.3f}")
