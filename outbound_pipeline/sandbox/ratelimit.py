"""Server-side sliding-window rate limiter used by the platform simulators."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one request against the limiter."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    """Seconds until the oldest counted request leaves the window (0 when none is counted)."""
    retry_after: float
    """Seconds until a slot frees; 0 when the request was allowed."""


class SlidingWindowLimiter:
    """At most ``limit`` requests per key in any ``window_seconds`` interval.

    Rejected requests do not take a slot, so a client that honours ``Retry-After`` always gets
    through on its next attempt. Safe to share between threads and the event loop.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> RateDecision:
        """Counts one request for ``key`` if a slot is free."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            horizon = now - self.window_seconds
            while hits and hits[0] <= horizon:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = max(hits[0] + self.window_seconds - now, 0.0)
                return RateDecision(False, self.limit, 0, wait, wait)
            hits.append(now)
            reset = hits[0] + self.window_seconds - now
            return RateDecision(True, self.limit, self.limit - len(hits), reset, 0.0)

    def reset(self) -> None:
        """Forgets every counted request."""
        with self._lock:
            self._hits.clear()


def format_wait(seconds: float, *, fractional: bool) -> str:
    """A header value for a wait: whole seconds rounded up, or milliseconds precision.

    Whole seconds are what the real API sends; a sped-up sandbox needs sub-second waits, which
    clients must accept too.
    """
    if fractional:
        return f"{max(seconds, 0.001):.3f}"
    return str(max(1, math.ceil(seconds)))
