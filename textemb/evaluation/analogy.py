"""Word analogies (a : b :: c : ?) evaluated in batches, exactly as gensim counts them.

Methods (Levy & Goldberg 2014), with cos'(x, y) = (cos(x, y) + 1) / 2:

- ``3cosadd``: argmax_d cos(d, b - a + c)  (gensim's ``most_similar(positive=[b, c], negative=[a])``)
- ``3cosmul``: argmax_d cos'(d, b) * cos'(d, c) / (cos'(d, a) + epsilon)

How it is fast *and* exact. All questions are scored against blocks of 4,096 candidate words
with one matrix multiply per block (3CosMul: one multiply for the question words, then gathers),
never one question at a time. The expected answer's score s* is known up front, so a question is
settled as wrong as soon as some candidate beats s* by more than ``tol`` (usually in the first,
most frequent block) and only still-open questions meet later blocks; candidates within ``tol``
of s* are collected. Approximate scores differ from gensim's float32 arithmetic in the last bits
only, so a question whose decision rests on two candidates closer than ``tol`` is re-scored with
gensim's own arithmetic (float32 unit vectors, mean of the weighted unit vectors in gensim's order,
float64 re-normalisation, ``dot(vectors, mean) / norms``, gensim's ``argsort`` tie order). The
result equals gensim's ``evaluate_word_analogies`` question by question. On a torch device the
same blocks keep a running top-6 per question instead (``torch.topk``).

gensim's conventions (the defaults): only the first ``restrict_vocab`` words are candidates
and a question with a word outside them is out of vocabulary; case-insensitive matching
upper-cases vocabulary and question words, the most frequent spelling winning; the answer is
the first of the 5 best candidates that is not a question word.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textemb import kernels
from textemb.errors import InputError
from textemb.evaluation.datasets import AnalogySection, read_analogies, resolve_dataset
from textemb.evaluation.result import EvalResult, encoder_spec, library_versions

METHODS = ("3cosadd", "3cosmul")
OOV_POLICIES = ("skip", "wrong")
TOPN = 5  #: gensim looks at the 5 best candidates (after removing the question words)
KEEP = TOPN + 1  #: one more, to see whether the 5th place is a near tie
DEFAULT_TOL = 3e-5  #: score gaps below this are re-checked with gensim's exact arithmetic


@dataclass
class _Questions:
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
) -> EvalResult:
    """Accuracy on an analogy set; by default the same counts as gensim's ``evaluate_word_analogies``.

    Args:
        wv: a :class:`~textemb.vectors.WordVectors` (rows ordered by frequency, as usual).
        dataset: ``google`` (gensim's questions-words.txt) or a path in the same format.
        method: ``3cosadd`` (gensim's) or ``3cosmul``.
        restrict_vocab: only the first N words are candidates and known words (gensim: 300,000);
            ``None`` for the whole vocabulary.
        case_insensitive: match words upper-cased, the most frequent spelling winning (gensim).
        oov: ``skip`` questions with unknown words (gensim), or count them ``wrong``.
        epsilon: the 3CosMul denominator guard (Levy & Goldberg use 0.001).
        device: ``cpu`` (numpy/BLAS, default) or a torch device (``cuda``, ``mps``).
        exact: re-check near ties with gensim's arithmetic (turn off only to time the fast path).
        tol: the score gap under which a decision counts as a near tie.
        threads: CPU worker threads (default: up to 4).
        misses: how many of the most confident wrong answers to keep.
    """
    wv = as_word_vectors(wv)
    if method not in METHODS:
        raise InputError(f"unknown analogy method {method!r}: use one of {', '.join(METHODS)}")
    if oov not in OOV_POLICIES:
        raise InputError(f"oov must be one of {OOV_POLICIES}, got {oov!r}")
    if restrict_vocab is not None and restrict_vocab < 1:
        raise InputError(f"restrict_vocab must be a positive number of words or None, got {restrict_vocab}")
    ref = resolve_dataset(dataset, "analogy")
    device = kernels.resolve_device(device or getattr(wv, "device", "cpu"))
    t0 = time.perf_counter()
    n = len(wv) if restrict_vocab is None else min(restrict_vocab, len(wv))
    sections, skipped_lines = read_analogies(ref.path)
    ok = ok_vocab(wv.words, n, case_insensitive)
    qs = _map_questions(sections, ok, case_insensitive)
    known = (qs.rows >= 0).all(axis=1)
    rows = qs.rows[known]
    correct_known = np.zeros(len(rows), dtype=bool)
    n_exact = 0
    scorer = None
    if len(rows):
        scorer = _Scorer(wv, n, method, epsilon, device, threads)
        if device == "cpu":
            correct_known, n_exact = scorer.classify(rows, ok, case_insensitive, tol if exact else 0.0)
        else:
            topi, topv = scorer.top_candidates(rows[:, 0], rows[:, 1], rows[:, 2])
            canon = _canonical(topi, wv.words, ok, case_insensitive)
            j, p = _decide(canon, rows)
            if exact:
                ambiguous = np.flatnonzero(_near_ties(topv, j, tol))
                for q in ambiguous:
                    topi[q], topv[q] = scorer.reference(*rows[q, :3])
                if len(ambiguous):
                    canon[ambiguous] = _canonical(topi[ambiguous], wv.words, ok, case_insensitive)
                    j[ambiguous], p[ambiguous] = _decide(canon[ambiguous], rows[ambiguous])
                n_exact = len(ambiguous)
            correct_known = p == rows[:, 3]
    correct = np.zeros(len(qs.text), dtype=bool)
    correct[known] = correct_known
    miss_rows = _worst_misses(scorer, wv, qs, known, correct, misses) if scorer is not None else []
    elapsed = time.perf_counter() - t0
    return _build_result(wv, ref, qs, known, correct, miss_rows, skipped_lines, dict(
        method=method, restrict_vocab=restrict_vocab, candidates=n, case_insensitive=case_insensitive,
        oov=oov, epsilon=epsilon if method == "3cosmul" else None, device=device, exact_tie_check=exact,
        tol=tol, near_ties_rechecked=n_exact,
        scored_fraction=round(scorer.scored / max(1, len(rows) * n), 4) if scorer is not None and device == "cpu" else None,
        elapsed_s=round(elapsed, 4)))


# ------------------------------------------------------------------------------ vocabulary
def as_word_vectors(obj):
    """``obj`` itself if it has a vocabulary and vectors, else ``obj.word_vectors()`` (contextual models)."""
    if hasattr(obj, "words") and hasattr(obj, "vectors"):
        return obj
    as_wv = getattr(obj, "word_vectors", None)
    if callable(as_wv):
        return as_wv()
    raise InputError(f"{type(obj).__name__} has no word vectors: word-level benchmarks need a WordVectors "
                     "or an encoder with a word_vectors() method")


def ok_vocab(words: Sequence[str], n: int, case_insensitive: bool) -> dict[str, int]:
    """gensim's ``ok_vocab``: key -> row over the first ``n`` words; the first spelling wins."""
    head = words[:n]
    if case_insensitive:
        return dict(zip((w.upper() for w in reversed(head)), range(n - 1, -1, -1)))
    return dict(zip(head, range(n)))


def _map_questions(sections: list[AnalogySection], ok: dict[str, int], ci: bool) -> _Questions:
    text, sec, rows = [], [], []
    for s_i, s in enumerate(sections):
        for q in s.questions:
            keys = [w.upper() for w in q] if ci else list(q)
            text.append(tuple(keys) if ci else q)
            sec.append(s_i)
            rows.append([ok.get(k, -1) for k in keys])
    return _Questions(sections, np.asarray(sec, dtype=np.int64), text,
                      np.asarray(rows, dtype=np.int64).reshape(-1, 4))


def _canonical(topi: np.ndarray, words: Sequence[str], ok: dict[str, int], ci: bool) -> np.ndarray:
    """Each candidate row's key id (the row its upper-cased spelling maps to; -1 for no candidate)."""
    if not ci:
        return topi.copy()
    out = np.full(topi.shape, -1, dtype=np.int64)
    valid = topi >= 0
    uniq, inv = np.unique(topi[valid], return_inverse=True)
    mapped = np.fromiter((ok[words[r].upper()] for r in uniq), dtype=np.int64, count=len(uniq))
    out[valid] = mapped[inv]
    return out


def _decide(canon: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """gensim's answer selection over the 5 best candidates (question words by index already gone).

    The answer is the first candidate whose key is not a question word; if all are, gensim
    keeps the last one it looked at. Returns (position, predicted key id), -1 when none.
    """
    c = canon[:, :TOPN]
    present = c >= 0
    allowed = present & (c != rows[:, 0:1]) & (c != rows[:, 1:2]) & (c != rows[:, 2:3])
    has = allowed.any(axis=1)
    first = np.argmax(allowed, axis=1)
    last = present.sum(axis=1) - 1
    j = np.where(has, first, last)
    pred = np.where(j >= 0, np.take_along_axis(c, np.maximum(j, 0)[:, None], axis=1)[:, 0], -1)
    return j, pred


def _near_ties(topv: np.ndarray, j: np.ndarray, tol: float) -> np.ndarray:
    """Questions where a gap between consecutive candidates up to place j+1 is under ``tol``."""
    with np.errstate(invalid="ignore"):
        gaps = topv[:, :-1] - topv[:, 1:]  # place i vs i+1; -inf rows give nan/inf, never < tol
        scale = np.maximum(1.0, np.abs(topv[:, :-1]))
        upto = np.arange(gaps.shape[1])[None, :] <= j[:, None]
        return ((gaps < tol * scale) & upto).any(axis=1)


# ------------------------------------------------------------------------------ scoring
class _Scorer:
    """Top-``KEEP`` candidates of many questions (fast path) and gensim's exact path for one."""

    def __init__(self, wv, n: int, method: str, epsilon: float, device: str, threads: int | None):
        self.method, self.eps, self.n, self.device = method, float(epsilon), n, device
        self.vectors = wv.vectors
        self._norms: np.ndarray | None = None
        unit = getattr(wv, "unit_vectors", None)  # vectors[i] / norm[i] in float32, as gensim's get_vector(norm=True)
        if unit is None or unit.shape != wv.vectors.shape:
            unit = np.asarray(wv.vectors) / np.where(self.norms == 0, 1, self.norms)[:, None]
        self.unit = np.ascontiguousarray(unit[:n], dtype=np.float32)
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._words = wv.words
        self._variants: dict[int, np.ndarray] = {}
        self.scored = 0  #: (question, candidate) scores computed by the fast path

    @property
    def norms(self) -> np.ndarray:
        """gensim's ``norms``: ``np.linalg.norm(vectors, axis=1)`` over the whole matrix (float32)."""
        if self._norms is None:
            self._norms = np.linalg.norm(np.asarray(self.vectors), axis=1)
        return self._norms

    # -------------------------------------------------------------- fast path
    def top_candidates(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the ``KEEP`` best candidates per question, best first (-1/-inf padding)."""
        words, inv = np.unique(np.concatenate([a, b, c]), return_inverse=True)
        pa, pb, pc = inv.reshape(3, -1)
        uw = np.ascontiguousarray(self.unit[words])
        if self.device != "cpu":
            topi, topv = _top_torch(self.unit, uw, pa, pb, pc, (a, b, c), self.method, self.eps, self.device)
        else:
            topi, topv = self._top_numpy(uw, pa, pb, pc, (a, b, c))
        return topi, topv

    def classify(self, rows: np.ndarray, ok: dict[str, int], ci: bool, tol: float) -> tuple[np.ndarray, int]:
        """Correct or not, for each question (rows of a, b, c, expected), and how many near ties were re-checked.

        The expected answer's score ``s*`` is known up front, so a question is settled wrong as
        soon as any plain candidate beats ``s*`` by more than ``tol`` (usually in the first,
        most frequent block), and only questions still open are scored against later blocks.
        Candidates whose upper-cased key is shared with another row ("special" rows) are
        tracked separately so gensim's ignore-set rule is applied exactly.
        """
        m, n, words = len(rows), self.n, self._words
        canon_all, special = self._canon(ok, ci)
        ia, ib, ic, ie = (np.ascontiguousarray(rows[:, k]) for k in range(4))
        s_exp = self.scores_of(ia, ib, ic, ie)
        for q in np.flatnonzero(np.isin(ie, list(self._variants))):  # other spellings of the expected word
            var = self._variants[int(ie[q])]
            s_exp[q] = max(s_exp[q], float(self.scores_of(*(np.full(len(var), x) for x in (ia[q], ib[q], ic[q])), var).max()))
        slack = tol * np.maximum(1.0, np.abs(s_exp))
        lo, hi = (s_exp - slack).astype(np.float32), (s_exp + slack).astype(np.float32)
        odd = (ie == ia) | (ie == ib) | (ie == ic)  # expected is a question word: exact path only
        todo = np.flatnonzero(~odd)
        nthreads = max(1, min(self.threads, len(todo) // 256 + 1))
        parts = np.array_split(todo, nthreads)
        results: list[tuple] = [None] * nthreads  # type: ignore[list-item]
        errors: list[BaseException] = []

        def work(k: int) -> None:
            try:
                results[k] = self._scan(parts[k], rows, lo, hi, special)
            except BaseException as exc:  # re-raised in the caller
                errors.append(exc)

        with _single_threaded_blas():  # our threads split the questions; BLAS threads would only contend
            pool = [threading.Thread(target=work, args=(k,)) for k in range(nthreads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
        if errors:
            raise errors[0]
        correct = np.zeros(m, dtype=bool)
        settled = np.zeros(m, dtype=bool)
        cand_q, cand_r, cand_v = [], [], []
        for beaten, cq, cr, cv in results:
            settled[beaten] = True
            cand_q.append(cq), cand_r.append(cr), cand_v.append(cv)
        open_q = np.flatnonzero(~settled & ~odd)
        # every open question's list: its expected row plus the collected candidates near or above s*
        cq = np.concatenate([open_q, *cand_q])
        cr = np.concatenate([ie[open_q], *cand_r])
        cv = np.concatenate([s_exp[open_q].astype(np.float32), *cand_v])
        order = np.lexsort((cr, -cv, cq))
        cq, cr, cv = cq[order], cr[order], cv[order]
        starts = np.searchsorted(cq, open_q)
        ends = np.searchsorted(cq, open_q, side="right")
        ambiguous = list(np.flatnonzero(odd))
        for q, a_, b_ in zip(open_q, starts, ends):
            if b_ - a_ == 1:  # only the expected answer is near the top: correct
                correct[q] = True
                continue
            top_r, top_v = cr[a_:b_][: KEEP], cv[a_:b_][: KEEP]
            topi = np.full((1, KEEP), -1, dtype=np.int64)
            topv = np.full((1, KEEP), -np.inf, dtype=np.float32)
            topi[0, : len(top_r)], topv[0, : len(top_v)] = top_r, top_v
            canon = np.where(topi >= 0, canon_all[np.maximum(topi, 0)], -1)
            j, p = _decide(canon, rows[q : q + 1])
            if tol > 0 and _near_ties(topv, j, tol)[0]:
                ambiguous.append(q)
            else:
                correct[q] = p[0] == ie[q]
        for q in ambiguous:
            ti, tv = self.reference(int(ia[q]), int(ib[q]), int(ic[q]))
            canon = np.where(ti >= 0, canon_all[np.maximum(ti, 0)], -1)[None, :]
            correct[q] = _decide(canon, rows[q : q + 1])[1][0] == ie[q]
        return correct, len(ambiguous)

    def _canon(self, ok: dict[str, int], ci: bool) -> tuple[np.ndarray, np.ndarray]:
        """Key id of every candidate row, and the rows that share their key with another row."""
        n = self.n
        if not ci or len(ok) == n:  # no two words share an upper-cased key
            canon = np.arange(n, dtype=np.int64)
        else:
            canon = np.fromiter((ok[w.upper()] for w in self._words[:n]), dtype=np.int64, count=n)
        special = np.flatnonzero(canon != np.arange(n))
        self._variants: dict[int, np.ndarray] = {}
        for r in special:
            self._variants.setdefault(int(canon[r]), [])
            self._variants[int(canon[r])].append(int(r))
        self._variants = {k: np.asarray(v, dtype=np.int64) for k, v in self._variants.items()}
        special = np.union1d(special, np.asarray(list(self._variants), dtype=np.int64))
        return canon, special

    def _scan(self, qids: np.ndarray, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, special: np.ndarray):
        """Score the questions ``qids`` block by block, dropping each as soon as it is beaten."""
        unit, n = self.unit, self.n
        active = np.asarray(qids, dtype=np.int64)
        beaten: list[np.ndarray] = []
        got_q: list[np.ndarray] = [np.zeros(0, np.int64)]
        got_r: list[np.ndarray] = [np.zeros(0, np.int64)]
        got_v: list[np.ndarray] = [np.zeros(0, np.float32)]
        if self.method == "3cosadd":
            q_all = unit[rows[:, 1]] + unit[rows[:, 2]] - unit[rows[:, 0]]
            q_all /= np.maximum(np.linalg.norm(q_all, axis=1, keepdims=True), np.float32(1e-30))
        for vs in range(0, n, TILE):
            if not len(active):
                break
            ve = min(n, vs + TILE)
            self.scored += len(active) * (ve - vs)
            block = unit[vs:ve]
            spc = special[(special >= vs) & (special < ve)] - vs
            if self.method == "3cosmul":
                words, inv = np.unique(rows[active, :3], return_inverse=True)
                g = unit[words] @ block.T
                g += 1.0
                g *= 0.5
                inv = inv.reshape(-1, 3)
            keep = np.ones(len(active), dtype=bool)
            for cs in range(0, len(active), CHUNK):
                act = active[cs : cs + CHUNK]
                if self.method == "3cosadd":
                    s = q_all[act] @ block.T
                else:
                    li = inv[cs : cs + CHUNK]
                    s = np.take(g, li[:, 1], axis=0)
                    s *= np.take(g, li[:, 2], axis=0)
                    den = np.take(g, li[:, 0], axis=0)
                    den += self.eps
                    s /= den
                r_act = rows[act]
                for k in range(4):  # question words and the expected row itself (scored up front)
                    x = r_act[:, k]
                    hit = np.flatnonzero((x >= vs) & (x < ve))
                    s[hit, x[hit] - vs] = -np.inf
                lo_a, hi_a = lo[act], hi[act]
                if len(spc):  # rows sharing a key: always collected, never settle a question alone
                    sv = s[:, spc]
                    r_, c_ = np.nonzero(sv >= lo_a[:, None])
                    got_q.append(act[r_]), got_r.append(vs + spc[c_]), got_v.append(sv[r_, c_])
                    s[:, spc] = -np.inf
                mx = s.max(axis=1)
                won = mx > hi_a
                band = np.flatnonzero(~won & (mx >= lo_a))
                if len(band):
                    sub = s[band]
                    r_, c_ = np.nonzero(sub >= lo_a[band, None])
                    got_q.append(act[band[r_]]), got_r.append(vs + c_), got_v.append(sub[r_, c_])
                if won.any():
                    beaten.append(act[won])
                    keep[cs : cs + CHUNK] &= ~won
            active = active[keep]
        beaten_all = np.concatenate(beaten) if beaten else np.zeros(0, np.int64)
        return (beaten_all, np.concatenate(got_q), np.concatenate(got_r).astype(np.int64),
                np.concatenate(got_v).astype(np.float32))

    def _top_numpy(self, uw, pa, pb, pc, excl):
        m, n = len(pa), self.n
        nthreads = max(1, min(self.threads, n // 50_000 + 1))
        bounds = np.linspace(0, n, nthreads + 1).astype(int)
        parts: list[tuple[np.ndarray, np.ndarray] | None] = [None] * nthreads
        errors: list[BaseException] = []

        def work(k: int) -> None:
            try:
                parts[k] = _top_range(self.unit, uw, pa, pb, pc, excl, self.method, self.eps,
                                      int(bounds[k]), int(bounds[k + 1]))
            except BaseException as exc:  # re-raised in the caller
                errors.append(exc)

        if nthreads == 1:
            work(0)
        else:
            with _single_threaded_blas():
                pool = [threading.Thread(target=work, args=(k,)) for k in range(nthreads)]
                for t in pool:
                    t.start()
                for t in pool:
                    t.join()
        if errors:
            raise errors[0]
        topi = np.concatenate([p[0] for p in parts], axis=1)
        topv = np.concatenate([p[1] for p in parts], axis=1)
        order = np.lexsort((np.where(topi < 0, np.iinfo(np.int64).max, topi), -topv), axis=1)[:, :KEEP]
        return np.take_along_axis(topi, order, axis=1), np.take_along_axis(topv, order, axis=1)

    def scores_of(self, a, b, c, d) -> np.ndarray:
        """Approximate score of candidate ``d`` for each question (for reports)."""
        u = self.unit
        ca, cb, cc = (np.einsum("ij,ij->i", u[d], u[x]) for x in (a, b, c))
        if self.method == "3cosadd":
            q = u[b] + u[c] - u[a]
            return (cb + cc - ca) / np.maximum(np.linalg.norm(q, axis=1), 1e-30)
        return ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + self.eps)

    # -------------------------------------------------------------- exact path (gensim's arithmetic)
    def reference(self, a: int, b: int, c: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``KEEP`` best candidates of one question computed exactly like gensim 4.4."""
        n, vec, norms = self.n, self.vectors, self.norms
        if self.method == "3cosadd":
            mean = _gensim_mean(vec, norms, (b, c, a), (1.0, 1.0, -1.0))
            dists = np.dot(vec[:n], mean) / norms[:n]
        else:  # gensim most_similar_cosmul: ((1 + dot(vectors, unit) / norms) / 2), eq. (4)
            sims = [((1 + np.dot(vec[:n], vec[x] / norms[x]) / norms[:n]) / 2) for x in (b, c, a)]
            dists = sims[0] * sims[1] / (sims[2] + self.eps)
        best = _gensim_argsort(dists, TOPN + 3)
        keep = [int(r) for r in best if r not in (a, b, c)][:KEEP]
        rows = np.full(KEEP, -1, dtype=np.int64)
        vals = np.full(KEEP, -np.inf, dtype=np.float32)
        rows[: len(keep)] = keep
        vals[: len(keep)] = dists[keep]
        return rows, vals


def _gensim_mean(vectors, norms, keys, weights) -> np.ndarray:
    """``KeyedVectors.get_mean_vector(pre_normalize=True, post_normalize=True)`` step by step."""
    from scipy.linalg import get_blas_funcs

    w = np.asarray(weights, dtype=np.float64)
    mean = np.zeros(vectors.shape[1], dtype=np.float32)
    total = 0
    for i, k in enumerate(keys):
        mean += w[i] * (vectors[k] / norms[k])
        total += abs(w[i])
    mean = mean / total
    nrm2 = get_blas_funcs("nrm2", (np.zeros(1),))
    scal = get_blas_funcs("scal", (np.zeros(1),))
    length = nrm2(mean)
    if length > 0.0:
        mean = scal(1.0 / length, mean).astype(mean.dtype)
    return mean.astype(np.float32)


def _gensim_argsort(x: np.ndarray, topn: int) -> np.ndarray:
    """``gensim.matutils.argsort(x, topn, reverse=True)``, so exact ties break the same way."""
    x = -np.asarray(x)
    if topn >= x.size:
        return np.argsort(x)[:topn]
    most_extreme = np.argpartition(x, topn)[:topn]
    return most_extreme.take(np.argsort(x.take(most_extreme)))


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


TILE = 4096  #: candidate rows per block
CHUNK = 256  #: questions per block


def _top_range(unit, uw, pa, pb, pc, excl, method, eps, lo, hi):
    """Running top-``KEEP`` over candidate rows ``[lo, hi)`` with a per-question threshold."""
    m = len(pa)
    if method == "3cosadd":
        queries = uw[pb] + uw[pc] - uw[pa]
        queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), np.float32(1e-30))
    topv = np.full((m, KEEP), -np.inf, dtype=np.float32)
    topi = np.full((m, KEEP), -1, dtype=np.int64)
    thr = np.full(m, -np.inf, dtype=np.float32)
    for vs in range(lo, hi, TILE):
        ve = min(hi, vs + TILE)
        block = unit[vs:ve]
        if method == "3cosmul":  # (words, tile): cos' of every question word with every candidate
            g = uw @ block.T
            g += 1.0
            g *= 0.5
        for qs in range(0, m, CHUNK):
            sl = slice(qs, min(m, qs + CHUNK))
            if method == "3cosadd":  # one GEMM: cosine of each question's query with the block
                s = queries[sl] @ block.T
            else:
                s = np.take(g, pb[sl], axis=0)
                s *= np.take(g, pc[sl], axis=0)
                den = np.take(g, pa[sl], axis=0)
                den += eps
                s /= den
            for x in excl:  # the question words are never answers
                xr = x[sl]
                hit = np.flatnonzero((xr >= vs) & (xr < ve))
                s[hit, xr[hit] - vs] = -np.inf
            t = thr[sl]
            fresh = np.flatnonzero(np.isneginf(t))
            if len(fresh) and s.shape[1] > KEEP:  # seed: the KEEP-th best of this block
                t[fresh] = -np.partition(-s[fresh], KEEP - 1, axis=1)[:, KEEP - 1]
            rows = np.flatnonzero(s.max(axis=1) >= t)
            if not len(rows):
                continue
            sub = s[rows]
            r, cidx = np.nonzero(sub >= t[rows, None])
            _merge(topv, topi, qs + rows[r], vs + cidx, sub[r, cidx])
            touched = np.unique(qs + rows[r])
            thr[touched] = topv[touched, KEEP - 1]
    return topi, topv


def _merge(topv, topi, rows, cols, vals) -> None:
    """Merge new (question, candidate, score) triples into the running top-``KEEP`` arrays."""
    finite = np.isfinite(vals)
    rows, cols, vals = rows[finite], cols[finite], vals[finite]
    if not len(rows):
        return
    u = np.unique(rows)
    r_all = np.concatenate([np.repeat(u, KEEP), rows])
    v_all = np.concatenate([topv[u].ravel(), vals])
    i_all = np.concatenate([topi[u].ravel(), cols])
    order = np.lexsort((np.where(i_all < 0, np.iinfo(np.int64).max, i_all), -v_all, r_all))
    r_all, v_all, i_all = r_all[order], v_all[order], i_all[order]
    starts = np.searchsorted(r_all, u)
    counts = np.diff(np.append(starts, len(r_all)))
    rank = np.arange(len(r_all)) - np.repeat(starts, counts)
    keep = rank < KEEP
    topv[r_all[keep], rank[keep]] = v_all[keep]
    topi[r_all[keep], rank[keep]] = i_all[keep]


def _top_torch(unit, uw, pa, pb, pc, excl, method, eps, device, tile: int = 65_536, chunk: int = 2048):
    """The same running top-k on a torch device (one ``topk`` per block)."""
    import torch

    u_all = kernels.to_device_matrix(unit, device)
    w = torch.from_numpy(uw).to(device)
    ia, ib, ic = (torch.from_numpy(np.ascontiguousarray(x)).to(device) for x in (pa, pb, pc))
    ex = [torch.from_numpy(np.ascontiguousarray(x)).to(device) for x in excl]
    m, n = len(pa), unit.shape[0]
    qn = torch.linalg.vector_norm(w[ib] + w[ic] - w[ia], dim=1).clamp_min(1e-30)
    topv = torch.full((m, KEEP), float("-inf"), device=device)
    topi = torch.full((m, KEEP), -1, dtype=torch.int64, device=device)
    with torch.inference_mode():
        for vs in range(0, n, tile):
            ve = min(n, vs + tile)
            g = w @ u_all[vs:ve].T
            if method == "3cosmul":
                g = (g + 1.0) * 0.5
            for qs in range(0, m, chunk):
                qe = min(m, qs + chunk)
                if method == "3cosadd":
                    s = (g[ib[qs:qe]] + g[ic[qs:qe]] - g[ia[qs:qe]]) / qn[qs:qe, None]
                else:
                    s = g[ib[qs:qe]] * g[ic[qs:qe]] / (g[ia[qs:qe]] + eps)
                for x in ex:
                    xr = x[qs:qe]
                    sel = torch.nonzero((xr >= vs) & (xr < ve)).flatten()
                    s[sel, xr[sel] - vs] = float("-inf")
                k = min(KEEP, ve - vs)
                v, i = torch.topk(s, k, dim=1)
                cv = torch.cat([topv[qs:qe], v], dim=1)
                ci = torch.cat([topi[qs:qe], i + vs], dim=1)
                v2, order = torch.topk(cv, KEEP, dim=1)
                topv[qs:qe], topi[qs:qe] = v2, torch.gather(ci, 1, order)
    topi_np, topv_np = topi.cpu().numpy(), topv.float().cpu().numpy()
    topi_np[~np.isfinite(topv_np)] = -1
    order = np.lexsort((np.where(topi_np < 0, np.iinfo(np.int64).max, topi_np), -topv_np), axis=1)
    return np.take_along_axis(topi_np, order, axis=1), np.take_along_axis(topv_np, order, axis=1)


# ------------------------------------------------------------------------------ result
def _build_result(wv, ref, qs: _Questions, known, correct, miss_rows, skipped_lines, settings):
    oov_policy = settings["oov"]
    counted = known | (oov_policy == "wrong")
    sections = []
    for s_i, s in enumerate(qs.sections):
        mask = qs.section == s_i
        c, total = int((correct & mask).sum()), int((counted & mask).sum())
        sections.append({"section": s.name, "correct": c, "incorrect": total - c, "total": total,
                         "questions": int(mask.sum()), "oov": int((mask & ~known).sum()),
                         "accuracy": c / total if total else 0.0})
    c, total = int(correct.sum()), int(counted.sum())
    sections.append({"section": "Total accuracy", "correct": c, "incorrect": total - c, "total": total,
                     "questions": len(qs.text), "oov": int((~known).sum()), "accuracy": c / total if total else 0.0})

    def acc(pred_fn) -> float:
        sel = [i for i, s in enumerate(qs.sections) if pred_fn(s.name)]
        mask = np.isin(qs.section, sel)
        t = int((counted & mask).sum())
        return int((correct & mask).sum()) / t if t else 0.0

    metrics = {"accuracy": c / total if total else 0.0, "correct": c, "evaluated": total,
               "questions": len(qs.text), "oov_questions": int((~known).sum()),
               "oov_ratio": float((~known).mean()) if len(qs.text) else 0.0,
               "semantic_accuracy": acc(lambda name: not name.startswith("gram")),
               "syntactic_accuracy": acc(lambda name: name.startswith("gram")),
               "skipped_lines": len(skipped_lines)}
    settings = {"dataset": ref.describe(), **settings, "encoder": encoder_spec(wv), "vocab_size": len(wv),
                "versions": library_versions()}
    res = EvalResult("analogy", ref.name, encoder_spec(wv), metrics, "accuracy", sections, miss_rows, settings)
    res.extra["correct_mask"] = correct
    res.extra["pair_vectors"] = pair_vectors(wv)
    res.extra["questions"] = qs.text
    return res


def pair_vectors(wv) -> dict[str, np.ndarray]:
    """Vectors of the words in the classic analogy pictures that ``wv`` knows (for reports)."""
    from textemb.evaluation.plots import ANALOGY_GROUPS

    out = {}
    for _, pairs in ANALOGY_GROUPS:
        for word in (w for pair in pairs for w in pair):
            for key in (word, word.capitalize(), word.upper()):
                if key in wv:
                    out[word] = np.asarray(wv[key], dtype=np.float32)
                    break
    return out


def _worst_misses(scorer: "_Scorer", wv, qs: _Questions, known: np.ndarray, correct: np.ndarray, k: int) -> list[dict]:
    """Up to ``k`` wrong answers where the expected word scores lowest (the worst of each section
    first, so every section shows up), with what the model answered instead."""
    wrong = np.flatnonzero(known & ~correct)
    if not len(wrong) or k <= 0:
        return []
    r = qs.rows[wrong]
    s_exp = scorer.scores_of(r[:, 0], r[:, 1], r[:, 2], r[:, 3])
    order = np.argsort(s_exp, kind="stable")
    sec = qs.section[wrong][order]
    rank_in_section = np.zeros(len(order), dtype=np.int64)
    seen: dict[int, int] = {}
    for i, s_i in enumerate(sec):
        rank_in_section[i] = seen.get(int(s_i), 0)
        seen[int(s_i)] = rank_in_section[i] + 1
    pick = order[np.lexsort((s_exp[order], rank_in_section))][:k]
    pick = pick[np.argsort(s_exp[pick], kind="stable")]
    sel = r[pick]
    words, inv = np.unique(sel[:, :3], return_inverse=True)
    inv = inv.reshape(-1, 3)
    topi, topv = _top_range(scorer.unit, scorer.unit[words], inv[:, 0], inv[:, 1], inv[:, 2],
                            (sel[:, 0], sel[:, 1], sel[:, 2]), scorer.method, scorer.eps, 0, scorer.n)
    out = []
    for i, q in enumerate(wrong[pick]):
        out.append({"section": qs.sections[qs.section[q]].name, "question": list(qs.text[q][:3]),
                    "expected": qs.text[q][3], "predicted": wv.words[topi[i, 0]] if topi[i, 0] >= 0 else None,
                    "predicted_score": float(topv[i, 0]), "expected_score": float(s_exp[pick[i]])})
    return out
