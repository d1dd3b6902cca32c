"""How a contextual model's hidden states become vectors: layers combined, window tokens pooled, pieces merged.

Pure functions over torch tensors / numpy arrays, shared by :class:`~textemb.encoders.contextual.ContextualEncoder`'s
text encoding, its per-word vectors and the word vectors built from them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def combine_layers(states: Sequence, layers: Sequence[int], combine: str):
    """The chosen hidden-state layers merged into one tensor (``concat``, ``sum`` or ``mean``)."""
    import torch

    chosen = [states[j] for j in layers]
    if combine == "concat":
        return torch.cat(chosen, dim=-1)
    hidden = torch.stack(chosen).float().sum(0)
    return hidden / len(chosen) if combine == "mean" else hidden


def kept_tokens(shape: tuple[int, int], own: tuple[Sequence[int], Sequence[int]], lens: Sequence[int],
                prefix: int, suffix: int, device):
    """``(batch, positions)`` mask of the tokens a window contributes to its text's pooled vector: the
    content tokens it owns (``own`` = start/end positions per window), plus every special token of the
    window (``[CLS]`` before, ``[SEP]`` after its content), as sentence-transformers' mean pooling counts them."""
    import torch

    lo = torch.as_tensor(own[0], device=device)[:, None]
    hi = torch.as_tensor(own[1], device=device)[:, None]
    end = torch.as_tensor(lens, device=device)[:, None]
    pos = torch.arange(shape[1], device=device)[None, :]
    return ((pos >= lo) & (pos < hi)) | (pos < prefix) | ((pos >= end - suffix) & (pos < end))


def piece_groups(word_ids: Sequence[int | None]) -> list[tuple[int, int]]:
    """``(first, past-last)`` piece positions of each word: consecutive pieces with the same word id."""
    groups: list[tuple[int, int]] = []
    for k, wid in enumerate(word_ids):
        if wid is None:
            continue
        if groups and word_ids[groups[-1][0]] == wid:
            groups[-1] = (groups[-1][0], k + 1)
        else:
            groups.append((k, k + 1))
    return groups


def pool_pieces(pieces: np.ndarray, subword: str) -> np.ndarray:
    """One word's vector from its pieces' vectors: the ``first``, the ``last`` or their ``mean``."""
    if subword == "first":
        return pieces[0]
    if subword == "last":
        return pieces[-1]
    return pieces.mean(axis=0)
