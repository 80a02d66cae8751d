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

__all__ = ["LAST_YEAR", "MAX_ADVANCE", "MovableClock", "checked_advance"]

#: The most one move may advance a clock (the emulator's, the dialer's): 10 years.
MAX_ADVANCE = timedelta(days=3660)
#: A clock never passes this year (a ``datetime`` ends at 9999; an overflow would break every later read).
LAST_YEAR = 9000


def checked_advance(value: object, what: str, now: datetime) -> timedelta:
    """``value`` (a timedelta, or seconds) as a forward move of a clock now at ``now``, checked.

    Finite, 0 to :data:`MAX_ADVANCE`, ending before :data:`LAST_YEAR`; a ValueError
    that says so otherwise (the HTTP control endpoints answer it 400).  Checked before
    the clock moves, so a refused move leaves the clock as it was.
    """
    limit = MAX_ADVANCE.total_seconds()
    usage = f"{what} must be seconds to move forward, 0 to {limit:.0f} (or a timedelta in that range)"
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(usage)
    else:
        seconds = value
    if not 0 <= seconds <= limit:  # nan fails this too
        raise ValueError(f"{what} {value!r} is out of range: {usage}")
    delta = value if isinstance(value, timedelta) else timedelta(seconds=seconds)
    if now.year >= LAST_YEAR or (now + delta).year >= LAST_YEAR:
        raise ValueError(f"the clock cannot move past the year {LAST_YEAR}")
    return delta


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
        """Move the clock forward by ``delta`` (checked by :func:`checked_advance`); returns the new now."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward: give a non-negative timedelta")
        checked_advance(delta, "the move", self.now())
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
