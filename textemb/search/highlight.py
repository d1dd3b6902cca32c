"""Query words in results: which words to mark, a short excerpt around them, and where they are.

Shared by ``textemb search`` (bold on a terminal) and ``textemb serve`` (highlight spans in JSON), so both
mark the same words in the same excerpt.
"""

from __future__ import annotations

import re

_STOP = frozenset("a an and are as at be by for from has have in is it its of on or that the this to was were what "
                  "which who with how do does did when where why there their".split())


def query_words(query: str) -> list[str]:
    """The words worth highlighting: lower-cased, without stopwords and one-letter tokens, longest first."""
    from textemb.text import tokenize

    words = {w for w in tokenize(query) if len(w) > 1 and w not in _STOP and re.search(r"\w", w)}
    return sorted(words, key=lambda w: (-len(w), w))


def word_pattern(words: list[str]) -> re.Pattern:
    """Whole-word, case-insensitive matches of any of ``words`` (linear: an alternation of literals)."""
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)


def excerpt(passage: str, words: list[str], width: int) -> str:
    """About ``width`` characters of the passage (whitespace collapsed), around the first query word."""
    text = " ".join(passage.split())
    if len(text) <= width:
        return text
    m = word_pattern(words).search(text) if words else None
    start = 0 if m is None else max(0, m.start() - width // 3)
    start = text.rfind(" ", 0, start) + 1 if start else 0
    piece = text[start : start + width].rsplit(" ", 1)[0]
    return ("..." if start else "") + piece + "..."


def highlight_spans(text: str, words: list[str]) -> list[list[int]]:
    """``[start, end)`` spans of whole-word, case-insensitive matches of ``words`` in ``text``."""
    if not words:
        return []
    return [[m.start(), m.end()] for m in word_pattern(words).finditer(text)]
