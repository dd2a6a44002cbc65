import json
from datetime import UTC, date, datetime

import pytest

from outbound_pipeline.dbt_args import build_args, partition_window, window_vars


def test_partition_window_is_inclusive_of_the_last_day():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert partition_window(start, datetime(2026, 3, 2, tzinfo=UTC)) == (date(2026, 3, 1),
                                                                          date(2026, 3, 1))
    assert partition_window(start, datetime(2026, 4, 1, tzinfo=UTC)) == (date(2026, 3, 1),
                                                                          date(2026, 3, 31))
    with pytest.raises(ValueError):
        partition_window(start, start)


def test_window_vars():
    assert window_vars(None) == {}
    assert window_vars((date(2025, 12, 31), date(2026, 1, 2))) == {
        "start_date": "2025-12-31", "end_date": "2026-01-02"}
    with pytest.raises(ValueError):
        window_vars((date(2026, 1, 2), date(2026, 1, 1)))


def test_build_args():
    assert build_args() == ["build"]
    args = build_args(window=(date(2026, 1, 1), date(2026, 1, 31)), full_refresh=True,
                      extra_vars={"min_sent_for_bounce_alert": 10}, exclude=["tag:slow"])
    assert args[0] == "build" and args[1] == "--vars"
    assert json.loads(args[2]) == {"start_date": "2026-01-01", "end_date": "2026-01-31",
                                   "min_sent_for_bounce_alert": 10}
    assert args[3:] == ["--full-refresh", "--exclude", "tag:slow"]

