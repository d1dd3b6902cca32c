"""sentence-transformers habits on every Encoder: ST's encode keywords and similarity()."""

from __future__ import annotations

import numpy as np
import pytest

from textemb import WordVectors
from textemb.encoders.base import cosine_similarity
from textemb.errors import InputError

TEXTS = ["the cat sat", "a dog ran", "red sky at night", "cat and dog"]


@pytest.fixture
def wv():
    rng = np.random.default_rng(11)
    words = ["the", "cat", "sat", "a", "dog", "ran", "red", "sky", "at", "night", "and"]
    return WordVectors(words, rng.standard_normal((len(words), 5)).astype(np.float32), name="tiny")


def test_normalize_embeddings_and_show_progress_bar_mean_what_they_mean(wv):
    np.testing.assert_array_equal(wv.encode(TEXTS, normalize_embeddings=True), wv.encode(TEXTS, normalize=True))
    assert not np.allclose(np.linalg.norm(wv.encode(TEXTS), axis=1), 1.0)
    np.testing.assert_array_equal(wv.encode(TEXTS, show_progress_bar=False, batch_size=2), wv.encode(TEXTS))
    with pytest.raises(InputError, match="contradict"):
        wv.encode(TEXTS, normalize=True, normalize_embeddings=False)


def test_unknown_keywords_fail_loudly(wv):
    with pytest.raises(TypeError, match="normalise"):
        wv.encode(TEXTS, normalise=True)
    with pytest.raises(TypeError):
        wv.encode(TEXTS, output_value="token_embeddings")


def test_convert_to_tensor_and_list_of_tensors(wv):
    torch = pytest.importorskip("torch")
    ref = wv.encode(TEXTS)
    t = wv.encode(TEXTS, convert_to_tensor=True)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32 and t.shape == (4, 5)
    np.testing.assert_array_equal(t.numpy(), ref)
    one = wv.encode("the cat", convert_to_tensor=True)
    assert one.shape == (5,)
    rows = wv.encode(TEXTS, convert_to_numpy=False)
    assert isinstance(rows, list) and len(rows) == 4 and all(isinstance(r, torch.Tensor) for r in rows)
    assert isinstance(wv.encode(TEXTS, convert_to_numpy=True), np.ndarray)


def test_device_keyword_moves_the_encoder(wv):
    out = wv.encode(TEXTS, device="cpu")
    assert wv.device == "cpu" and out.shape == (4, 5)


def test_prompt_is_prepended_and_prompt_name_needs_model_prompts(wv):
    np.testing.assert_array_equal(wv.encode(["cat"], prompt="red "), wv.encode(["red cat"]))
    with pytest.raises(InputError, match="not one of this model's prompts"):
        wv.encode(["cat"], prompt_name="query")


def test_similarity_like_sentence_transformers(wv):
    a, b = wv.encode(TEXTS[:2]), wv.encode(TEXTS)
    sim = wv.similarity(a, b)
    assert sim.shape == (2, 4)
    expected = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    np.testing.assert_allclose(sim, expected, atol=1e-6)
    np.testing.assert_allclose(wv.similarity_pairwise(a, b[:2]), np.diag(expected[:, :2]), atol=1e-6)
    assert isinstance(wv.similarity("cat", "dog"), float)  # words keep gensim's meaning
    with pytest.raises(InputError):
        cosine_similarity(np.ones((2, 3)), np.ones((2, 4)))


def test_similarity_matches_sentence_transformers_util(wv):
    torch = pytest.importorskip("torch")
    st_util = pytest.importorskip("sentence_transformers.util")
    a = wv.encode(TEXTS, convert_to_tensor=True)
    ours = wv.similarity(a, a)
    assert isinstance(ours, torch.Tensor)
    np.testing.assert_allclose(ours.numpy(), st_util.cos_sim(a, a).numpy(), atol=1e-6)


@pytest.mark.slow
def test_minilm_keywords_equal_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    from textemb import load_encoder
    from textemb.models import model_path

    enc = load_encoder("sbert:all-MiniLM-L6-v2", device="cpu")
    direct = st.SentenceTransformer(str(model_path("all-MiniLM-L6-v2")), device="cpu")
    for kw in ({"normalize_embeddings": True}, {"prompt": "query: "}, {"convert_to_tensor": True}):
        ours, theirs = enc.encode(TEXTS, **kw), direct.encode(TEXTS, **kw)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-5)
    np.testing.assert_allclose(enc.similarity(enc.encode(TEXTS), enc.encode(TEXTS)),
                               direct.similarity(direct.encode(TEXTS), direct.encode(TEXTS)).numpy(), atol=1e-5)


def test_every_backend_gets_the_keywords(wv):
    from textemb.encoders.averaging import AveragingEncoder

    enc = AveragingEncoder.sif(wv, freq="zipf")
    np.testing.assert_array_equal(enc.encode(TEXTS, normalize_embeddings=True, show_progress_bar=False),
                                  enc.encode(TEXTS, normalize=True))
    np.testing.assert_allclose(enc.similarity(enc.encode(TEXTS), enc.encode(TEXTS)).diagonal(), 1.0, atol=1e-6)
    with pytest.raises(TypeError):
        enc.encode(TEXTS, normalise=True)
