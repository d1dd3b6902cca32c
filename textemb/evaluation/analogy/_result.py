"""The analogy result: per-section counts, summary metrics, the worst misses, what reports draw."""

from __future__ import annotations

import numpy as np

from textemb.evaluation.analogy._groups import analogy_pairs_figure, group_words
from textemb.evaluation.result import EvalResult, encoder_identity, encoder_spec, library_versions


def build_result(wv, ref, qs, known: np.ndarray, correct: np.ndarray, miss_rows: list[dict],
                 skipped_lines: list, settings: dict) -> EvalResult:
    """gensim-style sections (plus 'Total accuracy'), metrics and settings in one :class:`EvalResult`."""
    counted = known | (settings["oov"] == "wrong")
    sections = []
    for index, s in enumerate(qs.sections):
        mask = qs.section == index
        sections.append(_section(s.name, correct & mask, counted & mask, int(mask.sum()), int((mask & ~known).sum())))
    sections.append(_section("Total accuracy", correct, counted, len(qs.text), int((~known).sum())))
    total = sections[-1]

    def accuracy_of(grammar: bool) -> float:
        chosen = [i for i, s in enumerate(qs.sections) if s.name.startswith("gram") == grammar]
        mask = np.isin(qs.section, chosen)
        evaluated = int((counted & mask).sum())
        return int((correct & mask).sum()) / evaluated if evaluated else 0.0

    metrics = {"accuracy": total["accuracy"], "correct": total["correct"], "evaluated": total["total"],
               "questions": len(qs.text), "oov_questions": int((~known).sum()),
               "oov_ratio": float((~known).mean()) if len(qs.text) else 0.0,
               "semantic_accuracy": accuracy_of(False), "syntactic_accuracy": accuracy_of(True),
               "skipped_lines": len(skipped_lines)}
    settings = {"dataset": ref.describe(), **settings, "encoder": encoder_spec(wv), "model": encoder_identity(wv),
                "vocab_size": len(wv), "versions": library_versions()}
    figures = {"analogy_pairs": analogy_pairs_figure(pair_vectors(wv))}
    res = EvalResult("analogy", ref.name, encoder_spec(wv), metrics, "accuracy", sections, miss_rows, settings,
                     figures)
    res.extra["correct_mask"] = correct
    res.extra["questions"] = qs.text
    return res


def _section(name: str, correct: np.ndarray, counted: np.ndarray, questions: int, oov: int) -> dict:
    right, total = int(correct.sum()), int(counted.sum())
    return {"section": name, "correct": right, "incorrect": total - right, "total": total,
            "questions": questions, "oov": oov, "accuracy": right / total if total else 0.0}


def pair_vectors(wv) -> dict[str, np.ndarray]:
    """Vectors of the words in the classic analogy pictures that ``wv`` knows (for reports)."""
    out = {}
    for word in group_words():
        for key in (word, word.capitalize(), word.upper()):
            if key in wv:
                out[word] = np.asarray(wv[key], dtype=np.float32)
                break
    return out


def worst_misses(scorer, wv, qs, known: np.ndarray, correct: np.ndarray, k: int) -> list[dict]:
    """Up to ``k`` wrong answers where the expected word scores lowest (the worst of each section
    first, so every section shows up), with what the model answered instead."""
    wrong = np.flatnonzero(known & ~correct)
    if not len(wrong) or k <= 0:
        return []
    rows = qs.rows[wrong]
    expected_score = scorer.scores_of(rows[:, :3], rows[:, 3])
    order = np.argsort(expected_score, kind="stable")
    section = qs.section[wrong][order]
    rank_in_section = np.zeros(len(order), dtype=np.int64)
    seen: dict[int, int] = {}
    for i, s in enumerate(section):
        rank_in_section[i] = seen.get(int(s), 0)
        seen[int(s)] = rank_in_section[i] + 1
    pick = order[np.lexsort((expected_score[order], rank_in_section))][:k]
    pick = pick[np.argsort(expected_score[pick], kind="stable")]
    top_rows, top_scores = scorer.top(rows[pick, :3], 1)
    out = []
    for i, q in enumerate(wrong[pick]):
        out.append({"section": qs.sections[qs.section[q]].name, "question": list(qs.text[q][:3]),
                    "expected": qs.text[q][3], "predicted": wv.words[top_rows[i, 0]] if top_rows[i, 0] >= 0 else None,
                    "predicted_score": float(top_scores[i, 0]), "expected_score": float(expected_score[pick[i]])})
    return out
