"""Lead statuses, the audit trail's actions, and which action moves a lead where (seed 001).

    from        action                to       when
    (new lead)  blocked               BLOCKED  the health gate said RED
    (new lead)  assigned              HELD     a rule matched; the push comes next
    (new lead)  unassigned            HELD     no rule matched: the holding pool
    HELD        assigned              HELD     routed later (new rules, a manual assignment)
    HELD        unassigned            HELD     still no rule
    HELD        pushed_to_smartlead   ACTIVE   Smartlead accepted the lead
    HELD        push_failed           HELD     the push failed; it will be retried
    HELD        retried               HELD     a retry of the push is under way
    HELD        failed                FAILED   given up after MAX_PUSH_ATTEMPTS failed pushes
    FAILED      retried               HELD     a manual retry

BLOCKED and ACTIVE are terminal, and so is FAILED except for a manual retry. Failed pushes are
retried with exponential backoff (:func:`retry_delay`) until :func:`should_give_up`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

MAX_PUSH_ATTEMPTS = 5

_E = TypeVar("_E", bound=StrEnum)


class LeadStatus(StrEnum):
    HELD = "HELD"
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"
    FAILED = "FAILED"


class AuditAction(StrEnum):
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    BLOCKED = "blocked"
    PUSHED_TO_SMARTLEAD = "pushed_to_smartlead"
    PUSH_FAILED = "push_failed"
    RETRIED = "retried"
    FAILED = "failed"


class InvalidTransition(ValueError):
    """An action that is not allowed for a lead in its status; the message names both."""


# (status before, action) -> status after; None is a lead that does not exist yet.
TRANSITIONS: dict[tuple[LeadStatus | None, AuditAction], LeadStatus] = {
    (None, AuditAction.BLOCKED): LeadStatus.BLOCKED,
    (None, AuditAction.ASSIGNED): LeadStatus.HELD,
    (None, AuditAction.UNASSIGNED): LeadStatus.HELD,
    (LeadStatus.HELD, AuditAction.ASSIGNED): LeadStatus.HELD,
    (LeadStatus.HELD, AuditAction.UNASSIGNED): LeadStatus.HELD,
    (LeadStatus.HELD, AuditAction.PUSHED_TO_SMARTLEAD): LeadStatus.ACTIVE,
    (LeadStatus.HELD, AuditAction.PUSH_FAILED): LeadStatus.HELD,
    (LeadStatus.HELD, AuditAction.RETRIED): LeadStatus.HELD,
    (LeadStatus.HELD, AuditAction.FAILED): LeadStatus.FAILED,
    (LeadStatus.FAILED, AuditAction.RETRIED): LeadStatus.HELD,
}


def next_status(status: LeadStatus | str | None, action: AuditAction | str) -> LeadStatus:
    """The status after ``action`` on a lead in ``status`` (None: a new lead); raises
    :class:`InvalidTransition` for anything the table above does not allow."""
    before = _parse(LeadStatus, status) if status is not None else None
    after_action = _parse(AuditAction, action)
    target = None
    if after_action is not None and (status is None or before is not None):
        target = TRANSITIONS.get((before, after_action))
    if target is None:
        shown = "a new lead" if status is None else f"status {status!s}"
        raise InvalidTransition(f"action {action!s} is not allowed for {shown}")
    return target


def retry_delay(attempts: int, base_seconds: float = 60, cap_seconds: float = 3600) -> float:
    """Seconds to wait before the next push after ``attempts`` failed ones (1, 2, ...):
    ``base * 2 ** (attempts - 1)``, at most ``cap_seconds``."""
    if attempts < 1:
        raise ValueError(f"attempts counts failed pushes and starts at 1, got {attempts}")
    exponent = min(attempts - 1, 64)  # beyond this the cap has long been reached
    return float(min(base_seconds * 2**exponent, cap_seconds))


def should_give_up(attempts: int) -> bool:
    """Whether ``attempts`` failed pushes are enough to mark the lead FAILED."""
    return attempts >= MAX_PUSH_ATTEMPTS


def _parse(kind: type[_E], value: object) -> _E | None:
    try:
        return kind(value)
    except ValueError:
        return None
