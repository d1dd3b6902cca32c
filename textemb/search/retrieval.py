"""Retrieval evaluation on BEIR-style data: nDCG@10, MRR@10 and Recall@k computed by ``ir-measures``.

Inputs follow BEIR: ``corpus.jsonl`` (``_id``/``id``, ``title``, ``text``), ``queries.jsonl``
(``_id``/``id``, ``text``) and ``qrels.tsv`` (``query-id  corpus-id  score``, header line
optional). The corpus is indexed once, in memory, by the search façade (:class:`~textemb.search.Index`),
and every mode (``dense``, ``bm25``, ``hybrid``) searches that same index; each mode gives one
:class:`~textemb.evaluation.result.EvalResult`. Metrics follow BEIR/MTEB (pytrec_eval through
ir-measures): nDCG with linear gain (the relevance grade, not 2^g-1), RR@10 as MRR@10, R@k as Recall@k;
queries without a ranking score 0 and count in the mean.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textemb.encoders.base import Encoder
from textemb.errors import FormatError, InputError, require
from textemb.evaluation.result import EvalResult, library_versions
from textemb.search.chunking import ChunkSettings
from textemb.search.documents import Document
from textemb.search.index import DEFAULT_FUSION, MODES, Index

K_VALUES = (1, 5, 10)


@dataclass
class BeirData:
    """A retrieval benchmark: corpus (id -> (title, text)), queries (id -> text), qrels (qid -> {doc id: grade})."""

    corpus: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    name: str = "beir"


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
                    except (ValueError, RecursionError, MemoryError) as exc:
                        why = "nested too deeply" if isinstance(exc, RecursionError) else "a number or value too large"
                        raise FormatError(f"JSON {why} to read", path=path, line=n) from None
                    has_id = isinstance(obj, dict) and ("_id" in obj or "id" in obj)
                    if not has_id or not isinstance(obj.get("text"), str):
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

    c_path, q_path = pick(corpus, "corpus.jsonl"), pick(queries, "queries.jsonl")
    r_path = pick(qrels, "qrels.tsv", "qrels/test.tsv")
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
def _measures(k_values: Sequence[int]):
    ir_measures = require("ir_measures", package="ir-measures", extra="search", feature="retrieval metrics")
    named = {"nDCG@10": ir_measures.nDCG @ 10, "MRR@10": ir_measures.RR @ 10}
    named.update({f"Recall@{k}": ir_measures.R @ k for k in k_values})
    return ir_measures, named


def score_rankings(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]],
                   k_values: Sequence[int] = K_VALUES) -> dict[str, float]:
    """nDCG@10, MRR@10 and Recall@k (BEIR conventions, by ir-measures) averaged over queries with a relevant document.

    A judged query missing from ``rankings`` (or with an empty ranking) scores 0 and counts in the mean.
    """
    ir_measures, named = _measures(k_values)
    judged = {q: {d: int(g) for d, g in rel.items()} for q, rel in qrels.items() if any(g > 0 for g in rel.values())}
    run = {q: {d: float(len(ranked) - i) for i, d in enumerate(dict.fromkeys(ranked))}  # strictly decreasing
           for q, ranked in rankings.items() if q in judged and ranked}
    per_query: dict[str, dict[str, float]] = {name: {} for name in named}
    by_measure = {m: name for name, m in named.items()}
    if run:
        for metric in ir_measures.iter_calc(list(named.values()), judged, run):
            per_query[by_measure[metric.measure]][metric.query_id] = float(metric.value)
    n = max(len(judged), 1)
    return {name: float(sum(vals.values()) / n) if judged else 0.0 for name, vals in per_query.items()}


def build_index(data: BeirData, encoder: Encoder, *, chunk: ChunkSettings = ChunkSettings(),
                show_progress: bool | None = None) -> Index:
    """The corpus of ``data`` indexed in memory (dense + BM25), once for every mode."""
    docs = [Document(cid, text, title or None, source=cid) for cid, (title, text) in data.corpus.items()]
    return Index.build(docs, encoder, chunk=chunk, ann="none", show_progress=show_progress)


def rankings(data: BeirData, index: Index, *, mode: str, k: int = 10, doc_score: str = "max",
             fusion: str = DEFAULT_FUSION) -> dict[str, list[str]]:
    """Document ids ranked for every query of ``data`` by ``index`` in ``mode``."""
    qids = list(data.queries)
    hits = index.search([data.queries[q] for q in qids], k=k, mode=mode, doc_score=doc_score, ann="exact",
                        fusion=fusion)
    return {q: [h.id for h in hs] for q, hs in zip(qids, hits)}


class RetrievalResults(list):
    """The :class:`EvalResult` of each mode, in order; :meth:`to_markdown` gives them as one table."""

    def to_markdown(self) -> str:
        return to_markdown_table(self)


def evaluate_retrieval(data: BeirData, encoder: Encoder, *, modes: Sequence[str] = MODES,
                       chunk: ChunkSettings = ChunkSettings(), doc_score: str = "max", fusion: str = DEFAULT_FUSION,
                       index: Index | None = None, show_progress: bool | None = None) -> RetrievalResults:
    """One :class:`EvalResult` per mode (dense, bm25, hybrid), all searching one index of ``data``'s corpus."""
    for mode in modes:
        if mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    t0 = time.perf_counter()
    index = index or build_index(data, encoder, chunk=chunk, show_progress=show_progress)
    build_s = time.perf_counter() - t0
    import bm25s
    import ir_measures

    spec = encoder.spec
    results = RetrievalResults()
    for mode in modes:
        t0 = time.perf_counter()
        metrics = score_rankings(rankings(data, index, mode=mode, doc_score=doc_score, fusion=fusion), data.qrels)
        settings = {"method": mode if mode != "hybrid" else f"hybrid, {fusion}", "mode": mode,
                    "queries": sum(1 for rel in data.qrels.values() if any(g > 0 for g in rel.values())),
                    "documents": len(data.corpus), "chunk": dataclasses.asdict(index.chunk), "doc_score": doc_score,
                    "index_seconds": round(build_s, 2), "search_seconds": round(time.perf_counter() - t0, 2),
                    "metrics_by": f"ir-measures {ir_measures.__version__} (pytrec_eval; BEIR conventions)",
                    "bm25": f"bm25s {getattr(bm25s, '__version__', '?')} (k1=1.5, b=0.75, en stopwords, passages)",
                    "versions": library_versions()}
        results.append(EvalResult("retrieval", data.name, spec, metrics, "nDCG@10", settings=settings))
    return results


def to_markdown_table(results: Sequence[EvalResult]) -> str:
    """``| mode | nDCG@10 | MRR@10 | Recall@1 | ... |`` for results of :func:`evaluate_retrieval`."""
    names = list(results[0].metrics)
    lines = ["| mode | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for r in results:
        lines.append(f"| {r.settings.get('method', r.task)} | " + " | ".join(f"{r.metrics[n]:.3f}" for n in names) + " |")
    return "\n".join(lines)
