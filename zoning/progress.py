"""Progress of long work, reported by the library and rendered by the command line.

The library never prints: a long step is wrapped in :func:`step`, which sends events
to the ``zoning.progress`` logger (start, advance, end; advances at most five times a
second).  Whoever runs the library decides what to show: the command line renders a
bar on a terminal, plain timed lines when stderr is piped, and nothing with ``-q``
(:class:`ProgressHandler`); a Python caller may attach its own handler or none.

>>> with step("write conflicts.geojson", total=len(frame)) as s:   # doctest: +SKIP
...     for chunk in chunks:
...         write(chunk)
...         s.advance(len(chunk))
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger("zoning.progress")

#: Seconds between two advance events of one step.
_THROTTLE_S = 0.2


@dataclass
class Step:
    """One long step: its name, how much there is (``total``, if known) and how much is done."""

    name: str
    total: int | None = None
    done: int = 0
    started: float = field(default_factory=time.perf_counter)
    _last: float = 0.0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done (an event at most every 0.2 s)."""
        self.done += n
        now = time.perf_counter()
        if now - self._last >= _THROTTLE_S:
            self._last = now
            _emit(self, "advance")


def _emit(s: Step, event: str) -> None:
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s: %s",
            s.name,
            event,
            extra={"zoning_progress": (event, s.name, s.done, s.total, s.elapsed)},
        )


@contextmanager
def step(name: str, total: int | None = None) -> Iterator[Step]:
    """Report the work inside the ``with`` block as the step ``name``."""
    s = Step(name, total)
    _emit(s, "start")
    try:
        yield s
    finally:
        if s.total is not None:
            s.done = max(s.done, s.total)
        _emit(s, "end")


class ProgressHandler(logging.Handler):
    """Renders progress events on a stream: a bar on a terminal, timed lines when piped.

    Piped output gets one line when a step ends after ``min_s`` seconds or more, and a
    line every ``every_s`` seconds while a step with a known total runs.
    """

    def __init__(self, stream=None, *, min_s: float = 1.0, every_s: float = 5.0):
        super().__init__(logging.INFO)
        self.stream = stream or sys.stderr
        self.min_s, self.every_s = min_s, every_s
        self._last_line: dict[str, float] = {}
        self._drawn = False

    def _tty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "zoning_progress", None)
        if info is None:
            return
        event, name, done, total, elapsed = info
        try:
            if self._tty():
                self._bar(event, name, done, total, elapsed)
            else:
                self._line(event, name, done, total, elapsed)
        except Exception:  # never let drawing break the work
            self.handleError(record)

    def _bar(self, event, name, done, total, elapsed) -> None:
        if event == "end":
            if self._drawn:
                self.stream.write("\r\x1b[K")
                self._drawn = False
            if elapsed >= self.min_s:
                self.stream.write(f"{name}: {elapsed:.1f} s\n")
            self.stream.flush()
            return
        if total:
            share = min(done / total, 1.0)
            bar = "#" * int(share * 30)
            text = f"{name} [{bar:<30}] {share:4.0%} {elapsed:5.1f} s"
        else:
            text = f"{name} … {done:,} {elapsed:5.1f} s" if done else f"{name} …"
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self._drawn = True

    def _line(self, event, name, done, total, elapsed) -> None:
        if event == "end":
            self._last_line.pop(name, None)
            if elapsed >= self.min_s:
                self.stream.write(f"{name}: {elapsed:.1f} s\n")
        elif event == "advance" and total:
            last = self._last_line.get(name, 0.0)
            if elapsed - last >= self.every_s:
                self._last_line[name] = elapsed
                self.stream.write(f"{name}: {done / total:.0%} ({elapsed:.0f} s)\n")
        self.stream.flush()
