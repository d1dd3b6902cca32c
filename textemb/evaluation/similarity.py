"""Similarity benchmarks: correlation of model cosines with human judgements.

- word pairs (WordSim-353, SimLex-999, any ``w1<TAB>w2<TAB>score`` file) on WordVectors, with
  gensim's ``evaluate_word_pairs`` conventions (restrict_vocab, upper-casing, OOV skipped);
- document pairs (the Lee corpus: 50 documents, Pearson over the upper triangle) on any Encoder;
- sentence pairs from any STS-style delimited file (columns chosen by the caller) on any Encoder.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from textemb.errors import InputError
from textemb.evaluation.analogy import as_word_vectors, ok_vocab
from textemb.evaluation.datasets import (
    read_lee,
    read_sentence_pairs,
    read_word_pairs,
    resolve_dataset,
)
from textemb.evaluation.figure_data import correlation_figure
from textemb.evaluation.result import (
    SIMILARITY_FUNCTION,
    EvalResult,
    encoder_identity,
    encoder_spec,
    library_versions,
)

PAIR_OOV_POLICIES = ("skip", "zero")


def evaluate_word_pairs(
    wv,
    dataset: str | Path = "wordsim353",
    *,
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    oov: str = "skip",
    delimiter: str | None = None,
    misses: int = 15,
    encoding: str = "utf-8",
    quoting: str = "auto",
) -> EvalResult:
    """Spearman (primary) and Pearson between word-pair cosines and human scores.

    Same conventions as gensim's ``KeyedVectors.evaluate_word_pairs``: only the first
    ``restrict_vocab`` words count as known, words are matched upper-cased (most frequent
    spelling wins), and pairs with an unknown word are skipped (``oov="skip"``) or scored 0
    (``oov="zero"``, gensim's ``dummy4unknown``). ``delimiter=None`` detects tab, comma
    (RFC 4180 CSV) or blanks (MEN); see :func:`~textemb.evaluation.datasets.read_word_pairs`.
    """
    wv = as_word_vectors(wv)
    if oov not in PAIR_OOV_POLICIES:
        raise InputError(f"oov must be one of {PAIR_OOV_POLICIES}, got {oov!r}")
    ref = resolve_dataset(dataset, "word-pairs")
    t0 = time.perf_counter()
    pairs, skipped = read_word_pairs(ref.path, delimiter=delimiter, encoding=encoding, quoting=quoting)
    n = len(wv) if restrict_vocab is None else min(restrict_vocab, len(wv))
    used, gold_arr, model_sims, n_oov = _score_pairs(wv, pairs, ok_vocab(wv.words, n, case_insensitive),
                                                     case_insensitive, oov)
    if not used:
        raise InputError(f"no usable pairs in {ref.path}: every pair has an out-of-vocabulary word")
    metrics = _correlations(gold_arr, model_sims)
    evaluated = len(used)
    metrics.update(pairs=len(pairs), evaluated=evaluated, oov_pairs=n_oov,
                   oov_ratio=n_oov / (evaluated if oov == "zero" else evaluated + n_oov),
                   coverage=1 - n_oov / len(pairs), skipped_lines=len(skipped))
    settings = {"dataset": ref.describe(), "similarity": SIMILARITY_FUNCTION, "restrict_vocab": restrict_vocab,
                "case_insensitive": case_insensitive, "oov": oov, "delimiter": delimiter or "auto",
                "ngram_words": len(wv.ngram_words),
                "encoder": encoder_spec(wv), "model": encoder_identity(wv), "device": getattr(wv, "device", "cpu"),
                "versions": library_versions(), "elapsed_s": round(time.perf_counter() - t0, 4)}
    res = EvalResult("word-similarity", ref.name, encoder_spec(wv), metrics, "spearman",
                     [_section(ref.name, metrics)], _rank_misses(used, gold_arr, model_sims, misses), settings,
                     {"correlation": correlation_figure(gold_arr, model_sims)})
    res.extra.update(gold=gold_arr, model=model_sims, pairs=used)
    return res


def evaluate_documents(encoder, dataset: str | Path = "lee", *, batch_size: int = 32, misses: int = 15,
                       show_progress: bool | None = None) -> EvalResult:
    """Lee document similarity: Pearson (primary) of cosine vs. human scores over the upper triangle."""
    ref = resolve_dataset(dataset, "documents")
    if len(ref.paths) != 2:
        raise InputError("document datasets need a corpus and a similarity matrix; use dataset='lee'")
    t0 = time.perf_counter()
    docs, human = read_lee(*ref.paths)
    emb = np.asarray(encoder.encode(docs, batch_size=batch_size, normalize=True, show_progress=show_progress),
                     dtype=np.float64)
    cos = emb @ emb.T
    iu = np.triu_indices(len(docs), k=1)
    gold, model = np.asarray(human, dtype=np.float64)[iu], cos[iu]
    metrics = _correlations(gold, model)
    metrics.update(documents=len(docs), pairs=len(gold))
    labels = [(f"doc {i}", f"doc {j}") for i, j in zip(*iu)]
    settings = {"dataset": ref.describe(), "similarity": SIMILARITY_FUNCTION, "encoder": encoder_spec(encoder),
                "model": encoder_identity(encoder), "device": getattr(encoder, "device", "cpu"),
                "batch_size": batch_size, "versions": library_versions(),
                "elapsed_s": round(time.perf_counter() - t0, 4)}
    res = EvalResult("document-similarity", ref.name, encoder_spec(encoder), metrics, "pearson",
                     [_section(ref.name, metrics)], _rank_misses(labels, gold, model, misses), settings,
                     {"correlation": correlation_figure(gold, model)})
    res.extra.update(gold=gold, model=model)
    return res


def evaluate_sentence_pairs(
    encoder,
    path: str | Path,
    *,
    score_col: int | str = 0,
    text1_col: int | str = 1,
    text2_col: int | str = 2,
    delimiter: str | None = "\t",
    header: bool | None = None,
    batch_size: int = 32,
    misses: int = 15,
    encoding: str = "utf-8",
    quoting: str = "auto",
    show_progress: bool | None = None,
) -> EvalResult:
    """STS-style sentence pairs: Spearman (primary) and Pearson of cosine vs. the gold score.

    Reading rules (CSV quoting, ``.gz``, encodings, skipped rows) are those of
    :func:`~textemb.evaluation.datasets.read_sentence_pairs`.
    """
    ref = resolve_dataset(path, "sentence-pairs")
    t0 = time.perf_counter()
    pairs, skipped = read_sentence_pairs(ref.path, score_col=score_col, text1_col=text1_col, text2_col=text2_col,
                                         delimiter=delimiter, header=header, encoding=encoding, quoting=quoting)
    texts = sorted({t for a, b, _ in pairs for t in (a, b)})
    emb = np.asarray(encoder.encode(texts, batch_size=batch_size, normalize=True, show_progress=show_progress),
                     dtype=np.float64)
    row = {t: i for i, t in enumerate(texts)}
    model = np.einsum("ij,ij->i", emb[[row[a] for a, _, _ in pairs]], emb[[row[b] for _, b, _ in pairs]])
    gold = np.array([s for _, _, s in pairs], dtype=np.float64)
    metrics = _correlations(gold, model)
    metrics.update(pairs=len(pairs), skipped_lines=len(skipped))
    settings = {"dataset": ref.describe(), "similarity": SIMILARITY_FUNCTION,
                "columns": {"score": score_col, "text1": text1_col, "text2": text2_col},
                "delimiter": delimiter or "auto", "quoting": quoting, "encoder": encoder_spec(encoder),
                "model": encoder_identity(encoder), "device": getattr(encoder, "device", "cpu"),
                "batch_size": batch_size, "versions": library_versions(),
                "elapsed_s": round(time.perf_counter() - t0, 4)}
    labels = [(a, b) for a, b, _ in pairs]
    res = EvalResult("sentence-similarity", ref.name, encoder_spec(encoder), metrics, "spearman",
                     [_section(ref.name, metrics)], _rank_misses(labels, gold, model, misses), settings,
                     {"correlation": correlation_figure(gold, model)})
    res.extra.update(gold=gold, model=model)
    return res


# ------------------------------------------------------------------------------ helpers
def _score_pairs(wv, pairs: list, ok: dict[str, int], case_insensitive: bool,
                 oov: str) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray, int]:
    """The pairs scored, their human scores, their cosines (0 for an ``oov="zero"`` pair) and the OOV count."""
    gold, model, used, n_oov = [], [], [], 0
    rows_a, rows_b = [], []
    for a, b, score in pairs:
        ka, kb = (a.upper(), b.upper()) if case_insensitive else (a, b)
        ra, rb = ok.get(ka), ok.get(kb)
        if ra is None or rb is None:
            n_oov += 1
            if oov == "zero":
                gold.append(score)
                model.append(None)
                used.append((a, b))
            continue
        gold.append(score)
        model.append(len(rows_a))
        used.append((a, b))
        rows_a.append(ra)
        rows_b.append(rb)
    sims = _gensim_cosines(wv.vectors, np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64))
    model_sims = np.array([0.0 if i is None else float(sims[i]) for i in model])
    return used, np.asarray(gold, dtype=np.float64), model_sims, n_oov


def _gensim_cosines(vectors: np.ndarray, ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """gensim's ``similarity``: float64 length, unit vectors rounded to float32, float32 dot."""
    va = np.asarray(vectors[ra], dtype=np.float32)
    vb = np.asarray(vectors[rb], dtype=np.float32)

    def unit(v: np.ndarray) -> np.ndarray:
        length = np.sqrt(np.einsum("ij,ij->i", v.astype(np.float64), v.astype(np.float64)))
        length[length == 0] = 1.0
        return (v.astype(np.float64) * (1.0 / length)[:, None]).astype(np.float32)

    ua, ub = unit(va), unit(vb)
    return np.array([np.dot(x, y) for x, y in zip(ua, ub)], dtype=np.float32)


def rankdata(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing the mean rank: ``scipy.stats.rankdata``."""
    return _stats().rankdata(np.asarray(x, dtype=np.float64))


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """``scipy.stats.pearsonr`` statistic (NaN when either side is constant)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(_stats().pearsonr(x, y)[0])


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """``scipy.stats.spearmanr`` statistic (NaN when either side is constant)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(_stats().spearmanr(x, y)[0])


def _stats():
    from textemb.errors import require

    return require("scipy.stats", package="scipy", extra="eval", feature="correlation metrics")


def _correlations(gold: np.ndarray, model: np.ndarray) -> dict:
    if len(gold) < 2:
        raise InputError(f"need at least 2 scored pairs to correlate, got {len(gold)}")
    return {"spearman": spearman(gold, model), "pearson": pearson(gold, model)}


def _section(name: str, metrics: dict) -> dict:
    return {"section": name, **{k: metrics[k] for k in ("spearman", "pearson") if k in metrics},
            "pairs": metrics.get("evaluated", metrics.get("pairs"))}


def _rank_misses(labels, gold: np.ndarray, model: np.ndarray, k: int) -> list[dict]:
    """Pairs whose model rank is furthest from their human rank."""
    rg, rm = rankdata(gold), rankdata(model)
    worst = np.argsort(-np.abs(rg - rm), kind="stable")[:k]
    return [{"pair": list(labels[i]), "gold": float(gold[i]), "model": float(model[i]),
             "gold_rank": float(rg[i]), "model_rank": float(rm[i])} for i in worst]
