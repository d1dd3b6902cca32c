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
    ours.write_text('<!DOCTYPE html><html><head><meta name="generator" content="textemb 0.1.0">')
    assert file_is_ours(ours) and not file_is_ours(user)
    # a user's file that merely quotes a signature somewhere is not ours: signatures sit where textemb puts them
    quoting = tmp_path / "notes.md"
    quoting.write_text('my notes\n# textemb evaluation report\n"generator": "textemb"\n')
    assert not file_is_ours(quoting)
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
    assert main(args) == 0  # a PNG textemb wrote (Software: textemb) is replaced without --force


def test_every_report_format_is_recognised_as_textemb_s(tmp_path, tiny_glove):
    from textemb import load_encoder
    from textemb.evaluation import evaluate_word_pairs, write_report

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t8\nman\twoman\t7\nfrog\tlog\t2\nparis\tfrance\t9\n")
    result = evaluate_word_pairs(load_encoder(f"glove:{tiny_glove}"), pairs)
    for name in ("r.json", "r.md", "r.html"):
        path = write_report(result, tmp_path / name)
        assert file_is_ours(path), name
        check_file_replaceable(path, overwrite=False)


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


# ------------------------------------------------------------------ one ownership marker for every folder kind
def test_index_folders_carry_the_one_marker_and_old_ones_still_count(tmp_path, tiny_glove):
    import json

    from textemb import load_encoder
    from textemb.io import ownership
    from textemb.search import Document, Index
    from textemb.search.stores.folder_files import NotAnIndexFolderError, claim_folder, is_index_folder

    enc = load_encoder(f"glove:{tiny_glove}")
    out = tmp_path / "idx"
    Index.build([Document("a", "the king spoke to the queen")], enc, path=out)
    record = json.loads((out / ownership.MARKER).read_text())
    assert record["written_by"] == "textemb" and record["kind"] == "index"
    assert ownership.kind_of(out) == "index" and is_index_folder(out) and ownership.foreign_entries(out) == []
    (out / "NOTES.md").write_text("mine")
    assert ownership.foreign_entries(out) == ["NOTES.md"]
    # an index written by an older textemb (.textemb-index marker) is still ours
    old = tmp_path / "old"
    old.mkdir()
    (old / ".textemb-index").write_text(json.dumps({"format": "textemb-index"}))
    assert is_index_folder(old)
    claim_folder(old)
    # a folder of user files is refused before anything is written there
    user = tmp_path / "user"
    user.mkdir()
    (user / "thesis.tex").write_text("x")
    with pytest.raises(NotAnIndexFolderError, match="is not a textemb index"):
        claim_folder(user)
    assert [p.name for p in user.iterdir()] == ["thesis.tex"]


def test_cache_clear_removes_one_step_indexes_but_not_user_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TEXTEMB_CACHE", str(tmp_path / "cache"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "royal.txt").write_text("The king and the queen live in the palace.")
    assert main(["search", "royal family", str(docs), "--encoder", "glove-6b-50d?limit=20000", "-k", "1"]) == 0
    indexes = tmp_path / "cache" / "indexes"
    (built,) = list(indexes.iterdir())
    user = indexes / "my-notes"
    user.mkdir()
    (user / "a.txt").write_text("keep me")
    capsys.readouterr()
    assert main(["cache", "info", "--json"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert info["entries"] == [built.name] and info["kinds"] == ["indexes"]
    assert main(["cache", "clear"]) == 0
    out = capsys.readouterr().out
    assert "kept my-notes" in out and not built.exists()
    assert (user / "a.txt").read_text() == "keep me" and (docs / "royal.txt").exists()
