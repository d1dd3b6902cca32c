"""Retrieval evaluation on BEIR-style data: nDCG@10, MRR@10, Recall@1/5/10, with a BM25 baseline.

Inputs follow BEIR: ``corpus.jsonl`` (``_id``/``id``, ``title``, ``text``), ``queries.jsonl``
(``_id``/``id``, ``text``) and ``qrels.tsv`` (``query-id  corpus-id  score``, header line
optional). The dense system is an in-memory :class:`~textemb.search.Index` over the corpus
(passages, document score = best passage); the baseline is ``bm25s`` (Okapi BM25, English
stopwords) over the same documents (title + text) and the same queries.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder
from textemb.errors import FormatError, InputError
from textemb.search.documents import Document
from textemb.search.index import ChunkSettings, Index

K_VALUES = (1, 5, 10)


@dataclass
class BeirData:
    """A retrieval benchmark: corpus (id -> (title, text)), queries (id -> text), qrels (qid -> {doc id: grade})."""

    corpus: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    name: str = "beir"


@dataclass
class RetrievalResult:
    """Metrics per system (``{"textemb (spec)": {"nDCG@10": ...}, "bm25s": {...}}``) and the settings used."""

    metrics: dict[str, dict[str, float]]
    settings: dict = field(default_factory=dict)
    primary: str = "nDCG@10"

    def to_dict(self) -> dict:
        return {"primary": self.primary, "metrics": self.metrics, "settings": self.settings}

    def to_markdown(self) -> str:
        names = list(next(iter(self.metrics.values())).keys())
        lines = ["| system | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        for system, m in self.metrics.items():
            lines.append(f"| {system} | " + " | ".join(f"{m[n]:.3f}" for n in names) + " |")
        return "\n".join(lines)


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise FormatError(f"not JSON ({exc.msg})", path=path, line=n) from None
                    if not isinstance(obj, dict) or ("_id" not in obj and "id" not in obj) or not isinstance(obj.get("text"), str):
                        raise FormatError("expected an object with '_id' (or 'id') and a string 'text'", path=path, line=n)
                    rows.append(obj)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return rows


def load_beir(folder: str | Path | None = None, *, corpus: str | Path | None = None, queries: str | Path | None = None,
              qrels: str | Path | None = None) -> BeirData:
    """Read a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels.tsv`` or ``qrels/test.tsv``);
    any of the three files can be given explicitly instead."""
    base = Path(folder) if folder is not None else None

    def pick(explicit, *names) -> Path:
        if explicit is not None:
            return Path(explicit)
        for name in names:
            if base is not None and (base / name).is_file():
                return base / name
        raise InputError(f"no {names[0]} in {base}; pass it explicitly")

    c_path, q_path, r_path = pick(corpus, "corpus.jsonl"), pick(queries, "queries.jsonl"), pick(qrels, "qrels.tsv", "qrels/test.tsv")
    corp = {str(o.get("_id", o.get("id"))): (str(o.get("title") or ""), o["text"]) for o in _read_jsonl(c_path)}
    qs = {str(o.get("_id", o.get("id"))): o["text"] for o in _read_jsonl(q_path)}
    rels: dict[str, dict[str, int]] = {}
    with open(r_path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if not line.strip() or (n == 1 and not parts[-1].lstrip("-").isdigit()):
                continue  # blank line or header
            if len(parts) != 3 or not parts[2].lstrip("-").isdigit():
                raise FormatError("expected 'query-id<TAB>corpus-id<TAB>score'", path=r_path, line=n)
            if parts[1] not in corp:
                raise FormatError(f"corpus-id {parts[1]!r} is not in {c_path.name}", path=r_path, line=n)
            rels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    if not rels:
        raise FormatError("no relevance judgements; expected lines 'query-id<TAB>corpus-id<TAB>score'", path=r_path)
    missing = [q for q in rels if q not in qs]
    if missing:
        raise FormatError(f"{len(missing)} query ids in qrels are not in {q_path.name} (e.g. {missing[0]!r})", path=r_path)
    return BeirData(corp, qs, rels, name=(base or c_path.parent).name)


# --------------------------------------------------------------------------- metrics
def score_rankings(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]], k_values=K_VALUES) -> dict[str, float]:
    """nDCG@10, MRR@10 and Recall@k averaged over the judged queries (a query with no ranking scores 0)."""
    ndcg, mrr, recall = [], [], {k: [] for k in k_values}
    for qid, rel in qrels.items():
        relevant = {d: g for d, g in rel.items() if g > 0}
        if not relevant:
            continue
        ranked = rankings.get(qid, [])
        dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
        ideal = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:10]))
        ndcg.append(dcg / ideal)
        first = next((i for i, d in enumerate(ranked[:10]) if d in relevant), None)
        mrr.append(0.0 if first is None else 1.0 / (first + 1))
        for k in k_values:
            recall[k].append(len(set(ranked[:k]) & relevant.keys()) / len(relevant))
    out = {"nDCG@10": float(np.mean(ndcg)), "MRR@10": float(np.mean(mrr))}
    out.update({f"Recall@{k}": float(np.mean(v)) for k, v in recall.items()})
    return out


def dense_rankings(data: BeirData, encoder: Encoder, *, k: int = 10, chunk: ChunkSettings = ChunkSettings(),
                   doc_score: str = "max", show_progress: bool | None = None) -> dict[str, list[str]]:
    docs = [Document(cid, text, title or None, source=cid) for cid, (title, text) in data.corpus.items()]
    index = Index.build(docs, encoder, chunk=chunk, ann="none", show_progress=show_progress)
    qids = list(data.queries)
    hits = index.search([data.queries[q] for q in qids], k=k, doc_score=doc_score, mode="exact")
    return {q: [h.id for h in hs] for q, hs in zip(qids, hits)}


def bm25_rankings(data: BeirData, *, k: int = 10) -> dict[str, list[str]]:
    """Okapi BM25 from ``bm25s`` over title + text, English stopwords, default k1/b."""
    from textemb.errors import require

    bm25s = require("bm25s", extra="search", feature="the BM25 baseline")
    ids = list(data.corpus)
    texts = [f"{t}\n{x}" if t else x for t, x in (data.corpus[i] for i in ids)]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    qids = list(data.queries)
    tokens = bm25s.tokenize([data.queries[q] for q in qids], stopwords="en", show_progress=False)
    docs, _ = retriever.retrieve(tokens, k=min(k, len(ids)), show_progress=False)
    return {q: [ids[j] for j in row] for q, row in zip(qids, docs)}


def evaluate_retrieval(data: BeirData, encoder: Encoder, *, bm25: bool = True, chunk: ChunkSettings = ChunkSettings(),
                       doc_score: str = "max", show_progress: bool | None = None) -> RetrievalResult:
    """Dense retrieval with ``encoder`` (and BM25 alongside) on ``data``; returns the metrics of both."""
    t0 = time.perf_counter()
    metrics = {f"textemb ({encoder.spec or encoder.name})": score_rankings(
        dense_rankings(data, encoder, chunk=chunk, doc_score=doc_score, show_progress=show_progress), data.qrels)}
    dense_s = time.perf_counter() - t0
    settings = {"dataset": data.name, "documents": len(data.corpus), "queries": len(data.qrels),
                "encoder": encoder.spec or encoder.name, "chunk": dataclasses.asdict(chunk),
                "doc_score": doc_score, "dense_seconds": round(dense_s, 2)}
    if bm25:
        t0 = time.perf_counter()
        metrics["bm25s (BM25, en stopwords)"] = score_rankings(bm25_rankings(data), data.qrels)
        settings["bm25_seconds"] = round(time.perf_counter() - t0, 2)
        import bm25s

        settings["bm25s_version"] = getattr(bm25s, "__version__", "?")
    return RetrievalResult(metrics, settings)
