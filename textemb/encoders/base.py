"""The one interface every backend implements: :class:`Encoder`.

``encode(texts)`` returns a float32 array of shape ``(len(texts), dim)`` with rows in input
order; a single string gives shape ``(dim,)``; an empty list gives ``(0, dim)``. Backends
implement :meth:`Encoder._encode` on a non-empty list of strings; the base class does the
input checks, the empty case, the single-string case and normalization, so every backend
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
    device: str = "cpu"
    _spec: str = ""

    @property
    def spec(self) -> str:
        """The canonical spec (:attr:`textemb.Spec.canonical`) that rebuilds this encoder with
        :func:`textemb.load_encoder`; an encoder built in Python without one is known by its ``name``."""
        if self._spec:
            return self._spec
        return self.name

    @spec.setter
    def spec(self, value: str) -> None:
        self._spec = str(value) if value else ""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of every vector this encoder returns."""

    @abstractmethod
    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        """Encode a non-empty list of strings into an array of shape ``(len(texts), dim)``."""

    #: True for backends whose model applies ``prompt`` and normalization itself
    #: (sentence-transformers): their ``_encode`` also takes ``normalize=`` and ``prompt=``.
    native_prompts: bool = False

    @property
    def prompts(self) -> dict[str, str]:
        """Named prompts the model defines (``prompt_name=`` picks one); none by default."""
        return {}

    def encode(
        self,
        texts: str | Sequence[str] | Iterable[str],
        *,
        batch_size: int = 32,
        normalize: bool = False,
        show_progress: bool | None = None,
        prompt: str | None = None,
        prompt_name: str | None = None,
        normalize_embeddings: bool | None = None,
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        device: str | None = None,
    ):
        """Encode ``texts`` into float32 vectors, rows in input order.

        Args:
            texts: one string (returns shape ``(dim,)``) or a sequence of strings.
            batch_size: how many texts go through the model at once (results do not depend on it).
            normalize: scale every row to unit L2 norm (all-zero rows stay zero).
            show_progress: progress bar; ``None`` shows one for long inputs on a terminal.
            prompt, prompt_name: as sentence-transformers: a string put before every text, or the
                name of one of the model's :attr:`prompts` (``prompt`` wins when both are given).
            normalize_embeddings, show_progress_bar: sentence-transformers' names for
                ``normalize`` and ``show_progress``.
            convert_to_tensor: return one torch tensor (on ``device``) instead of a numpy array;
                ``convert_to_numpy=False`` without it returns a list of 1-D tensors, as ST does.
            device: run on this device from now on (the model moves, as in sentence-transformers).

        Any other keyword is a ``TypeError``: nothing is silently ignored.
        """
        normalize = _either(normalize, normalize_embeddings, "normalize", "normalize_embeddings")
        show_progress = show_progress if show_progress_bar is None else bool(show_progress_bar)
        if device is not None:
            self._move(device)
        prompt = self._resolve_prompt(prompt, prompt_name)
        single = isinstance(texts, str)
        items: list[str] = [texts] if isinstance(texts, str) else list(texts)  # type: ignore[arg-type]
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
        for i, t in enumerate(items):
            if not isinstance(t, str):
                raise InputError(
                    f"encode() takes strings; item {i} is {type(t).__name__}: {t!r:.60}"
                )
        if not items:
            out = np.zeros((0, self.dim), dtype=np.float32)
        else:
            out = self._encode_checked(items, batch_size, show_progress, normalize, prompt)
        result = out[0] if single else out
        return _convert(result, convert_to_numpy, convert_to_tensor, self.device)

    def _encode_checked(self, items: list[str], batch_size: int, show_progress: bool | None, normalize: bool,
             prompt: str | None) -> np.ndarray:
        if show_progress is None:
            show_progress = len(items) >= PROGRESS_THRESHOLD
        if self.native_prompts:
            raw = self._encode(items, batch_size=batch_size, show_progress=show_progress,  # type: ignore[call-arg]
                               normalize=normalize, prompt=prompt)
        else:
            if prompt:
                items = [prompt + t for t in items]
            raw = self._encode(items, batch_size=batch_size, show_progress=show_progress)
        out = np.asarray(raw)
        if out.shape != (len(items), self.dim):
            raise RuntimeError(  # a backend bug, not a user error
                f"{type(self).__name__}._encode returned shape {out.shape}, "
                f"expected {(len(items), self.dim)}"
            )
        out = np.ascontiguousarray(out, dtype=np.float32)
        if normalize and not self.native_prompts:
            out = l2_normalize(out)
        return out

    def _resolve_prompt(self, prompt: str | None, prompt_name: str | None) -> str | None:
        if prompt is not None and not isinstance(prompt, str):
            raise InputError(f"prompt must be a string, got {type(prompt).__name__}")
        if prompt is not None or prompt_name is None:
            return prompt
        known = self.prompts
        if prompt_name not in known:
            have = ", ".join(sorted(known)) or "none"
            raise InputError(f"prompt_name {prompt_name!r} is not one of this model's prompts ({have})")
        return known[prompt_name]

    def _move(self, device: str) -> None:
        from textemb import kernels

        if kernels.resolve_device(device) == self.device:
            return
        mover = getattr(self, "to", None)
        if not callable(mover):
            raise InputError(f"{type(self).__name__} runs on {self.device} and cannot move to {device!r}")
        mover(device)

    def similarity(self, a, b):
        """Cosine similarity of every row of ``a`` with every row of ``b`` (sentence-transformers'
        ``similarity``): shape ``(len(a), len(b))``; torch in gives torch out, numpy gives numpy."""
        return cosine_similarity(a, b)

    def similarity_pairwise(self, a, b):
        """Cosine similarity of row ``i`` of ``a`` with row ``i`` of ``b``: shape ``(len(a),)``."""
        return cosine_similarity(a, b, pairwise=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec!r}, dim={self.dim}, device={self.device!r})"


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


def _either(value: bool, alias: bool | None, name: str, alias_name: str) -> bool:
    if alias is None:
        return bool(value)
    if value and not alias:
        raise InputError(f"{name}=True and {alias_name}=False contradict each other; pass one of them")
    return bool(alias)


def _convert(arr: np.ndarray, to_numpy: bool, to_tensor: bool, device: str):
    """numpy (default), one torch tensor (``to_tensor``), or a list of tensors (neither), as ST."""
    if not to_tensor and to_numpy:
        return arr
    from textemb.errors import require

    torch = require("torch", extra="contextual", feature="convert_to_tensor / convert_to_numpy=False")
    tensor = torch.from_numpy(np.array(arr, copy=True)).to(device)
    if to_tensor:
        return tensor
    return [row for row in tensor] if tensor.ndim == 2 else tensor


def cosine_similarity(a, b, *, pairwise: bool = False):
    """Cosine similarities of numpy arrays or torch tensors (1-D inputs count as one row).

    All rows by all rows, or row by row with ``pairwise=True``; the result is a torch tensor
    when either input is one, else a float32 numpy array. Zero rows give similarity 0.
    """
    as_torch = _is_tensor(a) or _is_tensor(b)
    x, y = _as_matrix(a), _as_matrix(b)
    if x.shape[1] != y.shape[1]:
        raise InputError(f"cannot compare vectors of {x.shape[1]} and {y.shape[1]} dimensions")
    x, y = l2_normalize(x), l2_normalize(y)
    if pairwise:
        if x.shape[0] != y.shape[0]:
            raise InputError(f"pairwise similarity needs as many rows on both sides, got {x.shape[0]} and {y.shape[0]}")
        out = np.einsum("ij,ij->i", x, y).astype(np.float32)
    else:
        out = (x @ y.T).astype(np.float32)
    if as_torch:
        import torch

        dev = next(t.device for t in (a, b) if _is_tensor(t))
        return torch.from_numpy(out).to(dev)
    return out


def _is_tensor(obj: object) -> bool:
    return type(obj).__module__.startswith("torch") and hasattr(obj, "detach")


def _as_matrix(obj) -> np.ndarray:
    if _is_tensor(obj):
        obj = obj.detach().float().cpu().numpy()
    elif isinstance(obj, (list, tuple)) and obj and _is_tensor(obj[0]):
        obj = np.stack([t.detach().float().cpu().numpy() for t in obj])
    arr = np.asarray(obj, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise InputError(f"expected vectors of shape (n, dim) or (dim,), got shape {arr.shape}")
    return arr
