"""Single output files (reports, plots, vectors, trained models): an existing file textemb did not write
is never replaced without --force, and the refusal comes before any work."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from textemb_cli.main import main

from textemb.errors import InputError
from textemb.io.ownership import check_file_replaceable, file_is_ours

USER_TEXT = b"my thesis notes, not a textemb file\n"


def _user_file(path: Path) -> Path:
    path.write_bytes(USER_TEXT)
    return path


def test_check_file_replaceable_rules(tmp_path):
    check_file_replaceable(tmp_path / "new.html", overwrite=False)  # absent: fine
    user = _user_file(tmp_path / "notes.html")
    with pytest.raises(InputError, match="did not write.*--force"):
        check_file_replaceable(user, overwrite=False)
    check_file_replaceable(user, overwrite=True)  # --force
    ours = tmp_path / "report.html"
    ours.write_text('<!doctype html><html><head><meta name="generator" content="textemb 0.1.0">')
    assert file_is_ours(ours) and not file_is_ours(user)
    check_file_replaceable(ours, overwrite=False)
    # a link, a folder or a FIFO at the path is never replaced, --force or not
    link = tmp_path / "link.html"
    link.symlink_to(ours)
    folder = tmp_path / "folder.html"
    folder.mkdir()
    fifo = tmp_path / "fifo.html"
    os.mkfifo(fifo)
    for path in (link, folder, fifo):
        with pytest.raises(InputError, match="refusing to replace"):
            check_file_replaceable(path, overwrite=True)
    assert not file_is_ours(link)


def test_encode_output_refuses_a_user_file_before_encoding(tmp_path, tiny_glove, capsys):
    target = _user_file(tmp_path / "vectors.npy")
    args = ["encode", "king", "queen", "--encoder", f"glove:{tiny_glove}", "-o", str(target)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "did not write" in err and "--force" in err and "Traceback" not in err
    assert target.read_bytes() == USER_TEXT
    assert main(args + ["--force"]) == 0
    assert np.load(target).shape == (2, 8)


def test_eval_report_refuses_a_user_file_and_replaces_its_own(tmp_path, capsys, gensim_data):
    report = _user_file(tmp_path / "report.md")
    wordsim = gensim_data / "wordsim353.tsv"
    args = ["eval", "similarity", "--dataset", str(wordsim), "--encoder", "glove-6b-50d?limit=20000",
            "--report", str(report), "-q"]
    assert main(args) == 1
    assert "did not write" in capsys.readouterr().err
    assert report.read_bytes() == USER_TEXT
    assert main(args + ["--force"]) == 0
    assert report.read_text().startswith("# textemb evaluation report")
    report.write_text(report.read_text() + "\nstale line\n")
    assert main(args) == 0  # a report textemb wrote is replaced without --force
    assert report.read_text().startswith("# textemb evaluation report") and "stale line" not in report.read_text()


def test_plot_refuses_a_user_png(tmp_path, tiny_glove, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "plot.png"
    target.write_bytes(b"\x89PNG\r\n\x1a\n" + b"a holiday photo")
    args = ["plot", "king", "queen", "man", "--encoder", f"glove:{tiny_glove}", "-o", str(target)]
    assert main(args) == 1
    assert "did not write" in capsys.readouterr().err
    assert target.read_bytes().endswith(b"a holiday photo")
    assert main(args + ["--force"]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"holiday" not in target.read_bytes()


def test_train_refuses_existing_bin_and_its_vocab_sidecar(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the king spoke to the queen\n" * 50)
    out = tmp_path / "model.bin"
    args = ["train", "word2vec", str(corpus), "-o", str(out), "--min-count", "1", "--epochs", "1", "--dim", "8",
            "--workers", "1"]
    sidecar = _user_file(tmp_path / "model.vocab.txt")  # the word counts go here: a user file there is kept
    assert main(args) == 1
    assert "model.vocab.txt" in capsys.readouterr().err and sidecar.read_bytes() == USER_TEXT
    sidecar.unlink()
    assert main(args) == 0 and out.is_file()
    assert main(args) == 1 and "--force" in capsys.readouterr().err  # textemb cannot mark a .bin as its own
    assert main(args + ["--force"]) == 0
