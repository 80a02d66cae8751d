"""The one token bucket of dialkit: the sender paces its calls with it, the emulator enforces ``rate_limit`` with it.

A bucket holds at most ``capacity`` tokens and gains ``rate`` a second; a call
takes one.  The clock is injectable, so pacing is tested without waiting.  Not
thread-safe on its own: the sender uses it from its coordinating thread only,
the emulator under its lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["TokenBucket"]

#: Float slack: a wait of exactly the delay :meth:`TokenBucket.try_acquire` gave must be enough.
_SLACK = 1e-9


class TokenBucket:
    """At most ``rate`` calls a second, bursts up to ``burst`` (default ``max(1, rate)``)."""

    def __init__(self, rate: float, *, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0 calls per second")
        self.rate = float(rate)
        self.capacity = float(burst if burst is not None else max(1.0, rate))
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()

    def try_acquire(self) -> float:
        """Take a token if one is there (returns 0.0); else the seconds until one will be, taking none."""
        self._refill()
        if self._tokens >= 1.0 - _SLACK:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def take(self) -> bool:
        """Take a token if one is there; False means the call is over the rate (nothing taken)."""
        return self.try_acquire() == 0.0

    def set_rate(self, rate: float, *, empty: bool = False) -> None:
        """Change the rate (adaptation); ``empty`` drops the tokens saved up, so no burst follows."""
        if rate <= 0:
            raise ValueError("rate must be > 0 calls per second")
        self._refill()
        self.rate = float(rate)
        if empty:
            self._tokens = min(self._tokens, 0.0)

    def _refill(self) -> None:
        """Bring the bucket up to now at the current rate."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + max(0.0, now - self._last) * self.rate)
        self._last = now
