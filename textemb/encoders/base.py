"""The one interface every backend implements: :class:`Encoder`.

``encode(texts)`` returns a float32 array of shape ``(len(texts), dim)`` with rows in input
order; a single string gives shape ``(dim,)``; an empty list gives ``(0, dim)``. Backends
implement :meth:`Encoder._encode` on a non-empty list of strings; the base class does the
input checks, the empty case, the single-string case and normalisation, so every backend
behaves the same at the edges.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

import numpy as np

from textemb.errors import InputError

#: Inputs at least this long get a progress bar when ``show_progress=None``.
PROGRESS_THRESHOLD = 2_000


class Encoder(ABC):
    """Turns texts into fixed-size float32 vectors.

    Attributes:
        name: a short human name (e.g. ``glove-6b-50d``).
        spec: the spec string that rebuilds this encoder with :func:`textemb.load_encoder`.
        device: where the computation runs (``cpu``, ``cuda``, ``cuda:1``, ``mps``).
    """

    name: str = "encoder"
    spec: str = ""
    device: str = "cpu"

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of every vector this encoder returns."""

    @abstractmethod
    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        """Encode a non-empty list of strings into an array of shape ``(len(texts), dim)``."""

    def encode(
        self,
        texts: str | Sequence[str] | Iterable[str],
        *,
        batch_size: int = 32,
        normalize: bool = False,
        show_progress: bool | None = None,
    ) -> np.ndarray:
        """Encode ``texts`` into float32 vectors, rows in input order.

        Args:
            texts: one string (returns shape ``(dim,)``) or a sequence of strings.
            batch_size: how many texts go through the model at once (results do not depend on it).
            normalize: scale every row to unit L2 norm (all-zero rows stay zero).
            show_progress: progress bar; ``None`` shows one for long inputs on a terminal.
        """
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
        for i, t in enumerate(items):
            if not isinstance(t, str):
                raise InputError(
                    f"encode() takes strings; item {i} is {type(t).__name__}: {t!r:.60}"
                )
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        if show_progress is None:
            show_progress = len(items) >= PROGRESS_THRESHOLD
        out = np.asarray(self._encode(items, batch_size=batch_size, show_progress=show_progress))
        if out.shape != (len(items), self.dim):
            raise RuntimeError(  # a backend bug, not a user error
                f"{type(self).__name__}._encode returned shape {out.shape}, "
                f"expected {(len(items), self.dim)}"
            )
        out = np.ascontiguousarray(out, dtype=np.float32)
        if normalize:
            out = l2_normalize(out)
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec or self.name!r}, dim={self.dim}, device={self.device!r})"


def l2_normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm, computed in float32; zero rows stay zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


def batches(items: Sequence, size: int) -> Iterable[Sequence]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def progress(iterable, *, total: int | None, enabled: bool, desc: str, unit: str = "text"):
    """A bar on a terminal, periodic lines in a log (see :mod:`textemb.progress`)."""
    from textemb.progress import progress as _progress

    return _progress(iterable, total=total, enabled=enabled, desc=desc, unit=unit)
