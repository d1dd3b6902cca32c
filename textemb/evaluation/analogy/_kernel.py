"""The analogy scoring kernel: 3CosAdd / 3CosMul scores of candidate words, scanned with exact pruning.

Scores (Levy & Goldberg 2014), ``cos_x`` = cosine of a candidate with question word x, ``cos' = (cos + 1) / 2``:

- 3CosAdd: ``(cos_b - cos_a + cos_c) / |u_b - u_a + u_c|``  (= cos(candidate, b - a + c), gensim's ranking)
- 3CosMul: ``cos'_b / (cos'_a + eps) * cos'_c``

Both are ``combine(pair_part(cos_a, cos_b), c_part(cos_c))``: a part that depends only on the pair (a, b) and
a part that depends only on c. The Google set has 19,544 questions but only ~900 distinct words, 549
distinct (a, b) pairs and 474 distinct c words, so each block of candidates meets the distinct question
words in one matrix multiply (no matrix multiply per question), and the pair and c parts are computed
once per distinct pair / word, not once per question.

Pruning, and why it is exact. Candidates are cut into blocks of ``BLOCK`` rows. For every block the
kernel keeps the maximum pair part of each pair and the maximum c part of each c word; ``combine`` of the
two maxima bounds every score of a question in that block, because ``combine`` is non-decreasing in both
arguments and IEEE rounding is monotone, so the bound holds for the float32 scores as computed, not only
for real numbers. A question only needs the candidates scoring at least ``lo`` (its expected word's score
minus the tie tolerance): a block whose bound is under ``lo`` is skipped without scoring it. A question is
settled wrong as soon as a candidate beats ``hi`` (expected score plus tolerance); only still-open
questions meet later blocks. On GloVe 6B 50d (restrict_vocab=300000) the scan scores 1.2% (3CosAdd) /
3.6% (3CosMul) of the (question, candidate) pairs of a full scan; most of the time left is the one matrix
multiply of the ~1,000 distinct pair / c vectors with every candidate. Kernel scores differ from gensim's
float32 arithmetic in the last bits only; the caller re-checks decisions closer than its tolerance with
gensim's own arithmetic (:mod:`textemb.evaluation.analogy._exact`).

numpy on the CPU (candidate chunks shared between threads, BLAS single-threaded meanwhile) and torch on a
device run the same code; only the handful of operations spelled differently go through ``_Ops``.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

METHODS = ("3cosadd", "3cosmul")
BLOCK = 64  #: candidate rows per pruning block
CHUNK = 4096  #: candidate rows per matrix multiply (a multiple of BLOCK)
FIRST_CHUNK = 1024  #: the first, most frequent rows settle most wrong questions, so they go first alone
QUESTION_BATCH = 1024  #: questions bounded and scored together (limits memory)


# ------------------------------------------------------------------------------ the formula, written once
def pair_part(cos_a: Any, cos_b: Any, method: str, epsilon: float) -> Any:
    """The (a, b) part of the score: ``cos_b - cos_a`` (3CosAdd) or ``cos'_b / (cos'_a + eps)`` (3CosMul)."""
    if method == "3cosadd":
        return cos_b - cos_a
    return _shifted(cos_b) / (_shifted(cos_a) + epsilon)


def c_part(cos_c: Any, method: str) -> Any:
    """The c part of the score: ``cos_c`` (3CosAdd) or ``cos'_c`` (3CosMul)."""
    return cos_c if method == "3cosadd" else _shifted(cos_c)


def combine(pair: Any, c: Any, inv_norm: Any, method: str) -> Any:
    """The score from its two parts; non-decreasing in both (what makes the block bound valid)."""
    if method == "3cosadd":
        return (pair + c) * inv_norm
    return pair * c


def _shifted(cos: Any) -> Any:
    """``(cos + 1) / 2`` clipped at 0, so rounding below -1 cannot make a part negative."""
    out = (cos + 1.0) * 0.5
    return out.clip(min=0.0) if hasattr(out, "clip") else max(out, 0.0)


def inverse_query_norms(unit: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``1 / |u_b - u_a + u_c|`` per question (float32): 3CosAdd's normalization."""
    q = unit[b] - unit[a] + unit[c]
    return (1.0 / np.maximum(np.linalg.norm(q, axis=1), np.float32(1e-30))).astype(np.float32)


def scores_of(unit: np.ndarray, questions: np.ndarray, candidates: np.ndarray, method: str, epsilon: float) -> np.ndarray:
    """Score of one candidate row per question (``questions``: rows of a, b, c)."""
    a, b, c = (questions[:, k] for k in range(3))
    cos = [np.einsum("ij,ij->i", unit[candidates], unit[x]) for x in (a, b, c)]
    return combine(pair_part(cos[0], cos[1], method, epsilon), c_part(cos[2], method),
                   inverse_query_norms(unit, a, b, c), method)


def top_candidates(unit: np.ndarray, questions: np.ndarray, k: int, *, method: str, epsilon: float,
                   candidates: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best candidate rows of a few questions by scoring every candidate (best first, ties by row).

    For reports and single questions (``WordVectors.analogy``): one matrix multiply for all their words.
    Only the first ``candidates`` rows compete; a question's own words never do. Pads with -1 / -inf.
    """
    n = unit.shape[0] if candidates is None else min(candidates, unit.shape[0])
    words, pos = np.unique(questions, return_inverse=True)
    pos = pos.reshape(-1, 3)
    cos = unit[words] @ unit[:n].T  # (distinct words, candidates)
    inv = inverse_query_norms(unit, *(questions[:, j] for j in range(3)))
    top_rows = np.full((len(questions), k), -1, dtype=np.int64)
    top_scores = np.full((len(questions), k), -np.inf, dtype=np.float32)
    for i, (a, b, c) in enumerate(pos):
        score = combine(pair_part(cos[a], cos[b], method, epsilon), c_part(cos[c], method), inv[i], method)
        own = questions[i][questions[i] < n]
        score[own] = -np.inf
        best = np.argpartition(-score, k - 1)[:k] if k < n else np.arange(n)
        best = best[np.lexsort((best, -score[best]))][:k]
        best = best[np.isfinite(score[best])]
        top_rows[i, : len(best)], top_scores[i, : len(best)] = best, score[best]
    return top_rows, top_scores


# ------------------------------------------------------------------------------ the question layout
@dataclass
class _Layout:
    """Distinct words / pairs / c words of a question set, and each question's index into them."""

    words: np.ndarray  # (w,) candidate rows of the distinct question words
    pair_words: np.ndarray  # (p, 2) positions in ``words`` of each distinct pair's a and b
    c_words: np.ndarray  # (k,) positions in ``words`` of the distinct c words
    question_pair: np.ndarray  # (m,) index into pair_words
    question_c: np.ndarray  # (m,) index into c_words


def _layout(questions: np.ndarray) -> _Layout:
    words, pos = np.unique(questions[:, :3], return_inverse=True)
    pos = pos.reshape(-1, 3)
    pairs, question_pair = np.unique(pos[:, :2], axis=0, return_inverse=True)
    c_words, question_c = np.unique(pos[:, 2], return_inverse=True)
    return _Layout(words, pairs, c_words, question_pair.ravel(), question_c.ravel())


@dataclass
class ScanResult:
    """What a scan found: questions beaten beyond ``hi``, and every (question, row, score) at or above ``lo``."""

    beaten: np.ndarray  # (m,) bool
    question: np.ndarray  # collected triples
    row: np.ndarray
    score: np.ndarray
    scored: int  # (question, candidate) scores computed: the work left after pruning


# ------------------------------------------------------------------------------ the scan
def scan(
    unit: Any,
    questions: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    method: str,
    epsilon: float,
    special: np.ndarray | None = None,
    threads: int = 1,
    chunk: int = CHUNK,
) -> ScanResult:
    """Every candidate of every question scoring at least ``lo``; questions beaten above ``hi`` stop early.

    Args:
        unit: unit-length candidate vectors (numpy array, or a torch tensor on its device).
        questions: (m, 4) rows of a, b, c and the expected word; these four rows are never candidates.
        lo, hi: per-question float32 thresholds; a plain candidate above ``hi`` settles the question.
        special: bool per candidate row; such rows are collected but never settle a question.
        threads: CPU worker threads, each taking its share of the candidate chunks.
    """
    m, n = len(questions), unit.shape[0]
    layout = _layout(questions)
    ops = _Ops.of(unit)
    inv_norm = np.ones(m, np.float32)
    if method == "3cosadd":
        word_vectors = ops.numpy(unit[ops.index(layout.words)])
        inv_norm = inverse_query_norms(word_vectors, *(np.searchsorted(layout.words, questions[:, k]) for k in range(3)))
    state = _Scan(ops, unit, questions, layout, (lo, hi, inv_norm), method, float(epsilon),
                  np.zeros(n, bool) if special is None else special)
    first = min(n, FIRST_CHUNK)
    state.run([(0, first)], np.arange(m))
    starts = list(range(first, n, chunk))
    rest = [(s, min(n, s + chunk)) for s in starts]
    open_questions = np.flatnonzero(~state.beaten)
    if ops.is_torch or threads <= 1 or len(rest) < 2:
        state.run(rest, open_questions)
    else:
        _in_threads(state, rest, open_questions, threads)
    return state.result()


def _in_threads(state: "_Scan", spans: list[tuple[int, int]], open_questions: np.ndarray, threads: int) -> None:
    """Split the candidate chunks round-robin between worker threads (BLAS single-threaded meanwhile)."""
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            state.run(spans[k::threads], open_questions)
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    with _single_threaded_blas():
        pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    if errors:
        raise errors[0]


class _Scan:
    """State of one scan: thresholds, what is beaten, what was collected (shared by the worker threads)."""

    def __init__(self, ops: "_Ops", unit: Any, questions: np.ndarray, layout: _Layout,
                 thresholds: tuple[np.ndarray, np.ndarray, np.ndarray], method: str, epsilon: float,
                 special: np.ndarray) -> None:
        self.ops, self.unit, self.questions, self.layout = ops, unit, questions, layout
        self.lo, self.hi, self.inv_norm = (np.asarray(t, dtype=np.float32) for t in thresholds)
        self.method, self.epsilon = method, epsilon
        self.special = np.concatenate([special, np.zeros(BLOCK, bool)])  # padded for the last block
        self.special_before = np.concatenate([[0], np.cumsum(self.special)])  # shared rows before each row
        self.word_vectors = unit[ops.index(layout.words)]
        self.pair_vectors = None
        if method == "3cosadd":  # pair_part is linear here: apply it to the vectors, stacked with the c vectors
            w = self.word_vectors
            pairs = pair_part(w[ops.index(layout.pair_words[:, 0])], w[ops.index(layout.pair_words[:, 1])], method, 0.0)
            stacked = [pairs, c_part(w[ops.index(layout.c_words)], method)]
            self.pair_vectors = np.concatenate(stacked) if not ops.is_torch else ops.torch.cat(stacked)
        self.beaten = np.zeros(len(questions), bool)
        self.found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.scored = 0
        self._lock = threading.Lock()

    def run(self, spans: list[tuple[int, int]], question_ids: np.ndarray) -> None:
        """Scan the candidate rows ``[start, stop)`` of each span for the questions not beaten yet."""
        for start, stop in spans:
            active = question_ids[~self.beaten[question_ids]]
            if not len(active):
                return
            parts = self._parts(start, stop)
            for i in range(0, len(active), QUESTION_BATCH):
                self._score_batch(active[i : i + QUESTION_BATCH], start, stop, parts)

    def _parts(self, start: int, stop: int):
        """Pair and c parts of every candidate in the chunk, blocked, and their per-block maxima."""
        ops, lay, block = self.ops, self.layout, self.unit[start:stop]
        if self.pair_vectors is not None:  # 3CosAdd is linear: parts straight from one matrix multiply
            both = ops.pad_columns(self.pair_vectors @ block.T, -(stop - start) % BLOCK)
            pairs, cs = both[: len(lay.pair_words)], both[len(lay.pair_words) :]
        else:
            cos = ops.pad_columns(self.word_vectors @ block.T, -(stop - start) % BLOCK)  # (distinct words, chunk)
            pairs = pair_part(cos[ops.index(lay.pair_words[:, 0])], cos[ops.index(lay.pair_words[:, 1])],
                              self.method, self.epsilon)
            cs = c_part(cos[ops.index(lay.c_words)], self.method)
        blocks = pairs.shape[1] // BLOCK
        pairs = pairs.reshape(len(lay.pair_words), blocks, BLOCK)
        cs = cs.reshape(len(lay.c_words), blocks, BLOCK)
        return pairs, cs, ops.amax(pairs, 2), ops.amax(cs, 2)

    def _score_batch(self, q: np.ndarray, start: int, stop: int, parts) -> None:
        """Bound the blocks for questions ``q``, score the surviving blocks, record what they hold."""
        ops, method = self.ops, self.method
        pairs, cs, pair_max, c_max = parts
        qp, qc = ops.index(self.layout.question_pair[q]), ops.index(self.layout.question_c[q])
        inv, lo, hi = (ops.array(x[q])[:, None] for x in (self.inv_norm, self.lo, self.hi))
        bound = combine(pair_max[qp], c_max[qc], inv, method)
        hit_q, hit_block = ops.nonzero(bound >= lo)  # the (question, block) pairs that may matter
        if not len(hit_q):
            return
        hq, hb = ops.index(hit_q), ops.index(hit_block)
        scores = combine(pairs[qp[hq], hb], cs[qc[hq], hb], inv[hq], method)  # (survivors, BLOCK)
        first_row = start + hit_block * BLOCK
        self._exclude(scores, q[hit_q], first_row, stop)
        best = ops.amax(scores, 1)
        beaten = ops.numpy(self._best_plain(scores, best, first_row) > hi[hq, 0])
        near = np.flatnonzero(ops.numpy(best >= lo[hq, 0]))  # only these blocks hold candidates to keep
        r, col = ops.nonzero(scores[ops.index(near)] >= lo[hq[ops.index(near)]])
        found = (q[hit_q[near[r]]], first_row[near[r]] + col,
                 ops.numpy(scores[ops.index(near[r]), ops.index(col)]))
        with self._lock:
            self.beaten[q[hit_q[beaten]]] = True
            self.found.append(found)
            self.scored += scores.shape[0] * BLOCK

    def _best_plain(self, scores: Any, best: Any, first_row: np.ndarray) -> Any:
        """Each block's best score among rows that do not share a key (those never settle a question)."""
        counts = self.special_before[np.minimum(first_row + BLOCK, len(self.special_before) - 1)] \
            - self.special_before[first_row]
        mixed = np.flatnonzero(counts > 0)
        if not len(mixed):
            return best
        ops = self.ops
        special = ops.index(self.special[first_row[mixed, None] + np.arange(BLOCK)])
        best = best.clone() if ops.is_torch else best.copy()
        best[ops.index(mixed)] = ops.amax(ops.where(special, float("-inf"), scores[ops.index(mixed)]), 1)
        return best

    def _exclude(self, scores: Any, q: np.ndarray, first_row: np.ndarray, stop: int) -> None:
        """Question words, the expected word and padding past ``stop`` are never candidates."""
        ops = self.ops
        for k in range(4):
            offset = self.questions[q, k] - first_row
            inside = np.flatnonzero((offset >= 0) & (offset < BLOCK))
            if len(inside):
                scores[ops.index(inside), ops.index(offset[inside])] = float("-inf")
        pad = np.flatnonzero(first_row + BLOCK > stop)
        for i in pad:
            scores[int(i), int(stop - first_row[i]):] = float("-inf")

    def result(self) -> ScanResult:
        found = self.found or [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))]
        q, row, score = (np.concatenate(x) for x in zip(*found))
        return ScanResult(self.beaten.copy(), q.astype(np.int64), row.astype(np.int64),
                          score.astype(np.float32), self.scored)


class _Ops:
    """The handful of operations where numpy and torch spell things differently."""

    def __init__(self, torch_module: Any = None, device: Any = None) -> None:
        self.torch, self.device = torch_module, device
        self.is_torch = torch_module is not None

    @classmethod
    def of(cls, x: Any) -> "_Ops":
        if isinstance(x, np.ndarray):
            return cls()
        import torch

        return cls(torch, x.device)

    def index(self, a: np.ndarray) -> Any:
        return a if not self.is_torch else self.torch.as_tensor(a, device=self.device)

    def array(self, a: np.ndarray) -> Any:
        return a if not self.is_torch else self.torch.as_tensor(a, device=self.device)

    def numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x) if not self.is_torch else x.detach().cpu().numpy()

    def amax(self, x: Any, axis: int) -> Any:
        return x.max(axis=axis) if not self.is_torch else x.amax(dim=axis)

    def nonzero(self, mask: Any) -> tuple[np.ndarray, np.ndarray]:
        if not self.is_torch:
            return np.nonzero(mask)
        i, j = self.torch.nonzero(mask, as_tuple=True)
        return i.cpu().numpy(), j.cpu().numpy()

    def where(self, mask: Any, value: float, x: Any) -> Any:
        return np.where(mask, np.float32(value), x) if not self.is_torch else self.torch.where(
            mask, self.torch.tensor(value, dtype=x.dtype, device=x.device), x)

    def pad_columns(self, x: Any, pad: int) -> Any:
        """Zero columns appended: they raise a block's bound (still a bound) and are masked when scored."""
        if not pad:
            return x
        if not self.is_torch:
            return np.pad(x, ((0, 0), (0, pad)))
        return self.torch.nn.functional.pad(x, (0, pad))


@contextlib.contextmanager
def _single_threaded_blas():
    """Limit BLAS to one thread while our own worker threads run (threadpoolctl if installed)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield
