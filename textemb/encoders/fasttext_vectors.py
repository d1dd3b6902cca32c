"""fastText vectors in memory: a vocabulary matrix plus character n-gram rows for unseen words.

:class:`FastTextVectors` is a :class:`~textemb.vectors.WordVectors` whose out-of-vocabulary words get the
mean of their character n-gram vectors, exactly as fastText and gensim compute it (:func:`ngram_hashes`).
Loading ``.bin``/``.vec`` files, the ``fasttext:`` spec and training live in :mod:`textemb.encoders.fasttext`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from textemb.encoders.modelfolder import check_words, read_model_folder, write_model_folder
from textemb.errors import InputError, OOVError
from textemb.text import normalize_text, tokenize
from textemb.vectors import WordVectors

KIND = "fasttext"
log = logging.getLogger("textemb.fasttext")


def _fnv1a(data: bytes) -> int:
    """fastText's 32-bit FNV-1a, with its sign extension of bytes >= 0x80 (kept for compatibility)."""
    h = 2166136261
    for c in data:
        h = (h ^ (c if c < 128 else c + 0xFFFFFF00)) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def ngram_hashes(word: str, min_n: int, max_n: int, bucket: int) -> list[int]:
    """Bucket rows of the character n-grams of ``word`` (fastText's ``computeSubwords``)."""
    if bucket <= 0 or max_n < min_n or max_n <= 0:
        return []
    b = f"<{word}>".encode("utf-8")
    size, out = len(b), []
    for i in range(size):
        if b[i] & 0xC0 == 0x80:  # a UTF-8 continuation byte starts no n-gram
            continue
        j, n = i, 1
        while j < size and n <= max_n:
            j += 1
            while j < size and b[j] & 0xC0 == 0x80:
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == size)):
                out.append(_fnv1a(b[i:j]) % bucket)
            n += 1
    return out


class FastTextVectors(WordVectors):
    """Word vectors with an n-gram matrix (``bucket x dim``) for out-of-vocabulary words.

    ``words``/``vectors`` are the vocabulary and its full word vectors (fastText's own vector of
    the word plus its n-grams, as gensim's ``get_vector``). ``use_ngrams=False`` turns the OOV
    n-gram vectors off (the word is then simply unknown, as in a ``.vec`` file).
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, ngrams: np.ndarray, *, min_n: int, max_n: int,
                 counts: np.ndarray | None = None, settings: dict | None = None, use_ngrams: bool = True,
                 ngram_words: Sequence[str] = (), name: str = "fasttext", spec: str = "", device: str = "cpu") -> None:
        super().__init__(words, vectors, name=name, spec=spec, device=device)
        ngrams = np.asanyarray(ngrams)
        if ngrams.ndim != 2 or (ngrams.shape[0] and ngrams.shape[1] != self.dim):
            raise InputError(f"n-gram matrix must be (bucket, {self.dim}), got {ngrams.shape}")
        if not (isinstance(min_n, int) and isinstance(max_n, int) and 0 < min_n and (max_n == 0 or min_n <= max_n)):
            raise InputError(f"min_n/max_n must satisfy 0 < min_n <= max_n (or max_n = 0), got {min_n}/{max_n}")
        self.ngrams = ngrams if ngrams.dtype == np.float32 else ngrams.astype(np.float32)
        self.min_n, self.max_n = min_n, max_n
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        self.settings = dict(settings or {})
        self.use_ngrams = bool(use_ngrams)
        #: words that are rows only because their vector was built from n-grams (see with_words)
        self.ngram_words = list(ngram_words)
        self._oov_cache: dict[str, np.ndarray | None] = {}

    @property
    def bucket(self) -> int:
        return int(self.ngrams.shape[0])

    # ------------------------------------------------------------------ n-grams
    def ngram_vector(self, word: str) -> np.ndarray | None:
        """Mean of ``word``'s n-gram vectors, or None if n-grams are off or it has none."""
        if not self.use_ngrams:
            return None
        if word not in self._oov_cache:
            rows = ngram_hashes(word, self.min_n, self.max_n, self.bucket)
            vec = np.asarray(self.ngrams[rows], dtype=np.float32).mean(axis=0) if rows else None
            if len(self._oov_cache) < 100_000:
                self._oov_cache[word] = vec
            return vec
        return self._oov_cache[word]

    def has_vector(self, word: str) -> bool:
        """True when ``word`` is in the vocabulary or has at least one n-gram."""
        return word in self.key_to_index or self.ngram_vector(word) is not None

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        if isinstance(word, str):
            return self._vector(word)
        return np.stack([self._vector(w) for w in word]) if len(word) else np.zeros((0, self.dim), np.float32)

    def _vector(self, word: str) -> np.ndarray:
        i = self.key_to_index.get(word)
        if i is not None:
            return np.asarray(self.vectors[i], dtype=np.float32)
        vec = self.ngram_vector(word)
        if vec is None:
            raise OOVError(word, vocab_size=len(self))
        return vec

    def get(self, word: str, default: np.ndarray | None = None) -> np.ndarray | None:
        try:
            return self._vector(word)
        except OOVError:
            return default

    def _resolve(self, items: Iterable[str | np.ndarray], oov: str):
        """As WordVectors, but an unknown word uses its n-gram vector (so most_similar works on it)."""
        resolved = []
        for item in items:
            if isinstance(item, str) and item not in self.key_to_index:
                vec = self.ngram_vector(item)
                resolved.append(vec if vec is not None else item)
            else:
                resolved.append(item)
        return super()._resolve(resolved, oov)

    def most_similar(self, positive=None, negative=None, *args, **kwargs):  # type: ignore[override]
        """As :meth:`WordVectors.most_similar`; an unseen word stands for its n-gram vector (as gensim's)."""
        return super().most_similar(self._ngram_keys(positive), self._ngram_keys(negative), *args, **kwargs)

    def _ngram_keys(self, keys):
        """``keys`` with every unseen word that has n-grams replaced by its n-gram vector."""
        if keys is None:
            return None
        single = isinstance(keys, str) or not isinstance(keys, (list, tuple))
        items = [keys] if single else list(keys)

        def swap(key):
            if isinstance(key, tuple) and len(key) == 2 and not isinstance(key[1], str):
                return (swap(key[0]), key[1])
            if isinstance(key, str) and key not in self.key_to_index:
                vec = self.ngram_vector(key)
                return key if vec is None else vec
            return key

        swapped = [swap(k) for k in items]
        return swapped[0] if single else swapped

    def with_words(self, words: Iterable[str]) -> "FastTextVectors":
        """A copy with the unseen ``words`` that have n-grams appended as extra rows (after the vocabulary)."""
        extra, seen = [], set(self.key_to_index)
        for w in words:
            if w not in seen and self.ngram_vector(w) is not None:
                extra.append(w)
                seen.add(w)
        vecs = np.vstack([np.asarray(self.vectors, dtype=np.float32)] + [self.ngram_vector(w)[None, :] for w in extra])
        log.info("%s: %d unseen words got n-gram vectors", self.name, len(extra))
        return FastTextVectors([*self.words, *extra], vecs, self.ngrams, min_n=self.min_n, max_n=self.max_n,
                               counts=None, settings=self.settings, use_ngrams=self.use_ngrams,
                               ngram_words=[*self.ngram_words, *extra], name=f"{self.name}+{len(extra)} n-gram words",
                               spec=self.spec, device=self.device)

    # ------------------------------------------------------------------ Encoder
    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        """Mean of the tokens' vectors: vocabulary rows, else n-gram vectors; counted in last_stats."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        stats = {"texts": len(texts), "tokens": 0, "oov_tokens": 0, "ngram_tokens": 0, "empty_texts": 0}
        k2i = self.key_to_index
        for j, text in enumerate(texts):
            text = normalize_text(text)
            whole = k2i.get(text.strip())
            toks = [text.strip()] if whole is not None else tokenize(text, lowercase=False)
            rows, extra = [], []
            for tok in toks:
                i = k2i.get(tok, k2i.get(tok.lower()))
                if i is not None:
                    rows.append(i)
                    continue
                vec = self.ngram_vector(tok)
                if vec is None:
                    stats["oov_tokens"] += 1
                else:
                    extra.append(vec)
            stats["tokens"] += len(toks)
            stats["ngram_tokens"] += len(extra)
            parts = [np.asarray(self.vectors[rows], dtype=np.float32)] if rows else []
            if extra:
                parts.append(np.stack(extra))
            if parts:
                out[j] = np.concatenate(parts).mean(axis=0)
            else:
                stats["empty_texts"] += 1
        self.last_stats = stats
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path, *, overwrite: bool = False) -> str:  # type: ignore[override]
        """Write a model folder: ``fasttext.json`` (vocabulary, n-gram settings) + npy arrays; no pickle.

        Returns the spec that reloads it (``fasttext:/absolute/path``).
        """
        meta = {"dim": self.dim, "min_n": self.min_n, "max_n": self.max_n, "bucket": self.bucket,
                "words": self.words, "ngram_words": self.ngram_words, "settings": self.settings}
        arrays = {"vectors": np.asarray(self.vectors, dtype=np.float32), "ngrams": np.asarray(self.ngrams)}
        if self.counts is not None:
            arrays["counts"] = self.counts
        return write_model_folder(path, KIND, meta, arrays, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path, *, device: str = "cpu", mmap: bool = True, use_ngrams: bool = True) -> "FastTextVectors":
        """Load a folder written by :meth:`save` (memory-mapped; no gensim needed)."""
        from textemb.errors import FormatError

        meta, arrays = read_model_folder(path, KIND, mmap=mmap)
        if "vectors" not in arrays or "ngrams" not in arrays:
            raise FormatError("fasttext.json lists no vectors/ngrams arrays", path=path)
        words = check_words(meta, "words", arrays["vectors"].shape[0], path)
        if meta.get("bucket") != arrays["ngrams"].shape[0]:
            raise FormatError(f"bucket {meta.get('bucket')!r} but ngrams.npy has {arrays['ngrams'].shape[0]} rows", path=path)
        return cls(words, arrays["vectors"], arrays["ngrams"], min_n=meta.get("min_n"), max_n=meta.get("max_n"),
                   counts=arrays.get("counts"), settings=meta.get("settings"), use_ngrams=use_ngrams,
                   ngram_words=meta.get("ngram_words") or (), name=Path(path).name, spec=f"fasttext:{path}", device=device)

    @classmethod
    def from_gensim(cls, kv, *, counts: np.ndarray | None = None, settings: dict | None = None, name: str = "fasttext",
                    spec: str = "", device: str = "cpu") -> "FastTextVectors":
        """From gensim ``FastTextKeyedVectors`` (vocabulary vectors as ``get_vector`` gives them)."""
        return cls(list(kv.index_to_key), np.asarray(kv.vectors, dtype=np.float32),
                   np.asarray(kv.vectors_ngrams, dtype=np.float32), min_n=int(kv.min_n), max_n=int(kv.max_n),
                   counts=counts, settings=settings, name=name, spec=spec, device=device)
