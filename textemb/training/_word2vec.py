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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textemb.corpus import Corpus, as_corpus, counts_path, write_counts
from textemb.errors import InputError
from textemb.training._common import Spool, build_vocab, check_positive, gensim_version, progress_bar, spool_corpus
from textemb.vectors import WordVectors

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
    check_positive(dim=dim, epochs=epochs, window=window, min_count=min_count, workers=workers)
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
        "max_final_vocab": max_final_vocab, "gensim": gensim_version(),
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
    n_sent, n_words = spool_corpus(corpus, tokenizer, lowercase, spool, show_progress)
    if n_words == 0:
        raise InputError(f"corpus {corpus!r} has no tokens")
    build_vocab(model, spool, n_words)
    prepare = time.perf_counter() - t0
    bar = progress_bar(n_words * model.epochs, show_progress)
    t1 = time.perf_counter()
    try:
        trained, _raw = model.train(Spool(spool, bar), total_examples=n_sent, total_words=n_words, epochs=model.epochs)
    finally:
        if bar is not None:
            bar.close()
    return model, n_sent, n_words, trained, prepare, time.perf_counter() - t1


def default_workers() -> int:
    """A sensible ``workers`` for speed: the CPU count, capped at 8 (not reproducible)."""
    return max(1, min(8, os.cpu_count() or 1))


def output_spec(path: str | Path, format: str = "auto") -> str:
    """The spec that loads what :meth:`TrainResult.save` wrote at ``path`` (``word2vec:`` or ``vectors:``)."""
    fmt = output_format(path, format)
    return f"{'vectors' if fmt == 'folder' else 'word2vec'}:{Path(path).resolve()}"
