"""Train word2vec (skip-gram or CBOW, gensim underneath) on a streamed corpus.

>>> from textemb.training import train_word2vec
>>> result = train_word2vec("corpus.txt", dim=100, epochs=5, sg=True, seed=1, workers=1)
>>> result.vectors.most_similar("king", topn=3)
>>> result.save("model.bin")        # word2vec binary + model.vocab.txt (word counts)

The corpus is tokenised once into a temporary one-sentence-per-line file ("spool"), and every
pass (vocabulary + epochs) streams that file, so wiki markup stripping and tokenisation are not
repeated per epoch and nothing is held in memory. With ``workers=1`` and a fixed ``seed`` the
vectors are bit-for-bit reproducible (gensim seeds its initial vectors from ``seed`` alone,
not from Python's string hash); with several workers the thread scheduling changes the result.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textemb.corpus import Corpus, as_corpus, counts_path, make_tokenizer, write_counts
from textemb.errors import InputError
from textemb.vectors import WordVectors

#: gensim's C routines silently truncate longer sentences; longer token lists are cut in pieces.
MAX_SENTENCE = 10_000
log = logging.getLogger("textemb.training")


@dataclass
class TrainResult:
    """Trained vectors, their corpus word counts (vocabulary order), timing and settings."""

    vectors: WordVectors
    counts: np.ndarray
    settings: dict
    seconds: float  # training passes only (not tokenisation / vocabulary)
    prepare_seconds: float  # tokenisation + vocabulary
    corpus_words: int  # tokens in the corpus (one pass)
    corpus_sentences: int
    trained_words: int  # words gensim trained on, all epochs (after min_count and down-sampling)
    words_per_second: float  # corpus_words * epochs / seconds (what the word2vec C tool reports)
    saved: list[Path] = field(default_factory=list)

    def save(self, path: str | Path, *, format: str = "auto", overwrite: bool = False) -> list[Path]:
        """Save the vectors and, beside them, the word counts (see :func:`textemb.corpus.counts_path`).

        ``format``: ``bin`` (word2vec binary), ``text`` (word2vec text), ``folder`` (textemb's own
        folder, memory-mappable) or ``auto``: ``.bin`` -> bin, ``.txt``/``.vec`` -> text, else folder.
        Returns the paths written. Never pickles. An existing folder is replaced only if textemb wrote
        it and ``overwrite=True`` (CLI ``--force``); a folder that is not textemb's is never touched.
        """
        written = save_vectors_with_counts(self.vectors, self.counts, path, format=format, overwrite=overwrite)
        self.saved.extend(written)
        return written

    def summary(self) -> dict:
        return {
            "vocab": len(self.vectors),
            "dim": self.vectors.dim,
            "corpus_words": self.corpus_words,
            "corpus_sentences": self.corpus_sentences,
            "trained_words": self.trained_words,
            "train_seconds": round(self.seconds, 3),
            "prepare_seconds": round(self.prepare_seconds, 3),
            "words_per_second": round(self.words_per_second, 1),
            **self.settings,
        }


def save_vectors_with_counts(
    wv: WordVectors, counts: np.ndarray, path: str | Path, *, format: str = "auto", overwrite: bool = False
) -> list[Path]:
    """Write ``wv`` as word2vec binary/text or a textemb folder, plus the counts sidecar."""
    path = Path(path)
    fmt = output_format(path, format)
    if fmt == "bin":
        wv.save_word2vec_format(path, binary=True)
    elif fmt == "text":
        wv.save_word2vec_format(path, binary=False)
    elif fmt == "folder":
        wv.save(path, overwrite=overwrite)
    else:
        raise InputError(f"unknown format {format!r}: use auto, bin, text or folder")
    side = write_counts(counts_path(path), wv.words, counts)
    return [path, side]


def output_format(path: str | Path, format: str = "auto") -> str:
    """``bin``, ``text`` or ``folder``: what :meth:`TrainResult.save` writes at ``path``."""
    if format != "auto":
        return format
    ext = Path(path).name.lower().removesuffix(".gz")
    return "bin" if ext.endswith(".bin") else "text" if ext.endswith((".txt", ".vec")) else "folder"


class _Spool:
    """Restartable reader of the tokenised spool file; counts words as it goes (for the bar)."""

    def __init__(self, path: Path, bar=None) -> None:
        self.path = path
        self.bar = bar

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, encoding="utf-8", newline="\n") as fh:
            for line in fh:
                toks = line.rstrip("\n").split(" ")
                if self.bar is not None:
                    self.bar.update(len(toks))
                yield toks


def _spool(corpus: Corpus, tokenizer: str, lowercase: bool, path: Path, show_progress: bool) -> tuple[int, int]:
    """Tokenise ``corpus`` into ``path`` (one sentence per line); returns (sentences, words)."""
    from textemb.encoders.base import progress

    tokenize = make_tokenizer(tokenizer, lowercase=lowercase)
    n_sent = n_words = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for text in progress(iter(corpus), total=None, enabled=show_progress, desc="tokenising", unit="text"):
            toks = tokenize(text)
            for start in range(0, len(toks), MAX_SENTENCE):
                piece = toks[start : start + MAX_SENTENCE]
                out.write(" ".join(piece))
                out.write("\n")
                n_sent += 1
                n_words += len(piece)
    return n_sent, n_words


def train_word2vec(
    corpus: str | Path | Sequence[str] | Corpus,
    *,
    dim: int = 100,
    epochs: int = 5,
    sg: bool = False,
    window: int = 5,
    min_count: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    alpha: float = 0.025,
    workers: int = 1,
    seed: int = 1,
    lowercase: bool = False,
    tokenizer: str = "regexp",
    max_final_vocab: int | None = None,
    show_progress: bool | None = None,
    tmp_dir: str | Path | None = None,
    name: str = "word2vec",
) -> TrainResult:
    """Train word2vec on ``corpus`` (a text file, a folder of .txt files, a wiki dump, or texts).

    Args:
        dim: vector size. epochs: passes over the corpus. sg: skip-gram (else CBOW, the default
            of gensim and of the C tool). window: max distance between centre and context word.
        min_count: drop words seen fewer times. negative: negative samples (0 = hierarchical
            softmax). sample: down-sampling threshold of frequent words. alpha: start learning rate.
        workers: training threads (``1`` + fixed ``seed`` = reproducible).
        lowercase / tokenizer: see :func:`textemb.corpus.make_tokenizer`.
        show_progress: a bar with words/s (``None``: when stderr is a terminal).
        tmp_dir: where the temporary tokenised copy goes (default: the system temp folder).
    """
    _check(dim=dim, epochs=epochs, window=window, min_count=min_count, workers=workers)
    if negative < 0 or sample < 0 or alpha <= 0:
        raise InputError("negative and sample must be >= 0 and alpha > 0")
    Word2Vec = _gensim_word2vec()
    corpus = as_corpus(corpus)
    show_progress = sys.stderr.isatty() if show_progress is None else show_progress
    params = dict(vector_size=dim, window=window, min_count=min_count, sg=int(sg), negative=negative,
                  hs=int(negative == 0), sample=sample, alpha=alpha, workers=workers, seed=seed, epochs=epochs,
                  max_final_vocab=max_final_vocab)
    settings = {
        "corpus": str(corpus.path) if corpus.path else f"{len(corpus.texts or [])} texts",
        "corpus_kind": corpus.kind, "model": "skip-gram" if sg else "cbow", "dim": dim, "epochs": epochs,
        "window": window, "min_count": min_count, "negative": negative, "sample": sample, "alpha": alpha,
        "workers": workers, "seed": seed, "lowercase": lowercase, "tokenizer": tokenizer,
        "max_final_vocab": max_final_vocab, "gensim": _gensim_version(),
    }
    with tempfile.TemporaryDirectory(prefix="textemb-w2v-", dir=tmp_dir) as tmp:
        run = _train_on_spool(Word2Vec(**params), corpus, Path(tmp) / "tokens.txt", tokenizer, lowercase,
                              show_progress)
    model, n_sent, n_words, trained, prepare, seconds = run
    kv = model.wv
    words = list(kv.index_to_key)
    counts = np.array([kv.get_vecattr(w, "count") for w in words], dtype=np.int64)
    vectors = WordVectors(words, np.array(kv.vectors, dtype=np.float32), name=name, spec=name)
    wps = n_words * epochs / seconds if seconds > 0 else float("inf")
    log.info("trained %s: %d words x %d dims, %.1fs, %.0f words/s", name, len(words), dim, seconds, wps)
    return TrainResult(vectors, counts, settings, seconds, prepare, n_words, n_sent, int(trained), wps)


def _gensim_word2vec():
    try:
        from gensim.models import Word2Vec
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError("gensim", "word2vec", "word2vec training") from exc
    return Word2Vec


def _train_on_spool(model, corpus: Corpus, spool: Path, tokenizer: str, lowercase: bool, show_progress: bool):
    """Tokenise ``corpus`` into ``spool``, build the vocabulary, train; (model, sentences, words, trained words,
    seconds to prepare, seconds to train)."""
    t0 = time.perf_counter()
    n_sent, n_words = _spool(corpus, tokenizer, lowercase, spool, show_progress)
    if n_words == 0:
        raise InputError(f"corpus {corpus!r} has no tokens")
    build_vocab(model, spool, n_words)
    prepare = time.perf_counter() - t0
    bar = _bar(n_words * model.epochs, show_progress)
    t1 = time.perf_counter()
    try:
        trained, _raw = model.train(_Spool(spool, bar), total_examples=n_sent, total_words=n_words, epochs=model.epochs)
    finally:
        if bar is not None:
            bar.close()
    return model, n_sent, n_words, trained, prepare, time.perf_counter() - t1


#: a trained vocabulary smaller than this, with words dropped by min_count, gets a warning
TINY_VOCABULARY = 100


def build_vocab(model, spool: Path, n_words: int) -> None:
    """gensim's ``build_vocab`` over the spool: an error when min_count keeps no word, a warning when it keeps only a
    handful of the corpus's words (the vectors of a 2-word vocabulary are of no use, and nothing else would say so)."""
    model.build_vocab(_Spool(spool), keep_raw_vocab=True)
    seen, kept = len(model.raw_vocab), len(model.wv)
    model.raw_vocab = {}  # kept only to count what min_count dropped
    if kept == 0:
        raise InputError(f"no word occurs at least min_count={model.min_count} times in {n_words:,} tokens; "
                         "lower min_count (--min-count 1) or train on more text")
    if kept < TINY_VOCABULARY and kept < seen:
        import warnings

        warnings.warn(f"only {kept:,} of the corpus's {seen:,} distinct words occur at least min_count={model.min_count} "
                      f"times ({n_words:,} tokens), so the vocabulary is tiny and its vectors of little use: lower "
                      "min_count (--min-count 1) or train on more text", UserWarning, stacklevel=3)


def _bar(total: int, enabled: bool):
    """A bar on a terminal, a plain line every few seconds in a log (:mod:`textemb.progress`)."""
    if not enabled:
        return None
    from textemb.progress import progress

    return progress(None, total=total, enabled=True, desc="training", unit="word")


def _check(**values: int) -> None:
    for key, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (0 if key == "min_count" else 1):
            raise InputError(f"{key} must be a positive integer, got {value!r}")


def _gensim_version() -> str:
    import gensim

    return gensim.__version__


def default_workers() -> int:
    """A sensible ``workers`` for speed: the CPU count, capped at 8 (not reproducible)."""
    return max(1, min(8, os.cpu_count() or 1))


def output_spec(path: str | Path, format: str = "auto") -> str:
    """The spec that loads what :meth:`TrainResult.save` wrote at ``path`` (``word2vec:`` or ``vectors:``)."""
    fmt = output_format(path, format)
    return f"{'vectors' if fmt == 'folder' else 'word2vec'}:{Path(path).resolve()}"
