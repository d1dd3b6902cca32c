"""gensim habits: every KeyedVectors method on WordVectors gives gensim's own result.

Each method is checked on a tiny random fixture (fast) and on the real GloVe 6B 50d vectors
(slow), against a gensim KeyedVectors built by gensim itself from the same words and matrix.
"""

from __future__ import annotations

import numpy as np
import pytest

from textemb import WordVectors
from textemb.errors import InputError, OOVError

gensim_models = pytest.importorskip("gensim.models")

TINY_N, TINY_DIM = 300, 16


def _gensim_kv(words, vectors):
    kv = gensim_models.KeyedVectors(vectors.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(list(words), np.array(vectors, dtype=np.float32))
    return kv


@pytest.fixture(scope="module")
def tiny_pair():
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(TINY_N)]
    vectors = rng.standard_normal((TINY_N, TINY_DIM)).astype(np.float32)
    return WordVectors(words, vectors, name="tiny"), _gensim_kv(words, vectors), ("w1", "w2", "w3", "w4", "w5")


@pytest.fixture(scope="module")
def glove_pair(glove50):
    return glove50, _gensim_kv(glove50.words, np.asarray(glove50.vectors)), ("king", "queen", "man", "woman", "paris")


@pytest.fixture(params=["tiny", pytest.param("glove", marks=pytest.mark.slow)])
def pair(request):
    return request.getfixturevalue(f"{request.param}_pair")


def _same_hits(ours, theirs, atol=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=atol)


def test_most_similar_positive_negative_topn(pair):
    wv, kv, (a, b, c, d, _) = pair
    _same_hits(wv.most_similar(positive=[b, c], negative=[a], topn=10), kv.most_similar(positive=[b, c], negative=[a], topn=10))
    _same_hits(wv.most_similar(a, topn=5), kv.most_similar(a, topn=5))
    _same_hits(wv.most_similar(positive=[(b, 2.0), c], negative=[(a, -0.5)], topn=7),
               kv.most_similar(positive=[(b, 2.0), c], negative=[(a, -0.5)], topn=7))
    assert wv.most_similar(a, topn=0) == kv.most_similar(a, topn=0) == []
    np.testing.assert_allclose(wv.most_similar(a, topn=None), kv.most_similar(a, topn=None), atol=1e-5)


def test_most_similar_restrict_vocab(pair):
    wv, kv, (a, b, c, _, _) = pair
    _same_hits(wv.most_similar(positive=[b, c], negative=[a], topn=10, restrict_vocab=200),
               kv.most_similar(positive=[b, c], negative=[a], topn=10, restrict_vocab=200))
    _same_hits(wv.most_similar(b, topn=5, clip_start=20, clip_end=150), kv.most_similar(b, topn=5, clip_start=20, clip_end=150))
    last = wv.words[-1]  # an input word outside the searched rows
    _same_hits(wv.most_similar([last, a], topn=5, restrict_vocab=100), kv.most_similar([last, a], topn=5, restrict_vocab=100))


def test_most_similar_cosmul(pair):
    wv, kv, (a, b, c, _, _) = pair
    _same_hits(wv.most_similar_cosmul(positive=[b, c], negative=[a], topn=10),
               kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=10))
    _same_hits(wv.most_similar_cosmul(positive=[b], topn=5), kv.most_similar_cosmul(positive=[b], topn=5))


def test_similar_by_vector(pair):
    wv, kv, (a, b, _, _, _) = pair
    vec = np.asarray(wv[a]) - 0.5 * np.asarray(wv[b])
    _same_hits(wv.similar_by_vector(vec, topn=10), kv.similar_by_vector(vec, topn=10))
    _same_hits(wv.similar_by_vector(vec, topn=10, restrict_vocab=100), kv.similar_by_vector(vec, topn=10, restrict_vocab=100))


def test_doesnt_match(pair):
    wv, kv, words = pair
    odd = [*words[:4], wv.words[-1]]
    assert wv.doesnt_match(odd) == kv.doesnt_match(odd)
    assert wv.doesnt_match(list(words)) == kv.doesnt_match(list(words))


def test_n_similarity(pair):
    wv, kv, (a, b, c, d, e) = pair
    assert wv.n_similarity([a, b], [c, d, e]) == pytest.approx(float(kv.n_similarity([a, b], [c, d, e])), abs=1e-6)
    assert wv.n_similarity([a], [a]) == pytest.approx(1.0, abs=1e-6)


def test_closer_than_and_rank(pair):
    wv, kv, (a, b, c, _, e) = pair
    assert wv.closer_than(a, b) == kv.closer_than(a, b)
    assert wv.closer_than(c, e) == kv.closer_than(c, e)
    assert wv.rank(a, b) == kv.rank(a, b)
    assert wv.rank(c, e) == kv.rank(c, e)


def test_distances(pair):
    wv, kv, (a, b, c, d, _) = pair
    np.testing.assert_allclose(wv.distances(a, [b, c, d]), kv.distances(a, [b, c, d]), atol=1e-6)
    np.testing.assert_allclose(wv.distances(a), kv.distances(a), atol=1e-6)
    vec = np.asarray(wv[b]) * 3.0
    np.testing.assert_allclose(wv.distances(vec, [a, c]), kv.distances(vec, [a, c]), atol=1e-6)


def test_get_mean_vector(pair):
    wv, kv, (a, b, c, _, _) = pair
    for kwargs in ({}, {"pre_normalize": False}, {"post_normalize": True}, {"weights": [1.0, -2.0, 0.5]}):
        np.testing.assert_allclose(wv.get_mean_vector([a, b, c], **kwargs), kv.get_mean_vector([a, b, c], **kwargs),
                                   atol=1e-6)
    np.testing.assert_allclose(wv.get_mean_vector([a, "zz-not-a-word"]), kv.get_mean_vector([a, "zz-not-a-word"]), atol=1e-6)


def test_similarity_and_distance(pair):
    wv, kv, (a, b, _, _, _) = pair
    assert wv.similarity(a, b) == pytest.approx(float(kv.similarity(a, b)), abs=1e-6)
    assert wv.distance(a, b) == pytest.approx(float(kv.distance(a, b)), abs=1e-6)


def test_to_gensim_and_back(pair):
    wv, _, (a, _, _, _, _) = pair
    kv = wv.to_gensim()
    assert isinstance(kv, gensim_models.KeyedVectors)
    assert kv.index_to_key == wv.words
    np.testing.assert_array_equal(kv.vectors, np.asarray(wv.vectors))
    _same_hits(wv.most_similar(a, topn=5), kv.most_similar(a, topn=5))
    back = WordVectors.from_gensim(kv, name="back")
    assert back.words == wv.words and back.name == "back"
    np.testing.assert_array_equal(back.vectors, np.asarray(wv.vectors))


# ---------------------------------------------------------------------- fast-only edge cases
def test_from_gensim_refuses_non_string_keys():
    kv = gensim_models.KeyedVectors(4, count=0, dtype=np.float32)
    kv.add_vectors([1, 2], np.ones((2, 4), dtype=np.float32))
    with pytest.raises(InputError, match="int key"):
        WordVectors.from_gensim(kv)


def test_from_gensim_takes_a_trained_model(tiny_pair):
    wv, kv, _ = tiny_pair

    class Model:  # a Word2Vec model exposes its KeyedVectors as .wv
        pass

    m = Model()
    m.wv = kv
    assert WordVectors.from_gensim(m).words == wv.words


def test_oov_inputs_fail_loudly(tiny_pair):
    wv, _, _ = tiny_pair
    with pytest.raises(OOVError):
        wv.most_similar_cosmul(positive=["nope"])
    with pytest.raises(OOVError):
        wv.closer_than("w1", "nope")
    with pytest.raises(InputError):
        wv.doesnt_match(["nope", "nada"])
    with pytest.raises(InputError):
        wv.n_similarity([], ["w1"])


def test_torch_tensors_in_and_out(tiny_pair):
    torch = pytest.importorskip("torch")
    wv, kv, (a, b, c, _, _) = tiny_pair
    vec = torch.from_numpy(np.asarray(wv[a]).copy())
    _same_hits(wv.similar_by_vector(vec, topn=5), kv.similar_by_vector(np.asarray(wv[a]), topn=5))
    d = wv.distances(vec, [b, c])
    assert isinstance(d, torch.Tensor)
    np.testing.assert_allclose(d.numpy(), kv.distances(np.asarray(wv[a]), [b, c]), atol=1e-6)
    mean = wv.get_mean_vector([vec, b])
    assert isinstance(mean, torch.Tensor)
    np.testing.assert_allclose(mean.numpy(), kv.get_mean_vector([np.asarray(wv[a]), b]), atol=1e-6)
    all_sims = wv.most_similar(positive=[vec], topn=None)
    assert isinstance(all_sims, torch.Tensor) and all_sims.shape == (TINY_N,)
    assert isinstance(wv.get_mean_vector([a, b]), np.ndarray)
