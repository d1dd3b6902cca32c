"""Property test: random bytes and mutated valid files make the readers raise only TextembError."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textemb.errors import TextembError
from textemb.io.formats import read_vectors, write_vectors

WORDS = ["the", "king", "queen", "frog", "café"]
MATRIX = np.arange(20, dtype=np.float32).reshape(5, 4) / 7


def _valid(tmp_path, binary: bool) -> bytes:
    p = write_vectors(tmp_path / ("v.bin" if binary else "v.txt"), WORDS, MATRIX, binary=binary)
    return p.read_bytes()


def _try(tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for fmt in ("auto", "glove", "word2vec", "word2vec-bin"):
        try:
            out = read_vectors(path, format=fmt, max_line_bytes=4096, max_bytes=1 << 20)
        except TextembError:
            continue
        assert out.vectors.shape == (len(out.words), out.vectors.shape[1])
        assert np.isfinite(out.vectors).all()
        assert len(set(out.words)) == len(out.words)


settings_ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path, data):
    _try(tmp_path, "r.txt", data)
    _try(tmp_path, "r.bin", data)


@settings_
@given(binary=st.booleans(), edits=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=3)), max_size=6),
       cut=st.integers(0, 10_000))
def test_mutated_valid_files(tmp_path, binary, edits, cut):
    data = bytearray(_valid(tmp_path, binary))
    for pos, blob in edits:
        pos %= max(len(data), 1)
        data[pos : pos + len(blob)] = blob
    data = bytes(data[: max(cut, 1)]) if cut < len(data) else bytes(data)
    _try(tmp_path, "m.bin" if binary else "m.txt", data)
