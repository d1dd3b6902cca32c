"""textemb encoders under mteb.evaluate: the figure equals textemb's own on the same file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from textemb import WordVectors
from textemb.errors import InputError
from textemb.evaluation import evaluate_sentence_pairs

mteb = pytest.importorskip("mteb")
from textemb.integrations.mteb import MtebEncoder, local_sts_task, to_mteb  # noqa: E402 (after importorskip)

LEE_PAIRS = Path(__file__).resolve().parents[1] / "corpora" / "lee-pairs" / "lee-pairs.tsv"


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    rng = np.random.default_rng(3)
    words = ["cat", "dog", "car", "bus", "sun", "moon", "red", "blue", "tea", "milk", "sea", "sky"]
    wv = WordVectors(words, rng.standard_normal((len(words), 6)).astype(np.float32), name="tiny")
    path = tmp_path_factory.mktemp("sts") / "pairs.tsv"
    lines = ["score\ts1\ts2"]
    for _ in range(30):
        a = " ".join(rng.choice(words, 3))
        b = " ".join(rng.choice(words, 3))
        lines.append(f"{rng.integers(0, 6)}\t{a}\t{b}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return wv, path


def _mteb_scores(encoder, path) -> dict:
    res = mteb.evaluate(to_mteb(encoder), local_sts_task(path), cache=None, show_progress_bar=False)
    return res.task_results[0].scores["test"][0]


def test_adapter_follows_the_encoder_protocol(tiny_setup):
    wv, _ = tiny_setup
    model = to_mteb(wv)
    assert isinstance(model, mteb.models.EncoderProtocol)
    meta = model.mteb_model_meta
    assert meta.name == "textemb/tiny" and meta.embed_dim == 6 and meta.similarity_fn_name.value == "cosine"
    assert len(meta.revision) == 12  # the weights sha256 prefix
    emb = wv.encode(["cat dog", "sun moon"])
    np.testing.assert_allclose(model.similarity_pairwise(emb, emb), [1.0, 1.0], atol=1e-6)
    with pytest.raises(InputError):
        MtebEncoder("not an encoder")  # type: ignore[arg-type]


def test_mteb_figure_equals_textemb_on_a_tiny_file(tiny_setup):
    wv, path = tiny_setup
    scores = _mteb_scores(wv, path)
    ours = evaluate_sentence_pairs(wv, path)
    assert scores["main_score"] == pytest.approx(ours.metrics["spearman"], abs=1e-9)
    assert scores["cosine_pearson"] == pytest.approx(ours.metrics["pearson"], abs=1e-6)


def test_unknown_mteb_encode_keywords_fail_loudly(tiny_setup):
    wv, _ = tiny_setup
    with pytest.raises(InputError, match="does not support"):
        to_mteb(wv).encode([], task_metadata=None, hf_split="test", hf_subset="default", frobnicate=True)


@pytest.mark.slow
def test_mteb_figure_equals_textemb_on_lee_pairs_glove(glove50):
    scores = _mteb_scores(glove50, LEE_PAIRS)
    ours = evaluate_sentence_pairs(glove50, LEE_PAIRS)
    assert ours.metrics["pairs"] == 190
    assert scores["main_score"] == pytest.approx(ours.metrics["spearman"], abs=1e-9)
    assert scores["cosine_pearson"] == pytest.approx(ours.metrics["pearson"], abs=1e-6)
    assert scores["main_score"] == pytest.approx(0.4811, abs=1e-4)


@pytest.mark.slow
def test_mteb_figure_equals_textemb_on_lee_pairs_minilm():
    from textemb import load_encoder

    enc = load_encoder("sbert:all-MiniLM-L6-v2", device="cpu")
    scores = _mteb_scores(enc, LEE_PAIRS)
    ours = evaluate_sentence_pairs(enc, LEE_PAIRS)
    assert scores["main_score"] == pytest.approx(ours.metrics["spearman"], abs=1e-6)
    assert scores["cosine_pearson"] == pytest.approx(ours.metrics["pearson"], abs=1e-5)
