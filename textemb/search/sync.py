"""The one sync planner: which indexed files to drop and which documents to (re-)encode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textemb.search.documents import Document


@dataclass
class SyncReport:
    """What a sync changed (counted in source files) and how many passages it encoded."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    encoded_passages: int = 0
    seconds: float = 0.0


def plan_sync(indexed: dict[str, str], documents: Sequence[Document]) -> tuple[set[str], list[Document], SyncReport]:
    """Compare ``source -> content hash`` of the index with ``documents``: (stale sources, documents to encode, counts).

    A file whose hash changed is both stale (its old documents go) and re-encoded; a file no longer
    present is stale; an unchanged file is left alone.
    """
    by_source: dict[str, list[Document]] = {}
    for d in documents:
        by_source.setdefault(d.source, []).append(d)
    report = SyncReport()
    stale = {s for s in indexed if s not in by_source}
    report.removed = len(stale)
    todo: list[Document] = []
    for src, group in by_source.items():
        if src not in indexed:
            todo.extend(group)
            report.added += 1
        elif indexed[src] != group[0].source_hash:
            todo.extend(group)
            stale.add(src)
            report.updated += 1
        else:
            report.unchanged += 1
    return stale, todo, report
