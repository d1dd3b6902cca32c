"""topk_scores: partial selection agrees with a full sort (ties by lower index), never writes the caller's array."""

from __future__ import annotations

import numpy as np
import pytest

from textemb.kernels import nearest, topk_scores


def reference(scores, k):
    idx = np.array([np.lexsort((np.arange(len(r)), -r))[:k] for r in scores])
    return idx, np.take_along_axis(scores, idx, axis=1)


@pytest.mark.parametrize("k", [1, 3, 10, 50, 64])
def test_matches_a_full_sort_with_ties(k):
    rng = np.random.default_rng(k)
    scores = rng.integers(0, 6, size=(7, 64)).astype(np.float32)  # many ties across the k-th boundary
    idx, top = topk_scores(scores, k)
    ref_idx, ref_top = reference(scores, k)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(top, ref_top)


def test_exclude_and_no_write_to_the_callers_array():
    scores = np.arange(20, dtype=np.float32)[None, :].repeat(2, axis=0)
    before = scores.copy()
    idx, top = topk_scores(scores, 3, exclude=[[19, 18], []])
    assert idx.tolist() == [[17, 16, 15], [19, 18, 17]]
    np.testing.assert_array_equal(scores, before)
    idx, _ = topk_scores(scores, 3, exclude=[[19], []], inplace=True)
    assert idx[0].tolist() == [18, 17, 16] and scores[0, 19] == -np.inf


def test_k_larger_than_n_and_nan():
    idx, top = topk_scores(np.array([[0.5, np.nan, 0.9]], dtype=np.float32), 5)
    assert idx.shape == (1, 3) and idx[0, 0] == 2
    idx, _ = topk_scores(np.array([[np.nan, np.nan, 0.1, np.nan]], dtype=np.float32), 2)
    assert idx.shape == (1, 2) and 2 in idx[0]


def test_nearest_random_against_brute_force():
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((5000, 16)).astype(np.float32)
    q = rng.standard_normal((9, 16)).astype(np.float32)
    idx, sc = nearest(q, mat, 10, block=4)
    ref_idx, ref_sc = reference(q @ mat.T, 10)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(sc, ref_sc, rtol=1e-5)
