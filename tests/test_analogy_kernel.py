"""The analogy scoring kernel: pruned scan vs brute force, the block bound, numpy vs torch, vs gensim's arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from textemb.evaluation.analogy import _kernel as kernel
from textemb.evaluation.analogy._exact import KEEP, reference_top
from textemb.vectors import WordVectors


def _unit(rng, n, dim, clusters=0):
    """Unit rows; with ``clusters`` the rows gather around a few directions (so pruning has work to skip)."""
    x = rng.standard_normal((n, dim)).astype(np.float32)
    if clusters:
        centres = rng.standard_normal((clusters, dim)).astype(np.float32) * 3
        x += centres[rng.integers(0, clusters, n)]
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _questions(rng, n, m):
    q = rng.choice(n, (m * 2, 4))
    distinct = (q[:, 0] != q[:, 1]) & (q[:, 1] != q[:, 2]) & (q[:, 0] != q[:, 2]) & (q[:, 3] != q[:, 0]) \
        & (q[:, 3] != q[:, 1]) & (q[:, 3] != q[:, 2])
    return q[distinct][:m]


def _brute(unit, questions, method, eps=1e-3):
    """Every score of every question, question words and the expected word set to -inf."""
    cos = unit @ unit.T
    a, b, c = (questions[:, k] for k in range(3))
    inv = kernel.inverse_query_norms(unit, a, b, c)
    out = kernel.combine(kernel.pair_part(cos[a], cos[b], method, eps), kernel.c_part(cos[c], method),
                         inv[:, None], method)
    for k in range(4):
        out[np.arange(len(questions)), questions[:, k]] = -np.inf
    return out


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(kernel, "BLOCK", 8)
    monkeypatch.setattr(kernel, "FIRST_CHUNK", 16)
    monkeypatch.setattr(kernel, "QUESTION_BATCH", 7)


@pytest.mark.parametrize("method", kernel.METHODS)
@pytest.mark.parametrize("threads", [1, 2])
def test_scan_finds_exactly_what_brute_force_finds(small_blocks, method, threads):
    rng = np.random.default_rng(0)
    unit = _unit(rng, 403, 12, clusters=6)  # 403: the last block is padded
    questions = _questions(rng, 403, 60)
    full = _brute(unit, questions, method)
    expected = kernel.scores_of(unit, questions[:, :3], questions[:, 3], method, 1e-3)
    lo, hi = (expected - 0.05).astype(np.float32), (expected + 0.05).astype(np.float32)
    special = np.zeros(403, bool)
    special[rng.choice(403, 20, replace=False)] = True
    res = kernel.scan(unit, questions, lo, hi, method=method, epsilon=1e-3, special=special, threads=threads,
                      chunk=40)
    plain = np.where(special[None, :], -np.inf, full)
    np.testing.assert_array_equal(res.beaten, (plain > hi[:, None]).any(axis=1))
    for q in np.flatnonzero(~res.beaten):  # an open question saw every candidate at or above lo
        mine = res.row[res.question == q]
        assert sorted(mine) == sorted(np.flatnonzero(full[q] >= lo[q]))
        np.testing.assert_allclose(res.score[res.question == q], full[q, mine], rtol=1e-5, atol=1e-6)
    assert res.beaten.any() and (~res.beaten).any()


@pytest.mark.parametrize("method", kernel.METHODS)
def test_block_bound_prunes_and_never_undercuts_a_score(small_blocks, method):
    rng = np.random.default_rng(1)
    unit = _unit(rng, 800, 16, clusters=10)
    questions = _questions(rng, 800, 40)
    full = _brute(unit, questions, method)
    best = full.max(axis=1)
    res = kernel.scan(unit, questions, best - 1e-5, best + 1, method=method, epsilon=1e-3, chunk=64)
    assert res.scored < 0.5 * len(questions) * len(unit)  # most blocks skipped by their bound
    for q in range(len(questions)):  # yet each question's best candidate was found
        assert full[q].argmax() in res.row[res.question == q]


def test_torch_scan_equals_numpy_scan(small_blocks):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    unit = _unit(rng, 300, 10, clusters=4)
    questions = _questions(rng, 300, 50)
    for method in kernel.METHODS:
        expected = kernel.scores_of(unit, questions[:, :3], questions[:, 3], method, 1e-3)
        lo, hi = (expected - 0.02).astype(np.float32), (expected + 0.02).astype(np.float32)
        ours = kernel.scan(unit, questions, lo, hi, method=method, epsilon=1e-3, chunk=32)
        theirs = kernel.scan(torch.from_numpy(unit), questions, lo, hi, method=method, epsilon=1e-3, chunk=32)
        np.testing.assert_array_equal(ours.beaten, theirs.beaten)
        key = lambda r: sorted(zip(r.question.tolist(), r.row.tolist()))  # noqa: E731
        assert key(ours) == key(theirs)


@pytest.mark.parametrize("method", kernel.METHODS)
def test_top_candidates_equal_gensim_arithmetic(method):
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((300, 10)).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    unit = vectors / norms[:, None]
    questions = _questions(rng, 300, 40)[:, :3]
    rows, scores = kernel.top_candidates(unit, questions, KEEP, method=method, epsilon=1e-3)
    for i, q in enumerate(questions):
        ref_rows, ref_scores = reference_top(vectors, norms, 300, tuple(int(x) for x in q), method, 1e-3)
        assert list(rows[i]) == list(ref_rows)
        np.testing.assert_allclose(scores[i], ref_scores, rtol=1e-5, atol=1e-5)


def test_word_vectors_3cosmul_uses_the_kernel_formula():
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(200)]
    vecs = rng.standard_normal((200, 8)).astype(np.float32)
    wv = WordVectors(words, vecs)
    got = wv.analogy("w1", "w2", "w3", topn=4, method="3cosmul")
    u = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    cos = (u @ u[[1, 2, 3]].T + 1) / 2
    score = cos[:, 1] * cos[:, 2] / (cos[:, 0] + 1e-3)
    score[[1, 2, 3]] = -np.inf
    best = np.argsort(-score, kind="stable")[:4]
    assert [w for w, _ in got] == [words[i] for i in best]
    np.testing.assert_allclose([s for _, s in got], score[best], rtol=1e-5)
