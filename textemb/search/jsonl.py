"""``.jsonl`` document lines: parsed and checked, or refused with the reason the walk records.

A line is refused when it is not a JSON object with a string ``text``, when it nests lists/objects more than
:data:`MAX_JSON_DEPTH` levels deep (json raises RecursionError past about 1,000; an index must write such a
record and read it back), or when an escape smuggles in a lone surrogate.
"""

from __future__ import annotations

import json

#: a ``.jsonl`` record nested deeper is skipped: it could not be written to, and read back from, an index
MAX_JSON_DEPTH = 100


def _reencodes(obj: object) -> str | None:
    """Why a parsed record cannot be written back as UTF-8 JSON (a lone surrogate), or None."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "line holds an unpaired surrogate escape (\\ud800-\\udfff), not valid Unicode text"
    except (RecursionError, MemoryError):
        return "line is JSON nested too deeply to keep"
    return None


def jsonl_record(line: str) -> tuple[dict | None, str | None]:
    """One ``.jsonl`` line as ``(record, None)``, or ``(None, why it is skipped)``."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        obj = None
    except ValueError:  # an integer of more than 4,300 digits
        return None, "line holds a number too long to read"
    except (RecursionError, MemoryError):
        return None, "line is JSON nested too deeply (or too large) to read"
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return None, "line is not a JSON object with a string 'text'"
    # only many brackets can nest deeply, and only escapes can smuggle in a lone surrogate: check just those lines
    if line.count("[") + line.count("{") > MAX_JSON_DEPTH and _deeper_than(obj, MAX_JSON_DEPTH):
        return None, f"line is JSON nested more than {MAX_JSON_DEPTH} levels deep"
    if "\\ud" in line.lower():
        why = _reencodes(obj)
        if why:
            return None, why
    return obj, None


def _deeper_than(obj: object, limit: int) -> bool:
    """Whether lists/objects nest more than ``limit`` levels in ``obj`` (walked without recursion)."""
    stack = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False
