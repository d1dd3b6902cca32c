"""The real GloVe 6B 50d vectors: the named model, a real text file, gensim equality, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from tests.full_size import GLOVE_QUICK
from textemb import WordVectors, load_encoder
from textemb.io.formats import write_vectors


@pytest.fixture(scope="module")
def glove_text(tmp_path_factory, glove50):
    """glove.6B.50d.txt written from the packaged vectors (171 MB, the original file's layout)."""
    path = tmp_path_factory.mktemp("glove") / "glove.6B.50d.txt"
    return write_vectors(path, glove50.words, glove50.vectors, header=False)


@pytest.mark.slow
def test_named_model_shape_and_first_words(glove50):
    assert len(glove50) == 400_000 and glove50.dim == 50
    assert glove50.words[:5] == ["the", ",", ".", "of", "to"]
    np.testing.assert_allclose(glove50["the"][:3], [0.418, 0.24968, -0.41242], rtol=1e-6)


def test_quick_glove_is_the_named_model_cut_to_its_first_words(glove_quick):
    assert len(glove_quick) == 50_000 and glove_quick.dim == 50 and glove_quick.spec == GLOVE_QUICK
    assert glove_quick.words[:5] == ["the", ",", ".", "of", "to"]
    np.testing.assert_allclose(glove_quick["the"][:3], [0.418, 0.24968, -0.41242], rtol=1e-6)


@pytest.mark.parametrize("glove", ["glove_quick", pytest.param("glove50", marks=pytest.mark.slow)])
def test_king_queen(glove, request):
    """gensim's figures on the full model; the quick one has the same vectors, and these words are common."""
    wv = request.getfixturevalue(glove)
    assert wv.analogy("man", "king", "woman")[0][0] == "queen"
    assert wv.most_similar("king", topn=2)[0][0] == "prince"  # gensim gives prince 0.8236
    assert wv.most_similar("king", topn=1)[0][1] == pytest.approx(0.8236, abs=1e-4)
    assert wv.similarity("king", "queen") == pytest.approx(0.7839, abs=1e-4)


def test_encode_sentence(glove_quick):
    out = glove_quick.encode(["The cat sat on the mat.", "Stock markets fell sharply."], normalize=True)
    assert out.shape == (2, 50)
    assert float(out[0] @ out[1]) < 0.9


@pytest.mark.slow
def test_text_loader_equals_gensim_on_real_file(glove_text, glove50):
    KeyedVectors = pytest.importorskip("gensim.models").KeyedVectors
    ours = load_encoder(f"glove:{glove_text}?cache=0")
    kv = KeyedVectors.load_word2vec_format(str(glove_text), binary=False, no_header=True)
    assert ours.words == list(kv.index_to_key)
    np.testing.assert_array_equal(np.asarray(ours.vectors), kv.vectors)
    np.testing.assert_array_equal(np.asarray(ours.vectors), np.asarray(glove50.vectors))


@pytest.mark.slow
def test_real_file_cache_round_trip(glove_text):
    cold = load_encoder(f"glove:{glove_text}")
    warm = load_encoder(f"glove:{glove_text}")
    assert isinstance(warm.vectors, np.memmap)
    assert warm.words == cold.words
    np.testing.assert_array_equal(warm.vectors, cold.vectors)
    assert warm.analogy("man", "king", "woman")[0][0] == "queen"
    sub = load_encoder(f"glove:{glove_text}", limit=1000)
    assert len(sub) == 1000 and sub.words == cold.words[:1000]


@pytest.mark.slow
def test_word2vec_binary_of_real_vectors_equals_gensim(tmp_path, glove50):
    KeyedVectors = pytest.importorskip("gensim.models").KeyedVectors
    small = WordVectors(glove50.words[:20000], glove50.vectors[:20000], name="g20k")
    path = small.save_word2vec_format(tmp_path / "g20k.bin", binary=True)
    ours = load_encoder(f"word2vec:{path}")
    kv = KeyedVectors.load_word2vec_format(str(path), binary=True)
    assert ours.words == list(kv.index_to_key)
    np.testing.assert_array_equal(np.asarray(ours.vectors), kv.vectors)
