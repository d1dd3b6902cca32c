"""textemb index / one-step search: what is refused before a model loads, what a slow step says first, the
default encoder, and suggested commands a user can paste (shell-quoted)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from textemb_cli.commands._cost import encode_seconds, load_message, runtime_of, text_bytes
from textemb_cli.commands.common import DEFAULT_SEARCH_SPEC, announce_indexing, refuse_other_encoder
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK
from textemb.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
WIKI = ROOT / "corpora" / "wikipedia-sample"
INT8 = "all-MiniLM-L6-v2?backend=onnx&quantize=int8"  # canonical: what a manifest and encoder.spec record


@pytest.fixture
def docs(tmp_path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "aardvark.txt").write_text("The aardvark is a nocturnal burrowing mammal that eats termites.", "utf-8")
    (root / "frog.md").write_text("# Frogs\n\nA green frog sat on a wet log by the pond.", "utf-8")
    return root


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_index_refuses_another_encoder_from_its_manifest_before_the_model_loads(docs, tmp_path, capsys):
    """The audit hook of tests/full_size.py fails this test if any MiniLM file is opened: the refusal comes from
    the specs in the manifest, not after a 45 s load."""
    idx = tmp_path / "idx"
    assert _cli(capsys, "index", str(docs), "-o", str(idx), "-e", GLOVE_QUICK, "-q")[0] == 0
    code, out, err = _cli(capsys, "index", str(docs), "-o", str(idx), "-e", "all-MiniLM-L6-v2")  # never loaded
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert f"holds vectors from '{GLOVE_QUICK}'" in err and "--rebuild" in err and "leave out --encoder" in err
    assert "indexing" not in err and "loading" not in err
    code, out, err = _cli(capsys, "index", str(docs), "-o", str(idx), "-e", "all-MiniLM-L6-v2", "--json")  # never loaded
    assert code == 1 and json.loads(out)["error"]["type"] == "InputError"
    code, out, _ = _cli(capsys, "index", str(docs), "-o", str(idx), "--json")  # no --encoder: the index's own
    assert code == 0 and json.loads(out)["encoder"] == GLOVE_QUICK and json.loads(out)["files"]["unchanged"] == 2


def test_int8_weights_are_other_vectors_but_runtimes_of_the_same_weights_are_one():
    """An index of int8 vectors is not updated or searched with fp32 vectors (PyTorch or ONNX fp32), and the
    message says why and what to paste; ONNX fp32 and PyTorch share an index (cosine >= 0.999)."""
    for fp32 in ("all-MiniLM-L6-v2", "sbert:all-MiniLM-L6-v2", "all-MiniLM-L6-v2?backend=onnx"):
        with pytest.raises(InputError) as info:
            refuse_other_encoder("out/wiki.idx", INT8, fp32, updating=True)
        message = str(info.value)
        assert "int8 weights give other vectors than fp32 ones" in message
        assert f"holds vectors from '{INT8}'" in message  # quoted: pasting it does not stop at '&'
    refuse_other_encoder("out/wiki.idx", INT8, DEFAULT_SEARCH_SPEC, updating=True)
    refuse_other_encoder("out/wiki.idx", INT8, "all-MiniLM-L6-v2?quantize=int8&backend=onnx", updating=False)
    refuse_other_encoder("idx", "sbert:all-MiniLM-L6-v2", "all-MiniLM-L6-v2?backend=onnx", updating=True)


def test_suggested_commands_are_shell_quoted_so_pasting_them_runs_them():
    with pytest.raises(InputError) as info:
        refuse_other_encoder("my index", INT8, GLOVE_QUICK, updating=False)
    message = str(info.value)
    command = message.split("`")[1]
    assert shlex.split(command) == ["textemb", "index", "DOCS", "-o", "my index", "--rebuild", "--encoder",
                                    GLOVE_QUICK]
    assert f"--encoder '{INT8}'" in message and shlex.split(f"x --encoder '{INT8}'")[-1] == INT8


def test_missing_docs_are_refused_before_any_load_or_indexing_line(tmp_path, capsys):
    for argv in (["index", str(tmp_path / "nope"), "-o", str(tmp_path / "idx")],
                 ["search", "termites", str(tmp_path / "nope")]):
        code, out, err = _cli(capsys, *argv)  # the default encoder (MiniLM) would load first: it is never loaded
        assert code == 1 and err.count("\n") == 1 and "no such file or folder" in err, err
        assert not (tmp_path / "idx").exists()


def test_a_first_indexing_says_what_it_will_cost_before_it_starts(tmp_path, capsys):
    """The wikipedia sample (2.9 MB, 4,766 passages): minutes with PyTorch, about a minute with int8; a few
    seconds with word vectors (no estimate then)."""
    n = text_bytes(WIKI)
    assert 2_500_000 < n < 3_500_000
    torch_s, int8_s, glove_s = (encode_seconds(s, n) for s in ("all-MiniLM-L6-v2", INT8, GLOVE_QUICK))
    assert 150 < torch_s < 300 and 50 < int8_s < 120 and glove_s < 10 and torch_s > 2.5 * int8_s
    announce_indexing(str(WIKI), tmp_path / "idx", INT8, first=True)
    err = capsys.readouterr().err
    assert err.startswith(f"indexing {WIKI} into ") and f"'{INT8}'" in err and "2.9 MB" in err
    assert re.search(r"about (\d+ s|[\d.]+ min) for 2.9 MB", err), err
    announce_indexing(str(WIKI), tmp_path / "idx", GLOVE_QUICK, first=True)
    assert "about" not in capsys.readouterr().err


def test_only_a_pytorch_load_says_it_loads_pytorch():
    assert runtime_of("all-MiniLM-L6-v2") == "torch" and "PyTorch" in load_message("all-MiniLM-L6-v2")
    assert runtime_of("all-MiniLM-L6-v2?backend=onnx") == "onnx" and load_message(DEFAULT_SEARCH_SPEC) is None
    assert runtime_of(INT8) == "onnx-int8" and load_message("sbert:m?backend=onnx") is None
    assert runtime_of(GLOVE_QUICK) == "lookup" and load_message(GLOVE_QUICK) is None


def test_the_default_search_encoder_is_minilm_on_onnx_runtime_int8():
    from textemb import models

    paths = {p["path"]: p["spec"] for p in models.PATHS["all-MiniLM-L6-v2"]}
    assert f"sbert:{DEFAULT_SEARCH_SPEC}" == paths["ONNX int8"]


@pytest.mark.slow
def test_one_step_search_uses_minilm_int8_and_says_so_first(docs, capsys):
    code, out, err = _cli(capsys, "search", "an animal that eats termites", str(docs), "-k", "1")
    assert code == 0 and "aardvark.txt" in out.splitlines()[0], (out, err)
    assert f"with '{INT8}'" in err and "PyTorch" not in err
    code, out, err = _cli(capsys, "search", "an animal that eats termites", str(docs), "-k", "1", "--json")
    assert code == 0 and json.loads(out)["encoder"] == INT8 and err == ""


def test_the_cli_and_the_library_default_to_the_same_search_encoder():
    from textemb.search import DEFAULT_SEARCH_ENCODERS

    assert DEFAULT_SEARCH_SPEC == DEFAULT_SEARCH_ENCODERS[0]
