"""The server's shared state: one encoder, one index snapshot that follows the newest generation.

The encoder is loaded once and shared by every request. Backends that are plain numpy reads
(word vectors and their averages) run concurrently; any other backend (torch models, Hugging
Face tokenizers) is wrapped in :class:`LockedEncoder`, which lets one ``encode`` run at a time.

:class:`IndexHolder` gives each request an immutable snapshot (an opened
:class:`~textemb.search.Index`). At most once per ``interval`` seconds a request ``stat``s the
manifest; when it changed, that request opens the new generation while the others keep using
the old snapshot, so ``textemb index`` can update the folder under a running server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder
from textemb.encoders.capabilities import HasWordVectors, held_word_vectors_of
from textemb.errors import NoWordVectorsError, TextembError
from textemb.text import excerpt
from textemb.vectors import WordVectors

log = logging.getLogger("textemb.serve")


def thread_safe(encoder: Encoder) -> bool:
    """Whether ``encoder.encode`` may run in several threads at once (numpy-only backends)."""
    from textemb.encoders.averaging import AveragingEncoder

    return isinstance(encoder, (WordVectors, AveragingEncoder))


class LockedEncoder(Encoder):
    """An encoder whose ``encode`` calls run one at a time (for backends that are not thread-safe)."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name, self.spec, self.device = inner.name, inner.spec, inner.device
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        with self._lock:
            return self.inner.encode(texts, batch_size=batch_size, show_progress=False)


def shareable(encoder: Encoder) -> Encoder:
    """``encoder`` itself when it is thread-safe, else wrapped in a :class:`LockedEncoder`."""
    return encoder if thread_safe(encoder) or isinstance(encoder, LockedEncoder) else LockedEncoder(encoder)


def word_vectors_of(encoder: Encoder, *, convert: bool = False) -> WordVectors | None:
    """The word vectors behind ``encoder``: itself, an averaging encoder's ``wv``, or (``convert``)
    a contextual model's ``word_vectors()``; ``None`` when it has none."""
    inner = encoder.inner if isinstance(encoder, LockedEncoder) else encoder
    held = held_word_vectors_of(inner)
    if held is None and convert and isinstance(inner, HasWordVectors):
        return inner.word_vectors()
    return held


@dataclass(frozen=True)
class Snapshot:
    """One opened generation of the index, shared read-only by the requests that got it."""

    index: object  # textemb.search.Index
    generation: int
    opened_at: float
    #: serialises searches that use the lazily loaded HNSW graph (faiss search state is shared)
    ann_lock: threading.Lock

    @property
    def has_ann(self) -> bool:
        """Whether the index has an HNSW graph (saved with this generation: a snapshot never builds one)."""
        return self.index.store.has_ann()


class IndexHolder:
    """Opens the index folder the user named and swaps in newer generations as they appear."""

    def __init__(self, path: str | Path, *, encoder: Encoder | None = None, device: str = "cpu",
                 interval: float = 1.0) -> None:
        from textemb.search import Index

        self.path = Path(path)
        self.device = device
        self.interval = float(interval)
        idx = Index.open(self.path, encoder=shareable(encoder) if encoder is not None else None, device=device)
        self.encoder: Encoder = shareable(idx.encoder)  # the index's own spec, loaded by the normal path
        idx.use_encoder(self.encoder)
        self._snap = self._snapshot(idx)
        self._stamp = self._manifest_stamp()
        self._checked = time.monotonic()
        self._reloading = threading.Lock()
        #: the last reload failure (``None`` once a reload succeeds)
        self.reload_error: str | None = None
        self.reloads = 0

    @staticmethod
    def _snapshot(idx) -> Snapshot:
        return Snapshot(idx, idx.store.generation, time.time(), threading.Lock())

    def _manifest_stamp(self) -> tuple | None:
        try:
            st = os.stat(self.path / "manifest.json")
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino, st.st_size)

    def current(self) -> Snapshot:
        """The newest usable snapshot (looks at the manifest at most once per interval)."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return self._snap
        self._checked = now
        stamp = self._manifest_stamp()
        if stamp is None or stamp == self._stamp:
            return self._snap
        if not self._reloading.acquire(blocking=False):
            return self._snap  # another request is opening the new generation
        try:
            self._reload(stamp)
        finally:
            self._reloading.release()
        return self._snap

    def _reload(self, stamp: tuple) -> None:
        from textemb.search import Index

        try:
            idx = Index.open(self.path, encoder=self.encoder, device=self.device)
        except TextembError as exc:  # e.g. re-built with another encoder: keep serving the old generation
            self.reload_error = str(exc)
            self._stamp = stamp
            return
        except OSError as exc:  # a writer mid-swap; try again at the next look
            self.reload_error = f"{exc.strerror or exc}"
            return
        except Exception as exc:  # noqa: BLE001 - a reader's bug (a deep JSON's RecursionError): keep serving
            log.error("cannot open the new generation of %s; still serving generation %d", self.path,
                      self._snap.generation, exc_info=exc)
            self.reload_error = f"unexpected {type(exc).__name__} opening the new generation: {excerpt(str(exc), 200)}"
            self._stamp = stamp  # the same files would fail the same way: wait for the next change
            return
        self._stamp = stamp
        if idx.store.generation != self._snap.generation:
            self._snap = self._snapshot(idx)
            self.reloads += 1
        self.reload_error = None


class WordsHolder:
    """The word vectors for the words endpoints (``--words SPEC``, or the encoder's own)."""

    def __init__(self, wv: WordVectors | None, spec: str | None) -> None:
        self.wv, self.spec = wv, spec

    def require(self) -> WordVectors:
        if self.wv is None:
            raise NoWordVectorsError("this server has no word vectors: its encoder is not word-based. "
                                     "Restart it with --words glove-6b-50d (or another word-vector spec)")
        return self.wv


@contextlib.contextmanager
def searching(snap: Snapshot, mode: str):
    """Hold the snapshot's ANN lock when the search may touch the shared HNSW graph."""
    if mode != "exact" and snap.has_ann:
        with snap.ann_lock:
            yield
    else:
        yield
