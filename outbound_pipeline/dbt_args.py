"""Pure builders of dbt command lines, unit-tested without dbt or Dagster."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta

PARTITIONED_TAG = "partitioned"


def partition_window(start: datetime, end: datetime) -> tuple[date, date]:
    """A Dagster time window (end exclusive) as inclusive dates, as the models expect."""
    last = (end - timedelta(microseconds=1)).date()
    if last < start.date():
        raise ValueError(f"empty partition window {start}..{end}")
    return start.date(), last


def window_vars(window: tuple[date, date] | None) -> dict[str, str]:
    """``--vars`` for incremental models: the inclusive date window to rebuild."""
    if window is None:
        return {}
    start, end = window
    if end < start:
        raise ValueError(f"window ends before it starts: {start}..{end}")
    return {"start_date": start.isoformat(), "end_date": end.isoformat()}


def build_args(*, window: tuple[date, date] | None = None, full_refresh: bool = False,
               extra_vars: dict[str, object] | None = None,
               exclude: Sequence[str] = ()) -> list[str]:
    """``dbt build`` arguments; the selection itself comes from the Dagster context."""
    args = ["build"]
    variables = {**window_vars(window), **(extra_vars or {})}
    if variables:
        args += ["--vars", json.dumps(variables, sort_keys=True)]
    if full_refresh:
        args.append("--full-refresh")
    for item in exclude:
        args += ["--exclude", item]
    return args
