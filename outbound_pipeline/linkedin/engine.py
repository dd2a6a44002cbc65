"""The LinkedIn sequence engine: what is due now for a lead of a campaign.

A lead moves through these statuses; the caller stores them, the engine only reads them::

    PENDING    enrolled, not invited yet         -> INVITED when the invite is sent
    INVITED    invited, waiting for acceptance   -> CONNECTED when accepted
    CONNECTED  accepted, no message sent yet     -> MESSAGING when message 1 is sent
    MESSAGING  at least one message sent         -> FINISHED when the last step is sent
    REPLIED    the person replied: nothing more is ever sent
    FINISHED   every step was sent
    FAILED     a step cannot be sent (a missing personalization variable, a permanent refusal)

:func:`next_action` answers for one lead: :class:`Due` (send this step now), :class:`Wait`
(nothing now, and why) or :class:`Stop` (a status change the caller must store: FINISHED or
FAILED). :func:`plan` answers for all leads of a campaign at one tick and keeps within the
account's daily limits. Nothing here reads a clock, a database or the network: the caller
passes the time, the lead's state and the account's usage today. Every instant the engine
returns is in UTC, safe to compare and to store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from outbound_pipeline.linkedin.calendar import require_aware
from outbound_pipeline.linkedin.campaign import (
    INVITE,
    MAX_NOTE_LENGTH,
    MESSAGE,
    Account,
    Campaign,
    Step,
)
from outbound_pipeline.linkedin.personalize import TemplateError, render

K = TypeVar("K")


class SequenceStatus(StrEnum):
    PENDING = "PENDING"
    INVITED = "INVITED"
    CONNECTED = "CONNECTED"
    MESSAGING = "MESSAGING"
    REPLIED = "REPLIED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


PENDING = SequenceStatus.PENDING
INVITED = SequenceStatus.INVITED
CONNECTED = SequenceStatus.CONNECTED
MESSAGING = SequenceStatus.MESSAGING
REPLIED = SequenceStatus.REPLIED
FINISHED = SequenceStatus.FINISHED
FAILED = SequenceStatus.FAILED
TERMINAL = frozenset({REPLIED, FINISHED, FAILED})

WAIT_REASONS = ("replied", "finished", "failed", "paused", "not_connected", "weekend",
                "holiday", "out_of_hours", "delay", "invite_limit", "message_limit")

# The steps a status implies were sent, whatever steps_done says: an invite is never sent twice.
_STEPS_IMPLIED = {PENDING: 0, INVITED: 1, CONNECTED: 1, MESSAGING: 2}
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def is_terminal(status: str) -> bool:
    """Whether nothing more will ever be sent to a lead in ``status`` (REPLIED, FINISHED,
    FAILED). ValueError for an unknown status."""
    return SequenceStatus(status) in TERMINAL


@dataclass(frozen=True)
class LeadState:
    """What the caller knows about a lead in a campaign. ``steps_done`` counts the steps sent
    (the invite is step 1); ``last_step_at`` is when the latest one was sent; ``connected_at``
    when the invitation was accepted (a lead who was already a connection: CONNECTED with
    ``steps_done=1`` and ``connected_at`` set); ``replied_at`` when the person first replied;
    ``enrolled_at`` (optional) when the lead joined the campaign, which orders invites.
    Datetimes must be timezone-aware; they are kept in UTC.

    A status implies a minimum of steps sent (INVITED and CONNECTED 1, MESSAGING 2); the engine
    uses the larger of that and ``steps_done``, so an invite is never sent twice."""

    status: str
    steps_done: int = 0
    last_step_at: datetime | None = None
    connected_at: datetime | None = None
    replied_at: datetime | None = None
    enrolled_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", _status(self.status))
        if isinstance(self.steps_done, bool) or not isinstance(self.steps_done, int) or (
                self.steps_done < 0):
            raise ValueError(f"steps_done must be a whole number >= 0, got {self.steps_done!r}")
        for name in ("last_step_at", "connected_at", "replied_at", "enrolled_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_aware(value, name).astimezone(UTC))


@dataclass(frozen=True)
class Usage:
    """What an account already sent today."""

    invites: int = 0
    messages: int = 0

    def __post_init__(self) -> None:
        _require_counts(self, "usage")


@dataclass(frozen=True)
class Limits:
    """How many invites and messages an account may send in a day."""

    invites: int
    messages: int

    def __post_init__(self) -> None:
        _require_counts(self, "limits")

    @classmethod
    def of(cls, account: Account) -> Limits:
        """The daily limits configured for ``account``."""
        return cls(account.daily_invite_limit, account.daily_message_limit)


@dataclass(frozen=True)
class Due:
    """Send step ``step_number`` (1-based) now: an invite (``text`` is the rendered note, None
    for none) or a message (the rendered text). ``due_since`` is when it became due (None for
    an invite of a lead without ``enrolled_at``)."""

    step_number: int
    kind: str
    text: str | None
    due_since: datetime | None = None


@dataclass(frozen=True)
class Wait:
    """Nothing to send now, and why (one of :data:`WAIT_REASONS`). ``not_before`` is the
    earliest instant something may be due, when known: the due time of a delay, the next
    opening of a closed calendar; None otherwise."""

    reason: str
    not_before: datetime | None = None


@dataclass(frozen=True)
class Stop:
    """A change of status the caller must store: ``FINISHED`` (every step was sent) or
    ``FAILED`` (``reason`` says why, e.g. the missing variable)."""

    reason: str
    status: str


Action = Due | Wait | Stop


@dataclass(frozen=True)
class Plan(Generic[K]):
    """The outcome of one tick for a campaign: ``due`` in sending order (messages first, the
    longest due first), ``stops`` to store, and how many leads wait for each reason (including
    the due leads left for a later tick by the daily limits)."""

    due: list[tuple[K, Due]] = field(default_factory=list)
    stops: list[tuple[K, Stop]] = field(default_factory=list)
    waiting: Counter[str] = field(default_factory=Counter)


def next_action(campaign: Campaign, lead: LeadState, variables: Mapping[str, object],
                now: datetime, usage: Usage, limits: Limits) -> Action:
    """What to do for ``lead`` at ``now``, checked in this order:

    1. a reply (``replied_at`` set or status REPLIED) or a terminal status: Wait;
    2. a paused campaign: Wait("paused");
    3. every step sent: Stop FINISHED;
    4. the next step not due yet: Wait("not_connected") for a message before the acceptance,
       Wait("delay", due time) before its delay has passed. The invite is due on enrolment;
       a message ``delay_days`` working days after the later of the acceptance and the previous
       step, at the first opening of the campaign's calendar (:meth:`WorkingCalendar.due_at`);
    5. the calendar closed at ``now``: Wait("weekend" | "holiday" | "out_of_hours", opening);
    6. the account's daily limit for the step's kind reached: Wait("invite_limit" |
       "message_limit");
    7. personalization failing (a missing variable, a note over 300 characters): Stop FAILED;
    8. otherwise the step is Due, with its rendered text.
    """
    now = require_aware(now, "now").astimezone(UTC)
    settled = _settled(lead)
    if settled is not None:
        return settled
    if not campaign.is_active:
        return Wait("paused")
    index = max(lead.steps_done, _STEPS_IMPLIED[SequenceStatus(lead.status)])
    if index >= len(campaign.steps):
        return Stop(f"all {len(campaign.steps)} steps have been sent", FINISHED)
    step = campaign.steps[index]
    due = _due_time(campaign, index, lead)
    if isinstance(due, Wait):
        return due
    if due is not None and now < due:
        return Wait("delay", due)
    closed = campaign.calendar.closed_reason(now)
    if closed is not None:
        return Wait(closed, campaign.calendar.next_open(now).astimezone(UTC))
    if _remaining(step.kind, usage, limits) <= 0:
        return Wait(f"{step.kind}_limit")
    return _personalized(step, index + 1, variables, due)


def plan(campaign: Campaign, leads: Sequence[tuple[K, LeadState, Mapping[str, object]]],
         now: datetime, usage: Usage, limits: Limits) -> Plan[K]:
    """The actions of one tick for the ``(key, state, variables)`` leads of ``campaign``.

    Each lead gets :func:`next_action`. The due ones are ordered messages first (follow-ups to
    people already in a conversation matter most), then by how long they have been due
    (oldest first; invites without ``enrolled_at`` after those with it), then by their order in
    ``leads``; they are taken in that order while the account's remaining allowance of their
    kind lasts (``limits`` minus ``usage``). The rest wait for ``invite_limit`` or
    ``message_limit``. Stops are returned in input order."""
    result: Plan[K] = Plan()
    candidates: list[tuple[int, K, Due]] = []
    for position, (key, lead, variables) in enumerate(leads):
        action = next_action(campaign, lead, variables, now, usage, limits)
        if isinstance(action, Due):
            candidates.append((position, key, action))
        elif isinstance(action, Stop):
            result.stops.append((key, action))
        else:
            result.waiting[action.reason] += 1
    allowance = {kind: _remaining(kind, usage, limits) for kind in (INVITE, MESSAGE)}
    for _, key, due in sorted(candidates, key=_sending_order):
        if allowance[due.kind] > 0:
            allowance[due.kind] -= 1
            result.due.append((key, due))
        else:
            result.waiting[f"{due.kind}_limit"] += 1
    return result


def _settled(lead: LeadState) -> Wait | None:
    """The Wait of a lead that will never get anything again, or None."""
    if lead.replied_at is not None or lead.status == REPLIED:
        return Wait("replied")
    if lead.status == FINISHED:
        return Wait("finished")
    if lead.status == FAILED:
        return Wait("failed")
    return None


def _due_time(campaign: Campaign, index: int, lead: LeadState) -> datetime | None | Wait:
    """When step ``index`` (0-based) becomes due: None for an invite due right away, a Wait
    for a message before the acceptance."""
    calendar = campaign.calendar
    step = campaign.steps[index]
    if step.kind == INVITE:
        if lead.enrolled_at is None:
            return None
        return calendar.due_at(lead.enrolled_at, 0).astimezone(UTC)
    if lead.connected_at is None:
        return Wait("not_connected")
    since = lead.connected_at
    if lead.last_step_at is not None and lead.last_step_at > since:
        since = lead.last_step_at
    return calendar.due_at(since, step.delay_days).astimezone(UTC)


def _personalized(step: Step, number: int, variables: Mapping[str, object],
                  due: datetime | None) -> Due | Stop:
    """The step Due with its rendered text, or Stop FAILED when it cannot be rendered."""
    if step.text is None:
        return Due(number, step.kind, None, due)
    try:
        text = render(step.text, variables)
    except TemplateError as exc:
        return Stop(f"step {number} ({step.kind}): {exc}", FAILED)
    if step.kind == INVITE and len(text) > MAX_NOTE_LENGTH:
        return Stop(f"step {number} (invite): the personalized connection note is {len(text)} "
                    f"characters; LinkedIn allows at most {MAX_NOTE_LENGTH}", FAILED)
    return Due(number, step.kind, text, due)


def _remaining(kind: str, usage: Usage, limits: Limits) -> int:
    if kind == INVITE:
        return max(0, limits.invites - usage.invites)
    return max(0, limits.messages - usage.messages)


def _sending_order(candidate: tuple[int, object, Due]) -> tuple[int, bool, datetime, int]:
    position, _, due = candidate
    since = due.due_since
    return (0 if due.kind == MESSAGE else 1, since is None, since or _EARLIEST, position)


def _status(value: object) -> SequenceStatus:
    try:
        return SequenceStatus(value)
    except ValueError:
        known = ", ".join(status.value for status in SequenceStatus)
        raise ValueError(f"unknown lead status {value!r}; expected one of {known}") from None


def _require_counts(counts: Usage | Limits, label: str) -> None:
    for name in ("invites", "messages"):
        value = getattr(counts, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{label}.{name} must be a whole number >= 0, got {value!r}")
