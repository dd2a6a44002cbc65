"""LinkedIn campaigns and the accounts that send them, loaded from YAML (or stored as JSON).

::

    accounts:
      - account_id: t5XY4              # the Unipile account id
        connection: linkedin_main      # a Unipile connection in connections.yaml
        timezone: Europe/London        # default: UTC
        daily_invite_limit: 25         # default 25, at most 200
        daily_message_limit: 100       # default 100, at most 500
    campaigns:
      - campaign_id: uk-cfo            # a slug: a-z, 0-9, '-' and '_'
        name: UK CFO outreach
        client: ProForecast            # optional
        account_id: t5XY4              # one of the accounts above
        timezone: Europe/London
        working_hours: {start: "09:00", end: "17:00"}   # optional (this is the default)
        workdays: [mon, tue, wed, thu, fri]               # optional (this is the default)
        holidays: [2026-12-25, 2026-12-28]                # optional
        status: active                                    # or paused; default active
        steps:
          - invite: "Hi {{first_name}}, ..."   # the connection note; null or {} for none
          - message: "Thanks for connecting, {{first_name}}!"
            delay_days: 0                      # working days after the acceptance
          - message: "..."
            delay_days: 3                      # working days after the previous message

A campaign is one invitation (always the first step, sent on enrolment) followed by one or more
messages. A message's ``delay_days`` counts working days of the campaign's calendar after the
previous step; for the first message, after the invitation was accepted. Everything is
validated at once: :class:`CampaignError` lists every problem with its path, for example
``campaigns[0] (uk-cfo).steps[2].delay_days: must be a whole number >= 0, got -1``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from functools import cached_property
from typing import Any

import yaml

from outbound_pipeline.linkedin.calendar import (
    WEEKDAYS,
    CampaignError,
    Issue,
    WorkingCalendar,
    holidays_problem,
    hours_problem,
    raise_for,
    workdays_problem,
    zone_problem,
)
from outbound_pipeline.linkedin.personalize import TemplateError, check, minimum_length

__all__ = [
    "Account",
    "Campaign",
    "CampaignError",
    "CampaignsFile",
    "Step",
    "account_from_dict",
    "account_to_dict",
    "campaign_from_dict",
    "campaign_to_dict",
    "load_campaigns",
]

INVITE = "invite"
MESSAGE = "message"
STEP_KINDS = (INVITE, MESSAGE)
ACTIVE = "active"
PAUSED = "paused"
CAMPAIGN_STATUSES = (ACTIVE, PAUSED)
MAX_NOTE_LENGTH = 300
"""LinkedIn refuses a connection note longer than this many characters."""
DEFAULT_DAILY_INVITES = 25
DEFAULT_DAILY_MESSAGES = 100
MAX_DAILY_INVITES = 200
MAX_DAILY_MESSAGES = 500
DEFAULT_WORKING_HOURS = (time(9), time(17))
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Workday names in files, in :meth:`datetime.date.weekday` order."""

_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                   "sunday")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ACCOUNT_KEYS = ("account_id", "connection", "timezone", "daily_invite_limit",
                 "daily_message_limit")
_CAMPAIGN_KEYS = ("campaign_id", "name", "client", "account_id", "timezone", "working_hours",
                  "workdays", "holidays", "status", "steps")
_TOP_LEVEL_KEYS = ("accounts", "campaigns")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """The safe YAML loader, except that dates stay text: an invalid date such as 2026-13-01
    is then reported with its path instead of failing the whole document."""


_Loader.yaml_implicit_resolvers = {
    first: [resolver for resolver in resolvers if resolver[0] != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Step:
    """One step of a sequence. ``kind`` is ``"invite"`` (``text`` is the optional connection
    note; blank means none) or ``"message"`` (``text`` required). ``delay_days`` is the number
    of working days after the previous step (for the first message: after the acceptance); the
    invite's is 0. Raises :class:`CampaignError` when invalid."""

    kind: str
    text: str | None = None
    delay_days: int = 0

    def __post_init__(self) -> None:
        if self.kind == INVITE and isinstance(self.text, str) and not self.text.strip():
            object.__setattr__(self, "text", None)
        raise_for("the step", _step_issues(self.kind, self.text, self.delay_days))


@dataclass(frozen=True)
class Account:
    """A LinkedIn account reached through a Unipile connection, with its daily limits (at least
    0, at most :data:`MAX_DAILY_INVITES` / :data:`MAX_DAILY_MESSAGES`). Raises
    :class:`CampaignError` when invalid."""

    account_id: str
    connection: str
    timezone: str = "UTC"
    daily_invite_limit: int = DEFAULT_DAILY_INVITES
    daily_message_limit: int = DEFAULT_DAILY_MESSAGES

    def __post_init__(self) -> None:
        raise_for(f"account {self.account_id!r}", _account_issues(_field_values(self)))


@dataclass(frozen=True, kw_only=True)
class Campaign:
    """A LinkedIn sequence: the invite, then messages, sent from ``account_id`` within the
    campaign's working calendar. Raises :class:`CampaignError` listing every problem."""

    campaign_id: str
    name: str
    client: str | None = None
    account_id: str
    timezone: str
    working_hours: tuple[time, time] = DEFAULT_WORKING_HOURS
    workdays: frozenset[int] = WEEKDAYS
    holidays: frozenset[date] = frozenset()
    steps: tuple[Step, ...]
    status: str = ACTIVE

    def __post_init__(self) -> None:
        object.__setattr__(self, "working_hours", tuple(self.working_hours))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "steps", tuple(self.steps))
        raise_for(f"campaign {self.campaign_id!r}", _campaign_issues(_field_values(self)))

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The campaign's working calendar (timezone, hours, workdays, holidays)."""
        start, end = self.working_hours
        return WorkingCalendar(self.timezone, start, end, self.workdays, self.holidays)

    @property
    def is_active(self) -> bool:
        """Whether the campaign sends (it is not paused)."""
        return self.status == ACTIVE


@dataclass(frozen=True)
class CampaignsFile:
    """The accounts and campaigns of one file, in file order."""

    accounts: tuple[Account, ...] = ()
    campaigns: tuple[Campaign, ...] = ()

    def account(self, account_id: str) -> Account:
        """The account with this id; KeyError naming it otherwise."""
        for account in self.accounts:
            if account.account_id == account_id:
                return account
        raise KeyError(f"no account {account_id!r}")

    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign with this id; KeyError naming it otherwise."""
        for campaign in self.campaigns:
            if campaign.campaign_id == campaign_id:
                return campaign
        raise KeyError(f"no campaign {campaign_id!r}")

    def account_of(self, campaign: Campaign) -> Account:
        """The account that sends ``campaign``."""
        return self.account(campaign.account_id)


def load_campaigns(text: str, source: str = "<campaigns>") -> CampaignsFile:
    """The accounts and campaigns of a YAML document (see the module docstring).

    Raises :class:`CampaignError` listing every problem at once, each with its path: invalid
    YAML, unknown keys, missing or mistyped fields, invalid values, duplicate ids and campaigns
    whose account is not declared."""
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise CampaignError(f"{source} is not valid YAML: {exc}") from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise CampaignError(f"{source} must be a mapping with `accounts` and `campaigns` lists")
    issues: list[Issue] = [("", f"unknown top-level key {key!r}; expected accounts, campaigns")
                           for key in document if key not in _TOP_LEVEL_KEYS]
    accounts = _entries(document, "accounts", _account_entry, "account_id", issues)
    campaigns = _entries(document, "campaigns", _campaign_entry, "campaign_id", issues)
    declared = {_raw_id(entry, "account_id") for _, entry in _listed(document, "accounts")}
    declared.discard(None)
    for where, entry in _listed(document, "campaigns"):
        account_id = _raw_id(entry, "account_id")
        if account_id is not None and account_id not in declared:
            shown = ", ".join(sorted(str(known) for known in declared)) or "none"
            issues.append((f"{where}.account_id",
                           f"unknown account {account_id!r} (declared accounts: {shown})"))
    raise_for(source, issues)
    return CampaignsFile(tuple(accounts.values()), tuple(campaigns.values()))


def campaign_to_dict(campaign: Campaign) -> dict[str, Any]:
    """The campaign as JSON-compatible data in the shape of the YAML file;
    :func:`campaign_from_dict` reads it back to an equal campaign."""
    start, end = campaign.working_hours
    return {
        "campaign_id": campaign.campaign_id,
        "name": campaign.name,
        "client": campaign.client,
        "account_id": campaign.account_id,
        "timezone": campaign.timezone,
        "working_hours": {"start": _time_text(start), "end": _time_text(end)},
        "workdays": [DAY_NAMES[day] for day in sorted(campaign.workdays)],
        "holidays": [day.isoformat() for day in sorted(campaign.holidays)],
        "status": campaign.status,
        "steps": [_step_to_dict(step) for step in campaign.steps],
    }


def campaign_from_dict(data: Mapping[str, Any]) -> Campaign:
    """The campaign of :func:`campaign_to_dict`'s data (or of one YAML entry), validated like
    :func:`load_campaigns` validates it."""
    return _from_dict(data, _campaign_entry, "campaign", "campaign_id")


def account_to_dict(account: Account) -> dict[str, Any]:
    """The account as JSON-compatible data in the shape of the YAML file."""
    return {name: getattr(account, name) for name in _ACCOUNT_KEYS}


def account_from_dict(data: Mapping[str, Any]) -> Account:
    """The account of :func:`account_to_dict`'s data (or of one YAML entry), validated."""
    return _from_dict(data, _account_entry, "account", "account_id")


# Validation of typed values. Each function gets the fields that could be read (a field missing
# here was already reported) and returns issues with paths relative to the object.


def _step_issues(kind: object, text: object, delay_days: object) -> list[Issue]:
    if kind not in STEP_KINDS:
        return [("kind", f"must be 'invite' or 'message', got {kind!r}")]
    assert isinstance(kind, str)
    if kind == INVITE and isinstance(text, str) and not text.strip():
        text = None
    issues: list[Issue] = []
    if isinstance(delay_days, bool) or not isinstance(delay_days, int) or delay_days < 0:
        issues.append(("delay_days", f"must be a whole number >= 0, got {delay_days!r}"))
    elif kind == INVITE and delay_days != 0:
        issues.append(("delay_days", "must be 0 for the invite, which is sent on enrolment"))
    if text is None:
        if kind == MESSAGE:
            issues.append((kind, "the message text is required"))
        return issues
    if not isinstance(text, str):
        issues.append((kind, f"must be text, got {type(text).__name__}"))
    elif not text.strip():
        issues.append((kind, "the message text is empty"))
    else:
        issues.extend((kind, problem) for problem in _template_problems(kind, text))
    return issues


def _template_problems(kind: str, text: str) -> list[str]:
    try:
        check(text)
    except TemplateError as exc:
        return [str(exc)]
    shortest = minimum_length(text)
    if kind == INVITE and shortest > MAX_NOTE_LENGTH:
        return [f"the connection note is at least {shortest} characters; LinkedIn allows at "
                f"most {MAX_NOTE_LENGTH}"]
    return []


def _account_issues(values: Mapping[str, Any]) -> list[Issue]:
    issues: list[Issue] = []
    for name in ("account_id", "connection"):
        if name in values and not _is_text(values[name]):
            issues.append((name, f"must be non-empty text, got {values[name]!r}"))
    if "timezone" in values and (problem := zone_problem(values["timezone"])):
        issues.append(("timezone", problem))
    for name, hard_maximum in (("daily_invite_limit", MAX_DAILY_INVITES),
                               ("daily_message_limit", MAX_DAILY_MESSAGES)):
        if name in values and (problem := _limit_problem(values[name], hard_maximum)):
            issues.append((name, problem))
    return issues


def _limit_problem(value: object, hard_maximum: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"must be a whole number >= 0, got {value!r}"
    if value > hard_maximum:
        return (f"{value} is above the hard maximum of {hard_maximum}: LinkedIn restricts "
                "accounts that exceed safe daily volumes")
    return None


def _campaign_issues(values: Mapping[str, Any]) -> list[Issue]:
    issues: list[Issue] = []
    campaign_id = values.get("campaign_id")
    if "campaign_id" in values and not (
            isinstance(campaign_id, str) and _SLUG.fullmatch(campaign_id)):
        issues.append(("campaign_id", "must be a slug of lower-case letters, digits, '-' and "
                                      f"'_', starting with a letter or digit; got {campaign_id!r}"))
    for name in ("name", "account_id"):
        if name in values and not _is_text(values[name]):
            issues.append((name, f"must be non-empty text, got {values[name]!r}"))
    client = values.get("client")
    if client is not None and not _is_text(client):
        issues.append(("client", f"must be non-empty text or absent, got {client!r}"))
    issues.extend(_calendar_issues(values))
    if "steps" in values:
        issues.extend(_sequence_issues(values["steps"]))
    if "status" in values and values["status"] not in CAMPAIGN_STATUSES:
        issues.append(("status", f"must be 'active' or 'paused', got {values['status']!r}"))
    return issues


def _calendar_issues(values: Mapping[str, Any]) -> list[Issue]:
    checks: list[tuple[str, Callable[..., str | None]]] = [
        ("timezone", zone_problem), ("workdays", workdays_problem),
        ("holidays", holidays_problem)]
    issues = [(name, problem) for name, check_value in checks
              if name in values and (problem := check_value(values[name]))]
    if "working_hours" in values:
        hours = tuple(values["working_hours"])
        problem = (hours_problem(*hours) if len(hours) == 2
                   else "must be a pair of times (start, end)")
        if problem:
            issues.append(("working_hours", problem))
    return issues


def _sequence_issues(steps: Sequence[object]) -> list[Issue]:
    """The shape of the sequence: one invite, first, then at least one message."""
    wrong = [index for index, step in enumerate(steps) if not isinstance(step, Step)]
    if wrong:
        return [(f"steps[{wrong[0]}]", "must be a Step")]
    kinds = [step.kind for step in steps if isinstance(step, Step)]
    if not kinds:
        return [("steps", "at least two steps are required: the invite, then a message")]
    issues: list[Issue] = []
    if kinds[0] != INVITE:
        issues.append(("steps[0]", "the first step must be the invite"))
    issues.extend((f"steps[{index}]", "only the first step may be an invite")
                  for index, kind in enumerate(kinds) if kind == INVITE and index > 0)
    if MESSAGE not in kinds:
        issues.append(("steps", "at least one message step is required after the invite"))
    return issues


# Reading entries of a file (or dicts) into typed values.


_Reader = Callable[[Mapping[str, Any], list[Issue]], Any]


def _entries(document: Mapping[str, Any], key: str, read: _Reader, id_key: str,
             issues: list[Issue]) -> dict[str, Any]:
    """The objects of the list ``document[key]`` by their path (``campaigns[0] (uk-cfo)``),
    with the problems of every entry, and of duplicate ids, added to ``issues``."""
    entries = document.get(key)
    if entries is not None and not isinstance(entries, list):
        issues.append((key, f"must be a list, got {type(entries).__name__}"))
    found: dict[str, Any] = {}
    first_use: dict[str, str] = {}
    for where, entry in _listed(document, key):
        if not isinstance(entry, Mapping):
            issues.append((where, f"expected a mapping, got {type(entry).__name__}"))
            continue
        identifier = _raw_id(entry, id_key)
        if identifier in first_use:
            issues.append((f"{where}.{id_key}",
                           f"{identifier!r} is already used by {first_use[identifier]}"))
        elif identifier is not None:
            first_use[identifier] = where
        own: list[Issue] = []
        value = read(entry, own)
        issues.extend((_join(where, path), message) for path, message in own)
        if value is not None:
            found[where] = value
    return found


def _listed(document: Mapping[str, Any], key: str) -> list[tuple[str, Any]]:
    """The entries of the list ``document[key]`` (none when it is not a list) with their
    paths: ``campaigns[0] (uk-cfo)``, or ``campaigns[0]`` when the entry has no usable id."""
    entries = document.get(key)
    if not isinstance(entries, list):
        return []
    id_key = "account_id" if key == "accounts" else "campaign_id"
    listed = []
    for index, entry in enumerate(entries):
        identifier = _raw_id(entry, id_key)
        where = f"{key}[{index}]" if identifier is None else f"{key}[{index}] ({identifier})"
        listed.append((where, entry))
    return listed


def _raw_id(entry: object, id_key: str) -> str | None:
    """The id of an entry as text (a whole number as its digits), or None when unusable."""
    if not isinstance(entry, Mapping):
        return None
    identifier = entry.get(id_key)
    if _is_text(identifier) or _is_whole(identifier):
        return str(identifier).strip()
    return None


def _from_dict(data: Mapping[str, Any], read: _Reader, label: str, id_key: str) -> Any:
    """The object ``read`` makes of ``data``; CampaignError with paths such as
    ``campaign (uk-cfo).steps[1].delay_days`` otherwise."""
    if not isinstance(data, Mapping):
        raise CampaignError(f"{label}: expected a mapping, got {type(data).__name__}")
    identifier = _raw_id(data, id_key)
    where = label if identifier is None else f"{label} ({identifier})"
    issues: list[Issue] = []
    value = read(data, issues)
    raise_for(f"{label} data", [(_join(where, path), message) for path, message in issues])
    return value


def _account_entry(entry: Mapping[str, Any], issues: list[Issue]) -> Account | None:
    _unknown_keys(entry, _ACCOUNT_KEYS, issues)
    values: dict[str, Any] = {}
    _read(entry, "account_id", values, issues, _identifier, required=True)
    _read(entry, "connection", values, issues, _text, required=True)
    _read(entry, "timezone", values, issues, _text, default="UTC")
    _read(entry, "daily_invite_limit", values, issues, _same, default=DEFAULT_DAILY_INVITES)
    _read(entry, "daily_message_limit", values, issues, _same, default=DEFAULT_DAILY_MESSAGES)
    issues.extend(_account_issues(values))
    _in_field_order(issues, _ACCOUNT_KEYS)
    return None if issues else Account(**values)


def _campaign_entry(entry: Mapping[str, Any], issues: list[Issue]) -> Campaign | None:
    _unknown_keys(entry, _CAMPAIGN_KEYS, issues)
    values: dict[str, Any] = {}
    _read(entry, "campaign_id", values, issues, _identifier, required=True)
    _read(entry, "name", values, issues, _text, required=True)
    _read(entry, "client", values, issues, _optional_text, default=None)
    _read(entry, "account_id", values, issues, _identifier, required=True)
    _read(entry, "timezone", values, issues, _text, required=True)
    _read(entry, "working_hours", values, issues, _working_hours,
          default=DEFAULT_WORKING_HOURS)
    _read(entry, "workdays", values, issues, _workdays, default=WEEKDAYS)
    _read(entry, "holidays", values, issues, _holidays, default=frozenset())
    _read(entry, "status", values, issues, _text, default=ACTIVE)
    _read(entry, "steps", values, issues, _steps, required=True)
    issues.extend(_campaign_issues(values))
    _in_field_order(issues, _CAMPAIGN_KEYS)
    return None if issues else Campaign(**values)


def _steps(raw: object, issues: list[Issue]) -> tuple[Step, ...] | None:
    """The steps of a list; None (with the issues) when any entry cannot be read."""
    if not isinstance(raw, list):
        issues.append(("", f"must be a list of steps, got {type(raw).__name__}"))
        return None
    steps: list[Step] = []
    readable = True
    for index, entry in enumerate(raw):
        own: list[Issue] = []
        step = _step_entry(entry, own)
        issues.extend((_join(f"[{index}]", path), message) for path, message in own)
        readable = readable and step is not None
        if step is not None:
            steps.append(step)
    return tuple(steps) if readable else None


def _step_entry(entry: object, issues: list[Issue]) -> Step | None:
    if not isinstance(entry, Mapping):
        issues.append(("", "expected a mapping with `invite` or `message`, got "
                           f"{type(entry).__name__}"))
        return None
    _unknown_keys(entry, (*STEP_KINDS, "delay_days"), issues)
    kinds = [kind for kind in STEP_KINDS if kind in entry]
    if len(kinds) != 1:
        issues.append(("", "a step has exactly one of `invite` or `message`"))
        return None
    kind = kinds[0]
    text = entry[kind]
    if kind == INVITE and (text is None or (isinstance(text, Mapping) and not text)):
        text = None
    elif not isinstance(text, str):
        expected = "the note text, null or {}" if kind == INVITE else "the message text"
        issues.append((kind, f"must be {expected}, got {type(text).__name__}"))
        return None
    if kind == MESSAGE and "delay_days" not in entry:
        issues.append(("delay_days", "is required for a message: the number of working days "
                                     "after the previous step"))
        return None
    own = _step_issues(kind, text, entry.get("delay_days", 0))
    issues.extend(own)
    return None if own else Step(kind, text, entry.get("delay_days", 0))


def _read(entry: Mapping[str, Any], name: str, values: dict[str, Any], issues: list[Issue],
          convert: Callable[[object, list[Issue]], object], *, required: bool = False,
          default: object = None) -> None:
    """Put ``entry[name]`` (converted) into ``values``; a missing or null value is the default
    unless required. Conversion problems go to ``issues`` and leave ``values`` without it."""
    raw = entry.get(name)
    if raw is None:
        if required:
            issues.append((name, "is required"))
        else:
            values[name] = default
        return
    own: list[Issue] = []
    value = convert(raw, own)
    issues.extend((_join(name, path), message) for path, message in own)
    if not own:
        values[name] = value


def _same(raw: object, issues: list[Issue]) -> object:
    return raw


def _text(raw: object, issues: list[Issue]) -> str | None:
    if not _is_text(raw):
        issues.append(("", f"must be non-empty text, got {raw!r}"))
        return None
    assert isinstance(raw, str)
    return raw.strip()


def _optional_text(raw: object, issues: list[Issue]) -> str | None:
    if isinstance(raw, str) and not raw.strip():
        return None
    return _text(raw, issues)


def _identifier(raw: object, issues: list[Issue]) -> str | None:
    """Text, or a whole number (YAML reads ``12345`` as one) as its digits."""
    if _is_whole(raw):
        return str(raw)
    return _text(raw, issues)


def _working_hours(raw: object, issues: list[Issue]) -> tuple[time, time] | None:
    if not isinstance(raw, Mapping):
        issues.append(("", f"must be a mapping {{start: \"09:00\", end: \"17:00\"}}, got {raw!r}"))
        return None
    _unknown_keys(raw, ("start", "end"), issues)
    times = [_time_of(raw.get(name), name, issues) for name in ("start", "end")]
    start, end = times
    if start is None or end is None:
        return None
    return start, end


def _time_of(raw: object, name: str, issues: list[Issue]) -> time | None:
    if raw is None:
        issues.append((name, "is required"))
    elif isinstance(raw, int) and not isinstance(raw, bool):
        issues.append((name, f"must be a quoted time such as \"09:00\"; unquoted, YAML reads "
                             f"{raw // 60}:{raw % 60:02d} as the number {raw}"))
    elif not isinstance(raw, str):
        issues.append((name, f"must be a time such as \"09:00\", got {raw!r}"))
    else:
        try:
            parsed = time.fromisoformat(raw.strip())
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            return parsed
        issues.append((name, f"must be a time such as \"09:00\", got {raw!r}"))
    return None


def _workdays(raw: object, issues: list[Issue]) -> frozenset[int] | None:
    if not isinstance(raw, list):
        issues.append(("", f"must be a list of day names such as [mon, tue], got {raw!r}"))
        return None
    days: set[int] = set()
    for index, name in enumerate(raw):
        day = _day_number(name)
        if day is None:
            issues.append((f"[{index}]", f"unknown day {name!r}; use {', '.join(DAY_NAMES)}"))
        else:
            days.add(day)
    return frozenset(days)


def _day_number(name: object) -> int | None:
    if not isinstance(name, str):
        return None
    name = name.strip().lower()
    for names in (DAY_NAMES, _FULL_DAY_NAMES):
        if name in names:
            return names.index(name)
    return None


def _holidays(raw: object, issues: list[Issue]) -> frozenset[date] | None:
    if not isinstance(raw, list):
        issues.append(("", f"must be a list of dates such as [2026-12-25], got {raw!r}"))
        return None
    days: set[date] = set()
    for index, value in enumerate(raw):
        day = _date_of(value)
        if day is None:
            issues.append((f"[{index}]", f"must be a date such as 2026-12-25, got {value!r}"))
        else:
            days.add(day)
    return frozenset(days)


def _date_of(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _step_to_dict(step: Step) -> dict[str, Any]:
    if step.kind == INVITE:
        return {INVITE: step.text}
    return {MESSAGE: step.text, "delay_days": step.delay_days}


def _time_text(value: time) -> str:
    if value.second or value.microsecond:
        return value.isoformat()
    return value.isoformat(timespec="minutes")


def _unknown_keys(entry: Mapping[str, Any], allowed: Sequence[str], issues: list[Issue]) -> None:
    issues.extend(("", f"unknown key {key!r}; expected one of {', '.join(allowed)}")
                  for key in entry if key not in allowed)


def _field_values(instance: Any) -> dict[str, Any]:
    return {item.name: getattr(instance, item.name) for item in fields(instance) if item.init}


def _in_field_order(issues: list[Issue], keys: Sequence[str]) -> None:
    """Sort ``issues`` (stably) as their fields are listed in ``keys``, the entry's own first."""

    def rank(issue: Issue) -> int:
        name = re.split(r"[.\[]", issue[0], maxsplit=1)[0]
        if not name:
            return -1
        return keys.index(name) if name in keys else len(keys)

    issues.sort(key=rank)


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    if path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
