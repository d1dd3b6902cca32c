"""Doc2Vec backend: deterministic inference, PV-DM and PV-DBOW, pickle-free folder, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.encoder_contract import TEXTS, EncoderContract
from tests.test_lsa import TINY_CORPUS
from textemb import load_encoder
from textemb.encoders.doc2vec import Doc2VecEncoder, train_doc2vec
from textemb.errors import FormatError, InputError

pytest.importorskip("gensim")


@pytest.fixture(scope="module", params=["dm", "dbow"])
def tiny_d2v(request) -> Doc2VecEncoder:
    return train_doc2vec(TINY_CORPUS, dim=8, epochs=5, min_count=1, dm=request.param == "dm", seed=4)


class TestDoc2VecContract(EncoderContract):
    @pytest.fixture
    def encoder(self, tiny_d2v):
        return tiny_d2v

    def reload(self, encoder, tmp_path):
        encoder.save(tmp_path / "d2v")
        return load_encoder(f"doc2vec:{tmp_path / 'd2v'}")


def test_inference_is_a_pure_function_of_the_text(tiny_d2v):
    a = tiny_d2v.encode(["the king spoke"])[0]
    tiny_d2v.encode(["a frog", "paris"])  # earlier calls must not move the generator
    np.testing.assert_array_equal(tiny_d2v.encode(["x", "the king spoke"])[1], a)


def test_inference_follows_gensim_with_the_same_start(tiny_d2v, monkeypatch):
    import gensim.models.doc2vec as gd
    import numpy.random as npr

    tokens = ["the", "king", "spoke"]
    start = tiny_d2v.start_vector(tokens)
    monkeypatch.setattr(gd, "pseudorandom_weak_vector", lambda size, seed_string=None: start.copy())
    tiny_d2v.model.random = npr.RandomState(tiny_d2v.seed)
    ref = tiny_d2v.model.infer_vector(tokens, epochs=tiny_d2v.epochs)
    np.testing.assert_array_equal(tiny_d2v.encode("the king spoke"), ref)


def test_inference_is_the_same_in_every_process(tiny_d2v, tmp_path):
    """gensim's start vector uses hash(), which PYTHONHASHSEED changes; ours must not."""
    import os
    import subprocess
    import sys

    tiny_d2v.save(tmp_path / "m")

    path = tmp_path / "m"
    code = ("import sys; from textemb import load_encoder; "
            f"sys.stdout.write(load_encoder({'doc2vec:' + str(path)!r}).encode('the king spoke to a frog').tobytes().hex())")
    procs = [subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": hashseed},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for hashseed in ("1", "2")]  # both at once: the two interpreter starts overlap
    outs = set()
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outs.add(out)
    assert len(outs) == 1
    assert outs.pop() == tiny_d2v.encode("the king spoke to a frog").tobytes().hex()


def test_seed_and_epochs_options(tiny_d2v, tmp_path):
    tiny_d2v.save(tmp_path / "m")
    path = tmp_path / "m"
    base = load_encoder(f"doc2vec:{path}")
    assert base.epochs == 5 and base.seed == 4
    other_seed = load_encoder(f"doc2vec:{path}?seed=9")
    more = load_encoder(f"doc2vec:{path}?epochs=50")
    assert more.epochs == 50 and more.spec.endswith("?epochs=50")
    v = base.encode("the frog sat")
    assert not np.array_equal(v, other_seed.encode("the frog sat"))
    assert not np.array_equal(v, more.encode("the frog sat"))
    np.testing.assert_array_equal(more.encode("the frog sat"), load_encoder(f"doc2vec:{path}?epochs=50").encode("the frog sat"))
    with pytest.raises(InputError, match="epochs"):
        load_encoder(f"doc2vec:{path}?epochs=0")
    with pytest.raises(InputError, match="unknown option"):
        load_encoder(f"doc2vec:{path}?epoch=3")


def test_round_trip_bit_exact_and_pickle_free(tiny_d2v, tmp_path):
    tiny_d2v.save(tmp_path / "m")
    path = tmp_path / "m"
    assert sorted(p.name for p in path.iterdir()) == sorted(
        [".textemb-owner.json", "doc2vec.json", "word_vectors.npy", "syn1neg.npy", "cum_table.npy", "sample_int.npy", "counts.npy", "doc_vectors.npy"])
    again = Doc2VecEncoder.load(path)
    np.testing.assert_array_equal(again.encode(TEXTS), tiny_d2v.encode(TEXTS))
    np.testing.assert_array_equal(again.model.dv.vectors, tiny_d2v.model.dv.vectors)
    assert again.model.dm == tiny_d2v.model.dm


def test_tampered_folder_refused(tiny_d2v, tmp_path):
    tiny_d2v.save(tmp_path / "m")
    path = tmp_path / "m"
    np.save(path / "syn1neg.npy", np.zeros((2, 8), dtype=np.float32))
    with pytest.raises(FormatError, match="syn1neg"):
        Doc2VecEncoder.load(path)
    (path / "doc2vec.json").write_text(json.dumps({"format": "textemb-lsa", "format_version": 1}))
    with pytest.raises(FormatError, match="textemb-doc2vec"):
        Doc2VecEncoder.load(path)


def test_word_vectors_only_when_trained(tiny_d2v):
    if tiny_d2v.model.dm:
        assert tiny_d2v.word_vectors().most_similar("king", topn=2)
    else:
        with pytest.raises(InputError, match="dbow-words"):
            tiny_d2v.word_vectors()


def test_cli_train_doc2vec_dbow(tmp_path):
    from textemb_cli.main import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(TINY_CORPUS), encoding="utf-8")
    out = tmp_path / "d2v"
    assert main(["train", "doc2vec", str(corpus), "-o", str(out), "--dbow", "--dbow-words", "--dim", "6",
                 "--epochs", "3", "--min-count", "1", "--json"]) == 0
    enc = load_encoder(f"doc2vec:{out}")
    assert enc.dim == 6 and not enc.model.dm and enc.settings["model"] == "PV-DBOW"
    assert len(enc.word_vectors()) == len(enc.words)


@pytest.mark.slow
@pytest.mark.parametrize("dm", [False, True])
def test_lee_pearson_real(gensim_data, dm):
    from textemb.evaluation import evaluate_documents

    enc = train_doc2vec(gensim_data / "lee_background.cor", dim=50, epochs=40, min_count=2, dm=dm, seed=1)
    res = evaluate_documents(enc, "lee")
    assert res.metrics["pearson"] > (0.35 if not dm else 0.25)  # measured 0.436 (PV-DBOW) / 0.325 (PV-DM)


def test_manifest_values_are_validated(tiny_d2v, tmp_path):
    tiny_d2v.save(tmp_path / "m")
    path = tmp_path / "m"
    meta = json.loads((path / "doc2vec.json").read_text())
    meta["model"]["window"] = "5; import os"
    (path / "doc2vec.json").write_text(json.dumps(meta))
    with pytest.raises(FormatError, match="window|invalid"):
        Doc2VecEncoder.load(path)
