"""Progress that a person sees on a terminal and that also reads well in a log.

On a terminal, long steps show a tqdm bar. When stderr is not a terminal (CI, ``make demo > log``,
``nohup``), a bar would be one endless line of carriage returns, so :class:`LineProgress` prints a plain
line every ``TEXTEMB_PROGRESS_INTERVAL`` seconds (default 10, by the clock: also while one long batch runs)
instead, and one when the step ends::

    indexing: 1,536/4,766 docs (32%), 41.3 docs/s, about 1.3 min left

:func:`announce` prints one line to stderr *before* a step that may take long, so nothing ever waits
silently: ``encoding 4,766 passages with all-MiniLM-L6-v2 ...``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

DEFAULT_INTERVAL = 10.0


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
    """Counts work done and prints a plain status line every ``interval`` seconds, by the clock.

    A background timer prints the line even while no unit finishes (an encoder may take minutes over one group
    of passages), so a log never goes quiet for longer than ``interval``; the line then shows the time elapsed.
    The 100% line is printed once, by :meth:`close` (with the total time).
    """

    def __init__(self, iterable: Iterable | None, *, total: int | None, desc: str, unit: str,
                 interval: float | None = None, quiet: bool = False) -> None:
        self.iterable, self.total, self.desc, self.unit, self.quiet = iterable, total, desc, unit, quiet
        self.interval = interval if interval is not None else _interval()
        self.n = 0
        self._start = self._last = time.monotonic()
        self._closed = self._printed = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        if not quiet and self.interval > 0:  # the timer holds only a weak reference: a dropped bar stops it
            self._timer = threading.Thread(target=_tick, args=(weakref.ref(self), self._stop),
                                           name=f"progress: {desc}", daemon=True)
            self._timer.start()

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
        self._maybe_print()

    def _maybe_print(self) -> None:
        with self._lock:
            now = time.monotonic()
            finished = bool(self.total) and self.n >= (self.total or 0)  # the 100% line is close()'s
            if self.quiet or self._closed or finished or now - self._last < self.interval:
                return
            self._last = now
            self._print(now)

    def close(self) -> None:
        """Print the final line once (if a line was printed, or the step took longer than one interval)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.join()
        now = time.monotonic()
        if not self.quiet and (self._printed or now - self._start >= self.interval):
            self._print(now, done=True)

    def status(self, now: float | None = None) -> str:
        """The status line: ``desc: n/total unit (pct), rate unit/s, about T left`` (or ``T elapsed``)."""
        elapsed = max(1e-9, (now or time.monotonic()) - self._start)
        rate = self.n / elapsed
        line = f"{self.desc}: {self.n:,}"
        if self.total:
            line += f"/{self.total:,} {self.unit}s ({100 * self.n / self.total:.0f}%)"
        else:
            line += f" {self.unit}s"
        if self.n == 0:  # nothing finished yet (one long first batch): no rate to show, only the time spent
            return line + f", {_duration(elapsed)} elapsed"
        line += f", {rate:,.1f} {self.unit}s/s"
        if self.total and self.n < self.total:
            line += f", about {_duration((self.total - self.n) / rate)} left"
        return line

    def _print(self, now: float, done: bool = False) -> None:
        self._printed = True
        suffix = f" — done in {_duration(now - self._start)}" if done else ""
        print(self.status(now) + suffix, file=sys.stderr, flush=True)


def _tick(ref: weakref.ref, stop: threading.Event) -> None:
    """The timer of a :class:`LineProgress`: a line whenever ``interval`` seconds pass without one; it ends when
    the bar is closed or garbage-collected (a caller that failed before ``close`` leaves no line printer behind)."""
    while True:
        bar = ref()
        if bar is None:
            return
        wait = max(0.05, bar.interval - (time.monotonic() - bar._last))
        del bar
        if stop.wait(wait):
            return
        bar = ref()
        if bar is None:
            return
        bar._maybe_print()
        del bar


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
