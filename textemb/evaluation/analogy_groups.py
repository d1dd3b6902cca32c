"""The classic analogy pictures, as plain data: which word pairs a report draws (no plotting here).

The analogy evaluator looks these words up when it runs and stores their 2-D projection in the
result (:mod:`textemb.evaluation.figure_data`); :mod:`textemb.evaluation.plots` draws them.
"""

from __future__ import annotations

#: the classic analogy pictures: (title, [(from, to), ...])
ANALOGY_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("male → female", [("man", "woman"), ("king", "queen"), ("uncle", "aunt"), ("brother", "sister"),
                       ("nephew", "niece"), ("actor", "actress")]),
    ("country → capital", [("france", "paris"), ("italy", "rome"), ("germany", "berlin"), ("japan", "tokyo"),
                           ("china", "beijing"), ("russia", "moscow"), ("greece", "athens"), ("egypt", "cairo")]),
]


def group_words() -> list[str]:
    """Every word of :data:`ANALOGY_GROUPS`, in order, each once."""
    return list(dict.fromkeys(w for _, pairs in ANALOGY_GROUPS for pair in pairs for w in pair))
