"""OnnxSentenceEncoder: a sentence-transformers folder run by ONNX Runtime (``sbert:MODEL?backend=onnx``).

The transformer is exported once to ``$TEXTEMB_CACHE/onnx`` (see :mod:`textemb.encoders.onnx_export`),
optionally quantized to int8 (``&quantize=int8``). Tokenizing uses the folder's ``tokenizer.json``
through the ``tokenizers`` library and pooling/normalizing follow the folder's ``modules.json``
(Transformer → Pooling → optional Normalize), so once the export is cached neither torch nor
transformers is imported. Texts are truncated at the model's ``max_seq_length`` as
sentence-transformers does, and batched longest-first so padding stays small.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder, batches, l2_normalize, progress
from textemb.errors import FormatError, InputError, require

POOLINGS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max"}


def read_pipeline(folder: Path) -> dict:
    """``{"transformer": Path, "pool": str, "normalize": bool, "max_length": int}`` from a sentence-transformers folder."""
    from textemb.io.guard import read_json

    modules = read_json(folder / "modules.json", what="modules.json", max_bytes=1 << 20,
                        hint="backend=onnx needs the folder's modules.json intact")
    if not isinstance(modules, list) or len(modules) < 2 or not all(isinstance(m, dict) for m in modules):
        raise FormatError("modules.json must list the pipeline's modules (Transformer, Pooling ...)",
                          path=folder / "modules.json")
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise InputError(f"backend=onnx runs Transformer → Pooling → Normalize pipelines; {folder} has {kinds} "
                         "(use the default backend for this model)")
    transformer = folder / (modules[0].get("path") or "")
    pool_cfg = _json(folder / (modules[1].get("path") or "") / "config.json")
    mode = pool_cfg.get("pooling_mode")  # sentence-transformers 5 writes one name; earlier versions one flag each
    pools = [name for key, name in POOLINGS.items() if pool_cfg.get(key)] + (
        [mode] if isinstance(mode, str) and mode in POOLINGS.values() else [])
    others = [k for k, v in pool_cfg.items() if k.startswith("pooling_mode_") and v and k not in POOLINGS] + (
        [str(mode)[:40]] if mode is not None and mode not in POOLINGS.values() else [])
    if len(pools) != 1 or others:
        raise InputError(f"backend=onnx supports one of mean/cls/max pooling; {folder} asks for {pools + others}")
    return {"transformer": transformer, "pool": pools[0], "normalize": "Normalize" in kinds,
            "max_length": _max_seq_length(folder, transformer)}


def _max_seq_length(folder: Path, transformer: Path) -> int:
    """sentence-transformers' ``max_seq_length``: sentence_bert_config.json (up to version 4), else the tokenizer's
    ``model_max_length`` (version 5 and later), else the model's position embeddings, capped by the latter."""
    def number(path: Path, key: str) -> int | None:
        value = _json(path).get(key) if path.is_file() else None
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1_000_000 else None

    positions = number(transformer / "config.json", "max_position_embeddings")
    length = (number(folder / "sentence_bert_config.json", "max_seq_length")
              or number(transformer / "tokenizer_config.json", "model_max_length") or positions or 512)
    return min(length, positions) if positions else length


def _json(path: Path) -> dict:
    from textemb.io.guard import read_json_object

    return read_json_object(path, what=path.name, hint="copy the model folder again")


class OnnxSentenceEncoder(Encoder):
    """A sentence-transformers model (Transformer → Pooling → Normalize) run by ONNX Runtime.

    Args:
        model: a named model (``all-MiniLM-L6-v2``) or a local sentence-transformers folder.
        quantize: ``None`` (fp32) or ``"int8"`` (dynamic quantization of the matrix products).
        max_length: tokens per text (default: the model's ``max_seq_length``); longer texts are truncated.
        threads: onnxruntime intra-op threads (default: onnxruntime's choice, one per core).
    """

    def __init__(self, model: str | Path = "all-MiniLM-L6-v2", *, quantize: str | None = None,
                 max_length: int | None = None, threads: int | None = None) -> None:
        from textemb.encoders import onnx_export
        from textemb.encoders.contextual import locate_model

        tokenizers = require("tokenizers", extra="fast", feature="backend=onnx")
        path, short, is_folder = locate_model(model)
        if not is_folder:
            raise InputError(f"backend=onnx exports from a local folder; {model!r} is not one (download it once, "
                             "then pass its path)")
        pipe = read_pipeline(Path(path))
        self.pool, self._normalize_out = pipe["pool"], pipe["normalize"]
        self.max_length = int(max_length or pipe["max_length"])
        if self.max_length < 3:
            raise InputError(f"max_length must be at least 3 tokens, got {self.max_length}")
        from textemb.io.guard import damaged_file

        tok_file = pipe["transformer"] / "tokenizer.json"
        with damaged_file(tok_file, what="tokenizer.json", hint="copy the model folder again", broad=True):
            self.tokenizer = tokenizers.Tokenizer.from_file(str(tok_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.onnx_file, self.session = onnx_export.cached_session(pipe["transformer"], outputs="last", quantize=quantize,
                                                                  threads=threads)
        self._dim = int(self.session.get_outputs()[0].shape[-1])
        self.quantize, self.threads = quantize, threads
        self.name = short + ("-onnx-int8" if quantize else "-onnx")
        self.model_path = path
        query = "backend=onnx" + (f"&quantize={quantize}" if quantize else "") + (
            f"&max_length={max_length}" if max_length else "") + (f"&threads={threads}" if threads else "")
        self.spec = f"sbert:{model}?{query}"

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        steps = progress(batches(order, batch_size), total=-(-len(order) // batch_size), enabled=show_progress,
                         desc=f"encoding with {self.name}", unit="batch")
        for batch in steps:
            for idx in _within_budget(batch, [len(ids[i]) for i in batch]):
                width = max(len(ids[i]) for i in idx)
                input_ids = np.zeros((len(idx), width), dtype=np.int64)
                mask = np.zeros((len(idx), width), dtype=np.int64)
                for row, i in enumerate(idx):
                    input_ids[row, : len(ids[i])] = ids[i]
                    mask[row, : len(ids[i])] = 1
                hidden = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
                out[list(idx)] = _pool(hidden, mask, self.pool)
        return l2_normalize(out) if self._normalize_out else out


#: padded tokens per ONNX Runtime call: its activations (attention is rows x heads x width^2) are what an index
#: run's peak memory is made of. 64 passages of ~200 tokens peaked at 1.46 GB RSS in `textemb index` of the shipped
#: sample, 16 at 0.60 GB, for the same CPU time (int8 MiniLM, 1 thread: 14.0-14.9 s at 16 vs 15.2-15.5 s at 64)
TOKEN_BUDGET = 4096


def _within_budget(batch, lengths: list[int]):
    """``batch`` (longest first) in slices of at most TOKEN_BUDGET padded tokens: each slice is as many texts as
    fit at the width of its first, longest one, so short texts keep the caller's batch whole."""
    start = 0
    while start < len(batch):
        rows = max(1, TOKEN_BUDGET // max(lengths[start], 1))
        yield batch[start : start + rows]
        start += rows


def _pool(hidden: np.ndarray, mask: np.ndarray, pool: str) -> np.ndarray:
    """Mean over real tokens (as sentence-transformers), the first token, or the masked max."""
    if pool == "cls":
        return hidden[:, 0]
    keep = mask[..., None].astype(hidden.dtype)
    if pool == "max":
        return np.where(keep > 0, hidden, -np.inf).max(axis=1)
    return (hidden * keep).sum(axis=1) / np.maximum(keep.sum(axis=1), 1e-9)
