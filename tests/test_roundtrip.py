"""Saving encoders: the avg-saved: folder (pickle-free, self-contained), the CLI printing the spec, and the
shared spec-option parser used by every backend. (The per-backend round trips are in test_contract.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
from textemb_cli.main import main

from tests.encoder_contract import ALL_TEXTS, TEXTS
from textemb import load_encoder
from textemb.errors import FormatError, InputError

CORPUS = ["the king spoke to the queen", "the frog sat on the log", "paris is the capital of france",
          "a woman sat on a log", "the queen of france"]


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(CORPUS) + "\n", encoding="utf-8")
    return path


def test_saved_sif_folder_is_self_contained_and_pickle_free(tiny_glove, corpus_file, tmp_path):
    enc = load_encoder(f"avg-sif:glove:{tiny_glove}?corpus={corpus_file}&a=0.01")
    spec = enc.save(tmp_path / "sif")
    names = sorted(p.name for p in (tmp_path / "sif").iterdir())
    assert names == [".textemb-owner.json", "averaging.json", "components.npy", "vectors", "weights.npy",
                     "word_prob.npy"]
    meta = json.loads((tmp_path / "sif" / "averaging.json").read_text())
    assert meta["method"] == "sif" and meta["format_version"] == 2 and meta["built_from"] == enc.spec
    tiny_glove.unlink()  # the source file is gone: the folder alone rebuilds the encoder
    again = load_encoder(spec)
    np.testing.assert_array_equal(again.encode(ALL_TEXTS), enc.encode(ALL_TEXTS))
    np.testing.assert_array_equal(again.components, enc.components)
    np.testing.assert_array_equal(again.word_prob, enc.word_prob)
    assert again.name == enc.name and again.spec == spec
    with open(tmp_path / "sif" / "weights.npy", "rb") as fh:
        assert np.lib.format.read_magic(fh) == (1, 0)  # a plain npy (np.load with allow_pickle=False reads it)


def test_saved_tfidf_keeps_its_idf(tiny_glove, corpus_file, tmp_path):
    from textemb.encoders.averaging import AveragingEncoder

    enc = load_encoder(f"avg-tfidf:glove:{tiny_glove}?corpus={corpus_file}")
    spec = enc.save(tmp_path / "tfidf")
    again = load_encoder(spec)
    np.testing.assert_array_equal(again.weights, enc.weights)
    for source in (spec, tmp_path / "tfidf"):  # AveragingEncoder.load takes the spec or the folder
        np.testing.assert_array_equal(AveragingEncoder.load(source).encode(TEXTS), enc.encode(TEXTS))
    assert again.method == "tfidf" and again.settings["corpus_documents"] == len(CORPUS)


def test_avg_prefixes_point_a_saved_folder_to_avg_saved(tiny_glove, tmp_path):
    load_encoder(f"avg:glove:{tiny_glove}").save(tmp_path / "mean")
    with pytest.raises(InputError, match="avg-saved:"):
        load_encoder(f"avg:{tmp_path / 'mean'}")
    with pytest.raises(InputError, match="no averaging.json"):
        load_encoder(f"avg-saved:{tmp_path}")


def test_old_format_folder_whose_spec_opts_in_to_pickle_is_refused(tiny_glove, tmp_path):
    folder = tmp_path / "old"
    load_encoder(f"avg:glove:{tiny_glove}").save(folder)
    meta = json.loads((folder / "averaging.json").read_text())
    meta.update(format_version=1, vectors=None, vectors_spec=f"glove:{tiny_glove}?trust_pickle=1")
    (folder / "averaging.json").write_text(json.dumps(meta))
    with pytest.raises(FormatError, match="may not opt in"):
        load_encoder(f"avg-saved:{folder}")
    meta["vectors_spec"] = f"glove:{tiny_glove}"  # a plain v1 spec still loads
    (folder / "averaging.json").write_text(json.dumps(meta))
    assert load_encoder(f"avg-saved:{folder}").encode(TEXTS).shape == (len(TEXTS), 8)


def test_cli_save_prints_the_spec_that_loads_it(tiny_glove, corpus_file, tmp_path, capsys):
    spec = f"avg-sif:glove:{tiny_glove}?corpus={corpus_file}"
    assert main(["save", spec, "-o", str(tmp_path / "sif")]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert printed == f"load it with: avg-saved:{(tmp_path / 'sif').resolve()}"
    loaded = load_encoder(printed.removeprefix("load it with: "))
    np.testing.assert_array_equal(loaded.encode(TEXTS), load_encoder(spec).encode(TEXTS))
    assert main(["save", spec, "-o", str(tmp_path / "sif")]) == 1  # never replaced unasked
    assert main(["save", spec, "-o", str(tmp_path / "sif"), "--force", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spec"] == printed.removeprefix("load it with: ")


def test_cli_train_prints_the_spec_of_each_output(tmp_path, capsys):
    pytest.importorskip("gensim")
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(CORPUS * 20) + "\n", encoding="utf-8")
    outs = [tmp_path / "m.bin", tmp_path / "m.txt", tmp_path / "folder"]
    args = ["train", "word2vec", str(corpus), "--dim", "8", "--min-count", "1", "--epochs", "1"]
    assert main([*args, *(x for o in outs for x in ("-o", str(o)))]) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("load it with: ")]
    specs = [x.removeprefix("load it with: ") for x in lines]
    assert specs == [f"word2vec:{outs[0].resolve()}", f"word2vec:{outs[1].resolve()}", f"vectors:{outs[2].resolve()}"]
    first = load_encoder(specs[0]).encode(TEXTS)
    for spec in specs[1:]:
        np.testing.assert_allclose(load_encoder(spec).encode(TEXTS), first, atol=1e-6)


# --------------------------------------------------------------------------- the shared option parser
@pytest.mark.parametrize(("suffix", "message"), [
    ("?limit=abc", "option limit must be an integer, got 'abc'"),
    ("?limit=0", "option limit must be at least 1"),
    ("?cache=maybe", "option cache must be one of 1/true/yes/on or 0/false/no/off, got 'maybe'"),
    ("?trust_pickle=", "option trust_pickle must be one of"),
    ("?errors=", "option errors is empty"),
])
def test_glove_options_through_the_shared_parser(tiny_glove, suffix, message):
    with pytest.raises(InputError, match=message.replace("?", r"\?").replace("/", "/")):
        load_encoder(f"glove:{tiny_glove}{suffix}")


def test_glove_options_still_work(tiny_glove, tmp_path):
    assert len(load_encoder(f"glove:{tiny_glove}?limit=5&cache=off")) == 5
    assert len(load_encoder(f"word2vec:{tiny_glove}?format=glove&limit=3")) == 3
    folder = load_encoder(f"glove:{tiny_glove}").save(tmp_path / "v").removeprefix("vectors:")
    assert len(load_encoder(f"vectors:{folder}?limit=2")) == 2


@pytest.mark.parametrize(("suffix", "message"), [
    ("?a=x", "option a must be a number, got 'x'"),
    ("?a=nan", "option a must be a finite number"),
    ("?pc=one", "option pc must be an integer, got 'one'"),
    ("?pc=-1", "option pc must be at least 0"),
    ("?freq=often", "option freq must be one of auto, counts, corpus, saved, zipf, got 'often'"),
])
def test_sif_options_through_the_shared_parser(tiny_glove, suffix, message):
    with pytest.raises(InputError, match=message):
        load_encoder(f"avg-sif:glove:{tiny_glove}{suffix}")


def test_tfidf_needs_a_corpus(tiny_glove):
    with pytest.raises(InputError, match="avg-tfidf needs a corpus"):
        load_encoder(f"avg-tfidf:glove:{tiny_glove}")
    with pytest.raises(InputError, match="option corpus is empty"):
        load_encoder(f"avg-tfidf:glove:{tiny_glove}?corpus=")


@pytest.mark.parametrize(("suffix", "message"), [
    ("?truncate=perhaps", "option truncate must be one of"),
    ("?max_length=long", "option max_length must be an integer, got 'long'"),
    ("?stride=0", "option stride must be at least 1"),
])
def test_bert_options_through_the_shared_parser(tiny_bert, suffix, message):
    with pytest.raises(InputError, match=message):
        load_encoder(f"bert:{tiny_bert}{suffix}")


def test_sbert_max_length_through_the_shared_parser(tiny_sbert):
    with pytest.raises(InputError, match="option max_length must be an integer"):
        load_encoder(f"sbert:{tiny_sbert}?max_length=x")
    assert load_encoder(f"sbert:{tiny_sbert}?max_length=8").max_length == 8



def test_saved_bert_keeps_a_relative_vocab_file_loadable(tiny_bert, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "words.txt").write_text("king\nqueen\nfrog\n", encoding="utf-8")
    monkeypatch.chdir(work)
    spec = load_encoder(f"bert:{tiny_bert}?vocab=words.txt").save(tmp_path / "saved")
    monkeypatch.chdir(tmp_path)  # another working directory: the saved vocab path still resolves
    assert load_encoder(spec).word_vectors().words == ["king", "queen", "frog"]
