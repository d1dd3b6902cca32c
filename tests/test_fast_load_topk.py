"""Issue 13 items 4-5: the streaming text reader agrees with the careful parser, and exact top-k with a reference.

The reader tests shrink the block size so that every file spans many blocks (errors and oddities land in a
later block, a line straddles a block boundary). The top-k tests check the streaming kernel against a numpy
full sort (ties by lower index) and the index's dense search against brute force.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from textemb.errors import FormatError
from textemb.io import text_stream
from textemb.io.formats import read_vectors
from textemb.io.text_lines import parse_text
from textemb.kernels import nearest, topk_scores


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(text_stream, "BLOCK_BYTES", 256)
    monkeypatch.setattr(text_stream, "CARRY_BYTES", 128)


def _rows(n: int, dim: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}é" if i % 7 == 0 else f"w{i}" for i in range(n)]
    return words, rng.standard_normal((n, dim)).astype(np.float32).round(5)


def _text(words, matrix) -> bytes:
    return "".join(w + " " + " ".join(repr(float(x)) for x in row) + "\n" for w, row in zip(words, matrix)).encode()


def test_stream_equals_careful_parser(tmp_path, small_blocks):
    words, matrix = _rows(300, 6)
    data = _text(words, matrix)
    path = tmp_path / "v.txt"
    path.write_bytes(data)
    with open(path, "rb") as fh:  # the fast path itself accepts the file (no silent fallback)
        assert text_stream.stream_text(fh, len(data), 6, max_rows=None, max_line_bytes=1 << 20) is not None
    raw_words, careful, _ = parse_text(data, path, False, None, 1 << 20)
    parsed = read_vectors(path)
    assert parsed.words == [w.decode() for w in raw_words] == words
    np.testing.assert_array_equal(parsed.vectors, careful)
    assert parsed.vectors.flags.c_contiguous and parsed.vectors.dtype == np.float32


def test_stream_limit_header_crlf_and_trailing_blank_lines(tmp_path, small_blocks):
    words, matrix = _rows(120, 4)
    body = _text(words, matrix)
    path = tmp_path / "v.txt"
    path.write_bytes(b"120 4\r\n" + body.replace(b"\n", b"\r\n") + b"\n \n\n")
    parsed = read_vectors(path)
    assert parsed.format == "word2vec" and parsed.header == (120, 4) and parsed.words == words
    np.testing.assert_array_equal(parsed.vectors, matrix)
    limited = read_vectors(path, limit=57)
    assert limited.words == words[:57]
    np.testing.assert_array_equal(limited.vectors, matrix[:57])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"zz 1 2 3\n", "line 90: expected 4 values after word 'zz', got 3"),
        (b"zz 1 2 x 4\n", "line 90: value 3 of 4 is 'x', expected a number"),
        (b"zz 1 2\r3 4\n", "line 90: expected 4 values after word 'zz', got 3"),  # a lone CR is not a line end
        (b" 1 2 3 4\n", "line 90: empty line or line starting with a space"),
        (b"z\x00z 1 2 3 4\n", "line 90: vector 90: word contains a NUL byte"),
        (b"z\xffz 1 2 3 4\n", "line 90: vector 90: word .* is not valid UTF-8"),
        (b"zz 1 2 nan 4\n", "line 90: vector 90 ('zz') contains NaN or Inf"),
    ],
)
def test_errors_in_a_later_block_name_their_line(tmp_path, small_blocks, bad, message):
    words, matrix = _rows(120, 4)
    lines = _text(words, matrix).splitlines(keepends=True)
    path = tmp_path / "bad.txt"
    path.write_bytes(b"".join(lines[:89]) + bad + b"".join(lines[89:]))
    with pytest.raises(FormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_vectors(path)


def test_duplicates_across_blocks_keep_the_first(tmp_path, small_blocks):
    words, matrix = _rows(100, 3)
    words[80] = words[2]
    path = tmp_path / "dup.txt"
    path.write_bytes(_text(words, matrix))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = read_vectors(path)
    assert parsed.duplicates == 1 and any("1 duplicate words" in str(w.message) for w in caught)
    assert len(parsed.words) == 99 and parsed.words.count(words[2]) == 1
    np.testing.assert_array_equal(parsed.vectors[2], matrix[2])


def test_a_line_longer_than_the_carry_still_parses(tmp_path, small_blocks):
    words, matrix = _rows(40, 30)  # each line is longer than the 128-byte carry
    path = tmp_path / "long.txt"
    path.write_bytes(_text(words, matrix))
    parsed = read_vectors(path)
    assert parsed.words == words
    np.testing.assert_array_equal(parsed.vectors, matrix)


# ----------------------------------------------------------------------------- exact top-k
def _reference(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.array([np.lexsort((np.arange(len(r)), -r))[:k] for r in scores])
    return idx, np.take_along_axis(scores, idx, axis=1)


@pytest.mark.parametrize("m", [1, 3, 70])
@pytest.mark.parametrize("k", [1, 10, 64])
def test_nearest_matches_a_numpy_full_sort(m, k):
    rng = np.random.default_rng(m * 100 + k)
    mat = rng.standard_normal((5000, 24)).astype(np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    q = rng.standard_normal((m, 24)).astype(np.float32)
    idx, sc = nearest(q, mat, k, chunk=512)
    ref_idx, ref_sc = _reference(q @ mat.T, k)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(sc, ref_sc, rtol=1e-5, atol=1e-6)


def test_nearest_ties_exclusions_and_limit():
    mat = np.repeat(np.eye(4, dtype=np.float32), 300, axis=0)  # 300 identical rows per direction: all ties
    q = np.array([[1, 0, 0, 0], [0, 0, 1, 0]], dtype=np.float32)
    idx, sc = nearest(q, mat, 5, exclude=[[0, 2], []], chunk=64)
    assert idx.tolist() == [[1, 3, 4, 5, 6], [600, 601, 602, 603, 604]]
    idx, _ = nearest(q, mat, 3, limit=200, chunk=64)
    assert idx[1].tolist() == [0, 1, 2]  # only zeros within the limit: lowest indices win


def test_nearest_float64_and_memory_mapped_matrix(tmp_path):
    rng = np.random.default_rng(3)
    mat = rng.standard_normal((3000, 8))
    q = rng.standard_normal((2, 8)).astype(np.float32)
    ref_idx, _ = _reference(q @ mat.astype(np.float32).T, 5)
    np.testing.assert_array_equal(nearest(q, mat, 5, chunk=700)[0], ref_idx)
    np.testing.assert_array_equal(nearest(q[:1], mat, 5, chunk=700)[0], ref_idx[:1])
    np.save(tmp_path / "m.npy", mat.astype(np.float32))
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    np.testing.assert_array_equal(nearest(q, mapped, 5, chunk=700)[0], ref_idx)


def test_threaded_batch_matches_the_reference():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(5)
    mat = rng.integers(-3, 4, size=(140_000, 4)).astype(np.float32)  # many exact ties across the two ranges
    q = rng.integers(-2, 3, size=(3, 4)).astype(np.float32)
    exclude = [[0, 1, 139_999], [], [70_000]]
    scores = q @ mat.T
    for row, cols in enumerate(exclude):
        scores[row, cols] = -np.inf
    ref_idx, ref_sc = _reference(scores, 7)
    with threadpoolctl.threadpool_limits(2):
        idx, sc = nearest(q, mat, 7, exclude=exclude)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(sc, ref_sc)


def test_topk_scores_unchanged_reference():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 4, size=(5, 300)).astype(np.float32)
    idx, top = topk_scores(scores, 12)
    ref_idx, ref_top = _reference(scores, 12)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(top, ref_top)


# ------------------------------------------------------------------ the source hash taken while streaming
def test_streamed_parse_hashes_the_whole_file_once(tmp_path):
    from textemb.io.cache import sha256_file
    from textemb.io.formats import read_vectors

    rows = "".join(f"w{i} {i * 0.5:.3f} {-i:.1f} 1.0\n" for i in range(3000))
    for name, text in {"g.txt": rows, "w.txt": f"3000 3\n{rows}", "bom.txt": "\ufeff" + rows}.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        parsed = read_vectors(path)
        assert len(parsed.words) == 3000
        assert parsed.source_sha256 == sha256_file(path), name  # seek back over line 1 is not hashed twice
        assert parsed.source_identity["size"] == path.stat().st_size
    # a parse that stops early (limit=) in a file larger than one block read only part of it: no hash to reuse
    big = tmp_path / "big.txt"
    big.write_text("".join(f"w{i} {i * 0.5:.3f} {-i:.1f} 1.0\n" for i in range(120_000)), encoding="utf-8")
    assert big.stat().st_size > 2 * 2**20
    assert read_vectors(big, limit=10).source_sha256 is None
    assert read_vectors(big).source_sha256 == sha256_file(big)


def test_cache_uses_the_streamed_hash_only_while_the_file_is_unchanged(tmp_path, monkeypatch):
    import json

    from textemb import load_encoder
    from textemb.io import cache

    path = tmp_path / "g.txt"
    path.write_text("".join(f"w{i} {i}.0 1.0\n" for i in range(50)), encoding="utf-8")
    calls = []
    real = cache.sha256_file
    monkeypatch.setattr(cache, "sha256_file", lambda p: calls.append(str(p)) or real(p))
    load_encoder(f"glove:{path}")
    assert str(path) not in calls  # the hash came from the parse
    (entry,) = cache.entries()
    recorded = json.loads((entry / "manifest.json").read_text())["source"]
    assert recorded["sha256"] == real(path)
    # the identity recorded at open no longer matches (file rewritten): the cache reads the file again
    assert cache.store(path, {"x": 1}, ["a"], np.ones((1, 2), np.float32), {}, sha256="0" * 64,
                       identity={"size": -1}) is not None
    assert str(path) in calls
