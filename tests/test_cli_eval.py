"""textemb eval as a user runs it on the shipped data: retrieval on the wikipedia sample (its queries folder and
its corpus folder), only the options a task uses, and JSON results that state conventions, dataset sha256 and
the model's weights hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "corpora" / "wikipedia-sample-eval"
WIKI = ROOT / "corpora" / "wikipedia-sample"


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_queries_folder_without_corpus_names_the_flag_and_the_corpus_to_pass(capsys):
    code, out, err = _cli(capsys, "eval", "retrieval", "--dataset", str(EVAL), "-e", GLOVE_QUICK)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "has no corpus.jsonl: pass --corpus" in err and str(WIKI) in err


def test_retrieval_json_on_the_wikipedia_sample_with_the_corpus_folder(capsys):
    """--corpus takes the folder (the help's own example); the comparison counts the 45 queries scored; every
    result carries the dataset files' sha256, the weights hash and the metric conventions."""
    code, out, err = _cli(capsys, "eval", "retrieval", "--dataset", str(EVAL), "--corpus", str(WIKI),
                          "-e", GLOVE_QUICK, "--mode", "bm25", "--mode", "dense", "--json", "-q")
    assert code == 0, err
    data = json.loads(out)
    rows = data["comparison"]["rows"]
    assert [r["items_label"] for r in rows] == ["all 45", "all 45"]
    assert all(r["coverage"][GLOVE_QUICK] == [45, 45] for r in rows)
    assert any(line.startswith("Retrieval:") and "nDCG@10" in line and "ir-measures" in line
               for line in data["conventions"])
    for result in data["results"]:
        files = {f["role"]: f for f in result["settings"]["dataset"]["files"]}
        assert files["corpus"]["sha256"] == _sha256(WIKI / "corpus.jsonl")
        assert files["queries"]["sha256"] == _sha256(EVAL / "queries.jsonl")
        assert files["qrels"]["sha256"] == _sha256(EVAL / "qrels.tsv")
        assert len(result["settings"]["model"]["weights_sha256"]) == 64
        assert result["settings"]["metrics_by"].startswith("ir-measures")


@pytest.mark.parametrize("option", [["--restrict-vocab", "1000"], ["--case-sensitive"], ["--items", "own"]])
def test_retrieval_refuses_word_level_options_it_would_ignore(capsys, option):
    code, out, err = _cli(capsys, "eval", "retrieval", "--dataset", str(EVAL), *option)
    assert code == 2 and "unrecognized arguments: " + option[0] in err
    assert f"{option[0]} is an option of textemb eval analogy, textemb eval similarity, textemb eval all, not of " \
           "textemb eval retrieval" in err


def test_a_corpus_that_is_not_there_is_refused_before_any_model_loads(capsys, tmp_path):
    code, _, err = _cli(capsys, "eval", "retrieval", "-d", str(EVAL), "--corpus", str(tmp_path),
                        "-e", "all-MiniLM-L6-v2")  # never loaded
    assert code == 1 and f"--corpus {tmp_path}: no such file" in err and "loading" not in err


def test_analogy_json_carries_the_weights_hash(capsys, tmp_path, tiny_glove):
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nman woman king queen\n", encoding="utf-8")
    code, out, err = _cli(capsys, "eval", "analogy", "-d", str(questions), "-e", f"glove:{tiny_glove}", "--json")
    assert code == 0, err
    data = json.loads(out)
    settings = data["results"][0]["settings"]
    assert len(settings["model"]["weights_sha256"]) == 64 and settings["dataset"]["files"][0]["sha256"]
    assert any("3CosAdd" in line for line in data["conventions"])


def test_static_results_carry_the_weights_hash_of_their_folder(tmp_path):
    pytest.importorskip("model2vec")
    from tests.test_static import _tiny_static
    from textemb import load_encoder
    from textemb.evaluation.result import encoder_identity

    folder = _tiny_static(tmp_path / "static")
    identity = encoder_identity(load_encoder(f"static:{folder}"))
    assert identity["weights_sha256"] == _sha256(folder / "model.safetensors")
    assert identity["weights_file"] == "model.safetensors"


def test_retrieval_says_what_encoding_the_corpus_will_cost_before_it_starts():
    from textemb_cli.commands._eval_retrieval import _cost

    files = {"corpus": WIKI / "corpus.jsonl"}
    assert _cost("all-MiniLM-L6-v2", files).startswith(" (about ") and "min on 2 CPUs" in _cost("all-MiniLM-L6-v2", files)
    assert _cost(GLOVE_QUICK, files) == ""  # word vectors: seconds, nothing to warn about
