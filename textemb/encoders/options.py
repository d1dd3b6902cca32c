"""The one parser for spec options (``?key=value&...``): every backend pops typed values through these.

A registry factory receives the spec's options as a ``dict[str, str]`` and pops what it understands;
whatever is left is reported as unknown (:func:`reject_unknown`): by the registry after the factory returns, and
by a factory whose model is slow to load before it loads it, so a typo fails at once. These helpers do the popping with one
convention for every backend: booleans are ``1/0, true/false, yes/no, on/off``; numbers are checked
for range; every error names the option, the value and what is expected.

>>> opts = {"limit": "1000", "cache": "0"}
>>> pop_int(opts, "limit", minimum=1), pop_bool(opts, "cache", default=True), opts
(1000, False, {})
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from textemb.errors import InputError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_D = TypeVar("_D")


def parse_bool(value: object, key: str) -> bool:
    """``value`` as a bool, or :class:`InputError` naming ``key`` (empty string is not a bool)."""
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InputError(f"option {key} must be one of {'/'.join(_TRUE)} or {'/'.join(_FALSE)}, got {value!r}")


def pop_bool(options: dict, key: str, default: _D = None) -> bool | _D:  # type: ignore[assignment]
    """Pop ``key`` as a bool; ``default`` when absent."""
    value = options.pop(key, None)
    return default if value is None else parse_bool(value, key)


def pop_int(options: dict, key: str, default: _D = None, *, minimum: int | None = None,  # type: ignore[assignment]
            maximum: int | None = None) -> int | _D:
    """Pop ``key`` as an int within ``[minimum, maximum]``; ``default`` when absent."""
    value = options.pop(key, None)
    if value is None:
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError(f"option {key} must be an integer, got {value!r}") from None
    _check_range(key, number, minimum, maximum)
    return number


def pop_float(options: dict, key: str, default: _D = None, *, minimum: float | None = None,  # type: ignore[assignment]
              maximum: float | None = None) -> float | _D:
    """Pop ``key`` as a finite float within ``[minimum, maximum]``; ``default`` when absent."""
    value = options.pop(key, None)
    if value is None:
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InputError(f"option {key} must be a number, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError(f"option {key} must be a finite number, got {value!r}")
    _check_range(key, number, minimum, maximum)
    return number


def pop_choice(options: dict, key: str, choices: Iterable[str], default: _D = None) -> str | _D:  # type: ignore[assignment]
    """Pop ``key`` and check it is one of ``choices``; ``default`` when absent."""
    value = options.pop(key, None)
    if value is None:
        return default
    allowed = list(choices)
    if value not in allowed:
        raise InputError(f"option {key} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def pop_str(options: dict, key: str, default: _D = None) -> str | _D:  # type: ignore[assignment]
    """Pop ``key`` as a non-empty string; ``default`` when absent."""
    value = options.pop(key, None)
    if value is None:
        return default
    if not str(value).strip():
        raise InputError(f"option {key} is empty; give a value or leave the option out")
    return str(value)


def reject_unknown(options: dict, prefix: str) -> None:
    """Raise if any option is left after a backend popped all it understands."""
    if options:
        raise InputError(f"unknown option(s) for the {prefix!r} backend: {', '.join(sorted(options))}")


def _check_range(key: str, number: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and number < minimum:
        raise InputError(f"option {key} must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise InputError(f"option {key} must be at most {maximum}, got {number}")
