"""The project's one clock: OUTBOUND_TIME_SHIFT in this process and the processes it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from outbound_pipeline import clock
from outbound_pipeline.defs.dagster_clock import follow_project_clock

REAL = datetime(2026, 12, 6, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("raw", "seconds"), [
    ("", 0.0), ("+45d", 45 * 86_400.0), ("-3h", -3 * 3_600.0), ("+1d12h", 36 * 3_600.0),
    ("+2w", 14 * 86_400.0), ("+90m", 5_400.0), ("-1.5s", -1.5),
    ("2026-12-31T22:30:00Z", 25 * 86_400.0 + 10.5 * 3_600.0),
    ("2026-12-06T13:00:00+01:00", 0.0),
])
def test_shift_is_an_offset_or_an_instant(raw, seconds):
    assert clock.parse_shift(raw, real_now=REAL) == pytest.approx(seconds)


@pytest.mark.parametrize("raw", ["45d", "+45", "tomorrow", "2026-12-31T22:30:00", "+4y"])
def test_a_bad_shift_is_refused_naming_the_variable(raw):
    with pytest.raises(clock.ClockError, match="OUTBOUND_TIME_SHIFT"):
        clock.parse_shift(raw, real_now=REAL)


def _child_now(env: dict[str, str]) -> datetime:
    code = "from outbound_pipeline import clock; print(clock.now().isoformat())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env, capture_output=True, text=True, check=True).stdout
    return datetime.fromisoformat(out.strip())


def test_an_instant_starts_the_clock_there_and_children_share_its_timeline(monkeypatch):
    monkeypatch.setenv(clock.VARIABLE, "2026-12-31T22:30:00Z")
    clock.reset()
    try:
        first = clock.now()
        assert abs(first - datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) < timedelta(minutes=1)
        # the instant is pinned as an offset: a process started later continues the timeline
        assert os.environ[clock.VARIABLE].startswith(("+", "-"))
        child = _child_now(dict(os.environ))
        assert first <= child < first + timedelta(minutes=2)
        assert clock.today() in (first.date(), first.date() + timedelta(days=1))
    finally:
        monkeypatch.undo()
        clock.reset()


def test_frozen_pins_this_process_and_dagster_follows(monkeypatch):
    at = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    assert follow_project_clock()
    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1)
    with clock.frozen(at):
        assert clock.now() == at and clock.today() == at.date()
        assert clock.timestamp() == at.timestamp()
        assert daily.get_last_partition_key() == "2027-01-01"
    assert clock.now() != at


def test_an_offset_moves_the_clock_in_a_child_process(monkeypatch):
    env = {**os.environ, clock.VARIABLE: "+45d"}
    child = _child_now(env)
    real = clock.now() - timedelta(seconds=clock.shift_seconds())  # whatever the suite's shift
    expected = real + timedelta(days=45)
    assert abs(child - expected) < timedelta(minutes=2)
