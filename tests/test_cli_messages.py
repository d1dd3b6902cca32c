"""What the CLI says: specs and commands a user may paste are shell-quoted, a check comes before the line that
announces the work it guards, and a load says what it costs only when it is slow."""

from __future__ import annotations

import shlex

from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_prints_specs_quoted_so_pasting_one_does_not_stop_at_the_ampersand(capsys):
    code, out, _ = _cli(capsys, "models")
    line = next(ln for ln in out.splitlines() if "ONNX int8" in ln)
    quoted = next(w for w in line.split() if "quantize=int8" in w)
    assert quoted == "'sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8'"
    assert shlex.split(f"textemb encode hi --encoder {quoted}")[-1] == "sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8"
    assert "static:FOLDER after `textemb distill" in out  # a sentence, not a spec: left as written


def test_output_names_in_errors_are_quoted_for_the_shell(capsys, tmp_path):
    code, _, err = _cli(capsys, "encode", "hi", "--encoder", GLOVE_QUICK, "-o", str(tmp_path / "my vectors.txt"))
    assert code == 1 and f"--output '{tmp_path / 'my vectors.txt'}': give a .npy file name" in err


def test_a_word_vector_load_prints_no_pytorch_line(capsys):
    code, _, err = _cli(capsys, "encode", "hi", "--encoder", GLOVE_QUICK)
    assert code == 0 and "torch" not in err.lower()
