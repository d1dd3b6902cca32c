"""What a slow step will cost, said before it starts: loading a model, encoding a folder for the first time.

The rates are measured (bench/results/fast_paths_quality.md: 4,766 passages of corpora/wikipedia-sample, 2.9 MB,
128-word passages, on a 2-CPU machine): passages encoded per CPU-second, by runtime. An estimate assumes the
process gets up to two CPUs; a busy machine takes longer, which the message says.
"""

from __future__ import annotations

import os
from pathlib import Path

#: bytes of document text per 128-word passage with 32 words of overlap (corpora/wikipedia-sample: 2.9 MB, 4,766)
BYTES_PER_PASSAGE = 620
#: passages per CPU-second, measured on all-MiniLM-L6-v2 (torch 4,766 in 445 CPU s, ONNX fp32 in 318, int8 in 161)
RATES = {"torch": 10.7, "onnx": 15.0, "onnx-int8": 29.6, "lookup": 5000.0}
#: above this many seconds a step announces itself with an estimate
SLOW = 10.0


def runtime_of(spec: str) -> str:
    """``torch``, ``onnx``, ``onnx-int8`` or ``lookup`` (word vectors, static tables): how ``spec`` encodes."""
    from textemb.encoders.runtime import runtime_of as of

    return of(spec)


def text_bytes(docs: str | Path, cap: int = 100_000) -> int:
    """Bytes of the regular files under ``docs`` (at most ``cap`` files looked at): what a first indexing reads."""
    from textemb.io.cache import tree_bytes

    return tree_bytes(docs, max_files=cap)


def encode_seconds(spec: str, n_bytes: int) -> float:
    """Estimated seconds to chunk and encode ``n_bytes`` of documents with ``spec`` (two CPUs)."""
    cpus = min(2, os.cpu_count() or 1)
    return n_bytes / BYTES_PER_PASSAGE / (RATES[runtime_of(spec)] * cpus)


def load_message(spec: str) -> str | None:
    """A line to print before loading ``spec`` when the load is slow (torch), else None."""
    runtime = runtime_of(spec)
    if runtime == "torch":
        return "PyTorch and the model: 10-60 s, the longer on a busy CPU"
    return None
