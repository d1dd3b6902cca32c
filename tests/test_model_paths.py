"""`textemb models` shows each way to run all-MiniLM-L6-v2 with its measured figures, and the figures are the bench's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textemb_cli.main import main

from textemb.errors import FormatError
from textemb.model_paths import COLUMNS, FIGURES_FILE, load_figures, path_figures
from textemb.models import PATHS

ROOT = Path(__file__).resolve().parents[1]
PATH_NAMES = ["PyTorch", "ONNX fp32", "ONNX int8", "static (model2vec)"]


def test_models_lists_the_four_paths_with_figures(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("  ")[1].strip(): line for line in out.splitlines()
            if line.startswith("all-MiniLM-L6-v2  ") and len(line.split("  ")) > 2}
    for name in PATH_NAMES:
        line = next(v for k, v in rows.items() if k == name)
        figures = path_figures("all-MiniLM-L6-v2")[name]
        assert f"{figures['lee_pearson']:.3f}" in line and f"{figures['ndcg@10']:.3f}" in line
    assert "2.60x" in rows["ONNX int8"] and "170x" in rows["static (model2vec)"]
    assert all(h in out for h in COLUMNS.values())


def test_models_json_carries_figures_and_conventions(capsys):
    assert main(["models", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    minilm = next(m for m in data["models"] if m["name"] == "all-MiniLM-L6-v2")
    assert [p["path"] for p in minilm["paths"]] == PATH_NAMES
    assert all(set(p["measured"]) == set(COLUMNS) for p in minilm["paths"])
    assert {"machine", "speed", "quality", "summary"} <= set(data["measured"])


def test_figures_match_the_bench_results():
    figures = load_figures()["models"]["all-MiniLM-L6-v2"]
    bench = json.loads((ROOT / "bench" / "results" / "fast_paths_quality.json").read_text(encoding="utf-8"))["rows"]
    assert set(figures) == {p["path"] for p in PATHS["all-MiniLM-L6-v2"]}
    for name, row in figures.items():
        measured = bench[row["bench_row"]]
        assert row["lee_pearson"] == pytest.approx(measured["lee_pearson"], abs=5e-4), name
        assert row["ndcg@10"] == pytest.approx(measured["ndcg@10"], abs=5e-4), name
    assert figures["PyTorch"]["cpu_ratio_vs_pytorch"] == 1.0


def test_unreadable_figures_file_is_a_format_error(tmp_path):
    bad = tmp_path / "model_paths.json"
    bad.write_text('{"about": {}}', encoding="utf-8")
    with pytest.raises(FormatError, match="models"):
        load_figures(bad)
    assert FIGURES_FILE.is_file()
