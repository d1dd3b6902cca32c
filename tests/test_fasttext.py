"""fastText backend: Facebook .bin through gensim's parser, n-gram vectors for unseen words, folders, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from tests.encoder_contract import EncoderContract
from tests.test_lsa import TINY_CORPUS
from textemb import load_encoder
from textemb.encoders.fasttext import FastTextVectors, dataset_words, ngram_hashes, train_fasttext
from textemb.errors import InputError, OOVError

pytest.importorskip("gensim")


@pytest.fixture(scope="module")
def trained():
    return train_fasttext(TINY_CORPUS * 3, dim=8, epochs=2, min_count=1, bucket=1000, seed=2, lowercase=True)


@pytest.fixture(scope="module")
def fb_bin(trained, tmp_path_factory):
    """A small model saved in Facebook's binary format by gensim's writer."""
    path = tmp_path_factory.mktemp("ft") / "tiny.bin"
    assert trained.save(path) == f"fasttext:{path.resolve()}"  # the spec that loads it back
    return path


class TestFastTextBinContract(EncoderContract):
    @pytest.fixture
    def encoder(self, fb_bin):
        return load_encoder(f"fasttext:{fb_bin}")

    def reload(self, encoder, tmp_path):
        encoder.save(tmp_path / "ft")
        return load_encoder(f"fasttext:{tmp_path / 'ft'}")


@pytest.mark.parametrize("word", ["hello", "café", "naïve", "🐸x", "a", "", "日本語", "\x80", "a b"])
def test_ngram_hashes_match_gensim(word):
    from gensim.models.fasttext import ft_ngram_hashes

    for lo, hi, bucket in ((3, 6, 2_000_000), (1, 2, 1000), (2, 5, 7)):
        assert ngram_hashes(word, lo, hi, bucket) == list(ft_ngram_hashes(word, lo, hi, bucket))


def test_bin_matches_gensim_vectors(fb_bin, trained):
    from gensim.models.fasttext import load_facebook_vectors

    kv = load_facebook_vectors(str(fb_bin))
    ft = load_encoder(f"fasttext:{fb_bin}")
    assert isinstance(ft, FastTextVectors) and ft.words == list(kv.index_to_key)
    for word in ["king", "frog", "kingz", "froggy", "unseenword", "é"]:
        np.testing.assert_array_equal(ft[word], kv.get_vector(word))
    np.testing.assert_array_equal(ft["kingz"], trained.vectors["kingz"])  # the writer kept every n-gram row


def test_unseen_word_neighbours_come_from_ngrams(fb_bin):
    ft = load_encoder(f"fasttext:{fb_bin}")
    assert "palacce" not in ft
    hits = ft.most_similar("palacce", topn=3)
    assert len(hits) == 3 and all(w != "palacce" for w, _ in hits)
    off = load_encoder(f"fasttext:{fb_bin}?ngrams=0")
    with pytest.raises(OOVError):
        off.most_similar("palacce")
    with pytest.raises(OOVError):
        off["palacce"]


def test_encode_counts_ngram_tokens(fb_bin):
    ft = load_encoder(f"fasttext:{fb_bin}")
    out = ft.encode(["the kingg", "🐸"])
    assert ft.last_stats["ngram_tokens"] == 2 and ft.last_stats["oov_tokens"] == 0
    np.testing.assert_allclose(out[0], (ft["the"] + ft["kingg"]) / 2, rtol=1e-6)
    off = load_encoder(f"fasttext:{fb_bin}?ngrams=0")
    off.encode(["the kingg"])
    assert off.last_stats["ngram_tokens"] == 0 and off.last_stats["oov_tokens"] == 1


def test_add_words_gives_evaluators_the_unseen_words(fb_bin, tmp_path):
    from textemb.evaluation import evaluate_word_pairs

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t9\nkingg\tqueen\t8\nfrog\tpalacce\t1\nfrog\tlog\t5\n", encoding="utf-8")
    plain = evaluate_word_pairs(load_encoder(f"fasttext:{fb_bin}"), pairs)
    ft = load_encoder(f"fasttext:{fb_bin}?add_words={pairs}")
    assert sorted(ft.ngram_words) == ["kingg", "palacce"] and "2 n-gram words" in ft.name
    covered = evaluate_word_pairs(ft, pairs)
    assert plain.metrics["evaluated"] == 2 and covered.metrics["evaluated"] == 4
    np.testing.assert_array_equal(ft["kingg"], load_encoder(f"fasttext:{fb_bin}")["kingg"])


def test_folder_round_trip_bit_exact(trained, tmp_path):
    trained.save(tmp_path / "model")
    path = tmp_path / "model"
    assert sorted(p.name for p in path.iterdir()) == [".textemb-owner.json", "counts.npy", "fasttext.json", "ngrams.npy", "vectors.npy"]
    again = FastTextVectors.load(path)
    np.testing.assert_array_equal(again.ngrams, trained.vectors.ngrams)
    texts = ["the kingg spoke", "froggy log"]
    np.testing.assert_array_equal(again.encode(texts), trained.vectors.encode(texts))


def test_vec_text_file_and_pickle_refused(trained, tmp_path):
    vec = trained.vectors.save_word2vec_format(tmp_path / "tiny.vec")
    wv = load_encoder(f"fasttext:{vec}")
    assert not isinstance(wv, FastTextVectors) and len(wv) == len(trained.vectors)
    with pytest.raises(InputError, match="n-grams"):
        load_encoder(f"fasttext:{vec}?add_words=google")
    pkl = tmp_path / "m.model"
    pkl.write_bytes(b"\x80\x04K\x01.")
    from textemb.errors import TextembError

    with pytest.raises(TextembError, match="pickle"):
        load_encoder(f"fasttext:{pkl}")
    fake_bin = tmp_path / "m.bin"
    fake_bin.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(TextembError, match="pickle"):
        load_encoder(f"fasttext:{fake_bin}")


def test_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(InputError, match="fasttext.json"):
        load_encoder(f"fasttext:{tmp_path}")


def test_dataset_words(tmp_path):
    words = dataset_words("wordsim353")
    assert "tiger" in words and len(words) > 600
    f = tmp_path / "w.txt"
    f.write_text(": section\nmilk 3.5 bread\n", encoding="utf-8")
    assert dataset_words(str(f)) == ["milk", "bread"]
    with pytest.raises(InputError):
        dataset_words("lee")


def test_cli_train_fasttext(tmp_path):
    from textemb_cli.main import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(TINY_CORPUS * 3), encoding="utf-8")
    out_dir, out_bin = tmp_path / "ft", tmp_path / "ft.bin"
    assert main(["train", "fasttext", str(corpus), "-o", str(out_dir), "-o", str(out_bin), "--dim", "8",
                 "--min-count", "1", "--bucket", "500", "--epochs", "1", "--json"]) == 0
    a, b = load_encoder(f"fasttext:{out_dir}"), load_encoder(f"fasttext:{out_bin}")
    np.testing.assert_array_equal(a["kingdomz"], b["kingdomz"])


@pytest.mark.slow
def test_lee_and_analogy_with_ngrams_real(gensim_data):
    from textemb.evaluation import evaluate_analogies, evaluate_documents

    result = train_fasttext(gensim_data / "lee_background.cor", dim=100, epochs=20, min_count=2, sg=True,
                            bucket=200_000, lowercase=True, tokenizer="words", seed=1)
    lee = evaluate_documents(result.vectors, "lee")
    assert lee.metrics["pearson"] > 0.15  # measured 0.235 (plain mean of word vectors, stopwords included)
    ft = result.vectors
    plain = evaluate_analogies(ft, "google")
    covered = evaluate_analogies(ft.with_words(dataset_words("google")), "google")
    assert covered.metrics["evaluated"] > plain.metrics["evaluated"]


def test_evaluators_report_how_many_words_came_from_ngrams(tmp_path):
    from textemb.evaluation import evaluate_word_pairs
    from textemb.vectors import WordVectors

    plain = WordVectors(["cat", "dog", "car"], np.eye(3, 4, dtype=np.float32))
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("cat\tdog\t5.0\ncat\tcar\t1.0\ndog\tcar\t2.0\n")
    assert evaluate_word_pairs(plain, str(pairs)).settings["ngram_words"] == 0
    extended = FastTextVectors(["cat", "dog", "car"], np.eye(3, 4, dtype=np.float32), np.ones((16, 4), np.float32),
                               min_n=3, max_n=4, ngram_words=["car"])
    assert evaluate_word_pairs(extended, str(pairs)).settings["ngram_words"] == 1


# ---------------------------------------------------------------------------- damaged .bin files
def _load_bounded(path, timeout: float = 60):
    """Load ``fasttext:path`` in a subprocess: gensim's reader used to spin forever on a cut vocabulary."""
    import subprocess
    import sys

    code = ("import sys; from textemb import load_encoder; from textemb.errors import FormatError\n"
            "try:\n    load_encoder('fasttext:' + sys.argv[1])\nexcept FormatError as exc:\n    print(exc)\n"
            "else:\n    print('loaded')")
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: loading {path.name} ran past {timeout} s")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def _vocabulary_end(data: bytes, words: int) -> int:
    """The offset just after the first ``words`` vocabulary entries (word, NUL, int64 count, int8 type)."""
    pos = 64 + 20 + 8  # header, vocabulary counts, pruned-index size
    for _ in range(words):
        pos = data.index(b"\x00", pos) + 1 + 9
    return pos


def test_a_cut_or_lying_bin_is_one_format_error_within_seconds(fb_bin, trained, tmp_path):
    import struct

    data = fb_bin.read_bytes()
    n, dim = len(trained.vectors), trained.vectors.dim
    matrix = data.index(struct.pack("=2q", n + 1000, dim))  # the input matrix: words + buckets rows
    cases = {
        "cut-after-entry.bin": (data[: _vocabulary_end(data, 3)], "truncated or damaged"),
        "more-words.bin": (data[:64] + struct.pack("=i", n + 5) + data[68:], "truncated or damaged"),
        "lying-rows.bin": (data[:matrix] + struct.pack("=2q", 10**12, dim) + data[matrix + 16:], "claims 1,000,000,000,000"),
        "lying-count.bin": (data[:64] + struct.pack("=i", 2**31 - 1) + data[68:], "2,147,483,647 vocabulary entries"),
        "cut-in-header.bin": (data[:106], "vocabulary entries, more than the file's 106 bytes"),
    }
    for name, (damaged, message) in cases.items():
        (tmp_path / name).write_bytes(damaged)
        out = _load_bounded(tmp_path / name)
        assert message in out and name in out and "download or save it again" in out, (name, out)
