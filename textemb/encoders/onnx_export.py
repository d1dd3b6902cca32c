"""Export a local transformers folder to ONNX (fp32, or dynamically quantized int8), cached.

``onnx_model(folder, outputs="last", quantize=None)`` returns the path of a ``model.onnx`` under
``$TEXTEMB_CACHE/onnx/``; the first call exports it with ``torch.onnx`` (the TorchScript exporter,
``dynamo=False``, eager attention so the attention mask stays dynamic) and the next calls reuse it.
An int8 model is quantized from the cached fp32 one with onnxruntime's dynamic quantizer, so the
export runs once per source. Every entry carries a ``manifest.json``: the source weights' size,
mtime and sha256, the opset, the output kind and the versions of torch/transformers/onnx/onnxruntime
that built it. An entry is reused only while its source is provably the same file (size and mtime,
else the sha256). Nothing here touches the network: the folder must hold ``model.safetensors``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from textemb.errors import FormatError, InputError, ModelNotInstalledError, require

FORMAT = "textemb-onnx"
FORMAT_VERSION = 1
OPSET = 17
OUTPUTS = ("last", "hidden")  # last_hidden_state (B,T,H), or every hidden state stacked (L+1,B,T,H)
QUANTIZE = (None, "int8")


def onnx_model(folder: str | Path, *, outputs: str = "last", quantize: str | None = None, rebuild: bool = False) -> Path:
    """The cached ONNX file for the transformer in ``folder``, exported (and quantized) on first use.

    ``rebuild`` exports again even over a valid-looking entry (see :func:`cached_session`).
    """
    if outputs not in OUTPUTS or quantize not in QUANTIZE:
        raise InputError(f"outputs must be one of {OUTPUTS} and quantize one of {QUANTIZE}")
    folder = Path(folder)
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelNotInstalledError(
            f"backend=onnx exports from a local folder with model.safetensors; none in {folder} "
            "(download the model folder once, then pass its path)")
    entry = _entry(weights, outputs, quantize)
    if not rebuild and _valid(entry, weights):
        return entry / "model.onnx"
    source = _source_info(weights)
    from textemb.io.atomic import atomic_dir
    from textemb.io.cache import sha256_file
    from textemb.progress import announce
    from textemb.text import printable

    with atomic_dir(entry, overwrite=True, kind="onnx export") as tmp:  # replaces only an entry textemb wrote
        shown = printable(folder)
        if quantize is None:
            announce(f"exporting {shown} to ONNX once (cached in {printable(entry.parent)}; a minute or so on a busy CPU)")
            _export(folder, tmp / "model.onnx", outputs)
        else:
            fp32 = onnx_model(folder, outputs=outputs, quantize=None)
            announce(f"quantizing the ONNX export of {shown} to int8 once (cached beside it)")
            _quantize(fp32, tmp / "model.onnx")
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "source": source, "opset": OPSET,
                    "outputs": outputs, "quantize": quantize or "none", "versions": _versions(),
                    "bytes": (tmp / "model.onnx").stat().st_size, "sha256": sha256_file(tmp / "model.onnx")}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return entry / "model.onnx"


def cached_session(folder: str | Path, *, outputs: str = "last", quantize: str | None = None,
                   threads: int | None = None):
    """``(model file, onnxruntime session)`` for the cached export of ``folder``.

    An export onnxruntime cannot open is exported again once when its bytes are no longer those textemb wrote (the
    sha256 its manifest records); otherwise the error names the cache entry to delete.
    """
    from textemb.io.cache import sha256_file

    model_file = onnx_model(folder, outputs=outputs, quantize=quantize)
    try:
        return model_file, session(model_file, threads=threads)
    except FormatError:
        recorded = read_manifest(model_file).get("sha256")
        if not recorded or recorded == sha256_file(model_file):
            raise
    from textemb.progress import announce
    from textemb.text import printable

    announce(f"the cached ONNX export in {printable(model_file.parent)} was damaged after it was written; exporting again")
    model_file = onnx_model(folder, outputs=outputs, quantize=quantize, rebuild=True)
    return model_file, session(model_file, threads=threads)


def cached_model_folder_export(model: str, *, quantize: str | None = None) -> Path | None:
    """The valid cached export of a sentence-transformers model (named or a folder), or None; exports nothing."""
    from textemb.encoders.contextual import locate_model
    from textemb.encoders.onnx_sbert import read_pipeline

    try:
        path, _, is_folder = locate_model(model)
        if not is_folder:
            return None
        weights = read_pipeline(Path(path))["transformer"] / "model.safetensors"
        entry = _entry(weights, "last", quantize)
        return entry / "model.onnx" if weights.is_file() and _valid(entry, weights) else None
    except (OSError, InputError, FormatError):
        return None


def read_manifest(model_file: str | Path) -> dict:
    """The manifest written beside a cached ONNX file."""
    from textemb.io.guard import read_json_object

    path = Path(model_file).parent / "manifest.json"
    data = read_json_object(path, what="ONNX cache manifest", hint=f"delete the folder {path.parent} to rebuild it")
    if data.get("format") != FORMAT:
        raise FormatError(f"not a {FORMAT} manifest", path=path)
    return data


def _entry(weights: Path, outputs: str, quantize: str | None) -> Path:
    from textemb.io.cache import cache_root

    raw = json.dumps({"path": str(weights.resolve()), "outputs": outputs, "quantize": quantize,
                      "opset": OPSET, "format_version": FORMAT_VERSION}, sort_keys=True)
    key = hashlib.sha256(raw.encode()).hexdigest()[:20]
    return cache_root() / "onnx" / f"{weights.parent.name}-{outputs}-{quantize or 'fp32'}-{key}"


def _source_info(weights: Path) -> dict:
    from textemb.io.cache import sha256_file

    st = os.stat(weights)
    return {"path": str(weights.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "sha256": sha256_file(weights)}


def _valid(entry: Path, weights: Path) -> bool:
    """An entry counts while its export has the size its manifest records and its source the same size and
    mtime, or failing that the same sha256."""
    if not (entry / "model.onnx").is_file() or not (entry / "manifest.json").is_file():
        return False
    try:
        manifest = read_manifest(entry / "model.onnx")
        recorded = manifest["source"]
    except (FormatError, InputError, KeyError, TypeError):
        return False
    if not isinstance(recorded, dict) or manifest.get("bytes") != (entry / "model.onnx").stat().st_size:
        return False  # a cut or replaced export: built again
    st = os.stat(weights)
    if recorded.get("size") == st.st_size and recorded.get("mtime_ns") == st.st_mtime_ns:
        return True
    from textemb.io.cache import sha256_file

    return recorded.get("size") == st.st_size and recorded.get("sha256") == sha256_file(weights)


def _export(folder: Path, target: Path, outputs: str) -> None:
    """torch.onnx (TorchScript exporter) with dynamic batch and sequence axes."""
    torch = require("torch", extra="contextual", feature="exporting a model to ONNX")
    transformers = require("transformers", extra="contextual", feature="exporting a model to ONNX")
    require("onnx", extra="fast", feature="exporting a model to ONNX")
    import warnings

    from textemb.encoders.contextual import quiet_transformers

    with quiet_transformers():
        model = transformers.AutoModel.from_pretrained(str(folder), use_safetensors=True, trust_remote_code=False,
                                                       attn_implementation="eager").eval()
    wrapper = _wrapper_class()(model, outputs == "hidden")
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0
    dyn = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
           "hidden": {0: "batch", 1: "tokens"} if outputs == "last" else {1: "batch", 2: "tokens"}}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, (ids, mask), str(target), input_names=["input_ids", "attention_mask"],
                          output_names=["hidden"], dynamic_axes=dyn, opset_version=OPSET, dynamo=False)


def _wrapper_class():
    import torch

    class Wrapper(torch.nn.Module):
        """Plain tensors in, one tensor out (the exporter needs no ModelOutput)."""

        def __init__(self, model, all_hidden: bool) -> None:
            super().__init__()
            self.model, self.all_hidden = model, all_hidden

        def forward(self, input_ids, attention_mask):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=self.all_hidden)
            return torch.stack(out.hidden_states) if self.all_hidden else out.last_hidden_state

    return Wrapper


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of MatMul/Gemm: weights int8 per output channel (per-tensor loses ~5% cosine on MiniLM)."""
    require("onnxruntime", extra="fast", feature="int8 quantization")
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # onnxruntime's quantizer logs through the root logger ("consider pre-processing"); with no handler there,
    # logging.warning() would install one for the whole process, and every library's DEBUG lines would follow
    root, quiet = logging.getLogger(), logging.NullHandler()
    root.addHandler(quiet)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Gemm"])
    finally:
        root.removeHandler(quiet)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "transformers", "onnx", "onnxruntime"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def session(model_file: str | Path, *, threads: int | None = None):
    """An onnxruntime CPU session with all graph optimisations; ``threads`` caps intra-op threads."""
    ort = require("onnxruntime", extra="fast", feature="backend=onnx")
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    from textemb.io.guard import damaged_file

    entry = Path(model_file).parent
    # onnxruntime refuses a damaged file or crafted external data (../ paths, absurd sizes) with its own Fail
    with damaged_file(model_file, what="the ONNX model", hint=f"if it is a cached export, delete the folder {entry} "
                      "and run again to export it afresh"):
        return ort.InferenceSession(str(model_file), sess_options=opts, providers=["CPUExecutionProvider"])
