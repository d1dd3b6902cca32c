"""Static (model2vec) encoder: contract on a tiny folder built here, `textemb distill` on the real MiniLM (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.encoder_contract import TEXTS, EncoderContract
from tests.model_fixtures import static_model
from textemb import load_encoder
from textemb.errors import FormatError, InputError

pytest.importorskip("model2vec")


_tiny_static = static_model  # a real model2vec StaticModel saved through textemb (tests/model_fixtures.py)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return _tiny_static(tmp_path_factory.mktemp("static") / "tiny")


class TestStaticContract(EncoderContract):
    @pytest.fixture
    def encoder(self, tiny_folder):
        return load_encoder(f"static:{tiny_folder}")

    def reload(self, encoder, tmp_path):
        return load_encoder(encoder.save(tmp_path / "copy"))


def test_static_is_a_token_mean(tiny_folder):
    enc = load_encoder(f"static:{tiny_folder}")
    king, queen, both = enc.encode(["king", "queen", "king queen"])
    expected = (king + queen) / 2  # rows are unit vectors of single tokens; a text is their normalised mean
    np.testing.assert_allclose(both, expected / np.linalg.norm(expected), atol=1e-5)


def test_folder_without_manifest_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(FormatError, match="textemb static folder"):
        load_encoder(f"static:{tmp_path / 'x'}")
    with pytest.raises(InputError, match="textemb distill"):
        load_encoder(f"static:{tmp_path / 'missing'}")


def test_save_refuses_a_foreign_folder(tiny_folder, tmp_path):
    enc = load_encoder(f"static:{tiny_folder}")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="a folder textemb did not write"):
        enc.save(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.fixture(scope="session")
def distilled(tmp_path_factory):
    """`textemb distill all-MiniLM-L6-v2` run once, offline, through the CLI (minutes on 2 CPUs)."""
    out = tmp_path_factory.mktemp("distill") / "minilm-static"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TEXTEMB_CACHE": str(tmp_path_factory.mktemp("cache"))}
    proc = subprocess.run([sys.executable, "-m", "textemb_cli", "distill", "all-MiniLM-L6-v2", "-o", str(out), "--json"],
                          capture_output=True, text=True, env=env, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out, json.loads(proc.stdout)


@pytest.mark.slow
def test_distill_real_minilm(distilled):
    folder, info = distilled
    assert info["format"] == "textemb-static" and info["dim"] == 256 and len(info["source_sha256"]) == 64
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.bin"))
    enc = load_encoder(f"static:{folder}")
    a, b, c = enc.encode(["a cat sat on the mat", "a kitten sat on the rug", "stock markets fell sharply today"])
    assert a @ b > a @ c + 0.1  # a lookup table that still knows cats from markets
    out = enc.encode(TEXTS)
    assert out.shape == (len(TEXTS), 256) and np.isfinite(out).all()


@pytest.mark.parametrize("name", ["tokenizer.json", "model.safetensors", "config.json"])
def test_folder_missing_a_model2vec_file_is_one_format_error(tiny_folder, tmp_path, name):
    import shutil

    copy = tmp_path / "partial"
    shutil.copytree(tiny_folder, copy)
    (copy / name).unlink()
    with pytest.raises(FormatError, match=f"partial: {name} missing from the static model folder; rebuild it"):
        load_encoder(f"static:{copy}")


def test_damaged_model2vec_files_are_format_errors_naming_the_folder(tiny_folder, tmp_path):
    import shutil

    damaged = {"model.safetensors": lambda b: b[: len(b) // 2], "tokenizer.json": lambda b: b[:-40],
               "config.json": lambda b: b"{" + b}
    for name, damage in damaged.items():
        copy = tmp_path / f"bad-{name}"
        shutil.copytree(tiny_folder, copy)
        (copy / name).write_bytes(damage((copy / name).read_bytes()))
        with pytest.raises(FormatError, match=f"bad-{name}: cannot read the static model folder .*: [A-Za-z]*(Error|Exception) "):
            load_encoder(f"static:{copy}")
