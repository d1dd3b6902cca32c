"""Messy benchmark files: read correctly or refused, never silently misread."""

from __future__ import annotations

import csv
import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from textemb import WordVectors
from textemb.errors import FormatError
from textemb.evaluation import evaluate_sentence_pairs, evaluate_word_pairs
from textemb.evaluation.datasets import (
    read_analogies,
    read_sentence_pairs,
    read_word_pairs,
)
from textemb.evaluation.delimited import DataWarning, parse_delimiter

LEE_PAIRS = Path(__file__).resolve().parents[1] / "corpora" / "lee-pairs" / "lee-pairs.tsv"
WORDS = ["cat", "dog", "car", "bus", "sun", "moon", "tea", "milk"]
PAIRS = [("cat", "dog", 7.5), ("car", "bus", 6.0), ("sun", "moon", 5.5), ("tea", "milk", 4.0), ("cat", "car", 1.0),
         ("dog", "tea", 0.5), ("sun", "bus", 0.8), ("moon", "milk", 2.0)]


@pytest.fixture
def wv():
    rng = np.random.default_rng(5)
    return WordVectors(WORDS, rng.standard_normal((len(WORDS), 6)).astype(np.float32), name="tiny")


def _lee_rows() -> list[list[str]]:
    with open(LEE_PAIRS, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def _write_quoted_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)  # RFC 4180: fields with commas/quotes are quoted, quotes doubled
    return path


# ------------------------------------------------------------------------------ quoted CSV
def test_quoted_csv_of_real_sts_pairs_reads_every_row_exactly(tmp_path):
    rows = _lee_rows()
    path = _write_quoted_csv(tmp_path / "lee.csv", rows)
    assert '"' in path.read_text(encoding="utf-8")  # the texts hold commas and quotes
    tsv, _ = read_sentence_pairs(LEE_PAIRS, score_col="score", text1_col="sentence1", text2_col="sentence2")
    for delim in (",", None):  # given or detected
        got, skipped = read_sentence_pairs(path, score_col="score", text1_col="sentence1", text2_col="sentence2",
                                           delimiter=delim)
        assert got == tsv and skipped == []


def test_quoted_csv_fields_with_line_breaks_and_doubled_quotes(tmp_path):
    path = tmp_path / "sts.csv"
    path.write_text('score,s1,s2\n4.5,"He said ""hi"", then left","two\nlines"\n1,plain,"a, b"\n', encoding="utf-8")
    got, skipped = read_sentence_pairs(path, score_col="score", text1_col="s1", text2_col="s2", delimiter=",")
    assert got == [('He said "hi", then left', "two\nlines", 4.5), ("plain", "a, b", 1.0)] and skipped == []


def test_broken_quoting_is_refused_with_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('score,s1,s2\n1,"ok",x\n2,"never closed,y\n', encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad.csv line 3: malformed quoted CSV"):
        read_sentence_pairs(path, delimiter=",")


def test_quoted_csv_read_as_tab_is_refused_with_a_delimiter_hint(tmp_path):
    path = _write_quoted_csv(tmp_path / "lee.csv", _lee_rows())
    with pytest.raises(FormatError, match=r"pass --delimiter ','"):
        read_sentence_pairs(path, delimiter="\t")


def test_rows_with_another_field_count_are_skipped_not_misread(tmp_path):
    path = tmp_path / "sts.tsv"
    lines = [f"{i % 5}\ttext a {i}\ttext b {i}" for i in range(20)] + ["3\ta stray\ttab\tinside"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(DataWarning, match=r"skipped 1 of 21 lines .* first at line 21: 3.a stray"):
        got, skipped = read_sentence_pairs(path)
    assert len(got) == 20 and skipped == [21]


# ------------------------------------------------------------------------------ gz
def test_gz_inputs_read_like_plain_files(tmp_path):
    from textemb.evaluation.datasets import gensim_test_data

    src = gensim_test_data()
    for name, reader in (("wordsim353.tsv", read_word_pairs), ("questions-words.txt", read_analogies)):
        gz = tmp_path / (name + ".gz")
        gz.write_bytes(gzip.compress((src / name).read_bytes()))
        plain, gzipped = reader(src / name), reader(gz)
        assert repr(plain) == repr(gzipped)
    gz = tmp_path / "lee-pairs.tsv.gz"
    gz.write_bytes(gzip.compress(LEE_PAIRS.read_bytes()))
    assert read_sentence_pairs(gz) == read_sentence_pairs(LEE_PAIRS)


# ------------------------------------------------------------------------------ MEN layout and delimiters
def test_men_layout_is_detected_and_explicit_tab_gives_a_hint(tmp_path, wv):
    path = tmp_path / "MEN_dataset_natural_form_full"
    path.write_text("".join(f"{a} {b} {s * 5:.6f}\n" for a, b, s in PAIRS), encoding="utf-8")
    pairs, skipped = read_word_pairs(path)
    assert pairs == [(a, b, s * 5) for a, b, s in PAIRS] and skipped == []
    with pytest.raises(FormatError, match=r"split into 3 fields on whitespace: pass --delimiter ' '"):
        read_word_pairs(path, "\t")
    tab = tmp_path / "pairs.tsv"
    tab.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in PAIRS), encoding="utf-8")
    men = evaluate_word_pairs(wv, path, restrict_vocab=None)
    assert men.score == pytest.approx(evaluate_word_pairs(wv, tab, restrict_vocab=None).score)


def test_literal_backslash_t_means_tab(tmp_path):
    assert parse_delimiter("\\t") == parse_delimiter("tab") == "\t"
    assert parse_delimiter(" ") == parse_delimiter("space") == " "
    assert parse_delimiter(None) is None and parse_delimiter(",") == ","
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in PAIRS), encoding="utf-8")
    assert read_word_pairs(path, "\\t")[0] == read_word_pairs(path, "\t")[0] == list(PAIRS)


def test_comma_word_pairs_with_header(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("word1,word2,score\n" + "".join(f'"{a}",{b},{s}\n' for a, b, s in PAIRS), encoding="utf-8")
    assert read_word_pairs(path) == (list(PAIRS), [])


# ------------------------------------------------------------------------------ encodings and skipped lines
def test_latin1_byte_names_the_line_and_the_option(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(b"cat\tdog\t7\ncaf\xe9\ttea\t5\n")
    with pytest.raises(FormatError) as info:
        read_word_pairs(path)
    msg = str(info.value)
    assert "line 2" in msg and "0xe9" in msg and "--encoding" in msg and "\n" not in msg
    assert read_word_pairs(path, encoding="latin-1")[0] == [("cat", "dog", 7.0), ("café", "tea", 5.0)]


def test_many_skipped_lines_warn_with_the_first_bad_line(tmp_path):
    path = tmp_path / "pairs.tsv"
    good = [f"{a}\t{b}\t{s}" for a, b, s in PAIRS] * 5
    path.write_text("\n".join(good + ["cat\tdog\tseven", "oops"]) + "\n", encoding="utf-8")
    with pytest.warns(DataWarning, match=r"skipped 2 of 42 lines \(5%\).*first at line 41: cat.dog.seven"):
        read_word_pairs(path)
    few = tmp_path / "few.tsv"
    few.write_text("\n".join(good * 2 + ["oops"]) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_word_pairs(few)[1]) == 1  # 1 of 81: below the threshold, counted but quiet


def test_analogy_file_with_many_bad_lines_warns(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": s\n" + "a b c d\n" * 10 + "a,b,c,d\n" * 3, encoding="utf-8")
    with pytest.warns(DataWarning, match="4 whitespace-separated words"):
        sections, skipped = read_analogies(path)
    assert len(sections[0].questions) == 10 and len(skipped) == 3


# ------------------------------------------------------------------------------ results and CLI
def test_results_say_similarity_function_dataset_hash_and_model_hash(tmp_path, wv):
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in PAIRS), encoding="utf-8")
    res = evaluate_word_pairs(wv, path, restrict_vocab=None)
    st = json.loads(res.to_json())["settings"]
    assert st["similarity"] == "cosine"
    assert len(st["dataset"]["files"][0]["sha256"]) == 64
    assert len(st["model"]["weights_sha256"]) == 64
    scipy_stats = pytest.importorskip("scipy.stats")
    assert res.metrics["spearman"] == pytest.approx(scipy_stats.spearmanr(res.extra["gold"], res.extra["model"])[0])


def test_averaged_encoder_results_carry_weighting_settings(tmp_path, wv):
    from textemb.encoders.averaging import AveragingEncoder

    enc = AveragingEncoder.sif(wv, freq="zipf", a=0.01)
    path = tmp_path / "sts.tsv"
    path.write_text("".join(f"{s}\t{a} {b}\t{b} {a} cat\n" for a, b, s in PAIRS), encoding="utf-8")
    res = evaluate_sentence_pairs(enc, path)
    weighting = res.settings["model"]["weighting"]
    assert weighting["method"] == "sif" and weighting["a"] == 0.01 and weighting["pc"] == 0 and "freq" in weighting


def _cli(argv, capsys):
    from textemb_cli.main import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_similarity_table_and_conventions(tmp_path, capsys):
    path = tmp_path / "MEN.txt"
    path.write_text("".join(f"{a} {b} {s}\n" for a, b, s in PAIRS), encoding="utf-8")
    code, out, err = _cli(["eval", "similarity", "-d", str(path), "-e", "glove:" + str(_tiny_glove(tmp_path)),
                           "--restrict-vocab", "0", "--quiet"], capsys)
    assert code == 0, err
    assert "spearman" in out and "pearson" in out
    assert "similarity=cosine" in out and "sha256" in out and "weights sha256" in out


def test_cli_literal_tab_delimiter_and_json_errors(tmp_path, capsys):
    glove = "glove:" + str(_tiny_glove(tmp_path))
    tab = tmp_path / "pairs.tsv"
    tab.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in PAIRS), encoding="utf-8")
    code, out, err = _cli(["eval", "similarity", "-d", str(tab), "-e", glove, "--delimiter", "\\t", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["results"][0]["metrics"]["pairs"] == len(PAIRS)
    bad = tmp_path / "latin1.tsv"
    bad.write_bytes(b"cat\tdog\t7\ncaf\xe9\ttea\t5\n")
    code, out, err = _cli(["eval", "similarity", "-d", str(bad), "-e", glove, "--json"], capsys)
    assert code == 1
    payload = json.loads(out)["error"]  # --json: the error is JSON on stdout
    assert payload["type"] == "FormatError" and "--encoding" in payload["message"]
    code, out, err = _cli(["eval", "similarity", "-d", str(bad), "-e", glove, "--encoding", "latin-1", "--json"], capsys)
    assert code == 0, err


def _tiny_glove(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.glove.txt"
    if not path.exists():
        rng = np.random.default_rng(9)
        words = [*WORDS, "café"]
        path.write_text("".join(f"{w} " + " ".join(f"{x:.5f}" for x in rng.standard_normal(6)) + "\n" for w in words),
                        encoding="utf-8")
    return path


@pytest.mark.slow
def test_cli_quoted_csv_gives_the_tsv_figure_on_real_data(tmp_path, capsys):
    csv_path = _write_quoted_csv(tmp_path / "lee.csv", _lee_rows())
    figures = []
    for path, extra in ((LEE_PAIRS, []), (csv_path, ["--delimiter", ","]), (csv_path, [])):
        code, out, err = _cli(["eval", "similarity", "-d", str(path), "--columns", "score,sentence1,sentence2",
                               "--json", *extra], capsys)
        assert code == 0, err
        figures.append(json.loads(out)["results"][0]["metrics"])
    assert figures[0]["pairs"] == figures[1]["pairs"] == figures[2]["pairs"] == 190
    assert figures[0]["spearman"] == figures[1]["spearman"] == figures[2]["spearman"]
