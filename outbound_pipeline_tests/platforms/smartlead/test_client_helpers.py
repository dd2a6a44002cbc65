from datetime import date

import pytest

from outbound_pipeline.platforms.smartlead.client import as_int, infer_day, windows


def test_as_int_accepts_strings_and_blanks():
    assert as_int("12") == 12
    assert as_int(7) == 7
    assert as_int("3.0") == 3
    assert as_int("") is None
    assert as_int(None) is None
    assert as_int("n/a") is None


def test_windows_cover_the_range_in_at_most_29_days():
    start, end = date(2026, 1, 1), date(2026, 3, 31)  # 90 days
    parts = windows(start, end)
    assert len(parts) == 4
    assert parts[0] == (date(2026, 1, 1), date(2026, 1, 29))
    assert parts[-1][1] == end
    days = sum((b - a).days + 1 for a, b in parts)
    assert days == 90
    assert windows(end, start) == []


def test_infer_day_across_new_year():
    start, end = date(2025, 12, 20), date(2026, 1, 10)
    assert infer_day("31 Dec", start, end) == date(2025, 12, 31)
    assert infer_day("1 Jan", start, end) == date(2026, 1, 1)
    assert infer_day("Jan 05", start, end) == date(2026, 1, 5)
    with pytest.raises(ValueError, match="outside the requested window"):
        infer_day("15 Mar", start, end)
    with pytest.raises(ValueError):
        infer_day("Tuesday", start, end)
