"""WordVectors: a vocabulary (word → row) and one float32 matrix, usable as an Encoder.

GloVe and word2vec backends produce it; contextual models can be turned into one, so every
word-level benchmark runs on every backend. Nearest-neighbour queries go through the batched
kernel in :mod:`textemb.kernels` (numpy on CPU, torch on cuda/mps).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from textemb import kernels
from textemb.encoders.base import Encoder, l2_normalize
from textemb.errors import SKIP_HINT, InputError, OOVError
from textemb.gensim_compat import KeyedVectorsMixin
from textemb.text import normalize_text, tokenize

OOV_POLICIES = ("error", "skip")


class WordVectors(KeyedVectorsMixin, Encoder):
    """Word vectors: ``words[i]`` has vector ``vectors[i]``; rows keep the file's order.

    gensim's KeyedVectors methods (``most_similar``, ``doesnt_match``, ``to_gensim`` ...) come
    from :class:`~textemb.gensim_compat.KeyedVectorsMixin`.

    Args:
        words: the vocabulary, in row order, without duplicates.
        vectors: float32 matrix ``(len(words), dim)``; may be a read-only memory map.
        name: short name for reports; spec: the spec string that reloads it.
        device: ``cpu`` (numpy) or a torch device for the nearest-neighbour kernel.
    """

    #: rows whose vectors were built from subword n-grams rather than learned (fastText's unseen
    #: words added for a benchmark); evaluators report how many there are.
    ngram_words: Sequence[str] = ()

    def __init__(
        self,
        words: Sequence[str],
        vectors: np.ndarray,
        *,
        name: str = "vectors",
        spec: str = "",
        device: str = "cpu",
    ) -> None:
        vectors = np.asanyarray(vectors)  # keeps a memory map a memory map
        if vectors.ndim != 2:
            raise InputError(f"vectors must be a 2-D matrix, got shape {vectors.shape}")
        if vectors.dtype != np.float32:
            vectors = vectors.astype(np.float32)
        if len(words) != vectors.shape[0]:
            raise InputError(f"{len(words)} words but {vectors.shape[0]} vector rows")
        self.words: list[str] = list(words)
        self.key_to_index: dict[str, int] = dict(zip(self.words, range(len(self.words))))
        if len(self.key_to_index) != len(self.words):
            raise InputError("duplicate words in the vocabulary; readers keep the first of each")
        self.vectors = vectors
        self.name = name
        self.spec = spec  # the name stands in for an empty spec (Encoder.spec)
        self.device = kernels.resolve_device(device)
        self._unit: np.ndarray | None = None
        #: counts from the last encode() call: texts, tokens, oov_tokens, empty_texts
        self.last_stats: dict[str, int] = {}

    # ----------------------------------------------------------------- basics
    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __iter__(self):
        return iter(self.words)

    def index(self, word: str) -> int:
        """Row of ``word``; :class:`OOVError` if absent."""
        try:
            return self.key_to_index[word]
        except KeyError:
            raise OOVError(word, vocab_size=len(self)) from None

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        if isinstance(word, str):
            return np.asarray(self.vectors[self.index(word)], dtype=np.float32)
        missing = [w for w in word if w not in self.key_to_index]
        if missing:
            raise OOVError(missing, vocab_size=len(self))
        return np.asarray(self.vectors[[self.key_to_index[w] for w in word]], dtype=np.float32)

    def get(self, word: str, default: np.ndarray | None = None) -> np.ndarray | None:
        i = self.key_to_index.get(word)
        return default if i is None else np.asarray(self.vectors[i], dtype=np.float32)

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (computed once, float32)."""
        if self._unit is None:
            self._unit = l2_normalize(self.vectors)
        return self._unit

    def to(self, device: str) -> "WordVectors":
        """Run nearest-neighbour queries on ``device`` from now on; returns ``self``."""
        self.device = kernels.resolve_device(device)
        return self

    # ----------------------------------------------------------------- queries
    def _resolve(self, items: Iterable[str | np.ndarray], oov: str) -> tuple[list[np.ndarray], list[int]]:
        if oov not in OOV_POLICIES:
            raise InputError(f"oov must be one of {OOV_POLICIES}, got {oov!r}")
        vecs, rows, missing = [], [], []
        for item in items:
            if isinstance(item, str):
                i = self.key_to_index.get(item)
                if i is None:
                    missing.append(item)
                    continue
                vecs.append(self.unit_vectors[i])
                rows.append(i)
            else:
                vecs.append(l2_normalize(np.asarray(item, dtype=np.float32).reshape(1, -1))[0])
        if missing and oov == "error":
            raise OOVError(missing, vocab_size=len(self), hint=SKIP_HINT)
        return vecs, rows

    def nearest(
        self,
        queries: np.ndarray,
        topn: int = 10,
        *,
        exclude: Sequence[Sequence[int]] | None = None,
        restrict_vocab: int | None = None,
    ) -> list[list[tuple[str, float]]]:
        """For each row of ``queries`` (unit vectors), the ``topn`` most cosine-similar words."""
        if topn < 1:
            raise InputError(f"topn must be at least 1, got {topn}")
        if exclude is not None:
            extra = max((len(e) for e in exclude), default=0)
        else:
            extra = 0
        idx, scores = kernels.nearest(
            queries, self.unit_vectors, topn + extra, exclude=exclude, limit=restrict_vocab, device=self.device
        )
        out = []
        for row_idx, row_scores in zip(idx, scores):
            hits = [(self.words[i], float(s)) for i, s in zip(row_idx, row_scores) if np.isfinite(s)]
            out.append(hits[:topn])
        return out

    def analogy(
        self, a: str, b: str, c: str, topn: int = 1, *, method: str = "3cosadd", restrict_vocab: int | None = None
    ) -> list[tuple[str, float]]:
        """Solve a : b :: c : ? (``analogy("man", "king", "woman")`` → queen).

        ``3cosadd`` ranks by cos(d, b − a + c) as gensim's ``most_similar``; ``3cosmul`` by
        cos'(d,b)·cos'(d,c) / (cos'(d,a) + 1e-3) with cos' = (cos + 1) / 2 (Levy & Goldberg 2014).
        The three question words are never answers.
        """
        if method == "3cosadd":
            return self.most_similar(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab)
        if method != "3cosmul":
            raise InputError(f"unknown analogy method {method!r}: use 3cosadd or 3cosmul")
        from textemb.evaluation.analogy import top_candidates

        question = np.array([[self.index(w) for w in (a, b, c)]], dtype=np.int64)
        idx, sc = top_candidates(self.unit_vectors, question, topn, method=method, epsilon=1e-3,
                                 candidates=restrict_vocab)
        return [(self.words[i], float(s)) for i, s in zip(idx[0], sc[0]) if i >= 0]

    # ----------------------------------------------------------------- Encoder
    def token_ids(self, text: str) -> tuple[list[int], int]:
        """Rows of the known tokens of ``text`` and how many tokens were unknown.

        A text that is itself a vocabulary key (``"New_York"``) maps to that key; otherwise it is
        tokenised and each token is looked up as written, then lower-cased.
        """
        text = normalize_text(text)
        k2i = self.key_to_index
        whole = k2i.get(text.strip())
        if whole is not None:
            return [whole], 0
        ids, oov = [], 0
        for tok in tokenize(text, lowercase=False):
            i = k2i.get(tok)
            if i is None:
                i = k2i.get(tok.lower())
            if i is None:
                oov += 1
            else:
                ids.append(i)
        return ids, oov

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        """Mean of the known tokens' vectors; a text with none gives zeros (counted, warned)."""
        return mean_pool(self, texts)

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Save to textemb's own folder format (npy + words + manifest); returns the spec that reloads it.

        ``load_encoder(wv.save(path))`` gives the same vectors bit for bit (``vectors:PATH``). An
        existing folder is replaced only if textemb wrote it and ``overwrite=True``.
        """
        from textemb.io.cache import save_vectors

        meta = {"name": self.name, "spec": self.spec}
        written = save_vectors(path, self.words, self.vectors, meta=meta, overwrite=overwrite)
        return f"vectors:{Path(written).resolve()}"

    @classmethod
    def load(cls, path: str | Path, *, mmap: bool = True, device: str = "cpu") -> "WordVectors":
        """Load a folder written by :meth:`save` (memory-mapped by default).

        The manifest and ``vectors.npy``'s header are checked (bounded JSON; header against file size) before
        anything is allocated; a damaged file is a :class:`~textemb.errors.FormatError` naming it.
        """
        from textemb.io.cache import load_vectors
        from textemb.io.guard import damaged_file, npy_header, read_json_object

        hint = "the vector folder is damaged: copy it again or save it again (WordVectors.save)"
        if (Path(path) / "manifest.json").is_file():
            read_json_object(Path(path) / "manifest.json", what="manifest.json", hint=hint)
        if (Path(path) / "vectors.npy").is_file():
            npy_header(Path(path) / "vectors.npy", hint=hint)
        with damaged_file(Path(path) / "words.json", what="the vector folder's words.json", hint=hint):
            words, vectors, meta = load_vectors(path, mmap=mmap)
        spec = f"vectors:{Path(path)}"
        return cls(words, vectors, name=meta.get("name") or Path(path).name, spec=spec, device=device)

    def save_word2vec_format(self, path: str | Path, *, binary: bool = False, header: bool = True) -> Path:
        """Write the word2vec text/binary format (``header=False`` for GloVe-style text)."""
        from textemb.io.formats import write_vectors

        return write_vectors(path, self.words, self.vectors, binary=binary, header=header)


def mean_pool(
    wv: WordVectors,
    texts: Sequence[str],
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted mean of the known token vectors of each text, vectorised over the whole batch.

    ``weights`` (one per vocabulary row, optional) scales each token's vector; the mean divides
    by the number of known tokens. Texts with no known token give zero rows; the counts land in
    ``wv.last_stats`` and one warning is issued per call.
    """
    lengths = np.zeros(len(texts), dtype=np.int64)
    flat: list[int] = []
    oov_tokens = 0
    for j, text in enumerate(texts):
        ids, oov = wv.token_ids(text)
        flat.extend(ids)
        lengths[j] = len(ids)
        oov_tokens += oov
    out = np.zeros((len(texts), wv.dim), dtype=np.float32)
    nonempty = lengths > 0
    if flat:
        flat_ids = np.asarray(flat, dtype=np.int64)
        rows = np.asarray(wv.vectors[flat_ids], dtype=np.float32)
        if weights is not None:
            rows = rows * weights[flat_ids, None].astype(np.float32)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
        sums = np.add.reduceat(rows, starts, axis=0)
        out[nonempty] = sums / lengths[nonempty, None].astype(np.float32)
    empty = int((~nonempty).sum())
    wv.last_stats = {
        "texts": len(texts),
        "tokens": len(flat) + oov_tokens,
        "oov_tokens": oov_tokens,
        "empty_texts": empty,
    }
    if empty:
        warnings.warn(
            f"{empty} of {len(texts)} texts had no in-vocabulary token and got a zero vector",
            stacklevel=3,
        )
    return out
