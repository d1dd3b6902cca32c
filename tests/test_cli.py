"""The textemb command as a user runs it: output, --json, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK

#: the quick GloVe (fast) and the full named model (slow): the command behaves the same on both
GLOVES = [GLOVE_QUICK, pytest.param("glove-6b-50d", marks=pytest.mark.slow)]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("glove", GLOVES)
def test_analogy_prints_queen_first(capsys, glove):
    code, out, _ = run(capsys, "analogy", "man", "king", "woman", "--encoder", glove)
    assert code == 0
    first = [line for line in out.splitlines() if line.strip().startswith("1 ")][0]
    assert "queen" in first


def test_neighbors_json(capsys):
    code, out, _ = run(capsys, "neighbors", "king", "--encoder", GLOVE_QUICK, "-k", "3", "--json")
    data = json.loads(out)
    assert code == 0 and [h["word"] for h in data["neighbors"]["king"]][:2] == ["prince", "queen"]


def test_file_specs(capsys, tiny_glove, tiny_w2v_bin):
    code, out, _ = run(capsys, "neighbors", "king", "--encoder", f"glove:{tiny_glove}", "-k", "2")
    assert code == 0 and "nearest to 'king'" in out
    code, out, _ = run(capsys, "analogy", "man", "king", "woman", "--encoder", f"word2vec:{tiny_w2v_bin}", "--json")
    assert code == 0 and len(json.loads(out)["answers"]) == 5


def test_encode_and_models(capsys, tmp_path):
    code, out, _ = run(capsys, "encode", "the king", "a frog", "--encoder", GLOVE_QUICK, "--json")
    data = json.loads(out)
    assert code == 0 and data["dim"] == 50 and len(data["vectors"]) == 2
    code, out, _ = run(capsys, "encode", "the king", "--encoder", GLOVE_QUICK, "-o", str(tmp_path / "v.npy"))
    assert code == 0 and (tmp_path / "v.npy").is_file()
    code, out, _ = run(capsys, "models", "--json")
    names = {m["name"]: m for m in json.loads(out)["models"]}
    assert names["glove-6b-50d"]["installed"] and names["glove-6b-50d"]["dim"] == 50


@pytest.mark.slow
def test_encode_with_the_default_encoder(capsys, tmp_path):
    """No --encoder: the default word encoder, the full named GloVe."""
    code, _, _ = run(capsys, "encode", "the king", "-o", str(tmp_path / "v.npy"))
    assert code == 0 and (tmp_path / "v.npy").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["neighbors", "qwxzv", "--encoder", GLOVE_QUICK], "word not in vocabulary of 50,000 words: 'qwxzv'"),
        pytest.param(["neighbors", "qwxzv", "--encoder", "glove-6b-50d"], "word not in vocabulary of 400,000 words: 'qwxzv'",
                     marks=pytest.mark.slow),
        (["analogy", "a", "b", "c", "--encoder", "nope-model"], "unknown encoder 'nope-model'"),
        (["neighbors", "king", "--encoder", "glove:/does/not/exist.txt"], "no such file"),
        (["encode", "--encoder", GLOVE_QUICK], "nothing to encode"),
    ],
)
def test_user_errors_exit_1_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith("textemb: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_usage_error_exits_2():
    proc = subprocess.run([sys.executable, "-m", "textemb_cli", "analogy", "man"], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage:" in proc.stderr


def test_malformed_file_error_names_line(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2\nb 1\n")
    code, _, err = run(capsys, "neighbors", "a", "--encoder", f"glove:{bad}")
    assert code == 1 and "bad.txt line 2: expected 2 values after word 'b', got 1" in err
