"""Progress that a person sees on a terminal and that also reads well in a log.

On a terminal, long steps show a tqdm bar. When stderr is not a terminal (CI, ``make demo > log``,
``nohup``), a bar would be one endless line of carriage returns, so :class:`LineProgress` prints a plain
line every ``TEXTEMB_PROGRESS_INTERVAL`` seconds (default 15) instead, and one when the step ends::

    indexing: 1,536/4,766 docs (32%), 41.3 docs/s, about 1.3 min left

:func:`announce` prints one line to stderr *before* a step that may take long, so nothing ever waits
silently: ``encoding 4,766 passages with all-MiniLM-L6-v2 ...``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

DEFAULT_INTERVAL = 15.0


def announce(message: str) -> None:
    """Print ``message`` as one line on stderr (flushed), before a step that may take a while."""
    print(message, file=sys.stderr, flush=True)


def progress(iterable: Iterable | None = None, *, total: int | None, enabled: bool, desc: str,
             unit: str = "text") -> Any:
    """A progress wrapper over ``iterable`` (or, with ``None``, a counter to ``update(n)``).

    Disabled: the iterable itself (or a counter that prints nothing). On a terminal: a tqdm bar.
    Otherwise: :class:`LineProgress`, periodic plain lines.
    """
    if not enabled:
        return iterable if iterable is not None else LineProgress(None, total=total, desc=desc, unit=unit, quiet=True)
    if _stderr_is_tty():
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, unit=unit, unit_scale=True)
    return LineProgress(iterable, total=total, desc=desc, unit=unit)


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class LineProgress:
    """Counts work done and prints a plain status line at most every ``interval`` seconds."""

    def __init__(self, iterable: Iterable | None, *, total: int | None, desc: str, unit: str,
                 interval: float | None = None, quiet: bool = False) -> None:
        self.iterable, self.total, self.desc, self.unit, self.quiet = iterable, total, desc, unit, quiet
        self.interval = interval if interval is not None else _interval()
        self.n = 0
        self._start = self._last = time.monotonic()
        self._closed = False

    def __iter__(self) -> Iterator:
        if self.iterable is None:
            raise TypeError("this progress counter wraps no iterable; call update(n)")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Record ``n`` more units done; print a line if ``interval`` seconds passed since the last."""
        self.n += n
        now = time.monotonic()
        if not self.quiet and now - self._last >= self.interval:
            self._last = now
            self._print(now)

    def close(self) -> None:
        """Print the final line once (only if the step took longer than one interval)."""
        if self._closed:
            return
        self._closed = True
        now = time.monotonic()
        if not self.quiet and now - self._start >= self.interval:
            self._print(now, done=True)

    def status(self, now: float | None = None) -> str:
        """The status line: ``desc: n/total unit (pct), rate unit/s, about T left``."""
        elapsed = max(1e-9, (now or time.monotonic()) - self._start)
        rate = self.n / elapsed
        line = f"{self.desc}: {self.n:,}"
        if self.total:
            line += f"/{self.total:,} {self.unit}s ({100 * self.n / self.total:.0f}%)"
        else:
            line += f" {self.unit}s"
        line += f", {rate:,.1f} {self.unit}s/s"
        if self.total and rate > 0 and self.n < self.total:
            line += f", about {_duration((self.total - self.n) / rate)} left"
        return line

    def _print(self, now: float, done: bool = False) -> None:
        suffix = f" — done in {_duration(now - self._start)}" if done else ""
        print(self.status(now) + suffix, file=sys.stderr, flush=True)


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("TEXTEMB_PROGRESS_INTERVAL", DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


def format_duration(seconds: float) -> str:
    """``40 s``, ``5.2 min`` or ``1.5 h``: a duration for a progress line."""
    return _duration(seconds)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
