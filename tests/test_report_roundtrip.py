"""A report written from saved JSON equals the one written from the live results, plots included;
evaluators never import the plotting module."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from textemb.errors import InputError
from textemb.evaluation import EvalResult, evaluate_analogies, evaluate_word_pairs, load_results, write_report
from textemb.evaluation.analogy import group_words
from textemb.vectors import WordVectors

_IMG = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"')


def _results(tmp_path) -> list[EvalResult]:
    rng = np.random.default_rng(11)
    words = group_words()[:16] + [f"w{i}" for i in range(30)]
    wv = WordVectors(words, rng.standard_normal((len(words), 8)).astype(np.float32), name="tiny")
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nman woman king queen\nking queen man woman\nuncle aunt brother sister\n"
                         ": capital\nfrance paris italy rome\nitaly rome germany berlin\n", encoding="utf-8")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("".join(f"w{i}\tw{i + 1}\t{(i * 7) % 10}\n" for i in range(12)), encoding="utf-8")
    return [evaluate_analogies(wv, questions), evaluate_word_pairs(wv, pairs)]


def test_report_from_saved_json_is_the_same_report(tmp_path):
    pytest.importorskip("matplotlib")
    live = _results(tmp_path)
    saved = write_report(live, tmp_path / "run.json")
    loaded = load_results(saved)
    assert [r.to_dict() for r in loaded] == json.loads(saved.read_text(encoding="utf-8"))["results"]
    groups = loaded[0].figures["analogy_pairs"]
    assert [g["title"] for g in groups] == ["male → female", "country → capital"]
    assert all(len(g["points"]) == 2 * len(g["pairs"]) for g in groups)

    md_live = write_report(live, tmp_path / "live.md").read_text(encoding="utf-8")
    md_loaded = write_report(loaded, tmp_path / "loaded.md").read_text(encoding="utf-8")
    assert md_live == md_loaded

    html_live = write_report(live, tmp_path / "live.html").read_text(encoding="utf-8")
    html_loaded = write_report(loaded, tmp_path / "loaded.html").read_text(encoding="utf-8")
    plots_live, plots_loaded = _IMG.findall(html_live), _IMG.findall(html_loaded)
    assert [alt for alt, _ in plots_live] == ["per-section accuracy", "PCA of analogy pairs", "correlation"]
    assert plots_loaded == plots_live  # the same pictures, byte for byte
    assert "plot skipped" not in html_live and html_loaded == html_live
    assert "<title>textemb evaluation report</title>" in html_live  # not the last card's heading


def test_a_single_saved_result_loads_and_bad_files_are_refused(tmp_path):
    res = _results(tmp_path)[1]
    one = tmp_path / "one.json"
    one.write_text(res.to_json(), encoding="utf-8")
    (back,) = load_results(one)
    assert back.to_dict() == json.loads(res.to_json())
    assert EvalResult.from_json(res.to_json()).figures == back.figures
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": [{"task": "analogy"}]}', encoding="utf-8")
    with pytest.raises(InputError, match="not an evaluation result: missing dataset"):
        load_results(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(InputError, match="not a JSON results file"):
        load_results(bad)


@pytest.mark.parametrize("module", ["textemb.evaluation.analogy", "textemb.evaluation.similarity"])
def test_evaluators_do_not_import_plotting(module):
    code = (f"import sys, {module}\n"
            "bad = [m for m in ('textemb.evaluation.plots', 'matplotlib') if m in sys.modules]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_figure_data_leaves_out_what_cannot_be_drawn():
    from textemb.evaluation.analogy import analogy_pairs_figure
    from textemb.evaluation.figure_data import correlation_figure

    rng = np.random.default_rng(3)
    vectors = {w: rng.standard_normal(4) for w in group_words()}
    assert len(analogy_pairs_figure(vectors)) == 2
    vectors["man"] = np.full(4, np.nan)
    for w in group_words()[12:]:
        if w not in ("france", "paris"):
            vectors[w] = np.full(4, np.inf)
    (group,) = analogy_pairs_figure(vectors)  # one pair short of a picture: country → capital left out
    assert group["title"] == "male → female" and ["man", "woman"] not in group["pairs"] and len(group["pairs"]) == 5
    points = correlation_figure(np.array([1.0, 2.0, np.nan]), np.array([0.5, np.inf, 0.1]))
    assert points == {"gold": [1.0], "model": [0.5]}
    json.dumps(points, allow_nan=False)
