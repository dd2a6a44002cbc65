"""Dagster reads the time through the project's clock.

Dagster decides which daily partitions exist ("up to yesterday", or today with ``end_offset=1``),
stamps runs and evaluates schedules by its own reading of the time. When the project's clock is
moved (``OUTBOUND_TIME_SHIFT``, or a test pinning it), the two would disagree about what "today"
is: an enrollment snapshot for the project's today would be a partition Dagster does not know.
Dagster reads the time through two hooks meant to be replaced (its own ``freeze_time`` test
helper replaces them); pointing them at the project's clock keeps one timeline. Without a shift
the project's clock is the real time, so nothing changes.
"""

from __future__ import annotations

from outbound_pipeline import clock

_HOOKS = {"_mockable_get_current_datetime": clock.now,
          "_mockable_get_current_timestamp": clock.timestamp}


def follow_project_clock() -> bool:
    """Points Dagster's time at the project's clock in this process; False if this Dagster
    version has no such hooks (then Dagster keeps the real time)."""
    import dagster._time as dagster_time

    if not all(hasattr(dagster_time, name) for name in _HOOKS):
        return False
    for name, reader in _HOOKS.items():
        setattr(dagster_time, name, reader)
    return True
