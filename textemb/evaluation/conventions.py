"""The conventions behind a set of results, in plain words, for the top of every report.

A reader should not have to open a collapsed settings table to learn that unknown words were
skipped, that only the 300,000 most frequent words counted, or that two figures in one row were
computed on different questions. Each line is built from the results' own settings.
"""

from __future__ import annotations

from collections.abc import Sequence


def _values(results: Sequence, key: str, task: str | None = None) -> list:
    return list(dict.fromkeys(r.settings.get(key) for r in results if task is None or r.task == task))


def conventions(results: Sequence) -> list[str]:
    """One sentence per convention that applies to ``results`` (similarity, vocabulary, OOV, items ...)."""
    lines = ["Similarity between two vectors is their cosine."]
    tasks = {r.task for r in results}
    if "analogy" in tasks:
        lines.append(_analogy_line(results))
    if tasks & {"analogy", "word-similarity"}:
        lines += _vocabulary_lines([r for r in results if r.task in ("analogy", "word-similarity")])
    if "word-similarity" in tasks:
        lines.append("Word pairs: the figure is the Spearman rank correlation between the model's cosines and "
                     "the human scores (Pearson is shown too).")
    if "document-similarity" in tasks:
        lines.append("Documents (Lee): the figure is the Pearson correlation between cosines and human "
                     "similarity over every pair of the 50 documents.")
    if "sentence-similarity" in tasks:
        lines.append("Sentence pairs: the figure is the Spearman rank correlation between cosines and the gold scores.")
    if "retrieval" in tasks:
        lines.append(_retrieval_line(results))
    lines += _items_lines(results)
    lines.append("Datasets: " + "; ".join(_datasets(results)) + ".")
    return lines


def _retrieval_line(results: Sequence) -> str:
    by = ", ".join(str(v) for v in _values(results, "metrics_by", "retrieval") if v) or "ir-measures"
    scores = " or ".join({"max": "its best passage", "mean": "the mean of its passages"}.get(str(v), str(v))
                         for v in _values(results, "doc_score", "retrieval"))
    return ("Retrieval: every query ranks the corpus documents (a document scores as " + scores + "); nDCG@10, "
            "MRR@10 and Recall@k over the queries with a relevant document, as BEIR and MTEB compute them "
            f"({by}); graded relevance from the qrels file.")


def _analogy_line(results: Sequence) -> str:
    methods = [m for m in _values(results, "method", "analogy") if m]
    how = {"3cosadd": "3CosAdd, the word nearest to b - a + c (gensim's most_similar)",
           "3cosmul": "3CosMul, Levy & Goldberg's multiplicative form"}
    line = ("Analogies a : b :: c : ? are answered with " + " or ".join(how.get(m, m) for m in methods)
            + "; the three question words are never answers; accuracy = correct answers / questions answered.")
    tols = [t for t in _values(results, "tol", "analogy") if t]
    if any(_values(results, "exact_tie_check", "analogy")) and tols:
        line += (f" Near ties (score gaps under {', '.join(f'{t:.3g}' for t in tols)}) are re-checked with "
                 "gensim's own arithmetic, so the counts equal gensim's evaluate_word_analogies.")
    return line


def _vocabulary_lines(results: Sequence) -> list[str]:
    lines = []
    limits = _values(results, "restrict_vocab")
    known = ", ".join("the whole vocabulary" if n is None else f"the {n:,} most frequent words" for n in limits)
    policies = {"skip": "skipped (not counted)", "wrong": "counted as wrong", "zero": "scored 0"}
    oov = " or ".join(policies.get(p, str(p)) for p in _values(results, "oov"))
    lines.append(f"Known words: only {known} of each model count as known (and as possible answers); "
                 f"a question or pair with any other word is {oov}, as gensim does.")
    cases = _values(results, "case_insensitive")
    if True in cases:
        lines.append("Words are matched case-insensitively: both sides upper-cased, the most frequent spelling "
                     "winning (gensim's rule).")
    if False in cases:
        lines.append("Words are matched exactly as written (case-sensitive).")
    return lines


def _items_lines(results: Sequence) -> list[str]:
    from textemb.evaluation.common_items import items_of

    kinds = {items_of(r) for r in results}
    lines = []
    if "common" in kinds:
        lines.append("Items 'common': every model is scored on the same items, those whose words all compared "
                     "models know, so the figures in such a row compare like with like.")
    if "own" in kinds:
        lines.append("Items 'own': each model is scored on everything it covers (the count is beside each "
                     "figure); models with different coverage answered different questions, so such figures "
                     "are not directly comparable.")
    return lines


def _datasets(results: Sequence) -> list[str]:
    out = {}
    for r in results:
        files = r.settings.get("dataset", {}).get("files", [])
        named = ", ".join(f"{str(f['path']).rsplit('/', 1)[-1]} (sha256 {str(f['sha256'])[:12]}…)" for f in files)
        same = len(files) == 1 and str(files[0]["path"]).rsplit("/", 1)[-1] == r.dataset
        out.setdefault(r.dataset, named if same else f"{r.dataset} = {named}" if named else str(r.dataset))
    return list(out.values())
