"""ONNX Runtime backend for sbert: and bert: (export once per session, fp32 agreement, int8 drift, cache reuse)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.encoder_contract import TEXTS, EncoderContract
from textemb import load_encoder
from textemb.errors import InputError

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def _cos(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_quantize_needs_onnx_backend():
    with pytest.raises(InputError, match="backend=onnx"):
        load_encoder("sbert:all-MiniLM-L6-v2?quantize=int8")
    with pytest.raises(InputError, match="backend"):
        load_encoder("sbert:all-MiniLM-L6-v2?backend=tensorrt")


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx_encoders(onnx_cache):
    """fp32 and int8 encoders, exported once for the whole session into one cache folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TEXTEMB_CACHE", str(onnx_cache))
    try:
        fp32 = load_encoder("sbert:all-MiniLM-L6-v2?backend=onnx")
        int8 = load_encoder("sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8")
    finally:
        mp.undo()
    return fp32, int8


@pytest.fixture(scope="session")
def torch_sbert(minilm_sbert):
    return minilm_sbert  # the session's one torch MiniLM (tests/conftest.py)


@pytest.mark.slow
class TestOnnxSbertContract(EncoderContract):
    @pytest.fixture
    def encoder(self, onnx_encoders):
        return onnx_encoders[0]

    def reload(self, encoder, tmp_path):
        return load_encoder(encoder.spec)


@pytest.mark.slow
class TestOnnxInt8Contract(EncoderContract):
    # dynamic int8 quantizes activations with one scale per batch tensor (padding included), so a row moves
    # with the texts batched beside it: measured least cosine 0.989 between batch sizes 1 and 64 on the contract
    # texts (onnxruntime of this venv), 0.03+ in single elements; a row swap or a wrong pooling gives far less.
    # fp32 holds the contract at 1e-5 element-wise
    min_cosine = 0.98

    @pytest.fixture
    def encoder(self, onnx_encoders):
        return onnx_encoders[1]

    def reload(self, encoder, tmp_path):
        return load_encoder(encoder.spec)


@pytest.mark.slow
def test_fp32_matches_pytorch_and_int8_drift(onnx_encoders, torch_sbert, gensim_data):
    lines = (gensim_data / "lee_background.cor").read_text(encoding="latin-1").splitlines()
    texts = [t for t in lines if t.strip()][:60] + TEXTS
    ref = torch_sbert.encode(texts)
    fp32, int8 = (e.encode(texts) for e in onnx_encoders)
    assert _cos(ref, fp32).min() >= 0.999
    drift = _cos(ref, int8)
    print(f"int8 cosine to PyTorch: mean {drift.mean():.4f}, min {drift.min():.4f}")
    assert drift.mean() >= 0.98 and drift.min() >= 0.95


@pytest.mark.slow
def test_export_is_cached_with_manifest_and_reused(onnx_encoders, onnx_cache, monkeypatch):
    from textemb.encoders import onnx_export
    from textemb.io.cache import sha256_file

    fp32, int8 = onnx_encoders
    manifest = onnx_export.read_manifest(fp32.onnx_file)
    weights = fp32.model_path + "/model.safetensors"
    assert manifest["source"]["sha256"] == sha256_file(weights)
    assert manifest["opset"] == onnx_export.OPSET and manifest["versions"]["onnxruntime"]
    assert onnx_export.read_manifest(int8.onnx_file)["quantize"] == "int8"
    monkeypatch.setenv("TEXTEMB_CACHE", str(onnx_cache))

    def no_export(*a, **k):
        raise AssertionError("exported again although the cache is valid")

    monkeypatch.setattr(onnx_export, "_export", no_export)
    monkeypatch.setattr(onnx_export, "_quantize", no_export)
    again = load_encoder("sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8")
    np.testing.assert_allclose(again.encode(TEXTS), int8.encode(TEXTS), atol=1e-5)
    # a manifest whose source no longer matches is not reused
    path = int8.onnx_file.parent / "manifest.json"
    data = json.loads(path.read_text())
    data["source"].update(size=1, sha256="0" * 64)
    path.write_text(json.dumps(data))
    assert not onnx_export._valid(int8.onnx_file.parent, onnx_export.Path(weights))


@pytest.mark.slow
def test_bert_backend_onnx_matches_torch(onnx_cache, monkeypatch):
    monkeypatch.setenv("TEXTEMB_CACHE", str(onnx_cache))
    ref = load_encoder("bert:all-MiniLM-L6-v2?layers=-2..-1").encode(TEXTS)
    enc = load_encoder("bert:all-MiniLM-L6-v2?layers=-2..-1&backend=onnx")
    assert "backend=onnx" in enc.spec
    assert _cos(ref, enc.encode(TEXTS)).min() >= 0.999


# --------------------------------------------------------------------------- queries on an sbert index skip torch
def test_runtime_options_do_not_change_the_encoder_key():
    from textemb.search.compat import encoder_key

    plain = encoder_key("all-MiniLM-L6-v2")
    assert plain == encoder_key("sbert:all-MiniLM-L6-v2") == encoder_key("sbert:all-MiniLM-L6-v2?backend=onnx")
    assert plain == encoder_key("all-MiniLM-L6-v2?backend=onnx&threads=2") == encoder_key("sbert:all-MiniLM-L6-v2?backend=torch")
    assert encoder_key("sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8") != plain  # int8 vectors differ
    assert encoder_key("sbert:all-MiniLM-L6-v2?max_length=64") != plain


@pytest.mark.slow
def test_cli_search_on_an_sbert_index_uses_the_cached_onnx_export(onnx_encoders, onnx_cache, torch_sbert, tmp_path,
                                                                  monkeypatch, capsys):
    import subprocess
    import sys

    from textemb_cli.main import main

    from textemb.encoders.runtime import runtime_spec
    from textemb.search import Index

    monkeypatch.setenv("TEXTEMB_CACHE", str(onnx_cache))
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in {"aardvark.txt": "The aardvark is a nocturnal burrowing mammal that eats ants and termites.",
                       "bank.txt": "The central bank raised interest rates again this quarter.",
                       "frog.txt": "A small green frog sat on a log by the pond."}.items():
        (docs / name).write_text(text)
    out = tmp_path / "idx"
    assert main(["index", str(docs), "-o", str(out), "--encoder", "all-MiniLM-L6-v2"]) == 0
    assert "fast queries:" in capsys.readouterr().out  # the fp32 export is there (the fixture made it)
    assert runtime_spec("sbert:all-MiniLM-L6-v2", "fast").canonical == "all-MiniLM-L6-v2?backend=onnx"
    with Index.open(out) as onnx_idx, Index.open(out, encoder=torch_sbert) as torch_idx:
        assert "backend=onnx" in onnx_idx.encoder.spec
        query = "an animal that eats termites at night"
        fast, ref = onnx_idx.search(query, k=3, mode="dense"), torch_idx.search(query, k=3, mode="dense")
        assert [h.id for h in fast] == [h.id for h in ref] and fast[0].source == "aardvark.txt"
        np.testing.assert_allclose([h.score for h in fast], [h.score for h in ref], atol=2e-3)
    code = ("import sys; from textemb_cli.main import main; rc = main(['search', 'termites', '--index', sys.argv[1], "
            "'-k', '1', '--json']); assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"][0]["source"] == "aardvark.txt"


def test_a_crafted_index_spec_naming_a_folder_with_a_fifo_never_blocks(tmp_path):
    """runtime="fast" reads the model folder an index's manifest names: a FIFO there is refused, not waited on."""
    import os
    import subprocess
    import sys

    model = tmp_path / "model"
    model.mkdir()
    os.mkfifo(model / "modules.json")
    code = ("import sys; from textemb.encoders.runtime import runtime_spec; "
            "print(runtime_spec('sbert:' + sys.argv[1], 'fast'))")
    proc = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"sbert:{model}"  # unchanged: the query runs as the index was built


# ---------------------------------------------------------------------------- damaged exports and crafted files
def test_a_cut_or_damaged_export_is_built_again_or_its_cache_entry_named(tiny_bert):
    from textemb.encoders.onnx_export import cached_session, onnx_model, read_manifest, session
    from textemb.errors import FormatError

    model = onnx_model(tiny_bert)
    data = model.read_bytes()
    model.write_bytes(data[: len(data) // 2])  # the manifest records the export's size
    assert onnx_model(tiny_bert) == model and model.stat().st_size == len(data)
    session(model)
    model.write_bytes(b"\x08" * len(data))  # same size, damaged: onnxruntime's InvalidProtobuf
    with pytest.raises(FormatError, match=f"model.onnx: cannot read the ONNX model: InvalidProtobuf .* delete the "
                                          f"folder {model.parent}"):
        session(model)
    path, fresh = cached_session(tiny_bert)  # no longer the bytes the manifest's sha256 records: exported again
    assert path == model and fresh.get_outputs()[0].name == "hidden"
    manifest = read_manifest(model)
    del manifest["sha256"]  # an entry written before exports were hashed: nothing proves it changed
    (model.parent / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    model.write_bytes(b"\x08" * model.stat().st_size)
    with pytest.raises(FormatError, match=f"delete the folder {model.parent}"):
        cached_session(tiny_bert)


def _external_model(path, location: str, length: int | None = None):
    """A real one-node ONNX graph whose weight lives in external data at ``location``."""
    from onnx import TensorProto, helper, save

    weight = helper.make_tensor("w", TensorProto.FLOAT, [4], [0.0] * 4)
    weight.ClearField("float_data")
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(length or 16))):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], initializer=[weight])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


@pytest.mark.parametrize("location,length", [("../../etc/passwd", None), ("/etc/passwd", None),
                                             ("weights.bin", 4 * 1024**4)])
def test_crafted_external_data_is_a_format_error(tmp_path, location, length):
    from textemb.encoders.onnx_export import session
    from textemb.errors import FormatError

    (tmp_path / "weights.bin").write_bytes(b"\0" * 16)
    model = _external_model(tmp_path / "model.onnx", location, length)
    with pytest.raises(FormatError, match=r"model.onnx: cannot read the ONNX model: \w+ .*delete the folder"):
        session(model)


def test_a_sentence_transformers_5_folder_runs_on_onnx(tiny_sbert):
    """sentence-transformers 5 writes ``"pooling_mode": "mean"`` (one name, not one flag per mode)."""
    pooling = json.loads((tiny_sbert / "1_Pooling" / "config.json").read_text())
    onnx = load_encoder(f"sbert:{tiny_sbert}?backend=onnx")
    torch = load_encoder(f"sbert:{tiny_sbert}")
    np.testing.assert_allclose(onnx.encode(TEXTS[:6]), torch.encode(TEXTS[:6]), atol=1e-4)
    assert onnx.pool == pooling.get("pooling_mode", "mean")
