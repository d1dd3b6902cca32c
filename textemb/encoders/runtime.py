"""Runtimes of one model: PyTorch, ONNX Runtime fp32, ONNX Runtime int8. The model chooses; callers ask.

``load_encoder(spec, runtime=...)`` takes one of :data:`RUNTIMES`:

- ``None`` (the default): as the spec says.
- ``"torch"``, ``"onnx"``, ``"onnx-int8"``: that runtime of the spec's model (a sentence-transformers model;
  ``onnx-int8`` gives other vectors, so another :attr:`Spec.key`).
- ``"fast"``: the fastest runtime that gives the *same* vectors (same key) and is ready without an export: a plain
  ``sbert:`` model on the CPU runs on its cached fp32 ONNX export when there is one (no torch import), anything
  else as the spec says. :func:`prepare_fast` makes that export once, so later loads are fast.
"""

from __future__ import annotations

from pathlib import Path

from textemb.encoders.spec import Spec
from textemb.errors import InputError

__all__ = ["RUNTIMES", "prepare_fast", "runtime_of", "runtime_spec"]

RUNTIMES = ("torch", "onnx", "onnx-int8", "fast")
_OPTIONS: dict[str, dict[str, str | None]] = {"torch": {"backend": None, "quantize": None, "threads": None},
            "onnx": {"backend": "onnx", "quantize": None},
            "onnx-int8": {"backend": "onnx", "quantize": "int8"}}


def runtime_of(spec: str | Spec) -> str:
    """``torch``, ``onnx``, ``onnx-int8`` or ``lookup`` (word vectors, static tables): how ``spec`` encodes."""
    from textemb.encoders.registry import backend_named
    from textemb.errors import UnknownEncoderError

    try:
        parsed = Spec.parse(spec)
    except UnknownEncoderError:
        return "lookup"
    backend = backend_named(parsed.backend)
    if backend is None or backend.extra != "contextual":
        return "lookup"
    options = parsed.all_options
    if options.get("backend") != "onnx":
        return "torch"
    return "onnx-int8" if options.get("quantize") == "int8" else "onnx"


def runtime_spec(spec: str | Spec, runtime: str | None, device: str = "cpu") -> Spec:
    """The spec of ``spec``'s model on ``runtime`` (see the module docstring)."""
    parsed = Spec.parse(spec)
    if runtime is None:
        return parsed
    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime {runtime!r}: use one of {', '.join(RUNTIMES)}")
    if runtime == "fast":
        model = _onnx_model(parsed, device)
        if model is None:
            return parsed
        from textemb.encoders.onnx_export import cached_model_folder_export

        return parsed.with_options(backend="onnx") if cached_model_folder_export(model) is not None else parsed
    if parsed.backend != "sbert":
        raise InputError(f"runtime {runtime!r} is for sentence-transformers models (sbert:...); {parsed.canonical!r} "
                         f"runs on its {parsed.backend!r} backend only")
    return parsed.with_options(**_OPTIONS[runtime])


def prepare_fast(spec: str | Spec, device: str = "cpu") -> Path | None:
    """Make ``runtime="fast"`` fast for ``spec``: export a plain ``sbert:`` model to fp32 ONNX once (cached; the
    export announces itself). The file, or None where the spec has no faster runtime with the same vectors."""
    model = _onnx_model(Spec.parse(spec), device)
    if model is None:
        return None
    from textemb.encoders.contextual import locate_model
    from textemb.encoders.onnx_export import onnx_model
    from textemb.encoders.onnx_sbert import read_pipeline

    path, _, is_folder = locate_model(model)
    return onnx_model(read_pipeline(Path(path))["transformer"], outputs="last") if is_folder else None


def _onnx_model(spec: Spec, device: str) -> str | None:
    """The model a plain ``sbert:`` spec names when it could run on ONNX Runtime with the same vectors (CPU,
    onnxruntime installed, no explicit options, a local model folder); None otherwise."""
    import importlib.util

    if spec.backend != "sbert" or spec.all_options or device != "cpu" or importlib.util.find_spec("onnxruntime") is None:
        return None
    from textemb.encoders.contextual import locate_model

    try:
        return spec.arg if locate_model(spec.arg)[2] else None  # exports are made from a local model folder only
    except Exception:  # noqa: BLE001 - not a model folder: it runs as the spec says
        return None
