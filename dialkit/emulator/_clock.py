"""The emulator's one clock: a time source, read from a start at a speed, moved forward by hand.

The emulator's own clock (``Emulator(clock=...)``, :meth:`Emulator.advance_clock`)
is one: the wall clock (or the injected one) at speed 1.  The dialer model's
simulated clock is the same kind, on a monotonic source, from
``DialerModel.start`` at ``time_scale``.  Both move only forward.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

__all__ = ["MovableClock"]


class MovableClock:
    """``start + (source() - source at creation) * scale + moved``, aware UTC; :meth:`advance` adds to ``moved``.

    With ``start`` None and ``scale`` 1 it reads the source itself, plus what
    was moved.  ``scale`` 0 freezes it (only :meth:`advance` moves it).
    """

    def __init__(self, source: Callable[[], datetime], *, start: datetime | None = None, scale: float = 1.0) -> None:
        if scale < 0:
            raise ValueError("a clock's scale must be >= 0 (0 freezes it)")
        self._source = source
        self._origin = source()
        self._start = self._origin if start is None else start
        self.scale = float(scale)
        self._moved = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The time now on this clock (aware UTC)."""
        with self._lock:
            moved = self._moved
        elapsed = self._source() - self._origin
        if self.scale != 1.0:
            elapsed = elapsed * self.scale
        return (self._start + elapsed + moved).astimezone(timezone.utc)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` (>= 0); returns the new now."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward: give a non-negative timedelta")
        with self._lock:
            self._moved += delta
        return self.now()

    @property
    def moved(self) -> timedelta:
        """How far :meth:`advance` has moved the clock in total."""
        with self._lock:
            return self._moved


def monotonic_source(monotonic: Callable[[], float]) -> Callable[[], datetime]:
    """A datetime source that follows ``monotonic`` seconds (immune to wall-clock jumps); only differences count."""
    epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
    return lambda: epoch + timedelta(seconds=monotonic())
