"""GloVe, word2vec-binary and vector-folder backends all pass the shared Encoder contract."""

from __future__ import annotations

import pytest

from tests.encoder_contract import EncoderContract
from textemb import WordVectors, load_encoder


class TestGloveFileContract(EncoderContract):
    @pytest.fixture
    def encoder(self, tiny_glove):
        return load_encoder(f"glove:{tiny_glove}")

    def reload(self, encoder, tmp_path):
        encoder.save(tmp_path / "saved")
        return load_encoder(f"vectors:{tmp_path / 'saved'}")


class TestWord2VecBinaryContract(EncoderContract):
    @pytest.fixture
    def encoder(self, tiny_w2v_bin):
        return load_encoder(f"word2vec:{tiny_w2v_bin}")

    def reload(self, encoder, tmp_path):
        path = encoder.save_word2vec_format(tmp_path / "again.bin", binary=True)
        return load_encoder(f"word2vec:{path}")


@pytest.mark.slow
class TestRealGloveContract(EncoderContract):
    @pytest.fixture
    def encoder(self, glove50):
        return glove50

    def reload(self, encoder, tmp_path):
        encoder.save(tmp_path / "g")
        again = WordVectors.load(tmp_path / "g")
        assert again.words == encoder.words
        return again
