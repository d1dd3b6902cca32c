"""textemb cache info / clear over every kind of entry textemb caches, with sizes: parsed vectors, one-step
search indexes, ONNX exports and distilled static models; what textemb did not write is kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textemb_cli.main import main

from textemb.io.cache import cache_root


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _bytes(folder: Path) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(folder) for f in files)


def test_info_and_clear_cover_distilled_models_and_vectors_with_sizes(capsys, tiny_glove):
    pytest.importorskip("model2vec")
    from tests.test_static import _tiny_static
    from textemb import load_encoder

    load_encoder(f"glove:{tiny_glove}")  # a parsed-vectors entry
    static = _tiny_static(cache_root() / "static" / "tiny-pca256")  # where `textemb distill MODEL` keeps it
    foreign = cache_root() / "onnx" / "my-own-model"
    foreign.mkdir(parents=True)
    (foreign / "model.onnx").write_bytes(b"not textemb's")
    code, out, _ = _cli(capsys, "cache", "info", "--json")
    data = json.loads(out)
    sizes = dict(zip(data["entries"], data["sizes"]))
    assert code == 0 and dict(zip(data["entries"], data["kinds"]))["tiny-pca256"] == "static"
    assert sizes["tiny-pca256"] == _bytes(static) > 0 and "my-own-model" not in sizes
    assert data["by_kind"]["static"]["bytes"] == _bytes(static) and data["by_kind"]["vectors"]["entries"] == 1
    assert data["bytes"] == sum(data["sizes"]) and set(data["by_kind"]) >= {"vectors", "indexes", "onnx", "static"}
    code, out, _ = _cli(capsys, "cache", "info")
    assert "distilled static models (static/): 1 entries" in out and "ONNX exports (onnx/): 0 entries" in out
    code, out, _ = _cli(capsys, "cache", "clear", "--json")
    cleared = json.loads(out)
    assert code == 0 and cleared["removed"] == 2 and cleared["freed_bytes"] == sum(data["sizes"])
    assert cleared["kept"] == ["my-own-model"] and not static.exists() and (foreign / "model.onnx").is_file()


@pytest.mark.slow
def test_onnx_exports_fp32_and_int8_are_listed_with_sizes_and_cleared(capsys, tiny_bert):
    from textemb.encoders.onnx_export import onnx_model

    onnx_model(tiny_bert, quantize="int8")  # exports fp32 into the cache, then quantizes it to int8 beside it
    data = json.loads(_cli(capsys, "cache", "info", "--json")[1])
    onnx = [(n, b) for n, k, b in zip(data["entries"], data["kinds"], data["sizes"]) if k == "onnx"]
    assert len(onnx) == 2 and {n.split("-")[-2] for n, _ in onnx} == {"fp32", "int8"}
    for name, size in onnx:
        assert size == _bytes(cache_root() / "onnx" / name) > 0
    assert _cli(capsys, "cache", "clear")[0] == 0
    assert not any((cache_root() / "onnx").iterdir())


def test_distill_without_output_keeps_its_model_in_the_cache_and_reuses_it(capsys, tmp_path):
    """``textemb distill MODEL`` (no -o) writes $TEXTEMB_CACHE/static/NAME-pcaN, which 'cache' lists and clears;
    a second run finds it there instead of distilling for minutes again."""
    pytest.importorskip("model2vec")
    from tests.test_static import _tiny_static

    folder = _tiny_static(cache_root() / "static" / "tiny-pca256")
    code, out, err = _cli(capsys, "distill", str(tmp_path / "tiny"))  # the model folder is not even read
    assert code == 0, err
    assert out.startswith(f"distilled before: {folder} ") and f"--encoder static:{folder}" in out

