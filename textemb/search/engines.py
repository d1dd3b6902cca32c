"""Encoding engines: a function ``passage texts -> vectors`` (L2-normalized float32, rounded to the store dtype).

The façade chunks once and hands the texts to an engine; :class:`LocalEngine` encodes in this process and
:class:`textemb.search.ray_engine.RayEngine` on Ray Data. Both encode the same groups of
:data:`GROUP_SIZE` passages with the same ``batch_size`` and finish them with :func:`prepare_vectors`,
so their stores are bit-identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from textemb.encoders.base import Encoder, l2_normalize, progress

#: passages per encode call (and per Ray shard): the same groups on every engine
GROUP_SIZE = 1024
DTYPES = ("float32", "float16")

#: the engine interface: passage texts in, one row per text out
Engine = Callable[[Sequence[str]], np.ndarray]


def prepare_vectors(vectors: np.ndarray, dtype: str = "float32") -> np.ndarray:
    """Rows L2-normalized in float32; for a float16 store rounded now, so a fresh index scores like the saved one."""
    vectors = l2_normalize(vectors)
    if dtype == "float16":
        vectors = vectors.astype(np.float16).astype(np.float32)
    return vectors


def groups(n: int, size: int = GROUP_SIZE) -> list[tuple[int, int]]:
    """``[start, end)`` of consecutive groups of ``size`` passages."""
    return [(s, min(s + size, n)) for s in range(0, n, size)]


class LocalEngine:
    """Encode passages in this process with ``encoder`` (group by group, with an optional progress bar)."""

    def __init__(self, encoder: Encoder, *, batch_size: int = 64, dtype: str = "float32",
                 show_progress: bool | None = None, group_size: int = GROUP_SIZE) -> None:
        self.encoder, self.batch_size, self.dtype = encoder, batch_size, dtype
        self.show_progress, self.group_size = show_progress, group_size

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        show = self.show_progress if self.show_progress is not None else len(texts) >= 2000
        bar = progress(None, total=len(texts), enabled=show, desc="encoding", unit="passage") if show else None
        parts = []
        for s, e in groups(len(texts), self.group_size):
            vecs = self.encoder.encode(texts[s:e], batch_size=self.batch_size, show_progress=False)
            parts.append(prepare_vectors(vecs, self.dtype))
            if bar is not None:
                bar.update(e - s)
        if bar is not None:
            bar.close()
        return np.concatenate(parts)
