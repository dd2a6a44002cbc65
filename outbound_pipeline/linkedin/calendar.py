"""The working calendar of a LinkedIn campaign: when, in the campaign's own timezone, it may act.

A campaign sends only on its workdays (Monday to Friday unless told otherwise), never on its
holidays, and only between its start and end of day (09:00 to 17:00 by default), all in local
wall-clock time of one IANA timezone. Every method takes and returns timezone-aware datetimes, so
daylight saving time is handled by the zone, never by the caller:

- a wall-clock time skipped by a DST gap moves forward by the length of the gap;
- a wall-clock time that happens twice (the hour the clocks go back) means its first occurrence.

Instants computed here are returned in the calendar's timezone. Python never finds a local time
of an hour that happens twice equal to a datetime of another zone, so compare such results after
``astimezone(UTC)`` (ordering comparisons are not affected); and adding a timedelta to a
zone-local datetime moves its wall-clock time, not the instant, so do such arithmetic in UTC.

:meth:`WorkingCalendar.add_working_days` keeps the local wall-clock time, so a step sent on a
Friday at 10:00 in London with a delay of one working day is due on Monday at 10:00 London time,
whatever the UTC offset did over the weekend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS: frozenset[int] = frozenset(range(5))
"""Monday to Friday, numbered as :meth:`datetime.date.weekday` numbers them."""
SEARCH_DAYS = 400
"""How many local days :meth:`WorkingCalendar.next_open` looks ahead before giving up."""

_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)

Issue = tuple[str, str]
"""A problem as ``(path, message)``; the path names the field ("" for the object itself)."""


class CampaignError(ValueError):
    """A campaign, an account or a working calendar that cannot be used. ``problems`` lists each
    problem, prefixed with the path of the field it is about."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


def format_issue(path: str, message: str) -> str:
    """One problem as shown to a person: ``path: message`` (just the message without a path)."""
    return f"{path}: {message}" if path else message


def raise_for(subject: str, issues: Sequence[Issue]) -> None:
    """Raise one :class:`CampaignError` listing every issue of ``subject``; nothing when there
    are none."""
    if not issues:
        return
    problems = [format_issue(path, message) for path, message in issues]
    if len(problems) == 1:
        raise CampaignError(f"{subject}: {problems[0]}", problems)
    raise CampaignError(
        f"{len(problems)} problems in {subject}:\n" + "\n".join(problems), problems)


def zone_problem(name: object) -> str | None:
    """Why ``name`` is not a usable IANA timezone (naming it), or None when it is one."""
    if not isinstance(name, str) or not name.strip():
        return f"must be an IANA timezone name such as Europe/London, got {name!r}"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown timezone {name!r}: expected an IANA name such as Europe/London"
    return None


def hours_problem(start: object, end: object) -> str | None:
    """Why ``start``-``end`` are not usable working hours (naive times, start before end), or
    None when they are."""
    for value in (start, end):
        if not isinstance(value, time) or value.tzinfo is not None:
            return f"start and end must be times of day without a timezone, got {value!r}"
    assert isinstance(start, time) and isinstance(end, time)
    if not start < end:
        return f"start {start:%H:%M} must be before end {end:%H:%M}"
    return None


def workdays_problem(days: Iterable[object]) -> str | None:
    """Why ``days`` is not a usable set of workdays (0 = Monday ... 6 = Sunday, at least one),
    or None when it is."""
    days = list(days)
    if not days:
        return "at least one workday is required"
    wrong = [day for day in days if isinstance(day, bool) or day not in range(7)]
    if wrong:
        return f"workdays are numbered 0 (Monday) to 6 (Sunday), got {wrong[0]!r}"
    return None


def holidays_problem(days: Iterable[object]) -> str | None:
    """Why ``days`` are not usable holidays (calendar dates, not datetimes), or None."""
    wrong = [day for day in days if not isinstance(day, date) or isinstance(day, datetime)]
    if wrong:
        return f"holidays must be calendar dates, got {wrong[0]!r}"
    return None


def require_aware(instant: object, name: str = "instant") -> datetime:
    """``instant`` itself when it is a timezone-aware datetime; ValueError otherwise."""
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {instant!r}")
    return instant


@dataclass(frozen=True)
class WorkingCalendar:
    """When a campaign may act: its workdays minus holidays, from ``start`` (included) to
    ``end`` (excluded) local time in ``timezone``. Invalid values raise :class:`CampaignError`
    listing every problem."""

    timezone: str
    start: time = time(9)
    end: time = time(17)
    workdays: frozenset[int] = WEEKDAYS
    holidays: frozenset[date] = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        checks = (("timezone", zone_problem(self.timezone)),
                  ("working_hours", hours_problem(self.start, self.end)),
                  ("workdays", workdays_problem(self.workdays)),
                  ("holidays", holidays_problem(self.holidays)))
        raise_for("the working calendar",
                  [(path, problem) for path, problem in checks if problem is not None])
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    def local(self, instant: datetime) -> datetime:
        """``instant`` expressed in the calendar's timezone."""
        return require_aware(instant).astimezone(self.zone)

    def day_of(self, instant: datetime) -> date:
        """The local calendar date of ``instant``."""
        return self.local(instant).date()

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a workday that is not a holiday."""
        return day.weekday() in self.workdays and day not in self.holidays

    def is_open(self, instant: datetime) -> bool:
        """Whether the campaign may act at ``instant``: a working day, within working hours."""
        return self.closed_reason(instant) is None

    def closed_reason(self, instant: datetime) -> str | None:
        """None when open at ``instant``; otherwise why not: ``"weekend"`` (not a workday),
        ``"holiday"`` or ``"out_of_hours"``."""
        local = self.local(instant)
        if local.weekday() not in self.workdays:
            return "weekend"
        if local.date() in self.holidays:
            return "holiday"
        if not self.start <= local.time() < self.end:
            return "out_of_hours"
        return None

    def next_open(self, instant: datetime) -> datetime:
        """The earliest instant at or after ``instant`` at which the calendar is open:
        ``instant`` itself when it is open, else the opening found on the following working
        days (in the calendar's timezone). Raises CampaignError when nothing opens within
        :data:`SEARCH_DAYS` days (every workday a holiday)."""
        if self.is_open(instant):
            return instant
        after = instant.astimezone(UTC)
        first_day = self.day_of(instant)
        for offset in range(SEARCH_DAYS):
            day = first_day + offset * _ONE_DAY
            if self.is_working_day(day):
                opening = self._opening_on(day, after)
                if opening is not None:
                    return opening
        raise CampaignError(
            f"the working calendar in {self.timezone} is not open on any day within "
            f"{SEARCH_DAYS} days of {instant.isoformat()}")

    def add_working_days(self, instant: datetime, days: int) -> datetime:
        """The instant ``days`` working days after ``instant``, at the same local wall-clock
        time in the calendar's timezone (the UTC offset may differ across a DST change).

        Local calendar days are walked one at a time and only working days are counted, so
        the result's local date is the ``days``-th working day after the local date of
        ``instant``. ``days=0`` returns ``instant`` unchanged. A wall time skipped by a DST gap
        on the target day moves forward by the gap; an ambiguous one takes its first
        occurrence."""
        require_aware(instant)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"days must be a whole number >= 0, got {days!r}")
        if days == 0:
            return instant
        local = self.local(instant)
        day = local.date()
        remaining = days
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return self.at(day, local.time())

    def due_at(self, previous: datetime, delay_days: int) -> datetime:
        """The first instant a step may be sent when it comes ``delay_days`` working days
        after an event at ``previous``: the next opening at or after
        :meth:`add_working_days`."""
        return self.next_open(self.add_working_days(previous, delay_days))

    def at(self, day: date, wall: time) -> datetime:
        """The instant the local clock shows ``wall`` on ``day``: a time skipped by a DST gap
        moves forward by the gap, an ambiguous time is its first occurrence."""
        local = datetime.combine(day, wall.replace(tzinfo=None, fold=0), tzinfo=self.zone)
        return local.astimezone(UTC).astimezone(self.zone)

    def _opening_on(self, day: date, after: datetime) -> datetime | None:
        """The earliest instant at or after ``after`` (UTC) whose local time on ``day`` is
        within working hours, or None. The day is cut where its UTC offset changes, and in each
        piece the local clock runs evenly, so the window is plain arithmetic."""
        for begin, finish, offset in self._pieces(day):
            opens = _as_utc(datetime.combine(day, self.start) - offset)
            closes = _as_utc(datetime.combine(day, self.end) - offset)
            lower = max(begin, opens, after)
            if lower < min(finish, closes):
                return lower.astimezone(self.zone)
        return None

    def _pieces(self, day: date) -> Iterator[tuple[datetime, datetime, timedelta]]:
        """The UTC spans of the local ``day`` with a constant UTC offset, in order, with that
        offset: one span, or two on the day of a DST change."""
        begin = self.at(day, time(0)).astimezone(UTC)
        finish = self.at(day + _ONE_DAY, time(0)).astimezone(UTC)
        first = self._offset(begin)
        last = self._offset(finish - _TICK)
        if first == last:
            yield begin, finish, first
            return
        change = self._offset_change(begin, finish - _TICK, first)
        yield begin, change, first
        yield change, finish, last

    def _offset_change(self, low: datetime, high: datetime, before: timedelta) -> datetime:
        """The first UTC instant in ``(low, high]`` whose offset is not ``before``, by bisection
        (``low`` has offset ``before``, ``high`` does not)."""
        while high - low > _TICK:
            middle = low + (high - low) // 2
            if self._offset(middle) == before:
                low = middle
            else:
                high = middle
        return high

    def _offset(self, instant: datetime) -> timedelta:
        offset = instant.astimezone(self.zone).utcoffset()
        assert offset is not None
        return offset


def _as_utc(naive: datetime) -> datetime:
    return naive.replace(tzinfo=UTC)
