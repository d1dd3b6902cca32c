"""Damaged model files of every backend in the registry: only TextembError (naming the file), bounded memory, no hang.

Each backend that reads a model file or folder gets a real tiny model (tests/model_fixtures.py: the real training and
save paths). Every file of it is then replaced by a truncated copy, a deeply nested JSON document (JSON files), a copy
whose header lies about its size (``.npy``, word2vec and fastText ``.bin``, safetensors) and a zip bomb (where numpy
would open an archive), and each damaged model is loaded and used in a subprocess under an address-space limit
(``RLIMIT_AS``) and a timeout, one subprocess per backend. The index-folder fuzz is tests/test_hardening2_search.py.
"""

from __future__ import annotations

import functools
import io
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.model_fixtures import MODEL_BUILDERS
from textemb.encoders.registry import backends

ROOT = Path(__file__).resolve().parents[1]
#: backends whose ARG is another spec (their files are the inner backend's, fuzzed there)
WRAPPERS = {"avg", "avg-tfidf", "avg-sif"}
#: backends whose models need torch and transformers: fuzzed by the slow test below
TORCH_BACKENDS = {"bert", "sbert"}
GiB = 1 << 30
FASTTEXT_MAGIC = 793712314

WORKER = """
import json, sys
from textemb import load_encoder
from textemb.errors import TextembError
bad = []
for label, spec, names in json.load(open(sys.argv[1])):
    print("case", label, file=sys.stderr, flush=True)
    try:
        out = load_encoder(spec).encode(["the king sat on a log"])
        assert out.ndim == 2 and out.shape[0] == 1, out.shape
    except TextembError as exc:
        if names not in str(exc):
            bad.append(f"{label}: the error does not name the file: {str(exc)[:300]}")
    except BaseException as exc:
        bad.append(f"{label}: {type(exc).__name__}: {str(exc)[:300]}")
print(json.dumps(bad))
"""


# ---------------------------------------------------------------------------- the damaged variants of one file
def truncated(path: Path, data: bytes) -> bytes | None:
    return data[: len(data) // 2] if len(data) > 1 else None


def deep_json(path: Path, data: bytes) -> bytes | None:
    return b"[" * 100_000 + b"]" * 100_000 if path.suffix == ".json" else None


def lying_header(path: Path, data: bytes) -> bytes | None:
    """The same file, its header claiming 10^12 rows (or entries) it does not hold."""
    if data.startswith(b"\x93NUMPY"):
        fmt = np.lib.format
        fh = io.BytesIO(data)
        fmt.read_magic(fh)
        shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        out = io.BytesIO()
        fmt.write_array_header_1_0(out, {"descr": fmt.dtype_to_descr(dtype), "fortran_order": fortran,
                                         "shape": (10**12, *shape[1:])})
        return out.getvalue() + data[fh.tell():]
    if data[:4] == struct.pack("=i", FASTTEXT_MAGIC):
        return data[:64] + struct.pack("=i", 2**31 - 1) + data[68:]  # vocabulary size
    if path.suffix == ".safetensors":
        return struct.pack("<Q", 10**12) + data[8:]
    if path.suffix == ".bin":  # word2vec binary: 'N DIM' header line
        return b"1000000000000 6" + data[data.index(b"\n"):]
    return None


def zip_bomb(path: Path, data: bytes) -> bytes | None:
    """A small zip whose member inflates to 1 GiB (a third of the workers' address-space limit): numpy's np.load would
    open it (as an .npz) in place of an array; a loader must refuse it unread."""
    return _bomb() if path.suffix == ".npy" else None


@functools.cache
def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open("vectors.npy", "w", force_zip64=True) as fh:
        fh.write(np.lib.format.magic(1, 0))
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f4", "fortran_order": False, "shape": (1 << 30,)})
        block = b"\0" * (1 << 24)
        for _ in range(64):
            fh.write(block)
    return out.getvalue()


VARIANTS = (truncated, deep_json, lying_header, zip_bomb)


def damaged_models(prefix: str, model: Path, work: Path) -> list[tuple[str, str, str]]:
    """``(label, spec, label)`` (the error must name the copy, whose path holds the label) for every variant of every file of ``model`` (a file or a folder), each in its own copy."""
    files = [model] if model.is_file() else sorted(p for p in model.rglob("*") if p.is_file())
    cases = []
    for file in files:
        rel = file.relative_to(model) if model.is_dir() else Path()
        data = file.read_bytes()
        for variant in VARIANTS:
            damaged = variant(file, data)
            if damaged is None:
                continue
            label = f"{prefix}-{model.name}-{'-'.join(rel.parts) or 'file'}-{variant.__name__}".replace(".", "_")
            copy = work / label / model.name
            copy.parent.mkdir(parents=True)
            (shutil.copytree if model.is_dir() else shutil.copyfile)(model, copy)
            (copy / rel if model.is_dir() else copy).write_bytes(damaged)
            cases.append((label, f"{prefix}:{copy}", label))
    return cases


def run_bounded(cases: list[tuple[str, str, str]], work: Path, *, memory: int, timeout: float) -> list[str]:
    """Load every case in one subprocess limited to ``memory`` bytes of address space; a hang fails after ``timeout``."""
    listing = work / "cases.json"
    listing.write_text(json.dumps(cases), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path]), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(WORKER), str(listing)], capture_output=True,
                              text=True, timeout=timeout, env=env, cwd=str(work), preexec_fn=limit, check=False)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        started = [line for line in err.splitlines() if line.startswith("case ")]
        pytest.fail(f"hang: still loading {started[-1] if started else 'the first case'} after {timeout} s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- the tests
def test_every_registered_backend_is_fuzzed():
    """A new backend fails here until it has a tiny model in tests/model_fixtures.py (or is declared a wrapper)."""
    covered = set(MODEL_BUILDERS) | WRAPPERS | TORCH_BACKENDS
    assert {b.prefix for b in backends()} == covered


@pytest.mark.parametrize("prefix", sorted(MODEL_BUILDERS))
def test_damaged_model_files_raise_only_textemb_errors(prefix, tmp_path):
    if prefix in ("lsa", "fasttext", "doc2vec", "word2vec"):
        pytest.importorskip("gensim")
    if prefix == "static":
        pytest.importorskip("model2vec")
    cases = []
    for i, build in enumerate(MODEL_BUILDERS[prefix]):
        (tmp_path / f"m{i}").mkdir()
        cases += damaged_models(prefix, build(tmp_path / f"m{i}"), tmp_path / "work")
    assert cases
    bad = run_bounded(cases, tmp_path / "work", memory=3 * GiB, timeout=120)
    assert not bad, "\n".join(bad[:8])


@pytest.mark.slow
def test_damaged_transformer_folders_raise_only_textemb_errors(tiny_bert, tiny_sbert, tmp_path):
    """bert: and sbert: folders (config, tokenizer, safetensors) and the cached ONNX export of sbert:?backend=onnx."""
    from textemb.encoders.onnx_export import onnx_model

    work = tmp_path / "work"
    cases = damaged_models("bert", Path(tiny_bert), work) + damaged_models("sbert", Path(tiny_sbert), work)
    export = onnx_model(Path(tiny_sbert), outputs="last")
    data = export.read_bytes()
    bad = run_bounded(cases, work, memory=12 * GiB, timeout=500)
    for label, damaged in (("onnx-truncated", data[: len(data) // 2]), ("onnx-garbage", b"\x08" * len(data))):
        export.write_bytes(damaged)  # a cut export is built again; a damaged one of the right size is named
        bad += run_bounded([(label, f"sbert:{tiny_sbert}?backend=onnx", export.parent.name)], work,
                           memory=12 * GiB, timeout=300)
    assert not bad, "\n".join(bad[:8])
