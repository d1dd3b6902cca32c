"""The shared contract every Encoder backend passes.

A backend's test module subclasses :class:`EncoderContract` and provides an ``encoder``
fixture (and, if it can be saved, ``reload(encoder, tmp_path)``)::

    class TestGloveContract(EncoderContract):
        @pytest.fixture
        def encoder(self, tiny_glove): return load_encoder(f"glove:{tiny_glove}")
"""

from __future__ import annotations

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


class EncoderContract:
    """Shape, dtype, order, empty input, odd Unicode, batch-size invariance, determinism, save/load."""

    #: absolute tolerance when comparing two encodings of the same text
    atol = 1e-5

    def reload(self, encoder, tmp_path):  # override where the backend can be saved
        pytest.skip("this backend has no save/load")

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
        np.testing.assert_allclose(one, encoder.encode([TEXTS[0]])[0], atol=self.atol)

    def test_empty_list(self, encoder):
        out = encoder.encode([])
        assert out.shape == (0, encoder.dim) and out.dtype == np.float32

    def test_rows_in_input_order(self, encoder):
        batch = encoder.encode(TEXTS)
        for i, text in enumerate(TEXTS):
            np.testing.assert_allclose(batch[i], encoder.encode([text])[0], atol=self.atol)
        rev = encoder.encode(TEXTS[::-1])
        np.testing.assert_allclose(rev[::-1], batch, atol=self.atol)

    def test_batch_size_invariance(self, encoder):
        a = encoder.encode(TEXTS, batch_size=1)
        b = encoder.encode(TEXTS, batch_size=4)
        c = encoder.encode(TEXTS, batch_size=64)
        np.testing.assert_allclose(a, b, atol=self.atol)
        np.testing.assert_allclose(a, c, atol=self.atol)

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
        np.testing.assert_allclose(again.encode(TEXTS), encoder.encode(TEXTS), atol=self.atol)
