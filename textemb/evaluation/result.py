"""The result object every evaluator returns; :mod:`textemb.evaluation.report` renders it."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

from textemb.errors import InputError


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
        figures: the small, JSON-ready data the report's figures are drawn from (the analogy pairs'
            2-D projection, the similarity scatter's points; see :mod:`~textemb.evaluation.figure_data`).
            Serialised, so a report written from a saved result draws the same pictures.
        extra: in-memory conveniences for callers (per-question correctness, raw score arrays);
            never serialised, and reports do not read it.
    """

    task: str
    dataset: str
    encoder: str
    metrics: dict[str, Any]
    primary: str
    sections: list[dict[str, Any]] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
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
    def from_dict(cls, d: dict[str, Any]) -> EvalResult:
        """The result :meth:`to_dict` gave (unknown keys ignored, ``figures`` optional)."""
        missing = [k for k in _REQUIRED if k not in d]
        if missing:
            raise InputError(f"not an evaluation result: missing {', '.join(missing)} "
                             "(expected the JSON that EvalResult.to_json or a .json report writes)")
        return cls(**{k: d[k] for k in _KEYS if k in d})

    @classmethod
    def from_json(cls, text: str) -> EvalResult:
        """The result :meth:`to_json` wrote."""
        return cls.from_dict(json.loads(text))

    def summary(self) -> str:
        """One line: ``glove-6b-50d on google (analogy): accuracy = 0.4637``."""
        return f"{self.encoder} on {self.dataset} ({self.task}): {self.primary} = {self.score:.4f}"


_REQUIRED = ("task", "dataset", "encoder", "metrics", "primary")
_KEYS = (*_REQUIRED, "sections", "misses", "settings", "figures")


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


#: every similarity benchmark scores pairs with this function
SIMILARITY_FUNCTION = "cosine"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "0_StaticEmbedding/model.safetensors", "model.onnx")


def encoder_identity(obj: object) -> dict[str, Any]:
    """What identifies the model behind a result: weights hash, revision, weighting settings.

    - word vectors: sha256 of the word list and the float32 matrix as loaded (computed once per object);
    - transformer models: sha256 of the weights file in the model folder, and the Hugging Face
      snapshot revision when the folder is in the hub cache;
    - averaged encoders: the inner vectors' hash plus the weighting settings (method, frequency
      source, ``a``, ``pc``, corpus).
    """
    from textemb.encoders.capabilities import HasModelFolder, WrapsWordVectors, held_word_vectors_of

    out: dict[str, Any] = {"class": type(obj).__name__, "similarity": SIMILARITY_FUNCTION}
    if isinstance(obj, WrapsWordVectors) and isinstance(obj.settings, dict):
        out["weighting"] = dict(obj.settings)
    held = held_word_vectors_of(obj)
    if held is not None:
        out["weights_sha256"] = _vectors_sha256(held)
        obj = held
    if isinstance(obj, HasModelFolder) and obj.model_path:
        out.update(_folder_identity(obj.model_path))
    elif "weights_sha256" not in out:  # e.g. static:FOLDER (a distilled table): the folder its spec names
        folder = _spec_folder(encoder_spec(obj))
        if folder is not None:
            out.update(_folder_identity(folder))
    return out


def _spec_folder(spec: str) -> str | None:
    """The local folder a ``PREFIX:FOLDER`` spec names, or None (a file, a hub name, a named model)."""
    from pathlib import Path

    from textemb.encoders.registry import parse_spec
    from textemb.errors import TextembError

    try:
        prefix, arg, _ = parse_spec(spec)
    except TextembError:  # not a spec (an empty name): nothing to hash
        return None
    return arg if prefix is not None and Path(arg).is_dir() else None


def _vectors_sha256(wv: Any) -> str:
    cached = getattr(wv, "_weights_sha256", None)
    if cached is None:
        import hashlib

        import numpy as np

        h = hashlib.sha256("\n".join(wv.words).encode("utf-8", "surrogatepass"))
        matrix = np.ascontiguousarray(wv.vectors, dtype=np.float32)
        for start in range(0, matrix.shape[0], 65536):
            h.update(matrix[start : start + 65536].tobytes())
        cached = h.hexdigest()
        try:
            wv._weights_sha256 = cached
        except AttributeError:
            pass
    return str(cached)


def _folder_identity(path: object) -> dict[str, Any]:
    from pathlib import Path

    from textemb.evaluation.datasets import sha256

    folder = Path(str(path))
    out: dict[str, Any] = {"model_path": str(folder)}
    parts = folder.resolve().parts if folder.exists() else ()
    if "snapshots" in parts and parts.index("snapshots") + 1 < len(parts):
        out["revision"] = parts[parts.index("snapshots") + 1]
    for name in _WEIGHT_FILES:
        f = folder / name
        if f.is_file():
            out["weights_file"] = name
            out["weights_sha256"] = sha256(f)
            break
    return out
