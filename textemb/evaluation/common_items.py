"""The items every model covers, so side-by-side figures compare like with like.

A word-level benchmark skips what a model does not know (gensim's convention): GloVe answers 19,486
of the 19,544 Google analogies, BERT's word vectors only ~12,150, and accuracies over different
question sets are not comparable. This module finds the questions (or word pairs) whose words are
known to *every* model — the same test as the evaluators apply: the first ``restrict_vocab`` words,
upper-cased when matching is case-insensitive — and writes them to a file in the dataset's own
format, which the ordinary evaluators then read like any dataset. Nothing here scores anything.

>>> items = common_analogies("google", {"glove": glove, "bert": bert_words}, folder=tmp)
>>> evaluate_analogies(glove, items.path)   # every model answers exactly items.common questions
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from textemb.errors import InputError
from textemb.evaluation.datasets import read_analogies, read_word_pairs, resolve_dataset, sha256


@dataclass
class CommonItems:
    """A dataset cut down to the items all models cover, and how much each model covers alone."""

    dataset: str  #: the dataset's short name (``google``, ``wordsim353``, a file name)
    kind: str  #: ``analogy`` or ``word-pairs``
    path: Path  #: the file holding only the common items (same format as the dataset)
    total: int  #: items in the whole dataset
    common: int  #: items every model covers
    covered: dict[str, int] = field(default_factory=dict)  #: model label -> items it covers alone
    source: dict = field(default_factory=dict)  #: the whole dataset's files and sha256

    def describe(self) -> dict:
        """What a result carries in ``settings["items"]``: the rule, the counts, the subset's sha256."""
        return {"items": "common", "common": self.common, "total": self.total, "covered": dict(self.covered),
                "rule": "only the items whose words every compared model knows (first restrict_vocab words, "
                        "matched upper-cased unless case-sensitive)",
                "models": list(self.covered), "subset_sha256": sha256(self.path), "dataset": self.source}


def known_keys(words: Sequence[str], restrict_vocab: int | None, case_insensitive: bool) -> set[str]:
    """The keys a model knows under the evaluators' rules (gensim's ``ok_vocab``)."""
    head = words if restrict_vocab is None else words[:restrict_vocab]
    return {w.upper() for w in head} if case_insensitive else set(head)


def _keys_of(models: Mapping[str, object], restrict_vocab: int | None, ci: bool) -> dict[str, set[str]]:
    if len(models) < 2:
        raise InputError(f"common items need at least 2 models to compare, got {len(models)}")
    return {label: known_keys(list(wv.words), restrict_vocab, ci) for label, wv in models.items()}


def common_analogies(dataset: str | Path, models: Mapping[str, object], *, folder: str | Path,
                     restrict_vocab: int | None = 300_000, case_insensitive: bool = True) -> CommonItems:
    """The analogy questions whose four words every model in ``models`` (label -> word vectors) knows."""
    ref = resolve_dataset(dataset, "analogy")
    keys = _keys_of(models, restrict_vocab, case_insensitive)
    sections, _ = read_analogies(ref.path)
    covered = dict.fromkeys(keys, 0)
    lines: list[str] = []
    total = common = 0
    for s in sections:
        kept = []
        for q in s.questions:
            total += 1
            k = [w.upper() for w in q] if case_insensitive else list(q)
            ok = [label for label, known in keys.items() if all(w in known for w in k)]
            for label in ok:
                covered[label] += 1
            if len(ok) == len(keys):
                kept.append(" ".join(q))
        if kept:
            lines += [f": {s.name}", *kept]
            common += len(kept)
    if not common:
        raise InputError(f"no {ref.name} question has all four words in every model's vocabulary; "
                         "compare with --items own")
    path = Path(folder) / f"{ref.name}.common.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CommonItems(ref.name, "analogy", path, total, common, covered, ref.describe())


def common_word_pairs(dataset: str | Path, models: Mapping[str, object], *, folder: str | Path,
                      restrict_vocab: int | None = 300_000, case_insensitive: bool = True,
                      delimiter: str | None = None, encoding: str = "utf-8", quoting: str = "auto") -> CommonItems:
    """The word pairs whose two words every model knows, written as quoted CSV (read it with ``quoting="csv"``)."""
    ref = resolve_dataset(dataset, "word-pairs")
    keys = _keys_of(models, restrict_vocab, case_insensitive)
    pairs, _ = read_word_pairs(ref.path, delimiter=delimiter, encoding=encoding, quoting=quoting)
    covered = dict.fromkeys(keys, 0)
    kept = []
    for a, b, score in pairs:
        k = (a.upper(), b.upper()) if case_insensitive else (a, b)
        ok = [label for label, known in keys.items() if k[0] in known and k[1] in known]
        for label in ok:
            covered[label] += 1
        if len(ok) == len(keys):
            kept.append((a, b, repr(float(score))))
    if len(kept) < 2:
        raise InputError(f"only {len(kept)} {ref.name} pair(s) have both words in every model's vocabulary; "
                         "compare with --items own")
    path = Path(folder) / f"{ref.name}.common.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(kept)
    return CommonItems(ref.name, "word-pairs", path, len(pairs), len(kept), covered, ref.describe())


def relabel(result, items: CommonItems) -> None:
    """Make a result computed on ``items.path`` name the original dataset and say which items it used."""
    result.dataset = items.dataset
    result.settings["items"] = items.describe()
    result.settings["dataset"] = items.source


def coverage(result) -> tuple[int, int]:
    """(items the result's model covered, items in the dataset) of one result."""
    items = result.settings.get("items", {})
    if items.get("items") == "common":
        return int(items["common"]), int(items["total"])
    m = result.metrics
    if result.task == "analogy":
        return int(m["questions"]) - int(m["oov_questions"]), int(m["questions"])
    if result.task == "word-similarity":
        return int(m["pairs"]) - int(m.get("oov_pairs", 0)), int(m["pairs"])
    n = int(result.settings.get("queries", 0)) if result.task == "retrieval" else int(m.get("pairs", 0))
    return n, n


def items_of(result) -> str:
    """``common`` (scored on the items all compared models cover), ``own`` (on what it covers) or ``all``."""
    kind = result.settings.get("items", {}).get("items")
    if kind:
        return str(kind)
    covered, total = coverage(result)
    return "all" if covered == total else "own"


def items_label(result) -> str:
    """The items a result was scored on, in words: ``common 12,042 of 19,544``, ``own``, ``all 1,225``."""
    kind = items_of(result)
    if kind == "common":
        items = result.settings["items"]
        return f"common {items['common']:,} of {items['total']:,}"
    return "own" if kind == "own" else f"all {coverage(result)[1]:,}"
