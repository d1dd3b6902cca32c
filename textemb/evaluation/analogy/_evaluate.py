"""Word analogies (a : b :: c : ?) evaluated in batches, exactly as gensim counts them.

Methods (Levy & Goldberg 2014), with cos'(x, y) = (cos(x, y) + 1) / 2:

- ``3cosadd``: argmax_d cos(d, b - a + c)  (gensim's ``most_similar(positive=[b, c], negative=[a])``)
- ``3cosmul``: argmax_d cos'(d, b) * cos'(d, c) / (cos'(d, a) + epsilon)

How it is fast *and* exact. The expected answer's score s* is known up front, so a question only
needs the candidates scoring near or above s*: :mod:`~textemb.evaluation.analogy._kernel` finds them
with a bound per block of candidates (skipping ~97% of the work on GloVe) and settles a question as
wrong as soon as a candidate beats s* by more than ``tol``. Kernel scores differ from gensim's float32
arithmetic in the last bits only, so a question whose decision rests on two candidates closer than
``tol`` is re-scored with gensim's own arithmetic (:mod:`~textemb.evaluation.analogy._exact`). The
result equals gensim's ``evaluate_word_analogies`` question by question.

gensim's conventions (the defaults): only the first ``restrict_vocab`` words are candidates
and a question with a word outside them is out of vocabulary; case-insensitive matching
upper-cases vocabulary and question words, the most frequent spelling winning; the answer is
the first of the 5 best candidates that is not a question word.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textemb import kernels
from textemb.errors import InputError
from textemb.evaluation.analogy import _kernel as kernel
from textemb.evaluation.analogy._exact import KEEP, decide, near_ties, reference_top
from textemb.evaluation.analogy._result import build_result, worst_misses
from textemb.evaluation.datasets import AnalogySection, read_analogies, resolve_dataset

METHODS = kernel.METHODS
OOV_POLICIES = ("skip", "wrong")
DEFAULT_TOL = 3e-5  #: score gaps below this are re-checked with gensim's exact arithmetic


@dataclass
class Questions:
    """The questions of a dataset mapped to vocabulary rows (-1 where out of vocabulary)."""

    sections: list[AnalogySection]
    section: np.ndarray  # (q,) section index of each question
    text: list[tuple[str, str, str, str]]
    rows: np.ndarray  # (q, 4) row of a, b, c, expected in the restricted vocabulary, -1 if OOV


def evaluate_analogies(
    wv,
    dataset: str | Path = "google",
    *,
    method: str = "3cosadd",
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    oov: str = "skip",
    epsilon: float = 1e-3,
    device: str | None = None,
    exact: bool = True,
    tol: float = DEFAULT_TOL,
    threads: int | None = None,
    misses: int = 25,
):
    """Accuracy on an analogy set; by default the same counts as gensim's ``evaluate_word_analogies``.

    Args:
        wv: a :class:`~textemb.vectors.WordVectors` (rows ordered by frequency, as usual).
        dataset: ``google`` (gensim's questions-words.txt) or a path in the same format.
        method: ``3cosadd`` (gensim's) or ``3cosmul``.
        restrict_vocab: only the first N words are candidates and known words (gensim: 300,000);
            ``None`` (or 0) for the whole vocabulary.
        case_insensitive: match words upper-cased, the most frequent spelling winning (gensim).
        oov: ``skip`` questions with unknown words (gensim), or count them ``wrong``.
        epsilon: the 3CosMul denominator guard (Levy & Goldberg use 0.001; gensim's ``most_similar_cosmul``
            hard-codes 1e-6, and with 1e-6 the counts equal gensim's question by question).
        device: ``cpu`` (numpy/BLAS, default) or a torch device (``cuda``, ``mps``).
        exact: re-check near ties with gensim's arithmetic (turn off only to time the fast path).
        tol: the score gap under which a decision counts as a near tie.
        threads: CPU worker threads (default: the CPU count, at most 4).
        misses: how many of the most confident wrong answers to keep.
    """
    wv = as_word_vectors(wv)
    _check_options(method, oov, restrict_vocab)
    ref = resolve_dataset(dataset, "analogy")
    device = kernels.resolve_device(device or getattr(wv, "device", "cpu"))
    started = time.perf_counter()
    n = len(wv) if not restrict_vocab else min(restrict_vocab, len(wv))
    sections, skipped_lines = read_analogies(ref.path)
    vocab, word_keys = _vocab_keys(wv.words, n, case_insensitive)
    qs = map_questions(sections, vocab, case_insensitive)
    known = (qs.rows >= 0).all(axis=1)
    scorer = _Scorer(wv, n, method, epsilon, device, threads or min(4, os.cpu_count() or 1))
    correct = np.zeros(len(qs.text), dtype=bool)
    rechecked = 0
    if known.any():
        keys = _Keys.build(word_keys, vocab)
        correct[known], rechecked = scorer.classify(qs.rows[known], keys, tol if exact else 0.0)
    miss_rows = worst_misses(scorer, wv, qs, known, correct, misses) if known.any() else []
    return build_result(wv, ref, qs, known, correct, miss_rows, skipped_lines, dict(
        method=method, restrict_vocab=restrict_vocab or None, candidates=n, case_insensitive=case_insensitive,
        oov=oov, epsilon=epsilon if method == "3cosmul" else None, device=device, exact_tie_check=exact,
        tol=tol, near_ties_rechecked=rechecked, threads=scorer.threads, ngram_words=len(wv.ngram_words),
        scored_fraction=round(scorer.scored / max(1, int(known.sum()) * n), 4),
        elapsed_s=round(time.perf_counter() - started, 4)))


def _check_options(method: str, oov: str, restrict_vocab: int | None) -> None:
    if method not in METHODS:
        raise InputError(f"unknown analogy method {method!r}: use one of {', '.join(METHODS)}")
    if oov not in OOV_POLICIES:
        raise InputError(f"oov must be one of {OOV_POLICIES}, got {oov!r}")
    if restrict_vocab is not None and restrict_vocab < 0:
        raise InputError(f"restrict_vocab must be a positive number of words, or 0/None for all, got {restrict_vocab}")


# ------------------------------------------------------------------------------ vocabulary
def as_word_vectors(obj):
    """``obj`` itself if it is word vectors, else its ``word_vectors()`` (contextual models, averaging)."""
    from textemb.encoders.capabilities import word_vectors_of

    return word_vectors_of(obj, needed_by="a word-level benchmark")


def ok_vocab(words: Sequence[str], n: int, case_insensitive: bool) -> dict[str, int]:
    """gensim's ``ok_vocab``: key -> row over the first ``n`` words; the first spelling wins."""
    return _vocab_keys(words, n, case_insensitive)[0]


def _vocab_keys(words: Sequence[str], n: int, case_insensitive: bool) -> tuple[dict[str, int], list[str]]:
    """``ok_vocab`` and the key of each of the first ``n`` words (upper-cased once)."""
    keys = [w.upper() for w in words[:n]] if case_insensitive else list(words[:n])
    return dict(zip(reversed(keys), range(n - 1, -1, -1))), keys


def map_questions(sections: list[AnalogySection], vocab: dict[str, int], case_insensitive: bool) -> Questions:
    """Each question's words as keys (upper-cased when case-insensitive) and their rows."""
    text, section, rows = [], [], []
    for index, s in enumerate(sections):
        for q in s.questions:
            keys = [w.upper() for w in q] if case_insensitive else list(q)
            text.append(tuple(keys) if case_insensitive else q)
            section.append(index)
            rows.append([vocab.get(k, -1) for k in keys])
    return Questions(sections, np.asarray(section, dtype=np.int64), text,
                     np.asarray(rows, dtype=np.int64).reshape(-1, 4))


@dataclass
class _Keys:
    """Each candidate row's key (the row its spelling maps to), and the rows sharing a key with another."""

    key_of_row: np.ndarray  # (n,)
    shared: np.ndarray  # (n,) bool: rows that share their key; collected, never settle a question alone
    spellings: dict[int, np.ndarray]  # key -> the other rows spelled that way

    @classmethod
    def build(cls, word_keys: list[str], vocab: dict[str, int]) -> "_Keys":
        n = len(word_keys)
        if len(vocab) == n:  # no two words share a key
            key_of_row = np.arange(n, dtype=np.int64)
        else:
            key_of_row = np.fromiter(map(vocab.__getitem__, word_keys), dtype=np.int64, count=n)
        variant_rows = np.flatnonzero(key_of_row != np.arange(n))
        spellings: dict[int, list[int]] = {}
        for r in variant_rows:
            spellings.setdefault(int(key_of_row[r]), []).append(int(r))
        shared = np.zeros(n, dtype=bool)
        shared[variant_rows] = True
        shared[list(spellings)] = True
        return cls(key_of_row, shared, {k: np.asarray(v, dtype=np.int64) for k, v in spellings.items()})

    def of(self, rows: np.ndarray) -> np.ndarray:
        """Keys of candidate rows (-1 stays -1)."""
        return np.where(rows >= 0, self.key_of_row[np.maximum(rows, 0)], -1)


# ------------------------------------------------------------------------------ classification
class _Scorer:
    """Decides each question: the kernel's pruned scan, then gensim's arithmetic for near ties."""

    def __init__(self, wv, n: int, method: str, epsilon: float, device: str, threads: int) -> None:
        self.method, self.epsilon, self.n, self.device, self.threads = method, float(epsilon), n, device, threads
        self.vectors = wv.vectors
        self._norms: np.ndarray | None = None
        unit = getattr(wv, "unit_vectors", None)  # vectors[i] / norm[i] in float32, as gensim's get_vector(norm=True)
        if unit is None or unit.shape != wv.vectors.shape:
            unit = np.asarray(wv.vectors) / np.where(self.norms == 0, 1, self.norms)[:, None]
        self.unit = np.ascontiguousarray(unit[:n], dtype=np.float32)
        self.scored = 0  #: (question, candidate) scores the kernel computed

    @property
    def norms(self) -> np.ndarray:
        """gensim's ``norms``: ``np.linalg.norm(vectors, axis=1)`` over the whole matrix (float32), when needed."""
        if self._norms is None:
            self._norms = np.linalg.norm(np.asarray(self.vectors), axis=1)
        return self._norms

    def scores_of(self, questions: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Kernel score of one candidate per question (rows of a, b, c)."""
        return kernel.scores_of(self.unit, questions, candidates, self.method, self.epsilon)

    def top(self, questions: np.ndarray, k: int = KEEP) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best candidates of a few questions (for reports)."""
        return kernel.top_candidates(self.unit, questions, k, method=self.method, epsilon=self.epsilon)

    def classify(self, rows: np.ndarray, keys: _Keys, tol: float) -> tuple[np.ndarray, int]:
        """Correct or not for each question (rows of a, b, c, expected), and how many near ties were re-checked."""
        expected = rows[:, 3]
        s_expected = self._expected_scores(rows, keys)
        slack = tol * np.maximum(1.0, np.abs(s_expected))
        lo, hi = (s_expected - slack).astype(np.float32), (s_expected + slack).astype(np.float32)
        odd = (expected == rows[:, 0]) | (expected == rows[:, 1]) | (expected == rows[:, 2])  # exact path only
        todo = np.flatnonzero(~odd)
        unit = self.unit if self.device == "cpu" else kernels.to_device_matrix(self.unit, self.device)
        found = kernel.scan(unit, rows[todo], lo[todo], hi[todo], method=self.method, epsilon=self.epsilon,
                            special=keys.shared, threads=self.threads,
                            chunk=kernel.CHUNK if self.device == "cpu" else 1 << 17)
        self.scored += found.scored
        open_q = todo[~found.beaten]
        # every open question's list: its expected row plus the collected candidates near or above s*
        question = np.concatenate([open_q, todo[found.question]])
        row = np.concatenate([expected[open_q], found.row])
        score = np.concatenate([s_expected[open_q].astype(np.float32), found.score])
        keep = ~found.beaten[np.searchsorted(todo, question)]
        correct, ambiguous = self._settle(rows, keys, question[keep], row[keep], score[keep], open_q, tol)
        ambiguous = np.concatenate([np.flatnonzero(odd), ambiguous]).astype(np.int64)
        for q in ambiguous:
            top_rows, _ = reference_top(self.vectors, self.norms, self.n, tuple(int(x) for x in rows[q, :3]),
                                        self.method, self.epsilon)
            correct[q] = decide(keys.of(top_rows)[None, :], rows[q : q + 1])[1][0] == expected[q]
        return correct, len(ambiguous)

    def _expected_scores(self, rows: np.ndarray, keys: _Keys) -> np.ndarray:
        """Kernel score of each question's expected word; its best spelling when several share the key."""
        scores = self.scores_of(rows[:, :3], rows[:, 3])
        for q in np.flatnonzero(np.isin(rows[:, 3], list(keys.spellings))):
            others = keys.spellings[int(rows[q, 3])]
            same = np.repeat(rows[q : q + 1, :3], len(others), axis=0)
            scores[q] = max(scores[q], float(self.scores_of(same, others).max()))
        return scores

    def _settle(self, rows, keys: _Keys, question, row, score, open_q, tol) -> tuple[np.ndarray, np.ndarray]:
        """Decide the open questions from their collected candidates; return (correct, near ties to re-check)."""
        correct = np.zeros(len(rows), dtype=bool)
        order = np.lexsort((row, -score, question))
        question, row, score = question[order], row[order], score[order]
        starts = np.searchsorted(question, open_q)
        ends = np.searchsorted(question, open_q, side="right")
        alone = ends - starts == 1  # only the expected answer is near the top: correct
        correct[open_q[alone]] = True
        ambiguous = []
        for q, first, last in zip(open_q[~alone], starts[~alone], ends[~alone]):
            top_rows = np.full((1, KEEP), -1, dtype=np.int64)
            top_scores = np.full((1, KEEP), -np.inf, dtype=np.float32)
            size = min(KEEP, last - first)
            top_rows[0, :size], top_scores[0, :size] = row[first : first + size], score[first : first + size]
            place, key = decide(keys.of(top_rows), rows[q : q + 1])
            if tol > 0 and near_ties(top_scores, place, tol)[0]:
                ambiguous.append(q)
            else:
                correct[q] = key[0] == rows[q, 3]
        return correct, np.asarray(ambiguous, dtype=np.int64)
