"""Quick commands stay quick: --help, neighbors/analogy on word vectors and search on an existing index
import no heavy library (pandas, torch, transformers, ...) unless the encoder needs one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "torch", "transformers", "sentence_transformers", "scipy", "sklearn", "matplotlib", "onnxruntime")


def imported_top_level(args: list[str], env_extra: dict) -> set[str]:
    """Top-level modules a `textemb ARGS` run imported, read from `python -X importtime`."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **env_extra}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "textemb_cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = parse_importtime(proc.stderr)
    assert "textemb" in names  # the parse works: otherwise the checks below could never fail
    return names


def parse_importtime(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+\d+ \|( *)([\w.]+)$", line)
        if m:
            names.add(m.group(2).split(".")[0])
    return names


def heavy(names: set[str]) -> list[str]:
    return sorted(set(HEAVY) & names)


@pytest.fixture
def env(tmp_path):
    return {"TEXTEMB_CACHE": str(tmp_path / "cache")}


def test_help_is_light(env):
    assert heavy(imported_top_level(["--help"], env)) == []


def test_neighbors_and_analogy_on_a_vector_file_are_light(tiny_glove, env):
    spec = f"glove:{tiny_glove}"
    first = imported_top_level(["neighbors", "king", "--encoder", spec], env)  # parsed (pyarrow) and cached
    again = imported_top_level(["neighbors", "king", "--encoder", spec], env)  # from the cache
    assert heavy(first) == [] and heavy(again) == []
    assert heavy(imported_top_level(["analogy", "king", "man", "woman", "--encoder", spec], env)) == []


def test_search_on_an_existing_index_is_light(tmp_path, tiny_glove, env):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the king and the queen", encoding="utf-8")
    (docs / "b.txt").write_text("a frog on a log", encoding="utf-8")
    envs = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    subprocess.run([sys.executable, "-m", "textemb_cli", "index", str(docs), "-o", str(tmp_path / "idx"),
                    "--encoder", f"avg:glove:{tiny_glove}", "--quiet"], check=True, env=envs, timeout=300,
                   capture_output=True)
    # the default hybrid search scores BM25 with bm25s, whose sparse matrices are scipy's: scipy is expected here
    # (pandas, torch, transformers, sklearn, matplotlib and onnxruntime are not)
    # the vector file lies outside the index folder: a spec read from the manifest may not name it, the user does
    search = ["search", "frog", "--index", str(tmp_path / "idx"), "--encoder", f"avg:glove:{tiny_glove}"]
    assert heavy(imported_top_level(search, env)) == ["scipy"]
    assert heavy(imported_top_level(search + ["--mode", "dense"], env)) == []


def test_the_check_sees_a_heavy_import():
    """The same parse on a run that does import pandas finds it: the detector is not blind."""
    pytest.importorskip("pandas")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import textemb, pandas"], capture_output=True,
                          text=True, timeout=300)
    assert heavy(parse_importtime(proc.stderr)) == ["pandas"]


@pytest.mark.slow
def test_neighbors_on_the_named_glove_is_light(env):
    assert heavy(imported_top_level(["neighbors", "frog", "--encoder", "glove-6b-50d"], env)) == []
