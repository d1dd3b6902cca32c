"""Retrieval evaluation: BEIR loading, metric arithmetic, dense vs bm25s on real data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.full_size import GLOVE_QUICK
from textemb.errors import FormatError
from textemb.search.retrieval import BeirData, evaluate_retrieval, load_beir, score_rankings, to_markdown_table

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "corpora" / "wikipedia-sample-eval"
CORPUS = ROOT / "corpora" / "wikipedia-sample" / "corpus.jsonl"


def test_metrics_by_hand():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 1, "d4": 1}}
    rankings = {"q1": ["d1", "x"], "q2": ["x", "y", "d2"], "q3": ["d4", "x", "x2", "x3", "x4", "d3"]}
    m = score_rankings(rankings, qrels)
    assert m["Recall@1"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert m["Recall@5"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert m["Recall@10"] == pytest.approx(1.0)
    assert m["MRR@10"] == pytest.approx((1 + 1 / 3 + 1) / 3)
    ideal3 = 1 + 1 / math.log2(3)
    ndcg3 = (1 + 1 / math.log2(7)) / ideal3
    assert m["nDCG@10"] == pytest.approx((1 + 1 / math.log2(4) + ndcg3) / 3)
    assert score_rankings({}, qrels)["nDCG@10"] == 0.0


def test_load_beir_shipped_set_and_errors(tmp_path):
    data = load_beir(EVAL, corpus=CORPUS)
    assert len(data.corpus) == 106 and len(data.queries) == len(data.qrels) >= 30
    assert all(len(rel) == 1 and next(iter(rel)) in data.corpus for rel in data.qrels.values())
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "title": "", "text": "x"}) + "\n")
    (tmp_path / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "x"}) + "\n")
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tmissing\t1\n")
    with pytest.raises(FormatError, match="not in corpus.jsonl"):
        load_beir(tmp_path)
    (tmp_path / "qrels.tsv").write_text("q1 d1 1\n")  # spaces, not tabs
    with pytest.raises(FormatError, match="no relevance judgements"):
        load_beir(tmp_path)
    (tmp_path / "qrels.tsv").write_text("q1\td1\t1\nq1\td1\n")
    with pytest.raises(FormatError, match="line 2"):
        load_beir(tmp_path)


def test_dense_and_bm25_side_by_side_on_real_articles(glove_quick):
    """A 25-article slice of the shipped set: both systems run and find most answers."""
    full = load_beir(EVAL, corpus=CORPUS)
    keep_q = list(full.qrels)[:12]
    keep_docs = {d for q in keep_q for d in full.qrels[q]} | set(list(full.corpus)[:13])
    data = BeirData({d: full.corpus[d] for d in keep_docs}, {q: full.queries[q] for q in keep_q},
                    {q: full.qrels[q] for q in keep_q}, name="slice")
    results = evaluate_retrieval(data, glove_quick)
    assert [(r.encoder, r.settings["mode"]) for r in results] == [(GLOVE_QUICK, m) for m in ("dense", "bm25", "hybrid")]
    for r in results:
        assert set(r.metrics) == {"nDCG@10", "MRR@10", "Recall@1", "Recall@5", "Recall@10"}
        assert r.metrics["Recall@10"] >= 0.75
        assert r.task == "retrieval" and r.primary == "nDCG@10" and r.to_dict()["primary"] == "nDCG@10"
        assert r.settings["queries"] == 12
    assert "| hybrid, weighted |" in to_markdown_table(results) == results.to_markdown()


@pytest.mark.slow
def test_full_eval_set_glove_vs_bm25(glove50):
    dense, bm25, hybrid = (r.metrics for r in evaluate_retrieval(load_beir(EVAL, corpus=CORPUS), glove50))
    assert dense["Recall@10"] >= 0.9 and bm25["Recall@10"] >= 0.9
    assert dense["nDCG@10"] >= 0.7 and hybrid["Recall@10"] >= 0.9


def test_graded_qrels_use_linear_gain_like_pytrec_eval():
    """BEIR/MTEB nDCG (pytrec_eval): gain = grade. The old hand-written 2^g-1 gain gave a different number."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    qrels = {"q1": {"d1": 2, "d2": 1, "d3": 0}, "q2": {"d4": 3}}
    rankings = {"q1": ["d2", "d3", "d1"], "q2": ["x", "d4"]}
    m = score_rankings(rankings, qrels)
    linear_q1 = (1 + 2 / math.log2(4)) / (2 + 1 / math.log2(3))
    exp_q1 = (1 + 3 / math.log2(4)) / (3 + 1 / math.log2(3))  # what 2^g-1 gain gives
    q2 = 1 / math.log2(3)
    assert m["nDCG@10"] == pytest.approx((linear_q1 + q2) / 2)
    assert m["nDCG@10"] != pytest.approx((exp_q1 + q2) / 2)
    run = {q: {d: float(len(r) - i) for i, d in enumerate(r)} for q, r in rankings.items()}
    ref = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recip_rank"}).evaluate(run)
    assert m["nDCG@10"] == pytest.approx(sum(v["ndcg_cut_10"] for v in ref.values()) / 2)
    assert m["MRR@10"] == pytest.approx((1.0 + 0.5) / 2)
