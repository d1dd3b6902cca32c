"""LSA: a truncated SVD of the TF-IDF term-document matrix (gensim ``TfidfModel`` + ``LsiModel``).

``lsa:FOLDER`` loads a model written by ``textemb train lsa CORPUS -o FOLDER``; ``lsa:CORPUS?dim=300``
trains one on the fly. A text is encoded by *fold-in*, exactly as gensim's ``lsi[tfidf[bow]]``:
its term counts times ``idf(w) = log2(N / df(w))``, L2-normalized, projected on the term side
``U`` of the SVD (``U^T x``). The word vectors are the rows of ``U * S`` (the term side scaled by
the singular values), ordered by corpus frequency, so word benchmarks and plots run on LSA too.

Training needs gensim; encoding and loading need only numpy/scipy: the folder holds the
vocabulary and settings in ``lsa.json`` and ``idf.npy``, ``term_vectors.npy`` (``U``),
``singular_values.npy`` and ``counts.npy`` (never pickle).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder, batches, progress
from textemb.encoders.modelfolder import check_words, is_model_folder, read_model_folder, write_model_folder
from textemb.errors import InputError
from textemb.training import train_lsa  # trained in textemb.training; this old import path keeps working
from textemb.vectors import WordVectors

KIND = "lsa"


class LsaEncoder(Encoder):
    """Fold-in encoder of a trained LSA model (see the module doc).

    Args:
        words: vocabulary, most frequent first. idf: one IDF per word (log base 2).
        term_vectors: ``U``, shape ``(len(words), dim)``. singular_values: ``S``, shape ``(dim,)``.
        counts: corpus counts per word. settings: tokenizer, lowercase, stopwords and training settings.
    """

    def __init__(self, words: Sequence[str], idf: np.ndarray, term_vectors: np.ndarray, singular_values: np.ndarray,
                 counts: np.ndarray, settings: dict, *, name: str = "lsa", spec: str = "", device: str = "cpu") -> None:
        from textemb.corpus import make_tokenizer

        self.words = list(words)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.term_vectors = np.asarray(term_vectors, dtype=np.float32)
        self.singular_values = np.asarray(singular_values, dtype=np.float32)
        self.counts = np.asarray(counts, dtype=np.int64)
        n, k = self.term_vectors.shape
        if self.idf.shape != (n,) or self.counts.shape != (n,) or self.singular_values.shape != (k,) or len(self.words) != n:
            raise InputError(f"LSA arrays disagree: {len(self.words)} words, idf {self.idf.shape}, U {self.term_vectors.shape}, "
                             f"S {self.singular_values.shape}, counts {self.counts.shape}")
        self.settings = dict(settings)
        self.key_to_index = {w: i for i, w in enumerate(self.words)}
        self._stop = frozenset(self.settings.get("stopwords") or ())
        self._tokenize = make_tokenizer(self.settings.get("tokenizer", "words"),
                                        lowercase=bool(self.settings.get("lowercase", True)))
        self.name, self.spec, self.device = name, spec, device
        #: counts from the last encode(): texts, tokens, oov_tokens, empty_texts
        self.last_stats: dict[str, int] = {}

    @property
    def dim(self) -> int:
        return int(self.term_vectors.shape[1])

    def bow(self, text: str) -> tuple[np.ndarray, np.ndarray, int, int]:
        """(rows, term counts, tokens, unknown tokens) of ``text``; stopwords are not tokens."""
        toks = [t for t in self._tokenize(text) if t not in self._stop]
        ids = [self.key_to_index.get(t, -1) for t in toks]
        known = np.asarray([i for i in ids if i >= 0], dtype=np.int64)
        rows, tf = np.unique(known, return_counts=True)
        return rows, tf.astype(np.float64), len(toks), len(toks) - len(known)

    def tfidf(self, texts: Sequence[str]):
        """The L2-normalized TF-IDF matrix (scipy CSR, ``len(texts) x vocab``) as gensim's TfidfModel."""
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        stats = {"texts": len(texts), "tokens": 0, "oov_tokens": 0, "empty_texts": 0}
        for text in texts:
            rows, tf, n_tok, n_oov = self.bow(text)
            w = tf * self.idf[rows]
            keep = np.abs(w) > 1e-12  # gensim drops near-zero weights (words in every document)
            rows, w = rows[keep], w[keep]
            norm = np.sqrt(np.sum(w * w))
            if norm > 0:
                w = w / norm
            else:
                stats["empty_texts"] += 1
            indices.extend(rows.tolist())
            data.extend(w.tolist())
            indptr.append(len(indices))
            stats["tokens"] += n_tok
            stats["oov_tokens"] += n_oov
        self.last_stats = stats
        return csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
                          shape=(len(texts), len(self.words)))

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        u = self.term_vectors.astype(np.float64)
        stats = {"texts": 0, "tokens": 0, "oov_tokens": 0, "empty_texts": 0}
        start = 0
        size = max(batch_size, 256)
        chunks = batches(texts, size)
        for chunk in progress(chunks, total=-(-len(texts) // size), enabled=show_progress, desc=self.name, unit="batch"):
            x = self.tfidf(list(chunk))
            for key in stats:
                stats[key] += self.last_stats[key]
            # CSR times dense sums each row on its own, so a text's vector never depends on its batch
            out[start : start + len(chunk)] = np.asarray(x @ u)
            start += len(chunk)
        self.last_stats = stats
        return out

    def word_vectors(self) -> WordVectors:
        """The term side of the SVD, ``U * S``, as WordVectors (most frequent word first)."""
        vecs = self.term_vectors * self.singular_values[None, :]
        return WordVectors(self.words, vecs, name=f"{self.name}.words", spec=self.spec, device=self.device)

    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Write the model folder (JSON + npy, no pickle); returns the spec that reloads it."""
        meta = {"dim": self.dim, "words": self.words, "settings": self.settings}
        arrays = {"idf": self.idf, "term_vectors": self.term_vectors, "singular_values": self.singular_values,
                  "counts": self.counts}
        return write_model_folder(path, KIND, meta, arrays, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path, *, device: str = "cpu") -> "LsaEncoder":
        """Load a folder written by :meth:`save` (no gensim needed)."""
        meta, arrays = read_model_folder(path, KIND)
        missing = {"idf", "term_vectors", "singular_values", "counts"} - set(arrays)
        if missing:
            from textemb.errors import FormatError

            raise FormatError(f"lsa.json lists no {', '.join(sorted(missing))}", path=path)
        words = check_words(meta, "words", arrays["term_vectors"].shape[0], path)
        return cls(words, arrays["idf"], arrays["term_vectors"], arrays["singular_values"], arrays["counts"],
                   meta.get("settings") or {}, name=Path(path).name, spec=f"lsa:{path}", device=device)


def from_spec(arg: str, options: dict, device: str) -> LsaEncoder:
    """Registry factory: ``lsa:FOLDER`` (a trained model) or ``lsa:CORPUS?dim=300&...`` (trained now)."""
    from textemb.encoders.options import pop_bool, pop_choice, pop_float, pop_int

    if is_model_folder(arg, KIND):
        return LsaEncoder.load(arg, device=device)
    from textemb.corpus import TOKENIZERS

    settings = {
        "dim": pop_int(options, "dim", 300, minimum=1, maximum=100_000),
        "min_count": pop_int(options, "min_count", 1, minimum=1),
        "no_above": pop_float(options, "no_above", 1.0, minimum=1e-9, maximum=1.0),
        "tokenizer": pop_choice(options, "tokenizer", TOKENIZERS, "words"),
        "lowercase": pop_bool(options, "lowercase", True),
        "stopwords": pop_bool(options, "stopwords", False),
        "seed": pop_int(options, "seed", 1, minimum=0),
    }
    enc = train_lsa(arg, **settings, name=f"lsa({Path(arg).name})")
    enc.device, enc.spec = device, ""  # the registry records the spec as typed
    return enc
