"""The project's one clock: every module asks it for the time, none reads the wall clock.

``OUTBOUND_TIME_SHIFT`` moves the clock, in this process and every process it starts:

- unset or empty: the real time;
- a signed offset, e.g. ``+45d``, ``-3h``, ``+1d12h``, ``+90m``, ``+2w``, ``+3600s``: the real
  time plus that offset;
- an ISO-8601 instant with an offset, e.g. ``2026-12-31T22:30:00Z``: the clock reads that
  instant when the process first reads the clock, and ticks from there.

An instant is turned into an offset the first time the clock is read, and the offset is written
back into this process's environment, so processes started later (the sandbox, a Dagster run
worker, ``dagster dev``) share one timeline instead of each starting again at the instant.

Tests pin the clock of this process with :func:`frozen` (or :func:`set_source`). Monotonic
timers used for pacing and timeouts (``time.monotonic``, ``time.perf_counter``) are not
wall-clock reads and stay as they are.
"""

from __future__ import annotations

import os
import re
import threading
import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

VARIABLE = "OUTBOUND_TIME_SHIFT"

_UNITS = {"w": 604_800.0, "d": 86_400.0, "h": 3_600.0, "m": 60.0, "s": 1.0}
_OFFSET = re.compile(r"([+-])((?:\d+(?:\.\d+)?[wdhms])+)")
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")


class ClockError(ValueError):
    """``OUTBOUND_TIME_SHIFT`` has a value the clock cannot use; the message names it."""


def parse_shift(raw: str | None, *, real_now: float) -> float:
    """Seconds to add to the real time for ``raw`` (an offset or an instant), read at
    ``real_now`` (seconds since the epoch)."""
    text = (raw or "").strip()
    if not text:
        return 0.0
    offset = _OFFSET.fullmatch(text)
    if offset:
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(offset.group(2)))
        return seconds if offset.group(1) == "+" else -seconds
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise ClockError(
            f"{VARIABLE} must be a signed offset such as +45d, -3h or +1d12h, or an ISO-8601 "
            f"instant with a UTC offset such as 2026-12-31T22:30:00Z; got {text!r}")
    return instant.timestamp() - real_now


_lock = threading.Lock()
_shift: float | None = None
_source: Callable[[], datetime] | None = None


def shift_seconds() -> float:
    """The offset this process's clock runs at, resolved once from ``OUTBOUND_TIME_SHIFT``."""
    global _shift
    if _shift is None:
        with _lock:
            if _shift is None:
                raw = os.environ.get(VARIABLE, "")
                resolved = parse_shift(raw, real_now=_time.time())
                if raw.strip() and not _OFFSET.fullmatch(raw.strip()):
                    # An instant: pin it as an offset so child processes share this timeline.
                    os.environ[VARIABLE] = f"{'+' if resolved >= 0 else '-'}{abs(resolved):.6f}s"
                _shift = resolved
    return _shift


def timestamp() -> float:
    """Seconds since the epoch, on the project's clock."""
    if _source is not None:
        return _source().timestamp()
    return _time.time() + shift_seconds()


def now() -> datetime:
    """The current instant, timezone-aware in UTC, on the project's clock."""
    if _source is not None:
        return _source().astimezone(UTC)
    return datetime.fromtimestamp(timestamp(), UTC)


def today() -> date:
    """Today's date in UTC, on the project's clock."""
    return now().date()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replaces this process's clock with ``source`` (``None`` restores it). For tests."""
    global _source
    _source = source


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Within the block, this process's clock reads ``at`` (a timezone-aware instant)."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware instant")
    previous = _source
    set_source(lambda: at)
    try:
        yield
    finally:
        set_source(previous)


def reset() -> None:
    """Forgets the resolved shift so the next read looks at the environment again. For tests."""
    global _shift
    with _lock:
        _shift = None


