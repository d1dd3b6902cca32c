"""The shared contract every Encoder backend passes, as check functions and as a class to subclass.

The generated suite (tests/test_contract.py) runs every ``check_*`` below over every backend in
tests/contract_fixtures.py. A test module may still subclass :class:`EncoderContract` and provide
an ``encoder`` fixture (and, where the default spec round trip does not apply, ``reload``)::

    class TestGloveContract(EncoderContract):
        @pytest.fixture
        def encoder(self, tiny_glove): return load_encoder(f"glove:{tiny_glove}")
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from textemb.errors import InputError

TEXTS = [
    "the king spoke to the queen",
    "a frog sat on a log",
    "paris is the capital of france",
    "the king",
    "queen",
    "log",
]

ODD = [
    "",  # empty text
    "   ",  # whitespace only
    "café naïve",  # accents (NFC)
    "cafe\u0301",  # NFD accent
    "zero\u200bwidth",  # zero-width space
    "مرحبا بالعالم",  # right-to-left script
    "emoji 🐸🚀 text",
    "\u0000nul and \ttabs\nnewlines",
]


#: every contract text, for the bit-for-bit round trip
ALL_TEXTS = TEXTS + ODD


def _encode_all(encoder) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-vector warnings for the odd texts
        return encoder.encode(ALL_TEXTS)


def check_round_trip(encoder, folder: Path) -> str:
    """``encoder.save(folder)`` returns a spec that ``load_encoder`` rebuilds exactly (bit for bit)."""
    from textemb import load_encoder

    save = getattr(encoder, "save", None)
    assert callable(save), f"{type(encoder).__name__} cannot be saved: every encoder must round-trip"
    spec = save(folder)
    assert isinstance(spec, str) and spec, f"save() must return the spec that reloads it, got {spec!r}"
    again = load_encoder(spec)
    assert type(again) is type(encoder) and again.dim == encoder.dim
    np.testing.assert_array_equal(_encode_all(again), _encode_all(encoder))
    with pytest.raises(InputError, match="overwrite"):
        save(folder)  # an existing folder is never replaced unasked
    assert save(folder, overwrite=True) == spec  # ... and only our own folder, on request
    np.testing.assert_array_equal(_encode_all(load_encoder(spec)), _encode_all(encoder))
    return spec


def check_word_vectors(encoder, *, encodes_words: bool = False) -> None:
    """HasWordVectors: a WordVectors of the encoder's dim, the same on every call, holding plain words.

    A contextual encoder's word vector is the word embedded alone (``embed_tokens``); where
    ``encodes_words`` (word vectors and their plain averages) a one-word text encodes along its vector.
    """
    from textemb.encoders.capabilities import EmbedsTokens, word_vectors_of
    from textemb.vectors import WordVectors

    wv = word_vectors_of(encoder)
    assert isinstance(wv, WordVectors) and len(wv) > 0
    assert wv.dim == encoder.dim and np.asarray(wv.vectors).dtype == np.float32
    words = [w for w in wv.words[:50] if w.isalpha() and w.isascii()][:5]
    assert words, "the word vectors have no plain word to check"
    np.testing.assert_array_equal(np.asarray(word_vectors_of(encoder)[words]), np.asarray(wv[words]))
    for word in words:
        assert word in wv
        if isinstance(encoder, EmbedsTokens):  # a word alone, embedded in context = its word vector
            tokens, rows = encoder.embed_tokens(word)
            if tokens == [word]:
                np.testing.assert_allclose(wv[word], rows[0], atol=1e-5)
        elif encodes_words:  # a one-word text is that word's vector (scaled)
            got, want = encoder.encode(word), np.asarray(wv[word], dtype=np.float32)
            cos = float(got @ want / (np.linalg.norm(got) * np.linalg.norm(want)))
            assert cos > 1 - 1e-5, f"{word!r}: encode() is not along its word vector (cosine {cos})"


def check_embeds_tokens(encoder) -> None:
    """EmbedsTokens: one row per token, tokens in text order, the encoder's dim, float32."""
    text = "the king spoke to the queen about kings"
    tokens, rows = encoder.embed_tokens(text)
    assert isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)
    assert rows.shape == (len(tokens), encoder.dim) and rows.dtype == np.float32 and np.isfinite(rows).all()
    at = 0
    for token in tokens:
        found = text.find(token, at)
        assert found >= 0, f"token {token!r} is not in the text after position {at}"
        at = found + len(token)
    empty_tokens, empty_rows = encoder.embed_tokens("")
    assert empty_tokens == [] and empty_rows.shape == (0, encoder.dim)


def check_tokenizer(encoder) -> None:
    """HasTokenizer: a Hugging Face fast tokenizer that splits text into ids and maps them back."""
    from textemb.encoders.capabilities import hf_tokenizer_of

    tok = hf_tokenizer_of(encoder)
    assert tok is not None, "declares a tokenizer but has no fast Hugging Face tokenizer"
    ids = tok("the king spoke", add_special_tokens=False)["input_ids"]
    assert ids and all(isinstance(i, int) for i in ids)
    assert "king" in tok.decode(ids)


class EncoderContract:
    """Shape, dtype, order, empty input, odd Unicode, batch-size invariance, determinism, save/load."""

    #: absolute tolerance when comparing two encodings of the same text
    atol = 1e-5
    #: for encoders whose rows move with the texts batched beside them (dynamic int8): the least cosine between
    #: two encodings of the same text, checked instead of ``atol``; None = element-wise ``atol``
    min_cosine: float | None = None

    def assert_same_rows(self, a, b) -> None:
        a, b = np.atleast_2d(np.asarray(a)), np.atleast_2d(np.asarray(b))
        if self.min_cosine is None:
            np.testing.assert_allclose(a, b, atol=self.atol)
            return
        assert a.shape == b.shape
        cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        assert cos.min() >= self.min_cosine, f"rows differ: least cosine {cos.min():.5f} < {self.min_cosine}"

    def reload(self, encoder, tmp_path):  # override where the spec round trip does not apply
        from textemb import load_encoder

        return load_encoder(check_round_trip(encoder, tmp_path / "saved"))

    def test_dim_and_name(self, encoder):
        assert isinstance(encoder.dim, int) and encoder.dim > 0
        assert encoder.name and encoder.spec
        assert isinstance(encoder.device, str)

    def test_shape_and_dtype(self, encoder):
        out = encoder.encode(TEXTS)
        assert out.shape == (len(TEXTS), encoder.dim)
        assert out.dtype == np.float32
        assert np.isfinite(out).all()

    def test_single_string_gives_one_vector(self, encoder):
        one = encoder.encode(TEXTS[0])
        assert one.shape == (encoder.dim,)
        self.assert_same_rows(one, encoder.encode([TEXTS[0]])[0])

    def test_empty_list(self, encoder):
        out = encoder.encode([])
        assert out.shape == (0, encoder.dim) and out.dtype == np.float32

    def test_rows_in_input_order(self, encoder):
        batch = encoder.encode(TEXTS)
        for i, text in enumerate(TEXTS):
            self.assert_same_rows(batch[i], encoder.encode([text])[0])
        rev = encoder.encode(TEXTS[::-1])
        self.assert_same_rows(rev[::-1], batch)

    def test_batch_size_invariance(self, encoder):
        a = encoder.encode(TEXTS, batch_size=1)
        b = encoder.encode(TEXTS, batch_size=4)
        c = encoder.encode(TEXTS, batch_size=64)
        self.assert_same_rows(a, b)
        self.assert_same_rows(a, c)

    def test_deterministic(self, encoder):
        np.testing.assert_array_equal(encoder.encode(TEXTS), encoder.encode(TEXTS))

    def test_odd_unicode(self, encoder, recwarn):
        out = encoder.encode(ODD)
        assert out.shape == (len(ODD), encoder.dim)
        assert np.isfinite(out).all()

    def test_normalize(self, encoder):
        out = encoder.encode(TEXTS, normalize=True)
        norms = np.linalg.norm(out, axis=1)
        assert np.all((np.abs(norms - 1) < 1e-4) | (norms == 0))

    def test_rejects_non_strings(self, encoder):
        with pytest.raises(InputError, match="item 1 is int"):
            encoder.encode(["ok", 3])
        with pytest.raises(InputError, match="batch_size"):
            encoder.encode(["ok"], batch_size=0)

    def test_save_load_round_trip(self, encoder, tmp_path):
        again = self.reload(encoder, tmp_path)
        assert again.dim == encoder.dim
        self.assert_same_rows(again.encode(TEXTS), encoder.encode(TEXTS))
