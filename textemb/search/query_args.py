"""What a search asks for, checked in one place: the mode, the vector search, k, the document score, the queries.

Shared by :meth:`Index.search <textemb.search.index.Index.search>`, :meth:`~textemb.search.index.Index.search_vectors`
and the CLI (which also refuses control-only queries with :func:`is_blank`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textemb.errors import InputError
from textemb.search.ranking import DOC_SCORES

MODES = ("dense", "bm25", "hybrid")
#: chosen from bench/results/search_hybrid_quality.md: hybrid with weighted fusion is best or tied-best on both
#: shipped query sets with every encoder measured, while each single retriever loses on one of them and RRF is
#: pulled down by the weaker retriever
DEFAULT_MODE = "hybrid"
DEFAULT_FUSION = "weighted"
ANN_CHOICES = ("auto", "exact", "ann")
#: documents each retriever contributes to a hybrid fusion
FUSION_DEPTH = 100


def check_queries(queries: str | Sequence[str], k: object, doc_score: str) -> list[str]:
    """The queries as a list, after checking them, ``k`` and ``doc_score``."""
    qs = [queries] if isinstance(queries, str) else list(queries)
    if not qs:
        raise InputError("no queries given")
    for q in qs:
        if not isinstance(q, str) or not q.strip():  # (the CLI also refuses control-only queries: is_blank)
            raise InputError(f"empty query {q!r:.60}: give some words to search for")
    check_k_and_doc_score(k, doc_score)
    return qs


def check_k_and_doc_score(k: object, doc_score: str) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    if doc_score not in DOC_SCORES:
        raise InputError(f"doc_score must be one of {', '.join(DOC_SCORES)}, got {doc_score!r}")


def resolve_mode(mode: str | None, ann: str) -> tuple[str, str]:
    if mode in ("exact", "ann"):  # the spelling before hybrid search: dense with that vector search
        return "dense", mode
    if mode is None or mode == "auto":
        mode = DEFAULT_MODE
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if ann not in ANN_CHOICES:
        raise InputError(f"ann must be one of {', '.join(ANN_CHOICES)}, got {ann!r}")
    return mode, ann


def is_blank(query: object) -> bool:
    """Whether a query holds nothing to search for: not a string, or only spaces and control/format characters."""
    import unicodedata

    return not isinstance(query, str) or all(unicodedata.category(c)[0] in "CZ" for c in query)
