"""The lead status table (seed 001 plus retries), row by row, and the retry schedule."""

from __future__ import annotations

import itertools

import pytest

from outbound_pipeline.routing.status import (
    MAX_PUSH_ATTEMPTS,
    TRANSITIONS,
    AuditAction,
    InvalidTransition,
    LeadStatus,
    next_status,
    retry_delay,
    should_give_up,
)

HELD, ACTIVE, BLOCKED, FAILED = (LeadStatus.HELD, LeadStatus.ACTIVE, LeadStatus.BLOCKED,
                                 LeadStatus.FAILED)

ALLOWED = [
    (None, "blocked", BLOCKED),
    (None, "assigned", HELD),
    (None, "unassigned", HELD),
    (HELD, "assigned", HELD),
    (HELD, "unassigned", HELD),
    (HELD, "pushed_to_smartlead", ACTIVE),
    (HELD, "push_failed", HELD),
    (HELD, "retried", HELD),
    (HELD, "failed", FAILED),
    (FAILED, "retried", HELD),
]


@pytest.mark.parametrize("status,action,expected", ALLOWED)
def test_allowed_transitions(status, action, expected):
    assert next_status(status, action) is expected
    assert next_status(status, AuditAction(action)) is expected


def test_statuses_and_actions_take_their_string_values():
    assert next_status("HELD", "pushed_to_smartlead") is ACTIVE
    assert [s.value for s in LeadStatus] == ["HELD", "ACTIVE", "BLOCKED", "FAILED"]
    assert [a.value for a in AuditAction] == [
        "assigned", "unassigned", "blocked", "pushed_to_smartlead", "push_failed", "retried",
        "failed"]


INVALID = [
    (status, action)
    for status, action in itertools.product([None, *LeadStatus], AuditAction)
    if (status, action) not in TRANSITIONS
]


@pytest.mark.parametrize("status,action", INVALID)
def test_everything_else_is_invalid_and_names_both(status, action):
    with pytest.raises(InvalidTransition) as raised:
        next_status(status, action)
    assert action.value in str(raised.value)
    assert (status.value if status else "a new lead") in str(raised.value)


def test_the_table_is_the_whole_story():
    assert len(TRANSITIONS) == len(ALLOWED)
    assert len(INVALID) == 5 * 7 - len(ALLOWED)


@pytest.mark.parametrize("status", [ACTIVE, BLOCKED])
def test_active_and_blocked_are_terminal(status):
    for action in AuditAction:
        with pytest.raises(InvalidTransition):
            next_status(status, action)


def test_failed_only_takes_a_manual_retry():
    allowed = [a for a in AuditAction if (FAILED, a) in TRANSITIONS]
    assert allowed == [AuditAction.RETRIED]


@pytest.mark.parametrize("status,action", [("PENDING", "assigned"), ("HELD", "deleted")])
def test_unknown_statuses_and_actions_are_invalid(status, action):
    with pytest.raises(InvalidTransition, match=f"{action}.*{status}"):
        next_status(status, action)


@pytest.mark.parametrize("attempts,delay", [
    (1, 60.0), (2, 120.0), (3, 240.0), (4, 480.0), (6, 1920.0), (7, 3600.0), (500, 3600.0),
])
def test_retry_delay_doubles_up_to_the_cap(attempts, delay):
    assert retry_delay(attempts) == delay


def test_retry_delay_with_own_base_and_cap():
    assert retry_delay(3, base_seconds=10, cap_seconds=25) == 25.0
    assert retry_delay(2, base_seconds=1.5) == 3.0
    with pytest.raises(ValueError):
        retry_delay(0)


def test_give_up_after_max_attempts():
    assert MAX_PUSH_ATTEMPTS == 5
    assert [should_give_up(n) for n in range(1, 7)] == [False] * 4 + [True, True]


def test_a_push_that_keeps_failing_ends_failed_and_a_manual_retry_holds_it_again():
    status = next_status(None, "assigned")
    attempts = 0
    while True:
        status = next_status(status, "push_failed")
        attempts += 1
        if should_give_up(attempts):
            status = next_status(status, "failed")
            break
        status = next_status(status, "retried")
    assert (status, attempts) == (FAILED, MAX_PUSH_ATTEMPTS)
    assert next_status(next_status(status, "retried"), "pushed_to_smartlead") is ACTIVE
