"""What every trainer shares: the tokenised spool, gensim's vocabulary step, argument checks, the progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from textemb.corpus import Corpus, make_tokenizer
from textemb.errors import InputError

#: gensim's C routines silently truncate longer sentences; longer token lists are cut in pieces.
MAX_SENTENCE = 10_000


class Spool:
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


def spool_corpus(corpus: Corpus, tokenizer: str, lowercase: bool, path: Path, show_progress: bool) -> tuple[int, int]:
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


#: a trained vocabulary smaller than this, with words dropped by min_count, gets a warning
TINY_VOCABULARY = 100


def build_vocab(model, spool: Path, n_words: int) -> None:
    """gensim's ``build_vocab`` over the spool: an error when min_count keeps no word, a warning when it keeps only a
    handful of the corpus's words (the vectors of a 2-word vocabulary are of no use, and nothing else would say so)."""
    model.build_vocab(Spool(spool), keep_raw_vocab=True)
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


def progress_bar(total: int, enabled: bool):
    """A bar on a terminal, a plain line every few seconds in a log (:mod:`textemb.progress`)."""
    if not enabled:
        return None
    from textemb.progress import progress

    return progress(None, total=total, enabled=True, desc="training", unit="word")


def check_positive(**values: int) -> None:
    """Raise :class:`InputError` unless every value is a positive integer (``min_count`` may be 0)."""
    for key, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (0 if key == "min_count" else 1):
            raise InputError(f"{key} must be a positive integer, got {value!r}")


def gensim_version() -> str:
    """The installed gensim's version (recorded in a trained model's settings)."""
    import gensim

    return gensim.__version__


def english_stopwords() -> frozenset:
    """gensim's English stopword list (``train_lsa(stopwords=True)`` drops these words)."""
    from gensim.parsing.preprocessing import STOPWORDS

    return frozenset(STOPWORDS)
