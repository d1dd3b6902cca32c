"""Word vectors from a contextual model, for word-level benchmarks (``bert:`` → WordVectors).

Each word is encoded alone (``[CLS] word [SEP]``, its pieces pooled with the encoder's ``subword``)
or averaged over its occurrences in given contexts. Isolated-word vectors of a local model are kept
in textemb's cache, keyed by the weights file (size/mtime), the options and the word list.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from textemb.encoders.contextual_model import read_words
from textemb.encoders.contextual_pooling import pool_pieces
from textemb.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from textemb.encoders.contextual import ContextualEncoder
    from textemb.vectors import WordVectors

MISSING = ("isolated", "drop")


def default_vocab(encoder: ContextualEncoder) -> list[str]:
    """The ``vocab=`` file's words if one was given, else the model vocabulary's whole words."""
    if encoder.vocab:
        return read_words(encoder.vocab)
    tokenizer = encoder.tokenizer
    special = set(tokenizer.all_special_tokens)
    words, seen = [], set()
    for piece, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1]):
        if piece in special or piece.startswith("##") or (piece.startswith("[") and piece.endswith("]")):
            continue
        word = tokenizer.convert_tokens_to_string([piece]).strip()
        if re.fullmatch(r"[^\W_]+", word) and word not in seen:
            seen.add(word)
            words.append(word)
    return words


def word_vectors(encoder: ContextualEncoder, vocab: Iterable[str] | str | Path | None,
                 contexts: Iterable[str] | None, *, batch_size: int, show_progress: bool | None,
                 missing: str, cache: bool) -> WordVectors:
    """:meth:`ContextualEncoder.word_vectors <textemb.encoders.contextual.ContextualEncoder.word_vectors>`."""
    from textemb.vectors import WordVectors

    if missing not in MISSING:
        raise InputError(f"missing must be 'isolated' or 'drop', got {missing!r}")
    words = _vocab_words(encoder, vocab)
    if show_progress is None:
        show_progress = len(words) >= 2_000
    weights = Path(encoder.model_path) / "model.safetensors"
    key = _cache_key(encoder, words) if cache and contexts is None and weights.is_file() else None
    if key is not None:
        from textemb.io import cache as vector_cache

        hit = vector_cache.lookup(weights, key)
        if hit is not None:
            wv = WordVectors(hit[0], hit[1], name=f"{encoder.name}-words", device=encoder.device)
            wv.last_stats = {"words": len(words), "kept": len(hit[0]), "mode": "isolated", "cached": True}  # type: ignore[dict-item]
            return wv
    matrix, found = _compute(encoder, words, contexts, missing, batch_size, show_progress, cached=key is not None)
    keep = np.flatnonzero(found)
    kept_words = [words[i] for i in keep]
    if key is not None:
        vector_cache.store(weights, key, kept_words, matrix[keep], meta={"name": f"{encoder.name}-words"})
    wv = WordVectors(kept_words, matrix[keep], name=f"{encoder.name}-words", device=encoder.device)
    mode = "isolated" if contexts is None else "contexts"
    wv.last_stats = {"words": len(words), "kept": int(len(keep)), "mode": mode, "cached": False}  # type: ignore[assignment]
    return wv


def _vocab_words(encoder: ContextualEncoder, vocab: Iterable[str] | str | Path | None) -> list[str]:
    """The words asked for: the default vocabulary, a file's words, or the distinct non-blank strings given."""
    if vocab is None:
        words = default_vocab(encoder)
    elif isinstance(vocab, (str, Path)):
        words = read_words(vocab)
    else:
        words = list(dict.fromkeys(w for w in vocab if isinstance(w, str) and w.strip()))
    if not words:
        raise InputError("word_vectors() needs at least one word")
    return words


def _cache_key(encoder: ContextualEncoder, words: list[str]) -> dict:
    """What makes isolated-word vectors the same: layers, combination, subword pooling, dtype, the words."""
    return {"kind": "contextual-word-vectors", "layers": encoder.layers, "combine": encoder.combine,
            "subword": encoder.subword, "dtype": encoder.options["dtype"],
            "words": hashlib.sha256("\n".join(words).encode()).hexdigest()}


def _compute(encoder: ContextualEncoder, words: list[str], contexts: Iterable[str] | None, missing: str,
             batch_size: int, show_progress: bool, *, cached: bool) -> tuple[np.ndarray, np.ndarray]:
    """The words' vectors and which words got one (context averages first, then isolated words)."""
    matrix = np.zeros((len(words), encoder.dim), dtype=np.float32)
    found = np.zeros(len(words), dtype=bool)
    if contexts is not None:
        counts = _accumulate_contexts(encoder, words, contexts, matrix, batch_size, show_progress)
        found = counts > 0
        matrix[found] /= counts[found, None]
    todo = [i for i in range(len(words)) if not found[i]]
    if todo and (contexts is None or missing == "isolated"):
        _embed_isolated(encoder, words, todo, matrix, batch_size, show_progress, cached=cached)
        found[todo] = True
    return matrix, found


def _embed_isolated(encoder: ContextualEncoder, words: list[str], todo: list[int], matrix: np.ndarray,
                    batch_size: int, show_progress: bool, *, cached: bool) -> None:
    """Each word of ``todo`` encoded alone; before a long run, one line saying how many words and about
    how long (timed on a first batch), so a first analogy never waits silently."""
    from textemb.progress import announce, format_duration

    def fill(rows, bar):
        pooled = encoder.embed_tokens_batch([words[i] for i in rows], batch_size=batch_size, show_progress=bar)
        for (_, vecs), i in zip(pooled, rows):  # the generator first, so it runs to its end (and final line)
            matrix[i] = pool_pieces(vecs, encoder.subword) if len(vecs) else 0.0

    first = 0
    if show_progress and len(todo) > 4 * batch_size:
        t0 = time.perf_counter()
        first = batch_size
        fill(todo[:first], False)
        left = (len(todo) - first) * (time.perf_counter() - t0) / first
        where = "this CPU" if encoder.device == "cpu" else str(encoder.device)
        announce(f"building word vectors for {len(todo):,} words with {encoder.spec} "
                 f"(about {format_duration(left)} on {where}{'; cached afterwards' if cached else ''})")
    fill(todo[first:], show_progress)


def _accumulate_contexts(encoder: ContextualEncoder, words: list[str], contexts: Iterable[str], matrix: np.ndarray,
                         batch_size: int, show_progress: bool) -> np.ndarray:
    """Sum each word's contextual vectors over its occurrences (exact spelling, else lower-cased) into
    ``matrix``; returns the occurrence counts."""
    index = {w: i for i, w in enumerate(words)}
    lower: dict[str, int] = {}
    for w, i in index.items():
        lower.setdefault(w.lower(), i)
    counts = np.zeros(len(words), dtype=np.float64)
    texts = [c for c in contexts if isinstance(c, str)]
    for ws, vecs in encoder.embed_tokens_batch(texts, batch_size=batch_size, show_progress=show_progress):
        for w, v in zip(ws, vecs):
            i = index.get(w)
            if i is None:
                i = lower.get(w.lower())
            if i is not None:
                matrix[i] += v
                counts[i] += 1
    return counts
