"""The compiled single-query loops (numba) give exactly numpy's answers: ids, order, ties, NaN, -inf, limits."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from textemb import compiled, kernels

pytest.importorskip("numba")


@pytest.fixture(scope="module", autouse=True)
def prepared():
    assert compiled.prepare()
    assert compiled.ready()


def numpy_only(q, mat, k, **kw):
    os.environ["TEXTEMB_COMPILED"] = "0"
    try:
        return kernels.nearest(q, mat, k, **kw)
    finally:
        del os.environ["TEXTEMB_COMPILED"]


def reference(q, mat, k):
    scores = (mat.astype(np.float64) @ q.astype(np.float64)).astype(np.float32)
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]
    return order, scores[order]


@pytest.mark.parametrize("k", [1, 3, 10, 64, 256, 300])
@pytest.mark.parametrize("d", [1, 7, 50, 384])
def test_same_as_numpy_with_many_ties(k, d):
    rng = np.random.default_rng(k * 1000 + d)
    mat = rng.integers(-2, 3, size=(5000, d)).astype(np.float32)  # integer dots: exact, and many equal scores
    q = rng.integers(-2, 3, size=d).astype(np.float32)
    idx, sc = kernels.nearest(q, mat, k)
    ref_idx, ref_sc = reference(q, mat, k)
    np.testing.assert_array_equal(idx[0], ref_idx)
    np.testing.assert_array_equal(sc[0], ref_sc)
    n_idx, n_sc = numpy_only(q, mat, k)
    np.testing.assert_array_equal(idx, n_idx)
    np.testing.assert_array_equal(sc, n_sc)


def test_float_rows_agree_with_numpy_within_rounding():
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((20000, 50), dtype=np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    for q in mat[:20]:
        idx, sc = kernels.nearest(q, mat, 10)
        n_idx, n_sc = numpy_only(q, mat, 10)
        np.testing.assert_array_equal(idx, n_idx)
        np.testing.assert_allclose(sc, n_sc, atol=1e-6)
        assert idx[0, 0] == np.flatnonzero((mat == q).all(axis=1))[0]


def test_nan_inf_k_larger_than_n_limit_and_exclusions_match_numpy():
    mat = np.ones((6, 4), np.float32)
    mat[1] = np.nan
    mat[3] = -np.inf
    q = np.ones(4, np.float32)
    for kw in ({}, {"limit": 4}, {"exclude": [[0, 2]]}):
        for k in (2, 6, 10):
            got, want = kernels.nearest(q, mat, k, **kw), numpy_only(q, mat, k, **kw)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
    assert kernels.nearest(q, mat, 10)[0].tolist() == [[0, 2, 4, 5, 3, 1]]  # -inf after numbers, NaN last
    clean = np.delete(mat, 1, axis=0)
    assert kernels.nearest(q, clean, 2)[0].tolist() == [[0, 1]]  # ties by lower index through the compiled pass


def test_exclusions_score_minus_inf_as_numpy_does():
    rng = np.random.default_rng(3)
    mat = rng.integers(-2, 3, size=(3000, 20)).astype(np.float32)
    q = mat[7].copy()
    top = kernels.nearest(q, mat, 50)[0][0]
    for excluded in ([7], top[:5].tolist(), top[::2].tolist(), list(range(2990)), [5000, -1, 7, 7]):
        for k in (1, 10, 50):
            got, want = kernels.nearest(q, mat, k, exclude=[excluded]), numpy_only(q, mat, k, exclude=[excluded])
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
            assert not set(got[0][0][np.isfinite(got[1][0])]) & set(excluded)


def test_read_only_and_memory_mapped_rows(tmp_path):
    rng = np.random.default_rng(2)
    mat = rng.standard_normal((3000, 24)).astype(np.float32)
    np.save(tmp_path / "m.npy", mat)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    frozen = mat.copy()
    frozen.flags.writeable = False
    want = numpy_only(mat[3], mat, 10)
    for rows in (mapped, frozen):
        for q in (rows[3], mat[3]):
            got = kernels.nearest(q, rows, 10)
            np.testing.assert_array_equal(got[0], want[0])
            got = kernels.nearest(q, rows, 10, exclude=[[3]])
            np.testing.assert_array_equal(got[0], numpy_only(mat[3], mat, 10, exclude=[[3]])[0])
    out = np.empty(3000, np.float32)
    assert compiled.row_dots(mapped, mapped[3], out)
    np.testing.assert_allclose(out, mat @ mat[3], rtol=1e-5, atol=1e-5)


def test_non_float32_or_strided_rows_fall_back_to_numpy():
    rng = np.random.default_rng(1)
    mat = rng.standard_normal((1000, 16)).astype(np.float32)
    q = mat[5].copy()
    assert compiled.top_k(mat[:, :8], q[:8], 5) is None  # not C-contiguous
    assert compiled.top_k(mat.astype(np.float64), q, 5) is None
    assert compiled.top_k(mat, q, compiled.TOP_K_MAX + 1) is None
    got = kernels.nearest(q.astype(np.float16), mat.astype(np.float16), 5)
    assert got[0][0, 0] == 5


def test_a_failed_compile_warns_and_numpy_answers(monkeypatch):
    monkeypatch.setattr(compiled, "_STATE", {"loop": None, "tried": False, "work": 0})

    def broken(numba):
        raise RuntimeError("LLVM cannot lower this")

    monkeypatch.setattr(compiled, "_compile", broken)
    with pytest.warns(RuntimeWarning, match="compiled search loop could not be built.*LLVM cannot lower"):
        assert not compiled.prepare()
    assert not compiled.prepare() and not compiled.ready()  # tried once, not again
    mat = np.eye(4, dtype=np.float32)
    assert kernels.nearest(mat[2], mat, 1)[0].tolist() == [[2]]


def test_turned_off_and_compiled_on_its_own_after_enough_work():
    """A fresh interpreter: TEXTEMB_COMPILED=0 keeps numpy; otherwise single queries compile after AUTO_AFTER."""
    code = (
        "import numpy as np\n"
        "from textemb import compiled, kernels\n"
        "compiled.AUTO_AFTER = 10 * 64 * 1000\n"
        "mat = np.random.default_rng(0).standard_normal((1000, 64)).astype(np.float32)\n"
        "seen = []\n"
        "for q in mat[:12]:\n"
        "    kernels.nearest(q, mat, 3); seen.append(compiled.ready())\n"
        "print(seen.index(True) if True in seen else -1)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    on = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert on.stdout.strip() == "9"  # the 10th query reaches AUTO_AFTER and compiles
    off = subprocess.run([sys.executable, "-c", code], env={**env, "TEXTEMB_COMPILED": "0"},
                         capture_output=True, text=True, check=True)
    assert off.stdout.strip() == "-1"


@pytest.mark.slow
def test_real_glove_neighbours_are_the_same_compiled_and_numpy(glove50):
    wv = glove50
    for word in ("king", "frog", "paris", "computer", "running"):
        q = wv.unit_vectors[wv.key_to_index[word]]
        idx, sc = kernels.nearest(q, wv.unit_vectors, 20)
        n_idx, n_sc = numpy_only(q, wv.unit_vectors, 20)
        np.testing.assert_array_equal(idx, n_idx)
        np.testing.assert_allclose(sc, n_sc, atol=1e-6)
    king = wv.key_to_index["king"]
    assert [wv.index_to_key[i] for i in kernels.nearest(wv.unit_vectors[king], wv.unit_vectors, 4)[0][0][1:]][:1] == ["prince"]
