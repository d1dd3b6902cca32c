"""``--json`` means JSON on stdout, on success and on failure, with the exit codes of the plain mode; usage
errors (argparse) included; invalid numbers refused in every mode; unknown options get a "did you mean"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK

ROOT = Path(__file__).resolve().parents[1]


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _error(out: str) -> dict:
    """The one JSON error object on stdout."""
    data = json.loads(out)
    assert set(data) == {"error"} and set(data["error"]) == {"type", "message", "hint"}, data
    return data["error"]


@pytest.mark.parametrize("argv, kind, words", [
    (["neighbors", "qwxzv", "--encoder", GLOVE_QUICK], "OOVError", "qwxzv"),
    (["analogy", "a", "b", "c", "--encoder", "nope-model"], "UnknownEncoderError", "nope-model"),
    (["eval", "similarity", "-d", "/no/such/pairs.tsv", "-e", GLOVE_QUICK], "InputError", "pairs.tsv"),
    (["eval", "retrieval", "-d", "/no/such/beir", "-e", GLOVE_QUICK], "InputError", "beir"),
    (["index", "/no/such/docs", "-o", "IDX"], "InputError", "no such file or folder"),
    (["search", "termites", "--index", "/no/such/index"], "FormatError", "not a textemb index"),
])
def test_failures_under_json_are_one_json_error_on_stdout_with_exit_1(capsys, tmp_path, argv, kind, words):
    argv = [str(tmp_path / "idx") if a == "IDX" else a for a in argv]
    code, out, err = _cli(capsys, *argv, "--json")
    error = _error(out)
    assert code == 1 and error["type"] == kind and words in error["message"], (out, err)
    plain_code, plain_out, plain_err = _cli(capsys, *argv)
    assert plain_code == 1 and plain_out == "" and plain_err.startswith("textemb: error: ")  # same code without


@pytest.mark.parametrize("argv", [
    ["neighbors", "king", "-k", "-1"],
    ["neighbors", "king", "-k", "ten"],
    ["analogy", "man", "king", "woman", "-k", "0"],
    ["search", "termites", "--index", "IDX", "-k", "-1"],
    ["search", "termites", "--index", "IDX", "--width", "0"],
    ["eval", "retrieval", "--restrict-vocab", "-5", "-d", "x"],
    ["eval", "retrieval"],  # a required option missing
    ["neighbors", "king", "--encodr", GLOVE_QUICK],
])
def test_usage_errors_under_json_are_json_on_stdout_with_exit_2(capsys, argv):
    code, out, err = _cli(capsys, *argv, "--json")
    error = _error(out)
    assert code == 2 and error["type"] == "UsageError" and error["hint"], out
    code, out, err = _cli(capsys, *argv)  # the plain mode: same code, argparse's usage and one error line
    assert code == 2 and out == "" and "usage: textemb" in err and ": error: " in err


def test_negative_k_is_refused_not_an_empty_answer(capsys):
    code, out, err = _cli(capsys, "neighbors", "king", "-k", "-1", "--encoder", GLOVE_QUICK, "--json")
    assert code == 2 and "must be at least 1, got -1" in _error(out)["message"]
    code, out, err = _cli(capsys, "neighbors", "king", "-k", "-1", "--encoder", GLOVE_QUICK)
    assert code == 2 and out == "" and "-k/--topn: must be at least 1, got -1" in err


def test_a_misspelt_option_gets_the_nearest_option_of_its_command(capsys):
    code, out, err = _cli(capsys, "neighbors", "king", "--encodr", GLOVE_QUICK)
    assert code == 2 and "unrecognized arguments: --encodr" in err and "did you mean --encoder?" in err
    code, out, err = _cli(capsys, "eval", "retrieval", "-d", "x", "--corpsu", "y")
    assert code == 2 and "did you mean --corpus?" in err  # the sub-sub-command's own options
    code, out, err = _cli(capsys, "search", "q", "--index", "x", "--topk", "3", "--json")
    assert code == 2 and _error(out)["hint"] == "did you mean --top-k?"


def test_json_error_from_the_installed_command_in_a_child_process(tmp_path):
    """The real entry point: stdout is parseable JSON on failure, stderr keeps the line for a person."""
    env = {**os.environ, "TEXTEMB_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "textemb_cli", "neighbors", "qwxzv", "--encoder", GLOVE_QUICK,
                           "--json"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 1 and _error(proc.stdout)["type"] == "OOVError"
    assert proc.stderr.startswith("textemb: error: ") and "qwxzv" in proc.stderr


def test_json_after_a_double_dash_is_an_argument_not_the_flag(capsys):
    code, out, err = _cli(capsys, "neighbors", "-k", "-1", "--", "--json")
    assert code == 2 and out == "" and "must be at least 1" in err
