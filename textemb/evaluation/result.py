"""The result object every evaluator returns; :mod:`textemb.evaluation.report` renders it."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class EvalResult:
    """What an evaluation measured, and everything needed to reproduce it.

    Attributes:
        task: ``analogy``, ``word-similarity``, ``document-similarity`` or ``sentence-similarity``.
        dataset: the dataset's short name.
        encoder: the encoder spec (``glove-6b-50d``, ``sbert:all-MiniLM-L6-v2`` ...).
        metrics: every number measured (floats and counts).
        primary: the key of ``metrics`` that summarises the run (e.g. ``accuracy``).
        sections: per-section rows (analogy sections, or one row for pair datasets).
        misses: the worst misses (analogy questions answered most confidently wrong, or the
            pairs whose model rank is furthest from the human rank).
        settings: dataset files + sha256, vocabulary cutoff, case handling, OOV policy, method,
            library versions, device and elapsed seconds.
        extra: data for plots that is not part of the JSON summary (never serialised).
    """

    task: str
    dataset: str
    encoder: str
    metrics: dict[str, Any]
    primary: str
    sections: list[dict[str, Any]] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def score(self) -> float:
        """The primary metric's value."""
        return float(self.metrics[self.primary])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("extra")
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=_json_default)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "EvalResult":
        keys = ("task", "dataset", "encoder", "metrics", "primary", "sections", "misses", "settings")
        return cls(**{k: d[k] for k in keys if k in d})

    def summary(self) -> str:
        """One line: ``glove-6b-50d on google (analogy): accuracy = 0.4637``."""
        return f"{self.encoder} on {self.dataset} ({self.task}): {self.primary} = {self.score:.4f}"


def _json_default(obj: object):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def library_versions() -> dict[str, str]:
    """Versions of Python, textemb and the numeric libraries that are already imported."""
    import sys

    import numpy as np

    from textemb import __version__

    out = {"python": platform.python_version(), "textemb": __version__, "numpy": np.__version__}
    for mod in ("scipy", "torch", "gensim", "sentence_transformers", "transformers", "sklearn"):
        m = sys.modules.get(mod)
        if m is not None and hasattr(m, "__version__"):
            out[mod] = str(m.__version__)
    return out


def encoder_spec(obj: object) -> str:
    """The spec string of an encoder or word vectors (falls back to its name)."""
    return str(getattr(obj, "spec", "") or getattr(obj, "name", "") or type(obj).__name__)
