"""Sentence vectors as (weighted) averages of word vectors: ``mean``, ``tfidf`` and ``sif``.

* ``mean`` (``avg:SPEC``): the plain mean of the known tokens' vectors.
* ``tfidf`` (``avg-tfidf:SPEC?corpus=PATH``): each token weighs its IDF,
  ``idf(w) = ln((1 + N) / (1 + df(w))) + 1`` over the ``N`` documents of a corpus you pass
  (a token repeated in a text counts each time, so a word's total weight is tf x idf).
* ``sif`` (``avg-sif:SPEC``, Arora, Liang & Ma 2017): each token weighs ``a / (a + p(w))``,
  then the first principal component(s) of sentence vectors is projected out.
  ``p(w)`` comes from, in this order: a ``counts=`` file (``word count`` lines), the ``corpus=``,
  the word counts saved beside vectors trained by textemb (``model.vocab.txt``), or — for
  vectors stored by frequency rank, like GloVe and word2vec — a Zipf law on the rank,
  ``p(rank r) = 1 / (r * H_N)``. ``freq=`` forces one source.

Where the principal component is fitted: on the ``corpus`` (default when one is given), so a
text's vector never depends on which other texts are encoded with it (encode is a pure function
of the text; results are reproducible and batch-invariant). Arora et al. fit it on the evaluation
sentences themselves; do that explicitly with ``encoder.fit(texts)`` before ``encode(texts)``
(the fitted component is then part of the encoder, and saved with it). Without a corpus, no
component is removed unless ``pc=`` is given, which then requires a corpus or ``fit``.

Unknown tokens are skipped and counted; a text with no known token gives a zero vector and a
warning count (``encoder.last_stats``). The pooling itself is :func:`textemb.vectors.mean_pool`:
one gather + ``np.add.reduceat`` over the whole batch, no Python loop per token beyond tokenising.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder, progress
from textemb.encoders.options import pop_choice, pop_float, pop_int, pop_str
from textemb.errors import InputError
from textemb.text import printable
from textemb.vectors import WordVectors, mean_pool

METHODS = ("mean", "tfidf", "sif")
FREQ_SOURCES = ("auto", "counts", "corpus", "saved", "zipf")
#: texts pooled at once; bounds memory (tokens x dim floats) and does not change results.
CHUNK = 4096


class AveragingEncoder(Encoder):
    """Weighted mean of word vectors, optionally minus the projection on fitted components.

    Build it with :meth:`mean`, :meth:`tfidf` or :meth:`sif` (or a spec string through
    :func:`textemb.load_encoder`). ``weights`` holds one float per vocabulary row.
    """

    def __init__(
        self,
        wv: WordVectors,
        *,
        method: str = "mean",
        weights: np.ndarray | None = None,
        components: np.ndarray | None = None,
        n_components: int = 0,
        settings: dict | None = None,
        spec: str = "",
    ) -> None:
        if not isinstance(wv, WordVectors):
            raise InputError(f"an averaging encoder needs WordVectors, got {type(wv).__name__}")
        if method not in METHODS:
            raise InputError(f"unknown averaging method {method!r}: use {', '.join(METHODS)}")
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float32)
            if weights.shape != (len(wv),) or not np.isfinite(weights).all():
                raise InputError(f"weights must be {len(wv)} finite floats (one per word), got shape {weights.shape}")
        self.wv = wv
        self.method = method
        self.weights = weights
        self.n_components = int(n_components)
        self.components = None if components is None else _check_components(components, wv.dim)
        self.settings = {"method": method, "vectors": wv.spec, **(settings or {})}
        self.name = f"avg-{method}({wv.name})" if method != "mean" else f"avg({wv.name})"
        prefix = "avg" if method == "mean" else f"avg-{method}"
        self.spec = spec if spec else f"{prefix}:{wv.spec}"
        self.device = wv.device
        #: p(w) per vocabulary row for ``sif`` (saved with the encoder), else None
        self.word_prob: np.ndarray | None = None
        #: counts from the last encode(): texts, tokens, oov_tokens, empty_texts
        self.last_stats: dict[str, int] = {}

    # ----------------------------------------------------------------- builders
    @classmethod
    def mean(cls, wv: WordVectors) -> "AveragingEncoder":
        """Plain mean of the known tokens' vectors."""
        return cls(wv, method="mean")

    @classmethod
    def tfidf(cls, wv: WordVectors, corpus: "str | Path | Sequence[str]") -> "AveragingEncoder":
        """IDF-weighted mean; the IDF is fitted on ``corpus`` (a list of texts or a corpus path)."""
        df, n_docs, _counts, _total = corpus_statistics(wv, corpus)
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        return cls(wv, method="tfidf", weights=idf.astype(np.float32),
                   settings={"corpus": _describe(corpus), "corpus_documents": n_docs},
                   spec=_spec("avg-tfidf", wv, corpus=corpus))

    @classmethod
    def sif(
        cls,
        wv: WordVectors,
        corpus: "str | Path | Sequence[str] | None" = None,
        *,
        a: float = 1e-3,
        pc: int | None = None,
        counts: str | Path | dict[str, int] | None = None,
        freq: str = "auto",
    ) -> "AveragingEncoder":
        """Smooth inverse frequency weights ``a / (a + p(w))`` and principal-component removal.

        Args:
            corpus: texts (or a path) for word frequencies and for fitting the components.
            a: the smoothing constant (1e-3 in the paper; smaller gives rarer words more weight).
            pc: components to remove; default 1 with a corpus, 0 without. ``pc>0`` without a
                corpus needs :meth:`fit` before encoding.
            counts: ``word count`` file or dict giving p(w) (overrides the corpus's counts).
            freq: where p(w) comes from: ``auto`` (see module doc), ``counts``, ``corpus``,
                ``saved`` (counts saved beside trained vectors) or ``zipf``.
        """
        if not (isinstance(a, (int, float)) and a > 0 and math.isfinite(a)):
            raise InputError(f"a must be a positive number, got {a!r}")
        if freq not in FREQ_SOURCES:
            raise InputError(f"freq must be one of {', '.join(FREQ_SOURCES)}, got {freq!r}")
        pc = (1 if corpus is not None else 0) if pc is None else int(pc)
        if pc < 0 or pc > wv.dim:
            raise InputError(f"pc must be between 0 and {wv.dim}, got {pc}")
        prob, source = word_probabilities(wv, corpus=corpus, counts=counts, freq=freq)
        weights = (a / (a + prob)).astype(np.float32)
        settings = {"a": a, "pc": pc, "freq": source}
        if corpus is not None:
            settings["corpus"] = _describe(corpus)
        spec = _spec("avg-sif", wv, corpus=corpus, counts=counts, a=a if a != 1e-3 else None,
                     pc=pc if pc != (1 if corpus is not None else 0) else None, freq=None if freq == "auto" else freq)
        enc = cls(wv, method="sif", weights=weights, n_components=pc, settings=settings, spec=spec)
        enc.word_prob = np.asarray(prob, dtype=np.float64)
        if pc and corpus is not None:
            enc.fit(corpus)
        return enc

    def word_vectors(self) -> WordVectors:
        """The word vectors this encoder averages (the HasWordVectors capability)."""
        return self.wv

    # ----------------------------------------------------------------- fitting
    def fit(self, texts: "str | Path | Sequence[str]", *, show_progress: bool = False) -> "AveragingEncoder":
        """Fit the ``n_components`` principal directions (uncentred, as Arora et al.) on ``texts``.

        ``texts`` is a list of texts or a corpus path. After this, encode() subtracts each
        vector's projection on them. Returns ``self``.
        """
        if self.n_components < 1:
            raise InputError("this encoder removes no components (pc=0); build it with pc=1 or more")
        from textemb.corpus import as_corpus

        gram = np.zeros((self.dim, self.dim), dtype=np.float64)
        n = 0
        for chunk in _chunks(as_corpus(texts), CHUNK):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                emb = mean_pool(self.wv, chunk, self.weights).astype(np.float64)
            gram += emb.T @ emb
            n += len(chunk)
        if n == 0 or not gram.any():
            raise InputError("cannot fit components: the texts contain no in-vocabulary word")
        eigvals, eigvecs = np.linalg.eigh(gram)
        top = eigvecs[:, ::-1][:, : self.n_components].T  # (k, dim), largest variance first
        top *= np.where(top[:, :1] < 0, -1.0, 1.0)  # a fixed sign, for reproducible saved files
        self.components = top.astype(np.float32)
        self.settings["components_fitted_on"] = _describe(texts)
        return self

    # ----------------------------------------------------------------- Encoder
    @property
    def dim(self) -> int:
        return self.wv.dim

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        if self.n_components and self.components is None:
            raise InputError(
                "SIF component removal is not fitted: pass corpus= (spec: ?corpus=PATH), call "
                "encoder.fit(texts) first, or use pc=0"
            )
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        stats = {"texts": 0, "tokens": 0, "oov_tokens": 0, "empty_texts": 0}
        size = max(batch_size, CHUNK)
        starts = range(0, len(texts), size)
        for start in progress(starts, total=len(starts), enabled=show_progress, desc=self.name, unit="batch"):
            chunk = texts[start : start + size]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[start : start + len(chunk)] = mean_pool(self.wv, chunk, self.weights)
            for key in stats:
                stats[key] += self.wv.last_stats.get(key, 0)
        if self.components is not None:
            out -= (out @ self.components.T) @ self.components
        self.last_stats = stats
        if stats["empty_texts"]:
            warnings.warn(
                f"{stats['empty_texts']} of {stats['texts']} texts had no in-vocabulary token and got a zero vector",
                stacklevel=3,
            )
        return out

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Save weights, p(w), components and the word vectors (npy + JSON, never pickle) to a folder.

        Returns the spec ``avg-saved:PATH`` that :func:`textemb.load_encoder` rebuilds this encoder
        from, bit for bit. An existing folder is replaced only if textemb wrote it and ``overwrite=True``.
        """
        from textemb.encoders.averaging_saved import save_averaging

        return save_averaging(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path, *, wv: WordVectors | None = None, device: str = "cpu") -> "AveragingEncoder":
        """Load a folder written by :meth:`save` (``wv`` replaces the saved vectors)."""
        from textemb.encoders.averaging_saved import load_averaging

        return load_averaging(path, wv=wv, device=device)


# --------------------------------------------------------------------------- statistics
def corpus_statistics(
    wv: WordVectors, corpus: "str | Path | Sequence[str]"
) -> tuple[np.ndarray, int, np.ndarray, int]:
    """Per vocabulary row: document frequency and token count over ``corpus``; plus the number
    of documents and of tokens (known and unknown). Tokens are matched like
    :meth:`WordVectors.token_ids` (as written, then lower-cased), one document per corpus text."""
    from textemb.corpus import as_corpus

    df = np.zeros(len(wv), dtype=np.int64)
    counts = np.zeros(len(wv), dtype=np.int64)
    n_docs = total = 0
    for chunk in _chunks(as_corpus(corpus), CHUNK):
        all_ids, unique_ids = [], []
        for text in chunk:
            ids, oov = wv.token_ids(text)
            total += len(ids) + oov
            arr = np.asarray(ids, dtype=np.int64)
            all_ids.append(arr)
            unique_ids.append(np.unique(arr))
        counts += np.bincount(np.concatenate(all_ids), minlength=len(wv))
        df += np.bincount(np.concatenate(unique_ids), minlength=len(wv))
        n_docs += len(chunk)
    if n_docs == 0:
        raise InputError(f"corpus {_describe(corpus)} has no texts")
    return df, n_docs, counts, total


def word_probabilities(
    wv: WordVectors,
    *,
    corpus: "str | Path | Sequence[str] | None" = None,
    counts: str | Path | dict[str, int] | None = None,
    freq: str = "auto",
) -> tuple[np.ndarray, str]:
    """``p(w)`` for every vocabulary row, and where it came from (see the module doc)."""
    if freq == "auto":
        freq = "counts" if counts is not None else "corpus" if corpus is not None else (
            "saved" if saved_counts_path(wv) is not None else "zipf")
    if freq == "counts":
        if counts is None:
            raise InputError("freq=counts needs counts= (a 'word count' file)")
        return _from_counts(wv, counts), f"counts:{counts if not isinstance(counts, dict) else 'dict'}"
    if freq == "saved":
        side = saved_counts_path(wv)
        if side is None:
            raise InputError(f"freq=saved: no word counts saved beside {wv.spec!r} (expected e.g. model.vocab.txt)")
        return _from_counts(wv, side), f"saved:{side}"
    if freq == "corpus":
        if corpus is None:
            raise InputError("freq=corpus needs corpus=")
        _df, _n, c, total = corpus_statistics(wv, corpus)
        return c / max(total, 1), "corpus"
    ranks = np.arange(1, len(wv) + 1, dtype=np.float64)
    return 1.0 / (ranks * np.sum(1.0 / ranks)), "zipf-rank"


def _from_counts(wv: WordVectors, counts: str | Path | dict[str, int]) -> np.ndarray:
    from textemb.corpus import read_counts

    table = read_counts(counts) if not isinstance(counts, dict) else counts
    arr = np.array([table.get(w, 0) for w in wv.words], dtype=np.float64)
    total = float(sum(table.values()))
    if total <= 0:
        raise InputError("the word counts are all zero")
    return arr / total


def saved_counts_path(wv: WordVectors) -> Path | None:
    """The ``word count`` file saved beside the file/folder ``wv`` was loaded from, if any."""
    from textemb.corpus import counts_path
    from textemb.encoders.registry import parse_spec

    try:
        prefix, arg, _ = parse_spec(wv.spec)
    except Exception:  # noqa: BLE001 - a spec we cannot parse has no sidecar
        return None
    if prefix not in ("word2vec", "vectors", "glove"):
        return None
    side = counts_path(arg)
    return side if side.is_file() else None


# --------------------------------------------------------------------------- helpers
def _chunks(texts: Iterable[str], size: int) -> Iterable[list[str]]:
    chunk: list[str] = []
    for t in texts:
        chunk.append(t)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _describe(corpus) -> str:
    if isinstance(corpus, (str, Path)):
        return str(corpus)
    path = getattr(corpus, "path", None)
    if path is not None:
        return str(path)
    try:
        return f"{len(corpus)} texts"
    except TypeError:
        return type(corpus).__name__


def _spec(prefix: str, wv: WordVectors, **options) -> str:
    """A spec string that rebuilds the encoder, when its options are expressible as text."""
    from urllib.parse import urlencode

    shown = {k: str(v) for k, v in options.items() if v is not None and isinstance(v, (str, Path, int, float))}
    query = urlencode(shown, safe="/:.~-_")
    return f"{prefix}:{wv.spec}" + (f"?{query}" if query else "")


def _check_components(components: np.ndarray, dim: int) -> np.ndarray:
    components = np.asarray(components, dtype=np.float32)
    if components.ndim != 2 or components.shape[1] != dim or not np.isfinite(components).all():
        raise InputError(f"components must be a finite (k, {dim}) matrix, got shape {components.shape}")
    return components


def _word_vectors(encoder: Encoder, spec: str) -> WordVectors:
    from textemb.encoders.capabilities import word_vectors_of

    return word_vectors_of(encoder, spec, needed_by="averaging")


def _inner(arg: str, device: str) -> WordVectors:
    from textemb import load_encoder
    from textemb.encoders.averaging_saved import is_saved_averaging

    if is_saved_averaging(arg):
        raise InputError(f"{printable(arg)} is a saved averaging encoder: load it with avg-saved:{printable(arg)}")

    return _word_vectors(load_encoder(arg, device=device), arg)


# --------------------------------------------------------------------------- registry factories
def mean_from_spec(arg: str, options: dict, device: str) -> AveragingEncoder:
    """``avg:SPEC`` — the plain mean over another word-vector spec."""
    return AveragingEncoder.mean(_inner(arg, device))


def tfidf_from_spec(arg: str, options: dict, device: str) -> AveragingEncoder:
    """``avg-tfidf:SPEC?corpus=PATH`` — IDF fitted on the corpus file, folder or wiki dump."""
    corpus = pop_str(options, "corpus")
    if corpus is None:
        raise InputError(f"avg-tfidf needs a corpus to fit the IDF on: avg-tfidf:{printable(arg)}?corpus=PATH")
    return AveragingEncoder.tfidf(_inner(arg, device), corpus)


def sif_from_spec(arg: str, options: dict, device: str) -> AveragingEncoder:
    """``avg-sif:SPEC[?corpus=PATH&a=0.001&pc=1&counts=PATH&freq=auto]``."""
    corpus = options.pop("corpus", None) or None
    counts = options.pop("counts", None) or None
    a = pop_float(options, "a", 1e-3)
    freq = pop_choice(options, "freq", FREQ_SOURCES, "auto")
    pc = pop_int(options, "pc", minimum=0)
    if pc and corpus is None:
        raise InputError(
            f"avg-sif with pc={pc} needs a corpus to fit the component on: avg-sif:{printable(arg)}?corpus=PATH "
            "(or pc=0; in Python, AveragingEncoder.fit(texts))"
        )
    return AveragingEncoder.sif(_inner(arg, device), corpus, a=a, pc=pc, counts=counts, freq=freq)
