"""gensim habits for :class:`~textemb.vectors.WordVectors`: KeyedVectors' everyday methods.

:class:`KeyedVectorsMixin` gives ``WordVectors`` the query methods a gensim user reaches for,
with gensim 4's semantics (tested against gensim's own results on GloVe 6B 50d):
``most_similar``, ``most_similar_cosmul``, ``similar_by_vector``, ``similar_by_key``,
``doesnt_match``, ``n_similarity``, ``closer_than``, ``rank``, ``distances``, ``distance``,
``similarity``, ``get_mean_vector``, ``get_vector``, plus ``to_gensim()`` / ``from_gensim(kv)``
(vectors copied in memory; no pickle involved).

Vectors may be numpy arrays or torch tensors; when an input is a torch tensor, array results
come back as torch tensors on that tensor's device.

Where gensim accepts an argument and ignores it (``most_similar_cosmul(restrict_vocab=...)``),
textemb honours it; with the argument left at its default the results are gensim's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from textemb.errors import SKIP_HINT, InputError, OOVError

if TYPE_CHECKING:  # pragma: no cover
    from textemb.vectors import WordVectors

Key = Any  # a word (str), a vector (numpy / torch) or, in most_similar, a (word_or_vector, weight) pair


def _is_tensor(obj: object) -> bool:
    return type(obj).__module__.startswith("torch") and hasattr(obj, "detach")


def _np(obj: Any) -> np.ndarray:
    if _is_tensor(obj):
        return obj.detach().float().cpu().numpy()
    return np.asarray(obj, dtype=np.float32)


def _listify(items: Any) -> list:
    if items is None:
        return []
    if isinstance(items, str) or isinstance(items, np.ndarray) or _is_tensor(items):
        return [items]
    return list(items)


class KeyedVectorsMixin:
    """gensim ``KeyedVectors`` query methods over ``self.words`` / ``self.vectors``."""

    words: list[str]
    key_to_index: dict[str, int]
    vectors: np.ndarray
    _norms: np.ndarray | None = None

    # ----------------------------------------------------------------- helpers
    @property
    def index_to_key(self) -> list[str]:
        """gensim's name for the vocabulary in row order."""
        return self.words

    @property
    def vector_size(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def norms(self) -> np.ndarray:
        """L2 norm of every row (float32, computed once), as gensim's ``fill_norms``."""
        if self._norms is None:
            self._norms = np.linalg.norm(np.asarray(self.vectors, dtype=np.float32), axis=1)
        return self._norms

    def _out(self, value: np.ndarray, like: Sequence[Any]) -> Any:
        """``value`` as a torch tensor on the first tensor input's device, if any input was one."""
        tensor = next((x for x in like if _is_tensor(x)), None)
        if tensor is None:
            return value
        import torch

        return torch.as_tensor(np.asarray(value)).to(tensor.device)

    def get_vector(self, key: str, norm: bool = False) -> np.ndarray:
        """The row of ``key`` (a read-only copy), unit length with ``norm=True``."""
        i = self.index(key)  # type: ignore[attr-defined]
        row = np.array(self.vectors[i], dtype=np.float32)
        if norm:
            row = row / self.norms[i]
        row.setflags(write=False)
        return row

    def get_mean_vector(self, keys: Sequence[Key], weights: Sequence[float] | np.ndarray | None = None,
                        pre_normalize: bool = True, post_normalize: bool = False, ignore_missing: bool = True) -> Any:
        """Weighted mean of words and/or vectors, divided by the sum of |weights| actually used (gensim)."""
        keys = _listify(keys)
        if not keys:
            raise InputError("get_mean_vector needs at least one word or vector")
        w = np.ones(len(keys), dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
        if w.shape != (len(keys),):
            raise InputError(f"{len(keys)} keys but weights of shape {w.shape}; pass one weight per key")
        mean = np.zeros(self.vector_size, dtype=np.float32)
        total = 0.0
        for k, weight in zip(keys, w):
            if isinstance(k, str):
                if k not in self.key_to_index:
                    if not ignore_missing:
                        raise OOVError(k, vocab_size=len(self.words),
                                       hint="check spelling and case, or pass ignore_missing=True")
                    continue
                vec = self.get_vector(k, norm=pre_normalize)
            else:
                vec = _np(k).reshape(-1)
            mean += weight * vec
            total += abs(float(weight))
        if total > 0:
            mean = mean / total
        if post_normalize:
            mean = _unit(mean)
        return self._out(mean, keys)

    # ----------------------------------------------------------------- neighbours
    def most_similar(self, positive: Key | Sequence[Key] = None, negative: Key | Sequence[Key] = None,
                     topn: int | None = 10, clip_start: int = 0, clip_end: int | None = None,
                     restrict_vocab: int | None = None, *, oov: str = "error") -> Any:
        """Words closest (cosine) to the weighted mean of unit vectors, as gensim's ``most_similar``.

        ``positive`` words weigh +1 and ``negative`` ones -1 (or give ``(word, weight)`` pairs);
        input words are never returned; ``restrict_vocab=N`` searches the N first words only;
        ``topn=None`` returns the similarity to every (searched) word as one array.
        ``oov="skip"`` drops unknown input words instead of raising :class:`OOVError`.
        """
        if isinstance(topn, int) and not isinstance(topn, bool) and topn < 1:
            return []
        items = _listify(positive) + _listify(negative)
        n_pos = len(_listify(positive))
        keys, weights = [], []
        for i, item in enumerate(items):
            sign = 1.0 if i < n_pos else -1.0
            if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[1], str):
                keys.append(item[0])
                weights.append(float(item[1]))
            else:
                keys.append(item)
                weights.append(sign)
        if not keys:
            raise InputError("most_similar needs at least one positive or negative word")
        if oov == "skip":
            kept = [(k, w) for k, w in zip(keys, weights) if not isinstance(k, str) or k in self.key_to_index]
            if not kept:
                return []
            keys, weights = [k for k, _ in kept], [w for _, w in kept]
        elif oov != "error":
            raise InputError(f"oov must be 'error' or 'skip', got {oov!r}")
        else:
            missing = [k for k in keys if isinstance(k, str) and k not in self.key_to_index]
            if missing:
                raise OOVError(missing, vocab_size=len(self.words), hint=SKIP_HINT)
        mean = _np(self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True, ignore_missing=False))
        rows = [self.key_to_index[k] for k in keys if isinstance(k, str)]
        start, end = (0, restrict_vocab) if restrict_vocab else (clip_start, clip_end or len(self.words))
        if not topn:
            dists = np.asarray(self.vectors[start:end], dtype=np.float32) @ mean / self.norms[start:end]
            return self._out(dists, keys)
        if start == 0:
            rows = [r for r in rows if r < end]  # the kernel's exclude list must lie inside the searched rows
            return self.nearest(mean.reshape(1, -1), int(topn), exclude=[rows],  # type: ignore[attr-defined]
                                restrict_vocab=end)[0]
        dists = np.asarray(self.vectors[start:end], dtype=np.float32) @ mean / self.norms[start:end]
        return self._top(dists, int(topn), {r - start for r in rows}, offset=start)

    def _top(self, scores: np.ndarray, topn: int, exclude: set[int], offset: int = 0) -> list[tuple[str, float]]:
        k = min(len(scores), topn + len(exclude))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i + offset], float(scores[i])) for i in best if i not in exclude][:topn]

    def similar_by_vector(self, vector: Any, topn: int | None = 10, restrict_vocab: int | None = None) -> Any:
        """Words closest to ``vector`` (gensim)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_key(self, key: str, topn: int | None = 10, restrict_vocab: int | None = None) -> Any:
        """Words closest to ``key`` (gensim; also ``similar_by_word``)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def most_similar_cosmul(self, positive: Key | Sequence[Key] = None, negative: Key | Sequence[Key] = None,
                            topn: int | None = 10, restrict_vocab: int | None = None) -> Any:
        """3CosMul (Levy & Goldberg 2014, eq. 4): prod of (1+cos)/2 over positives / (prod over negatives + 1e-6).

        As gensim: words enter as unit vectors, raw vectors as given; inputs are never returned.
        ``restrict_vocab`` limits the candidates (gensim accepts it and ignores it).
        """
        if isinstance(topn, int) and not isinstance(topn, bool) and topn < 1:
            return []
        pos, neg = _listify(positive), _listify(negative)
        if not pos:
            raise InputError("most_similar_cosmul needs at least one positive word")
        rows = {self.index(w) for w in pos + neg if isinstance(w, str)}  # type: ignore[attr-defined]
        end = restrict_vocab or len(self.words)
        mat, norms = np.asarray(self.vectors[:end], dtype=np.float32), self.norms[:end]

        def shifted(term: Any) -> np.ndarray:
            v = self.get_vector(term, norm=True) if isinstance(term, str) else _np(term).reshape(-1)
            return (1 + mat @ v / norms) / 2

        dists = np.prod([shifted(t) for t in pos], axis=0) / (np.prod([shifted(t) for t in neg], axis=0) + 1e-6)
        if not topn:
            return self._out(dists, pos + neg)
        return self._top(dists, int(topn), {r for r in rows if r < end})

    def doesnt_match(self, words: Iterable[str]) -> str:
        """The word furthest from the mean of the others' unit vectors (unknown words ignored, as gensim)."""
        words = list(words)
        used = [w for w in words if w in self.key_to_index]
        if not used:
            raise InputError("doesnt_match needs at least one known word; none of "
                             f"{[w for w in words][:10]} is in the vocabulary")
        vecs = np.vstack([self.get_vector(w, norm=True) for w in used]).astype(np.float32)
        mean = _unit(vecs.mean(axis=0))
        dists = vecs @ mean
        return sorted(zip(dists.tolist(), used), reverse=True)[-1][1]

    # ----------------------------------------------------------------- similarities
    def similarity(self, w1: Any, w2: Any) -> Any:
        """Cosine of two words (gensim); given arrays/tensors, the all-pairs matrix (sentence-transformers)."""
        if isinstance(w1, str) and isinstance(w2, str):
            return float(np.dot(_unit(self[w1]), _unit(self[w2])))  # type: ignore[index]
        from textemb.encoders.base import cosine_similarity

        return cosine_similarity(w1, w2)

    def distance(self, w1: str, w2: str) -> float:
        """1 - cosine similarity of two words (gensim)."""
        return 1.0 - self.similarity(w1, w2)

    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float:
        """Cosine between the means of two word sets (raw vectors, unknown words ignored; gensim)."""
        if not (len(ws1) and len(ws2)):
            raise InputError("n_similarity needs two non-empty word lists")
        m1 = _np(self.get_mean_vector(list(ws1), pre_normalize=False))
        m2 = _np(self.get_mean_vector(list(ws2), pre_normalize=False))
        return float(np.dot(_unit(m1), _unit(m2)))

    def distances(self, word_or_vector: Any, other_words: Sequence[str] = ()) -> Any:
        """1 - cosine from a word or vector to ``other_words`` (every word when empty), gensim's order."""
        vec = self.get_vector(word_or_vector) if isinstance(word_or_vector, str) else _np(word_or_vector).reshape(-1)
        if other_words:
            others = np.asarray(self.vectors[[self.index(w) for w in other_words]], dtype=np.float32)  # type: ignore[attr-defined]
            norms = self.norms[[self.key_to_index[w] for w in other_words]]
        else:
            others, norms = np.asarray(self.vectors, dtype=np.float32), self.norms
        sims = (others @ vec) / (np.linalg.norm(vec) * norms)
        return self._out(1 - sims, [word_or_vector])

    def closer_than(self, key1: str, key2: str) -> list[str]:
        """Every word closer to ``key1`` than ``key2`` is (in vocabulary order; gensim)."""
        d = _np(self.distances(key1))
        i1, i2 = self.index(key1), self.index(key2)  # type: ignore[attr-defined]
        return [self.words[i] for i in np.flatnonzero(d < d[i2]) if i != i1]

    words_closer_than = closer_than

    def rank(self, key1: str, key2: str) -> int:
        """1 + how many words are closer to ``key1`` than ``key2`` (gensim)."""
        return len(self.closer_than(key1, key2)) + 1

    # ----------------------------------------------------------------- conversion
    def to_gensim(self):
        """A gensim ``KeyedVectors`` holding a copy of these words and vectors (no pickle, no file)."""
        from textemb.errors import require

        models = require("gensim.models", package="gensim", extra="word2vec", feature="WordVectors.to_gensim()")
        kv = models.KeyedVectors(self.vector_size, count=0, dtype=np.float32)
        kv.add_vectors(list(self.words), np.array(self.vectors, dtype=np.float32))
        return kv

    @classmethod
    def from_gensim(cls, kv: Any, *, name: str = "gensim", device: str = "cpu") -> WordVectors:
        """WordVectors from a gensim ``KeyedVectors`` (or a model with ``.wv``), vectors copied."""
        kv = getattr(kv, "wv", kv)
        keys = list(getattr(kv, "index_to_key", []))
        bad = next((k for k in keys if not isinstance(k, str)), None)
        if bad is not None:
            raise InputError(f"textemb vocabularies are strings; this KeyedVectors has a {type(bad).__name__} key {bad!r}")
        vectors = np.array(kv.vectors, dtype=np.float32)
        return cls(keys, vectors, name=name, spec="", device=device)  # type: ignore[call-arg]


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v
