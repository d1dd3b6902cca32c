"""Pickle-based files are refused unless trusted; a payload proves nothing runs."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from textemb import load_encoder
from textemb.errors import UnsafeFileError


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling would create the marker file
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("name", ["evil.pkl", "evil.model", "evil.bin", "evil.txt"])
def test_pickle_payload_is_refused_and_never_runs(tmp_path, name):
    marker = tmp_path / "PWNED"
    path = tmp_path / name
    path.write_bytes(pickle.dumps(_Payload(marker), protocol=4))
    for spec in (f"word2vec:{path}", f"glove:{path}"):
        with pytest.raises(UnsafeFileError, match="pickle-based file.*trust_pickle"):
            load_encoder(spec)
    assert not marker.exists()


def test_torch_zip_checkpoint_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "pytorch_model.bin"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(UnsafeFileError):
        load_encoder(f"word2vec:{path}")


def test_trusted_gensim_model_opens(tmp_path, tiny_matrix):
    KeyedVectors = pytest.importorskip("gensim.models").KeyedVectors
    kv = KeyedVectors(vector_size=8)
    kv.add_vectors([f"w{i}" for i in range(len(tiny_matrix))], tiny_matrix)
    path = tmp_path / "kv.model"
    kv.save(str(path))
    with pytest.raises(UnsafeFileError):
        load_encoder(f"word2vec:{path}")
    wv = load_encoder(f"word2vec:{path}?trust_pickle=1")
    assert wv.words == list(kv.index_to_key)
    np.testing.assert_array_equal(wv.vectors, kv.vectors)
