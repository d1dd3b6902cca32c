"""The one chunker: documents -> overlapping passages (character spans) and the passage texts that get encoded.

Every build path (the in-process engine, Ray Data, any store) chunks here, with the tokenizer picked by
:func:`chunk_tokenizer`, so a passage table never depends on where the vectors were computed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textemb.errors import InputError

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are split into passages (``unit``: ``words`` or ``tokens``)."""

    size: int = 128
    overlap: int = 32
    unit: str = "words"
    title: bool = True  # prepend the title to every passage before encoding (and lexical indexing)


def chunk_tokenizer(encoder, unit: str):
    """The Hugging Face fast tokenizer ``--unit tokens`` chunks with, or None (words, or no HF tokenizer).

    An ``sbert``/``bert`` encoder exposes it as ``encoder.tokenizer`` or ``encoder.model.tokenizer``; this is
    the only place that looks, so the local and the Ray engine always chunk with the same tokenizer.
    """
    from textemb.encoders.capabilities import hf_tokenizer_of

    if unit != "tokens" or encoder is None:
        return None
    return hf_tokenizer_of(encoder)


def token_spans(text: str, unit: str = "words", tokenizer=None) -> list[tuple[int, int]]:
    """Character spans of the units ``text`` is chunked by.

    ``words``: whitespace-separated words. ``tokens``: the encoder's subword tokens when a
    Hugging Face fast ``tokenizer`` is given (offsets from the tokenizer), else textemb's word
    and punctuation tokens.
    """
    if unit == "words":
        return [m.span() for m in _WORD.finditer(text)]
    if unit != "tokens":
        raise InputError(f"chunk unit must be 'words' or 'tokens', got {unit!r}")
    if tokenizer is not None:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
        return [tuple(s) for s in enc["offset_mapping"] if s[1] > s[0]]
    from textemb.text import TOKEN_PATTERN

    return [m.span() for m in TOKEN_PATTERN.finditer(text)]


def chunk_spans(
    text: str, *, size: int = 128, overlap: int = 32, unit: str = "words", tokenizer=None
) -> list[tuple[int, int]]:
    """Overlapping passages of at most ``size`` units (``overlap`` shared), as character offsets.

    A text shorter than ``size`` is one passage; a text with no units gives none.
    """
    if not isinstance(size, int) or size < 1:
        raise InputError(f"chunk size must be a positive integer, got {size!r}")
    if not isinstance(overlap, int) or not 0 <= overlap < size:
        raise InputError(f"chunk overlap must be between 0 and size-1 ({size - 1}), got {overlap!r}")
    spans = token_spans(text, unit, tokenizer)
    if not spans:
        return []
    out, step = [], size - overlap
    for start in range(0, len(spans), step):
        window = spans[start : start + size]
        out.append((window[0][0], window[-1][1]))
        if start + size >= len(spans):
            break
    return out


def passage_text(title: str | None, text: str, chunk: ChunkSettings) -> str:
    """What is encoded (and indexed lexically) for one passage: ``title\\npassage`` or the passage alone."""
    return f"{title}\n{text}" if chunk.title and title else text


def chunk_documents(documents: Sequence, chunk: ChunkSettings, tokenizer=None) -> tuple[list[str], np.ndarray]:
    """Passage texts to encode and the ``(document row, start, end)`` table, for Documents or document records."""
    texts: list[str] = []
    rows: list[tuple[int, int, int]] = []
    for i, doc in enumerate(documents):
        text, title = (doc["text"], doc.get("title")) if isinstance(doc, dict) else (doc.text, doc.title)
        for s, e in chunk_spans(text, size=chunk.size, overlap=chunk.overlap, unit=chunk.unit, tokenizer=tokenizer):
            texts.append(passage_text(title, text[s:e], chunk))
            rows.append((i, s, e))
    return texts, np.asarray(rows, dtype=np.int64).reshape(-1, 3)
