"""ONNX Runtime batches: each call stays within a padded-token budget (its activations are an index run's peak
memory), and the vectors do not depend on how a batch was split."""

from __future__ import annotations

import numpy as np
import pytest

from textemb import load_encoder

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


class _Recorder:
    """Delegates to the real onnxruntime session and records the shape of every input it is given."""

    def __init__(self, session):
        self._session, self.shapes = session, []

    def run(self, names, feeds):
        self.shapes.append(feeds["input_ids"].shape)
        return self._session.run(names, feeds)

    def __getattr__(self, name):
        return getattr(self._session, name)


def test_onnx_calls_stay_within_the_token_budget_and_give_the_same_vectors(tiny_sbert, monkeypatch):
    from textemb.encoders import onnx_sbert

    enc = load_encoder(f"sbert:{tiny_sbert}?backend=onnx")
    texts = ["the king", "a frog sat", "paris"] * 10 + [" ".join(["the king spoke to the queen"] * k) for k in range(1, 40)]
    one_by_one = enc.encode(texts, batch_size=1)
    monkeypatch.setattr(onnx_sbert, "TOKEN_BUDGET", 128)
    enc.session = recorder = _Recorder(enc.session)
    batched = enc.encode(texts, batch_size=64)
    assert max(rows * width for rows, width in recorder.shapes) <= 128
    assert max(width for _, width in recorder.shapes) == 32  # long texts, cut at the model's 32 tokens, were split
    assert any(rows > 8 for rows, _ in recorder.shapes), recorder.shapes  # short texts keep a large batch
    np.testing.assert_allclose(batched, one_by_one, atol=2e-5)


def test_a_sentence_transformers_6_folder_cuts_long_texts_where_torch_does(tiny_sbert):
    """sentence-transformers 5+ keeps max_seq_length in the tokenizer's config, not sentence_bert_config.json:
    a long text is cut at the model's 32 tokens (not 512, which overran its position embeddings)."""
    from sentence_transformers import SentenceTransformer

    long_text = " ".join(["the king spoke to the queen"] * 20)
    onnx = load_encoder(f"sbert:{tiny_sbert}?backend=onnx").encode([long_text, "a frog"])
    torch = SentenceTransformer(str(tiny_sbert), device="cpu").encode([long_text, "a frog"], show_progress_bar=False)
    np.testing.assert_allclose(onnx, torch, atol=1e-4)
