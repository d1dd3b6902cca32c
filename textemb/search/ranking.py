"""From scored passages to ranked documents: :class:`Hit`, document-score aggregation (max/mean), rank fusion.

Every store answers "top-n passages for this query vector" as a :class:`PassageMatches`; the façade turns
that into documents here, the same way for every store, and fuses dense and lexical rankings here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from textemb.errors import InputError

DOC_SCORES = ("max", "mean")
FUSIONS = ("rrf", "weighted")
#: reciprocal-rank-fusion constant (Cormack et al. 2009; the value Elasticsearch, Vespa and Milvus use)
RRF_K = 60


@dataclass
class Hit:
    """One search result: a document, its score, and its best-matching passage."""

    rank: int
    score: float
    id: str
    title: str | None
    source: str
    passage: str
    start: int
    end: int
    meta: dict
    scores: dict = field(default_factory=dict)  # per retriever: {"dense": cosine, "bm25": BM25 score}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class PassageMatches:
    """The top passages a store found for one query, best first.

    ``docs`` holds a document key per passage (an int row or a string id: whatever the store groups by),
    ``seqs`` the passage's position within its document, and ``describe(i)`` gives the fields of a
    :class:`Hit` for passage ``i`` (id, title, source, passage, start, end, meta).
    """

    docs: np.ndarray
    seqs: np.ndarray
    scores: np.ndarray
    describe: Callable[[int], dict]
    complete: bool = False  # True when every passage of the store is here (so "mean" is exact)

    def __len__(self) -> int:
        return len(self.scores)


@dataclass
class DocScore:
    """A document picked by aggregation: its score and the index (into a PassageMatches) of its best passage."""

    key: object
    score: float
    best: int


def aggregate(m: PassageMatches, k: int, how: str = "max") -> list[DocScore]:
    """Top-``k`` documents of the passages in ``m``: by best passage (``max``) or mean passage score (``mean``)."""
    if how not in DOC_SCORES:
        raise InputError(f"doc_score must be one of {', '.join(DOC_SCORES)}, got {how!r}")
    ok = np.isfinite(m.scores)
    if not ok.all():
        keep = np.flatnonzero(ok)
        m = PassageMatches(m.docs[keep], m.seqs[keep], m.scores[keep], lambda i, f=m.describe, keep=keep: f(int(keep[i])),
                           m.complete)
    if not len(m):
        return []
    keys, first, inverse = np.unique(m.docs, return_index=True, return_inverse=True)
    if how == "max":  # passages come best first: a document's first passage is its best
        order = np.argsort(first, kind="stable")[:k]
        return [DocScore(keys[j], float(m.scores[first[j]]), int(first[j])) for j in order]
    sums = np.bincount(inverse, weights=m.scores.astype(np.float64), minlength=len(keys))
    means = (sums / np.bincount(inverse, minlength=len(keys))).astype(np.float32)
    order = np.lexsort((first, -means))[:k]  # ties: the document whose best passage ranks first
    return [DocScore(keys[j], float(means[j]), int(first[j])) for j in order]


def fuse(rankings: Sequence[Sequence[str]], *, method: str = "rrf", scores: Sequence[Sequence[float]] | None = None,
         weights: Sequence[float] | None = None, k: int = 10) -> list[tuple[str, float]]:
    """Fuse document rankings: reciprocal rank (``rrf``: sum of w/(60+rank)) or the weighted mean of each
    ranking's min-max-normalized scores (``weighted``, in [0, 1]; a document missing from a ranking scores 0 there)."""
    if method not in FUSIONS:
        raise InputError(f"fusion must be one of {', '.join(FUSIONS)}, got {method!r}")
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    total: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for r, (ids, w) in enumerate(zip(rankings, weights)):
        if method == "rrf":
            part = [w / (RRF_K + rank + 1) for rank in range(len(ids))]
        else:
            sc = np.asarray(scores[r], dtype=np.float64) if scores is not None else np.zeros(len(ids))
            lo, hi = (float(sc.min()), float(sc.max())) if len(sc) else (0.0, 0.0)
            part = list(w * ((sc - lo) / (hi - lo) if hi > lo else np.ones_like(sc)))
        for rank, (doc, val) in enumerate(zip(ids, part)):
            total[doc] = total.get(doc, 0.0) + float(val)
            first_seen.setdefault(doc, (rank, r))
    if method == "weighted" and sum(weights) > 0:  # a weighted mean of normalized scores: in [0, 1]
        total = {d: v / sum(weights) for d, v in total.items()}
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], first_seen[kv[0]]))
    return ranked[:k]


def hits_of(found, retriever: str) -> list[Hit]:
    """Hits from ``(DocScore, PassageMatches)`` pairs; a lexical passage carries (id, seq) until completed."""
    out = []
    for rank, (d, m) in enumerate(found, 1):
        f = m.describe(d.best)
        if "seq" in f:  # from the lexical index: fields come from the store later (start holds the seq)
            out.append(Hit(rank, d.score, f["id"], None, "", None, f["seq"], -1, {}, {retriever: d.score}))
        else:
            out.append(Hit(rank, d.score, **f, scores={retriever: d.score}))
    return out
