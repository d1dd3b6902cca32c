"""Printing helpers shared by the commands: readable tables for people, JSON for machines.

Words, file names and other strings from data reach the terminal only through these (or through
:func:`textemb.text.printable` at a command's own ``print``): table cells have C0/C1 controls and
bidi overrides escaped; JSON is always valid UTF-8 (lone surrogates from undecodable names become
U+FFFD) and carries C1/bidi characters as ``\\uXXXX`` escapes, which JSON readers decode unchanged.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence

# characters JSON may carry raw but a terminal could act on (C1 controls, bidi overrides, line separators)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(obj: object) -> str:
    """``obj`` as indented JSON that is valid UTF-8 and safe to show on a terminal."""
    from textemb.text import utf8_safe

    text = utf8_safe(json.dumps(obj, indent=2, ensure_ascii=False, default=_default))  # undecodable file names
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def print_json(obj: object) -> None:
    sys.stdout.write(json_text(obj))
    sys.stdout.write("\n")


def _default(obj: object):
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table (numbers right-aligned)."""
    from textemb.text import printable

    headers = [printable(h) for h in headers]
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(r[i], (int, float)) for r in rows) and rows for i in range(len(headers))]

    def line(values):
        return "  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if value is None:
        return "-"
    from textemb.text import printable

    return printable(value)
