"""Pure-Python planning for contextual encoders: which layers, and which token windows.

Kept free of torch so the rules (layer specs, sliding windows over long texts) are cheap to
test and reuse. Layer numbers follow Hugging Face ``hidden_states``: ``0`` is the embedding
layer's output, ``1..N`` the transformer layers, negative numbers count from the end
(``-1`` is the last layer).
"""

from __future__ import annotations

from dataclasses import dataclass

from textemb.errors import InputError

LAYER_NAMES = ("last", "first", "embeddings", "all")


def parse_layers(spec: str | int | list[int] | tuple[int, ...], n_layers: int) -> list[int]:
    """Turn a layer spec into ``hidden_states`` indices in ``0..n_layers``.

    Accepts ``last`` (= -1), ``first`` (= 1, the first transformer layer), ``embeddings`` (= 0),
    ``all`` (1..N), an int, a comma list (``-4,-3``), inclusive ranges (``-4..-1``, ``1..3``) and
    mixes of these; a list/tuple of ints also works.
    """
    if isinstance(spec, int) and not isinstance(spec, bool):
        parts: list[str] = [str(spec)]
    elif isinstance(spec, (list, tuple)):
        parts = [str(p) for p in spec]
    elif isinstance(spec, str) and spec.strip():
        parts = [p.strip() for p in spec.split(",")]
    else:
        raise InputError(f"layers must be a string, an int or a list of ints, got {spec!r}")
    out: list[int] = []
    for part in parts:
        if part in ("last", "first", "embeddings"):
            out.append({"last": n_layers, "first": 1, "embeddings": 0}[part])
        elif part == "all":
            out.extend(range(1, n_layers + 1))
        elif ".." in part:
            lo, _, hi = part.partition("..")
            a, b = _layer_index(lo, n_layers, spec), _layer_index(hi, n_layers, spec)
            if a > b:
                raise InputError(f"layer range {part!r} runs backwards; write the lower layer first (e.g. -4..-1)")
            out.extend(range(a, b + 1))
        else:
            out.append(_layer_index(part, n_layers, spec))
    if len(set(out)) != len(out):
        raise InputError(f"layers {spec!r} names a layer twice")
    return out


def _layer_index(text: str, n_layers: int, spec: object) -> int:
    try:
        i = int(text)
    except ValueError:
        raise InputError(
            f"cannot read layer {text!r} in layers={spec!r}: use last, first, embeddings, all, "
            "integers (-1 = last), comma lists or ranges such as -4..-1"
        ) from None
    j = n_layers + 1 + i if i < 0 else i
    if not 0 <= j <= n_layers:
        raise InputError(
            f"layer {i} does not exist: this model has layers 0 (embeddings) to {n_layers} (or -{n_layers + 1} to -1)"
        )
    return j


@dataclass(frozen=True)
class Window:
    """Content tokens ``[start, end)`` go through the model together; ``[own_start, own_end)``
    are the tokens whose vectors are taken from this window (where they have the most context)."""

    start: int
    end: int
    own_start: int
    own_end: int


def plan_windows(n: int, width: int, stride: int, *, truncate: bool = False) -> list[Window]:
    """Cover ``n`` content tokens with windows of at most ``width`` tokens.

    Window starts advance by ``stride`` tokens (``stride <= width``; overlap = ``width - stride``)
    and the last window is aligned to the end of the text so it is full. Each token is owned by
    the window in which it is farthest from an edge. With ``truncate=True`` only the first
    window is kept and the tokens past it are dropped (the caller reports it).
    """
    if width < 1:
        raise InputError(f"window width must be at least 1 token, got {width}")
    if not 1 <= stride <= width:
        raise InputError(f"stride must be between 1 and the window width {width}, got {stride}")
    if n <= width or truncate:
        end = min(n, width)
        return [Window(0, end, 0, end)]
    starts = list(range(0, n - width, stride)) + [n - width]
    spans = [(s, s + width) for s in starts]
    bounds = [0]
    for (_s0, e0), (s1, _) in zip(spans, spans[1:]):
        # token p prefers the earlier window while its right context there (e0-1-p) >= its left context in the next (p-s1)
        bounds.append(max(bounds[-1], min(e0, (e0 - 1 + s1) // 2 + 1)))
    bounds.append(n)
    return [Window(s, e, bounds[i], bounds[i + 1]) for i, (s, e) in enumerate(spans)]
