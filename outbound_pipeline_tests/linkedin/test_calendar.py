"""The working calendar: open or closed and why, the next opening, and working-day arithmetic
that keeps the local wall-clock time across daylight saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound_pipeline.linkedin.calendar import CampaignError, WorkingCalendar

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "Pacific/Auckland", "America/Sao_Paulo", "UTC"]
EVERY_DAY = frozenset(range(7))


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


UK = WorkingCalendar("Europe/London", holidays=frozenset({date(2026, 12, 25),
                                                          date(2026, 12, 28)}))


# Validation


def test_defaults_are_nine_to_five_monday_to_friday():
    calendar = WorkingCalendar("UTC")
    assert (calendar.start, calendar.end) == (time(9), time(17))
    assert calendar.workdays == frozenset({0, 1, 2, 3, 4})
    assert calendar.holidays == frozenset()


def test_an_unknown_timezone_is_refused_by_name():
    with pytest.raises(CampaignError, match="Europe/Lodnon"):
        WorkingCalendar("Europe/Lodnon")


@pytest.mark.parametrize("fields,expected", [
    ({"start": time(17), "end": time(9)}, "start 17:00 must be before end 09:00"),
    ({"start": time(9), "end": time(9)}, "must be before end"),
    ({"workdays": frozenset()}, "at least one workday"),
    ({"workdays": frozenset({7})}, "numbered 0"),
    ({"holidays": frozenset({datetime(2026, 1, 1)})}, "calendar dates"),
])
def test_invalid_calendars_are_refused(fields, expected):
    with pytest.raises(CampaignError, match=expected):
        WorkingCalendar("UTC", **fields)


def test_every_problem_is_reported_at_once():
    with pytest.raises(CampaignError) as raised:
        WorkingCalendar("Nowhere/City", start=time(18), end=time(8), workdays=frozenset())
    assert [problem.split(":")[0] for problem in raised.value.problems] == [
        "timezone", "working_hours", "workdays"]


@pytest.mark.parametrize("method", ["local", "is_open", "closed_reason", "next_open", "day_of"])
def test_naive_datetimes_are_refused(method):
    with pytest.raises(ValueError, match="timezone-aware"):
        getattr(UK, method)(datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        UK.add_working_days(datetime(2026, 3, 2, 10), 1)


# Open or closed


@pytest.mark.parametrize("instant,reason", [
    (london(2026, 3, 2, 9), None),                  # Monday at opening
    (london(2026, 3, 2, 16, 59, 59), None),
    (london(2026, 3, 2, 17), "out_of_hours"),        # the end is excluded
    (london(2026, 3, 2, 8, 59), "out_of_hours"),
    (london(2026, 3, 7, 12), "weekend"),             # Saturday
    (london(2026, 3, 8, 12), "weekend"),             # Sunday
    (london(2026, 12, 25, 12), "holiday"),           # Friday, Christmas
    (london(2026, 12, 28, 12), "holiday"),           # Monday, bank holiday
])
def test_closed_reason(instant, reason):
    assert UK.closed_reason(instant) == reason
    assert UK.is_open(instant) is (reason is None)


def test_open_is_judged_in_the_campaign_timezone():
    # 08:30 UTC on a summer Monday is 09:30 in London (open) but 04:30 in New York (closed).
    instant = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    assert UK.is_open(instant)
    assert WorkingCalendar("America/New_York").closed_reason(instant) == "out_of_hours"
    # 23:30 UTC on a Friday is already Saturday in Sydney.
    assert WorkingCalendar("Australia/Sydney").closed_reason(
        datetime(2026, 6, 5, 23, 30, tzinfo=UTC)) == "weekend"


def test_working_days_and_local_dates():
    assert UK.is_working_day(date(2026, 12, 24))
    assert not UK.is_working_day(date(2026, 12, 25))
    assert not UK.is_working_day(date(2026, 12, 26))
    assert UK.day_of(datetime(2026, 6, 1, 23, 30, tzinfo=UTC)) == date(2026, 6, 2)
    assert UK.local(datetime(2026, 6, 1, 8, tzinfo=UTC)) == london(2026, 6, 1, 9)


# The next opening


def test_next_open_is_the_instant_itself_when_open():
    instant = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    assert UK.next_open(instant) is instant


@pytest.mark.parametrize("instant,expected", [
    (london(2026, 3, 2, 7), london(2026, 3, 2, 9)),        # early: the same morning
    (london(2026, 3, 2, 17), london(2026, 3, 3, 9)),       # closing time: tomorrow
    (london(2026, 3, 6, 18), london(2026, 3, 9, 9)),       # Friday evening: Monday
    (london(2026, 3, 28, 12), london(2026, 3, 30, 9)),     # the weekend the clocks go forward
    (london(2026, 12, 24, 17, 30), london(2026, 12, 29, 9)),  # Christmas and the bank holiday
])
def test_next_open(instant, expected):
    found = UK.next_open(instant)
    assert found == expected
    assert UK.local(found).utcoffset() == expected.utcoffset()


def test_next_open_at_an_opening_skipped_by_the_clocks():
    # Open 01:30-03:00 every day; on 2026-03-29 London skips 01:00-02:00, so the day opens at
    # 02:00 BST, the very instant the clocks change.
    calendar = WorkingCalendar("Europe/London", start=time(1, 30), end=time(3),
                               workdays=EVERY_DAY)
    found = calendar.next_open(datetime(2026, 3, 28, 23, tzinfo=UTC))
    assert found == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert calendar.local(found).time() == time(2)


def test_next_open_in_the_hour_that_happens_twice():
    # Open 01:30-03:00; on 2026-10-25 01:00-02:00 London happens twice. At 01:05 of the second
    # pass (GMT) the day opens again at 01:30 GMT.
    calendar = WorkingCalendar("Europe/London", start=time(1, 30), end=time(3),
                               workdays=EVERY_DAY)
    first_pass = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)     # 01:45 BST
    second_pass = datetime(2026, 10, 25, 1, 5, tzinfo=UTC)     # 01:05 GMT
    assert calendar.next_open(first_pass) == first_pass
    found = calendar.next_open(second_pass)
    # Python never finds an ambiguous local time equal to another zone's: compare in UTC.
    assert found.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert found.fold == 1


def test_next_open_gives_up_on_a_calendar_that_never_opens():
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=week) for week in range(60))
    calendar = WorkingCalendar("UTC", workdays=frozenset({0}), holidays=mondays)
    with pytest.raises(CampaignError, match="not open on any day within 400 days"):
        calendar.next_open(datetime(2026, 1, 1, tzinfo=UTC))


# Working days


def test_one_working_day_after_a_friday_across_the_clocks_going_forward():
    result = UK.add_working_days(london(2026, 3, 27, 10), 1)
    assert result == london(2026, 3, 30, 10)
    assert result.utcoffset() == timedelta(hours=1)
    assert result.astimezone(UTC) == datetime(2026, 3, 30, 9, tzinfo=UTC)


def test_one_working_day_after_a_friday_across_the_clocks_going_back_in_new_york():
    calendar = WorkingCalendar("America/New_York")
    result = calendar.add_working_days(new_york(2026, 10, 30, 10), 1)
    assert result == new_york(2026, 11, 2, 10)
    assert result.utcoffset() == timedelta(hours=-5)
    assert calendar.local(new_york(2026, 10, 30, 10)).utcoffset() == timedelta(hours=-4)
    assert calendar.add_working_days(new_york(2026, 10, 29, 16, 30), 2) == new_york(
        2026, 11, 2, 16, 30)


def test_a_step_at_half_past_four_with_a_delay_of_one_is_due_at_half_past_four():
    assert UK.due_at(london(2026, 3, 4, 16, 30), 1) == london(2026, 3, 5, 16, 30)
    assert UK.due_at(london(2026, 3, 6, 16, 30), 1) == london(2026, 3, 9, 16, 30)


def test_zero_days_is_the_instant_unchanged():
    instant = datetime(2026, 3, 7, 12, tzinfo=UTC)
    assert UK.add_working_days(instant, 0) is instant
    assert UK.due_at(instant, 0) == london(2026, 3, 9, 9)  # Saturday: the next opening


def test_working_days_skip_weekends_and_holidays():
    assert UK.add_working_days(london(2026, 12, 23, 11), 2) == london(2026, 12, 29, 11)
    assert UK.add_working_days(london(2026, 3, 7, 12), 1) == london(2026, 3, 9, 12)


def test_due_at_moves_an_evening_event_to_the_next_opening():
    assert UK.due_at(london(2026, 3, 6, 20), 0) == london(2026, 3, 9, 9)
    assert UK.due_at(london(2026, 3, 6, 20), 1) == london(2026, 3, 10, 9)


def test_a_wall_time_skipped_by_the_clocks_moves_forward_by_the_gap():
    calendar = WorkingCalendar("Europe/London", workdays=EVERY_DAY)
    assert calendar.add_working_days(london(2026, 3, 28, 1, 30), 1) == london(2026, 3, 29, 2, 30)


def test_a_wall_time_that_happens_twice_is_its_first_occurrence():
    calendar = WorkingCalendar("Europe/London", workdays=EVERY_DAY)
    result = calendar.add_working_days(london(2026, 10, 24, 1, 30), 1)
    assert result.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="whole number >= 0"):
        UK.add_working_days(london(2026, 3, 2, 10), -1)


# Properties, over zones with and without daylight saving and instants near their changes


@cache
def clock_changes(zone_name: str) -> tuple[datetime, ...]:
    """The UTC instants (to the minute) at which the zone changed its offset, 2015-2031."""
    zone = ZoneInfo(zone_name)

    def offset(instant: datetime) -> timedelta | None:
        return instant.astimezone(zone).utcoffset()

    changes = []
    day = datetime(2015, 1, 1, tzinfo=UTC)
    while day.year < 2032:
        following = day + timedelta(days=1)
        if offset(day) != offset(following):
            low, high = day, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            changes.append(high)
        day = following
    return tuple(changes)


@st.composite
def instants(draw: st.DrawFn, zone_name: str) -> datetime:
    """An instant from 2015 to 2031, near one of the zone's clock changes half of the time,
    in UTC or in the zone."""
    changes = clock_changes(zone_name)
    if changes and draw(st.booleans()):
        base = draw(st.sampled_from(changes))
        instant = base + timedelta(seconds=draw(st.integers(-4 * 86400, 4 * 86400)))
    else:
        naive = draw(st.datetimes(min_value=datetime(2015, 1, 1),
                                  max_value=datetime(2031, 12, 31)))
        instant = naive.replace(tzinfo=UTC)
    return instant.astimezone(draw(st.sampled_from([UTC, ZoneInfo(zone_name)])))


@st.composite
def calendars_and_instants(draw: st.DrawFn) -> tuple[WorkingCalendar, datetime]:
    """A calendar (the default hours and days half of the time, else any) and an instant, with
    holidays near the instant."""
    zone_name = draw(st.sampled_from(ZONES))
    instant = draw(instants(zone_name))
    if draw(st.booleans()):
        start, end, workdays = time(9), time(17), frozenset(range(5))
    else:
        opening = draw(st.integers(0, 23 * 60 - 1))
        closing = draw(st.integers(opening + 1, 24 * 60 - 1))
        start, end = time(*divmod(opening, 60)), time(*divmod(closing, 60))
        workdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    local_day = instant.astimezone(ZoneInfo(zone_name)).date()
    holidays = frozenset(local_day + timedelta(days=offset)
                         for offset in draw(st.frozensets(st.integers(-2, 14), max_size=6)))
    return WorkingCalendar(zone_name, start, end, workdays, holidays), instant


def wall_time_exists(calendar: WorkingCalendar, day: date, wall: time) -> bool:
    local = datetime.combine(day, wall, tzinfo=calendar.zone)
    return local.astimezone(UTC).astimezone(calendar.zone).replace(tzinfo=None) == (
        local.replace(tzinfo=None))


@settings(max_examples=300, deadline=None)
@given(calendars_and_instants())
def test_next_open_is_open_and_nothing_earlier_is(case):
    calendar, instant = case
    # Zone-local datetimes compare and add by wall-clock time, which is wrong in the hour that
    # happens twice: compare and step in UTC.
    instant = instant.astimezone(UTC)
    found = calendar.next_open(instant).astimezone(UTC)
    assert found >= instant
    assert calendar.is_open(found)
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    samples = [instant + step * hour for step in range(int((found - instant) / hour))]
    samples += [found - step * minute for step in range(1, 181)]
    samples += [instant + step * minute for step in range(181)]
    assert not any(calendar.is_open(sample) for sample in samples if instant <= sample < found)


@settings(max_examples=300, deadline=None)
@given(calendars_and_instants(), st.integers(0, 12))
def test_working_days_keep_the_wall_time_and_count_working_dates(case, days):
    calendar, instant = case
    result = calendar.add_working_days(instant, days)
    assert result.astimezone(UTC) >= instant.astimezone(UTC)
    start_day, end_day = calendar.day_of(instant), calendar.day_of(result)
    between = [start_day + timedelta(days=n) for n in range(1, (end_day - start_day).days + 1)]
    assert sum(calendar.is_working_day(day) for day in between) == days
    if days:
        assert calendar.is_working_day(end_day)
    wall, landed = calendar.local(instant).time(), calendar.local(result).time()
    if landed != wall:
        assert days and not wall_time_exists(calendar, end_day, wall)
        gap = datetime.combine(end_day, landed) - datetime.combine(end_day, wall)
        assert timedelta(0) < gap <= timedelta(hours=1)


@settings(max_examples=300, deadline=None)
@given(calendars_and_instants(), st.integers(0, 5))
def test_due_at_is_an_opening_no_earlier_than_the_delay(case, days):
    calendar, instant = case
    due = calendar.due_at(instant, days).astimezone(UTC)
    assert due >= calendar.add_working_days(instant, days).astimezone(UTC) >= instant
    assert calendar.is_open(due)
