"""Averaging encoders (mean, TF-IDF, SIF): contract, the weighting formulas, OOV handling, specs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.conftest import TINY_WORDS
from textemb import WordVectors, load_encoder
from textemb.corpus import write_counts
from textemb.encoders.averaging import AveragingEncoder, corpus_statistics, word_probabilities
from textemb.errors import InputError

CORPUS = [
    "the king spoke to the queen",
    "the frog sat on the log",
    "paris is the capital of france",
    "the prince spoke to the man",
    "a woman sat on a log",
    "the queen of france",
]


@pytest.fixture
def wv(tiny_glove):
    return load_encoder(f"glove:{tiny_glove}")


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(CORPUS) + "\n", encoding="utf-8")
    return path


def manual_mean(wv, text, weight=None):
    ids, _ = wv.token_ids(text)
    rows = np.asarray(wv.vectors)[ids]
    w = np.ones(len(ids)) if weight is None else weight[ids]
    return (rows * w[:, None]).sum(0) / len(ids)


def test_mean_is_the_mean_of_known_tokens(wv):
    enc = AveragingEncoder.mean(wv)
    out = enc.encode(["the king", "the unknownword king"])
    expected = (wv["the"] + wv["king"]) / 2
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)
    np.testing.assert_allclose(out[1], expected, rtol=1e-6)
    assert enc.last_stats == {"texts": 2, "tokens": 5, "oov_tokens": 1, "empty_texts": 0}


def test_text_without_known_tokens_gives_zeros_and_a_warning(wv):
    enc = AveragingEncoder.mean(wv)
    with pytest.warns(UserWarning, match="2 of 3 texts had no in-vocabulary token"):
        out = enc.encode(["zzz yyy", "king", ""])
    assert not out[0].any() and not out[2].any() and out[1].any()
    assert enc.last_stats["empty_texts"] == 2 and enc.last_stats["oov_tokens"] == 2


def test_tfidf_idf_matches_scikit_learn(wv, corpus_file):
    from sklearn.feature_extraction.text import TfidfVectorizer

    enc = AveragingEncoder.tfidf(wv, corpus_file)
    vec = TfidfVectorizer(vocabulary=TINY_WORDS, token_pattern=r"(?u)\b\w+\b", smooth_idf=True).fit(CORPUS)
    np.testing.assert_allclose(enc.weights, vec.idf_, rtol=1e-6)  # same rows: TINY_WORDS order
    text = "the king spoke to the frog"
    np.testing.assert_allclose(enc.encode(text), manual_mean(wv, text, enc.weights), rtol=1e-5)
    assert enc.weights[wv.index("the")] < enc.weights[wv.index("frog")]  # "the" is in 5 of 6 documents


def test_corpus_statistics_counts_documents_and_tokens(wv):
    df, n_docs, counts, total = corpus_statistics(wv, ["the the king", "zzz king", "the"])
    assert n_docs == 3 and total == 6
    assert df[wv.index("the")] == 2 and counts[wv.index("the")] == 3
    assert df[wv.index("king")] == 2 and counts[wv.index("king")] == 2


def test_sif_weights_and_component_removal(wv):
    enc = AveragingEncoder.sif(wv, CORPUS, a=1e-2)
    _, _, counts, total = corpus_statistics(wv, CORPUS)
    expected = 1e-2 / (1e-2 + counts / total)
    np.testing.assert_allclose(enc.weights, expected, rtol=1e-6)
    assert enc.components.shape == (1, wv.dim) and np.isclose(np.linalg.norm(enc.components), 1, atol=1e-5)
    out = enc.encode(CORPUS)
    np.testing.assert_allclose(out @ enc.components.T, 0, atol=1e-5)  # projection removed
    raw = np.stack([manual_mean(wv, t, enc.weights) for t in CORPUS])
    u = enc.components[0]
    np.testing.assert_allclose(out, raw - np.outer(raw @ u, u), atol=1e-5)
    # the component is the top right singular vector of the corpus's weighted means (uncentred)
    top = np.linalg.svd(raw, full_matrices=False)[2][0]
    assert abs(abs(float(top @ u)) - 1) < 1e-4


def test_sif_output_does_not_depend_on_the_batch(wv):
    enc = AveragingEncoder.sif(wv, CORPUS)
    alone = enc.encode("the king spoke")
    together = enc.encode(["the king spoke", "a frog sat on a log", "paris"])[0]
    np.testing.assert_allclose(alone, together, atol=1e-6)


def test_sif_fit_on_the_texts_themselves(wv):
    enc = AveragingEncoder.sif(wv, pc=1)
    with pytest.raises(InputError, match="not fitted"):
        enc.encode(CORPUS)
    enc.fit(CORPUS)
    out = enc.encode(CORPUS)
    np.testing.assert_allclose(out @ enc.components.T, 0, atol=1e-5)
    assert enc.settings["components_fitted_on"] == "6 texts"
    with pytest.raises(InputError, match="no in-vocabulary"):
        AveragingEncoder.sif(wv, pc=1).fit(["zzz"])


def test_word_probability_sources(wv, tmp_path):
    p, source = word_probabilities(wv)
    assert source == "zipf-rank" and np.isclose(p.sum(), 1) and np.all(np.diff(p) < 0)
    counts = write_counts(tmp_path / "c.txt", ["the", "king"], [30, 10])
    p, source = word_probabilities(wv, counts=counts)
    assert source.startswith("counts:") and p[wv.index("the")] == 0.75 and p[wv.index("queen")] == 0
    p, source = word_probabilities(wv, corpus=CORPUS)
    assert source == "corpus"
    with pytest.raises(InputError, match="needs counts"):
        word_probabilities(wv, freq="counts")


def test_sif_uses_counts_saved_beside_trained_vectors(tmp_path, tiny_matrix):
    wv = WordVectors(TINY_WORDS, tiny_matrix)
    wv.save_word2vec_format(tmp_path / "m.bin", binary=True)
    write_counts(tmp_path / "m.vocab.txt", TINY_WORDS, np.arange(len(TINY_WORDS), 0, -1))
    enc = load_encoder(f"avg-sif:word2vec:{tmp_path / 'm.bin'}")
    assert enc.settings["freq"].startswith("saved:") and enc.components is None
    total = sum(range(1, len(TINY_WORDS) + 1))
    assert np.isclose(enc.weights[0], 1e-3 / (1e-3 + len(TINY_WORDS) / total))


def test_specs_options_and_errors(tiny_glove, corpus_file):
    enc = load_encoder(f"avg-sif:glove:{tiny_glove}?corpus={corpus_file}&a=0.01&pc=2")
    assert enc.components.shape == (2, 8) and enc.settings["a"] == 0.01
    assert enc.spec.startswith(f"avg-sif:glove:{tiny_glove}?")
    assert load_encoder(enc.spec).encode("the king").tolist() == enc.encode("the king").tolist()
    assert load_encoder(f"avg-sif:glove:{tiny_glove}?pc=0").components is None
    with pytest.raises(InputError, match="needs a corpus to fit the IDF"):
        load_encoder(f"avg-tfidf:glove:{tiny_glove}")
    with pytest.raises(InputError, match="needs a corpus to fit the component"):
        load_encoder(f"avg-sif:glove:{tiny_glove}?pc=1")
    with pytest.raises(InputError, match="unknown option"):
        load_encoder(f"avg:glove:{tiny_glove}?corpus={corpus_file}")
    with pytest.raises(InputError, match="a must be a positive"):
        load_encoder(f"avg-sif:glove:{tiny_glove}?a=-1")
    with pytest.raises(InputError, match="needs WordVectors"):
        AveragingEncoder("not vectors")


def test_encode_is_vectorised_over_chunks(wv, monkeypatch):
    """Chunking (memory bound) does not change results."""
    import textemb.encoders.averaging as averaging

    texts = [" ".join(np.random.default_rng(i).choice(TINY_WORDS, 5)) for i in range(50)]
    enc = AveragingEncoder.sif(wv, CORPUS)
    whole = enc.encode(texts)
    monkeypatch.setattr(averaging, "CHUNK", 7)
    np.testing.assert_allclose(enc.encode(texts, batch_size=1), whole, atol=1e-6)


@pytest.mark.slow
def test_lee_sif_and_tfidf_beat_the_plain_mean(glove50, gensim_data):
    """The Lee document-similarity benchmark on real GloVe 50d: weighting helps clearly."""
    from scipy.stats import pearsonr

    docs = [d for d in (gensim_data / "lee.cor").read_text(encoding="latin-1").splitlines() if d.strip()]
    human = np.loadtxt(gensim_data / "similarities0-1.txt")
    iu = np.triu_indices(len(docs), k=1)
    bg = gensim_data / "lee_background.cor"

    def score(enc):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = enc.encode(docs, normalize=True)
        return pearsonr(human[iu], (v @ v.T)[iu])[0]

    mean = score(AveragingEncoder.mean(glove50))
    tfidf = score(AveragingEncoder.tfidf(glove50, bg))
    sif = score(AveragingEncoder.sif(glove50, bg))
    assert 0.2 < mean < tfidf - 0.03
    assert sif > mean + 0.1


# ---------------------------------------------------------------------------- saved folders missing a part
def test_a_saved_folder_missing_an_array_it_needs_is_refused(wv, tmp_path):
    import json
    import shutil

    from textemb.errors import FormatError

    sif = AveragingEncoder.sif(wv, CORPUS, pc=1)
    spec = sif.save(tmp_path / "sif")
    assert json.loads((tmp_path / "sif" / "averaging.json").read_text())["arrays"].keys() == {
        "weights", "word_prob", "components"}
    np.testing.assert_array_equal(load_encoder(spec).encode(CORPUS), sif.encode(CORPUS))
    for name in ("weights", "word_prob", "components"):
        copy = tmp_path / f"without-{name}"
        shutil.copytree(tmp_path / "sif", copy)
        (copy / f"{name}.npy").unlink()  # a partial copy, or a .gitignored *.npy
        with pytest.raises(FormatError, match=f"without-{name}: {name}.npy is missing, and the saved sif encoder needs it"):
            load_encoder(f"avg-saved:{copy}")
    # a folder written before the manifest listed its arrays: the method says what is needed
    old = tmp_path / "old"
    shutil.copytree(tmp_path / "sif", old)
    meta = json.loads((old / "averaging.json").read_text())
    del meta["arrays"]
    (old / "averaging.json").write_text(json.dumps(meta))
    np.testing.assert_array_equal(load_encoder(f"avg-saved:{old}").encode(CORPUS), sif.encode(CORPUS))
    (old / "word_prob.npy").unlink()
    with pytest.raises(FormatError, match="word_prob.npy is missing"):
        load_encoder(f"avg-saved:{old}")


def test_a_saved_folder_whose_array_lies_about_its_shape_is_refused(wv, tmp_path):
    from textemb.errors import FormatError

    AveragingEncoder.tfidf(wv, CORPUS).save(tmp_path / "tfidf")
    weights = tmp_path / "tfidf" / "weights.npy"
    data = weights.read_bytes()
    weights.write_bytes(data.replace(f"({len(wv)},)".encode(), b"(999999999999,)", 1)[: len(data)])
    with pytest.raises(FormatError, match=r"weights.npy is .* bytes, but its header's \(999999999999,\)"):
        load_encoder(f"avg-saved:{tmp_path / 'tfidf'}")
