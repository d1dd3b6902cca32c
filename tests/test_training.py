"""word2vec training: reproducibility, save/load in the standard formats (textemb and gensim), CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from textemb_cli.main import main

from tests.encoder_contract import EncoderContract
from textemb import WordVectors, load_encoder
from textemb.corpus import read_counts
from textemb.errors import InputError
from textemb.training import train_word2vec

WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def make_corpus(path: Path, n: int = 600, seed: int = 0) -> Path:
    """Sentences from two topics (royalty / animals) so neighbours have something to learn."""
    rng = np.random.default_rng(seed)
    royal = ["king", "queen", "prince", "princess", "crown", "throne", "palace"]
    animal = ["frog", "toad", "newt", "pond", "log", "lily", "swamp"]
    glue = ["the", "a", "sat", "on", "near", "spoke", "to", "of"]
    lines = []
    for i in range(n):
        topic = royal if i % 2 else animal
        words = [str(rng.choice(topic if j % 2 else glue)) for j in range(10)]
        lines.append(" ".join(words).capitalize() + ".")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "topics.txt")


@pytest.fixture(scope="module")
def trained(corpus_file):
    return train_word2vec(corpus_file, dim=16, epochs=5, min_count=2, sg=True, seed=3, workers=1, lowercase=True, sample=0)


def test_result_vocab_counts_and_timing(trained):
    wv = trained.vectors
    assert isinstance(wv, WordVectors) and wv.dim == 16
    assert {"king", "frog", "the", "."} <= set(wv.words)
    assert "King" not in wv  # lowercase=True
    assert len(trained.counts) == len(wv) and np.all(np.diff(trained.counts) <= 0)  # frequency order
    assert trained.counts.sum() == trained.corpus_words  # every token type kept (min_count=2)
    assert trained.corpus_sentences == 600 and trained.words_per_second > 0
    assert trained.settings["model"] == "skip-gram" and trained.settings["seed"] == 3


def test_same_seed_one_worker_is_bit_identical(corpus_file, trained):
    again = train_word2vec(corpus_file, dim=16, epochs=5, min_count=2, sg=True, seed=3, workers=1, lowercase=True, sample=0)
    assert again.vectors.words == trained.vectors.words
    np.testing.assert_array_equal(again.vectors.vectors, trained.vectors.vectors)
    other = train_word2vec(corpus_file, dim=16, epochs=5, min_count=2, sg=True, seed=4, workers=1, lowercase=True, sample=0)
    assert not np.array_equal(other.vectors.vectors, trained.vectors.vectors)


def test_topics_are_learned(trained):
    wv = trained.vectors
    assert wv.similarity("king", "queen") > wv.similarity("king", "frog")
    assert wv.similarity("frog", "toad") > wv.similarity("frog", "palace")


@pytest.mark.parametrize("name", ["m.bin", "m.txt", "folder"])
def test_save_load_bit_exact(trained, tmp_path, name):
    written = trained.save(tmp_path / name)
    assert written[1] == (tmp_path / "folder" / "vocab.txt" if name == "folder" else tmp_path / "m.vocab.txt")
    spec = f"vectors:{tmp_path / name}" if name == "folder" else f"word2vec:{tmp_path / name}"
    back = load_encoder(spec)
    assert back.words == trained.vectors.words
    np.testing.assert_array_equal(np.asarray(back.vectors), trained.vectors.vectors)
    counts = read_counts(written[1])
    assert [counts[w] for w in back.words] == trained.counts.tolist()


@pytest.mark.parametrize("binary", [True, False])
def test_gensim_loads_the_files_with_counts(trained, tmp_path, binary):
    from gensim.models import KeyedVectors

    path = tmp_path / ("m.bin" if binary else "m.txt")
    _, vocab = trained.save(path)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, fvocab=str(vocab))
    assert list(kv.index_to_key) == trained.vectors.words
    np.testing.assert_array_equal(kv.vectors, trained.vectors.vectors)
    assert [kv.get_vecattr(w, "count") for w in kv.index_to_key] == trained.counts.tolist()


def test_cbow_folder_and_list_corpora(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_corpus(folder / "a.txt", n=200, seed=1)
    make_corpus(folder / "b.txt", n=200, seed=2)
    res = train_word2vec(folder, dim=8, epochs=1, min_count=1, seed=1)
    assert res.settings["model"] == "cbow" and res.corpus_sentences == 400
    listed = train_word2vec(["a b c a b", "c b a"], dim=4, epochs=1, min_count=1)
    assert sorted(listed.vectors.words) == ["a", "b", "c"]


def test_long_lines_are_cut_not_truncated(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(" ".join(["w%d" % (i % 50) for i in range(25_000)]) + "\n", encoding="utf-8")
    res = train_word2vec(path, dim=4, epochs=1, min_count=1)
    assert res.corpus_sentences == 3 and res.corpus_words == 25_000


def test_bad_settings(corpus_file, tmp_path):
    with pytest.raises(InputError, match="dim must be"):
        train_word2vec(corpus_file, dim=0)
    with pytest.raises(InputError, match="lower min_count"):
        train_word2vec(corpus_file, min_count=10**9, dim=4)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no tokens"):
        train_word2vec(empty, dim=4)


class TestTrainedWord2VecContract(EncoderContract):
    @pytest.fixture
    def encoder(self, trained):
        return trained.vectors

    def reload(self, encoder, tmp_path):
        path = encoder.save_word2vec_format(tmp_path / "again.bin", binary=True)
        again = load_encoder(f"word2vec:{path}")
        np.testing.assert_array_equal(np.asarray(again.vectors), encoder.vectors)
        return again


def test_cli_train(capsys, corpus_file, tmp_path):
    out_bin = tmp_path / "cli.bin"
    code = main(["train", "word2vec", str(corpus_file), "-o", str(out_bin), "-o", str(tmp_path / "cli.txt"),
                 "--dim", "8", "--epochs", "1", "--sg", "--min-count", "2", "--seed", "5", "--lowercase",
                 "--neighbors", "king", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["model"] == "skip-gram" and out["dim"] == 8 and out["words_per_second"] > 0
    assert sorted(out["saved"]) == sorted(str(p) for p in (out_bin, tmp_path / "cli.txt", tmp_path / "cli.vocab.txt"))
    assert len(out["neighbors"]["king"]) == 5
    assert load_encoder(f"word2vec:{out_bin}").dim == 8
    code = main(["train", "word2vec", str(tmp_path / "nope.txt"), "-o", str(out_bin)])
    assert code == 1 and "does not exist" in capsys.readouterr().err


@pytest.mark.slow
def test_reproducible_across_processes(corpus_file, tmp_path):
    """gensim seeds from `seed`, not from Python's per-process string hash."""
    script = ("import sys, numpy as np; from textemb.training import train_word2vec; "
              "r = train_word2vec(sys.argv[1], dim=8, epochs=1, min_count=1, seed=7, workers=1); "
              "np.save(sys.argv[2], r.vectors.vectors)")
    outs = []
    for hashseed in ("1", "2"):
        out = tmp_path / f"v{hashseed}.npy"
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        subprocess.run([sys.executable, "-c", script, str(corpus_file), str(out)], check=True, env=env)
        outs.append(np.load(out))
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.slow
def test_real_wikipedia_sample_neighbours(gensim_data, tmp_path):
    """Train on gensim's real Wikipedia sample; neighbours of common words are sensible."""
    from gensim.models import KeyedVectors

    res = train_word2vec(gensim_data / WIKI, dim=50, epochs=5, sg=True, min_count=5, seed=1, workers=1,
                         lowercase=True)
    wv = res.vectors
    assert len(wv) > 5_000 and res.corpus_words > 500_000
    expected = {
        "france": {"spain", "germany", "italy", "england", "britain", "russia", "portugal", "netherlands", "europe",
                   "belgium", "austria", "french", "paris", "poland", "sweden", "canada", "china", "japan", "india",
                   "egypt", "greece", "ireland", "scotland", "denmark", "norway", "switzerland", "kingdom", "empire"},
        "january": {"february", "march", "april", "may", "june", "july", "august", "september", "october",
                    "november", "december"},
        "two": {"one", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "both"},
        "music": {"musical", "songs", "song", "jazz", "rock", "art", "film", "folk", "dance", "literature", "arts",
                  "poetry", "theatre", "musicians", "pop", "fiction", "opera", "album"},
        "war": {"wars", "battle", "army", "civil", "military", "conflict", "invasion", "ii", "revolution",
                "independence", "victory", "forces", "troops", "defeat"},
    }
    for word, plausible in expected.items():
        top = {w for w, _ in wv.most_similar(word, topn=10)}
        assert len(top & plausible) >= 3, (word, top)
    path = tmp_path / "wiki.bin"
    res.save(path)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=True)
    np.testing.assert_array_equal(kv.vectors, wv.vectors)
    assert kv.most_similar("france", topn=3)[0][0] == wv.most_similar("france", topn=3)[0][0]


def test_a_tiny_vocabulary_is_warned_about_naming_the_option(capsys, tmp_path):
    """Five short files and the default min_count=5 keep 2 words: the run says so and which option to lower."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(["the cat sat on the mat", "the dog ate the bone", "a bird sang in the tree",
                              "the sun rose over the hill", "the fish swam in the sea"]):
        (docs / f"{i}.txt").write_text(text + "\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"only \d of the corpus's \d+ distinct words occur at least min_count=5 "
                                         r"times .*lower min_count \(--min-count 1\)"):
        train_word2vec(str(docs), dim=4, epochs=1, workers=1)
    assert main(["train", "word2vec", str(docs), "-o", str(tmp_path / "tiny.bin"), "--dim", "4", "--epochs", "1"]) == 0
    captured = capsys.readouterr()
    assert "warning: only" in captured.err and "--min-count 1" in captured.err
    assert main(["train", "fasttext", str(docs), "-o", str(tmp_path / "ft"), "--dim", "4", "--epochs", "1",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["vocab"] < 5 and "--min-count 1" in out["warnings"][0]
    import warnings

    with warnings.catch_warnings():  # every word kept: no warning
        warnings.simplefilter("error", UserWarning)
        train_word2vec(str(docs), dim=4, epochs=1, workers=1, min_count=1)
