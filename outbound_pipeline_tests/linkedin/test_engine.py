"""The sequence engine: what is due for a lead now, in which order checks apply, and a tick's
plan for a campaign within the account's daily limits."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound_pipeline.linkedin.campaign import Account, Campaign, Step
from outbound_pipeline.linkedin.engine import (
    CONNECTED,
    FAILED,
    FINISHED,
    INVITED,
    MESSAGING,
    PENDING,
    REPLIED,
    Due,
    LeadState,
    Limits,
    Plan,
    SequenceStatus,
    Stop,
    Usage,
    Wait,
    is_terminal,
    next_action,
    plan,
)

LONDON = ZoneInfo("Europe/London")
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "Pacific/Auckland", "America/Sao_Paulo", "UTC"]
LEAD = {"first_name": "Jo", "company": "Acme"}
ROOMY = Limits(invites=25, messages=100)
NONE_USED = Usage()
STEPS = (
    Step("invite", "Hi {{first_name}}, I work with finance teams like {{company}}'s."),
    Step("message", "Thanks for connecting, {{first_name}}!", 0),
    Step("message", "Following up, {{ first_name }}.", 3),
    Step("message", "Last note from me.", 5),
)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_campaign(**fields) -> Campaign:
    values = {"campaign_id": "uk-cfo", "name": "UK CFO", "account_id": "t5XY4",
              "timezone": "Europe/London", "steps": STEPS,
              "holidays": frozenset({date(2026, 12, 25), date(2026, 12, 28)}), **fields}
    return Campaign(**values)


UK = make_campaign()
MONDAY_10 = london(2026, 3, 2, 10)


def action(lead: LeadState, now: datetime = MONDAY_10, *, campaign: Campaign = UK,
           variables=LEAD, usage: Usage = NONE_USED, limits: Limits = ROOMY):
    return next_action(campaign, lead, variables, now, usage, limits)


def messaging(steps_done: int, last_step_at: datetime, **fields) -> LeadState:
    return LeadState(MESSAGING, steps_done, last_step_at=last_step_at,
                     connected_at=fields.pop("connected_at", london(2026, 2, 2, 9)), **fields)


# One lead


def test_a_pending_lead_is_invited_with_the_rendered_note():
    assert action(LeadState(PENDING)) == Due(
        1, "invite", "Hi Jo, I work with finance teams like Acme's.", None)


def test_an_invite_without_note_is_due_without_text():
    campaign = make_campaign(steps=(Step("invite", None), *STEPS[1:]))
    assert action(LeadState(PENDING), campaign=campaign) == Due(1, "invite", None, None)


def test_an_invite_waits_for_the_enrolment_time():
    lead = LeadState(PENDING, enrolled_at=london(2026, 3, 2, 11))
    assert action(lead) == Wait("delay", utc(2026, 3, 2, 11))
    enrolled_on_sunday = LeadState(PENDING, enrolled_at=london(2026, 3, 1, 12))
    assert action(enrolled_on_sunday) == Due(1, "invite", STEPS_RENDERED[0], utc(2026, 3, 2, 9))


STEPS_RENDERED = ("Hi Jo, I work with finance teams like Acme's.", "Thanks for connecting, Jo!",
                  "Following up, Jo.", "Last note from me.")


@pytest.mark.parametrize("now,reason,opens", [
    (london(2026, 3, 7, 12), "weekend", utc(2026, 3, 9, 9)),
    (london(2026, 12, 25, 12), "holiday", utc(2026, 12, 29, 9)),
    (london(2026, 3, 2, 8), "out_of_hours", utc(2026, 3, 2, 9)),
    (london(2026, 3, 2, 17), "out_of_hours", utc(2026, 3, 3, 9)),
    (london(2026, 7, 6, 8), "out_of_hours", utc(2026, 7, 6, 8)),   # 09:00 BST
])
def test_a_closed_calendar_waits_for_its_opening(now, reason, opens):
    waited = action(LeadState(PENDING), now)
    assert waited == Wait(reason, opens)
    assert waited.not_before.tzinfo is UTC


def test_an_invited_lead_waits_for_the_acceptance():
    assert action(LeadState(INVITED, 1, last_step_at=london(2026, 2, 20, 10))) == Wait(
        "not_connected")


def test_the_status_implies_the_invite_was_sent():
    # INVITED with steps_done 0 is never invited again.
    assert action(LeadState(INVITED, 0)) == Wait("not_connected")


def test_the_first_message_follows_the_acceptance():
    lead = LeadState(CONNECTED, 1, last_step_at=london(2026, 2, 25, 10),
                     connected_at=london(2026, 3, 2, 9, 30))
    assert action(lead) == Due(2, "message", "Thanks for connecting, Jo!", utc(2026, 3, 2, 9, 30))


def test_an_acceptance_after_hours_waits_for_the_next_opening():
    lead = LeadState(CONNECTED, 1, connected_at=london(2026, 3, 6, 18))
    assert action(lead, london(2026, 3, 6, 18, 30)) == Wait("delay", utc(2026, 3, 9, 9))
    assert action(lead, london(2026, 3, 9, 9)) == Due(2, "message", STEPS_RENDERED[1],
                                                       utc(2026, 3, 9, 9))


def test_a_follow_up_waits_its_working_days_at_the_same_local_time():
    lead = messaging(2, london(2026, 3, 4, 16, 30))      # Wednesday 16:30, delay 3
    assert action(lead, london(2026, 3, 9, 16, 29)) == Wait("delay", utc(2026, 3, 9, 16, 30))
    assert action(lead, london(2026, 3, 9, 16, 30)) == Due(3, "message", "Following up, Jo.",
                                                           utc(2026, 3, 9, 16, 30))


def test_a_follow_up_across_the_clocks_going_forward():
    campaign = make_campaign(steps=(STEPS[0], STEPS[1], Step("message", "Again", 1)))
    lead = messaging(2, london(2026, 3, 27, 10))         # Friday 10:00 GMT, delay 1
    due = utc(2026, 3, 30, 9)                             # Monday 10:00 BST
    assert action(lead, due - timedelta(seconds=1), campaign=campaign) == Wait("delay", due)
    assert action(lead, due, campaign=campaign) == Due(3, "message", "Again", due)


def test_every_step_sent_finishes_the_lead():
    assert action(messaging(4, london(2026, 2, 20, 10))) == Stop(
        "all 4 steps have been sent", FINISHED)


@pytest.mark.parametrize("lead,reason", [
    (LeadState(REPLIED, 2), "replied"),
    (messaging(2, london(2026, 2, 20, 10), replied_at=london(2026, 2, 21, 9)), "replied"),
    (LeadState(PENDING, replied_at=london(2026, 2, 21, 9)), "replied"),
    (LeadState(FINISHED, 4, replied_at=london(2026, 2, 21, 9)), "replied"),
    (LeadState(FINISHED, 4), "finished"),
    (LeadState(FAILED, 1), "failed"),
])
def test_replied_and_terminal_leads_get_nothing(lead, reason):
    assert action(lead) == Wait(reason)
    assert action(lead, campaign=make_campaign(status="paused")) == Wait(reason)


def test_a_paused_campaign_sends_nothing():
    paused = make_campaign(status="paused")
    assert action(LeadState(PENDING), campaign=paused) == Wait("paused")
    assert action(messaging(4, london(2026, 2, 20, 10)), campaign=paused) == Wait("paused")


def test_daily_limits_per_kind():
    full_invites = Usage(invites=25, messages=0)
    assert action(LeadState(PENDING), usage=full_invites) == Wait("invite_limit")
    lead = messaging(2, london(2026, 2, 20, 10))
    assert isinstance(action(lead, usage=full_invites), Due)
    assert action(lead, usage=Usage(0, 100)) == Wait("message_limit")
    assert action(LeadState(PENDING), limits=Limits(0, 0)) == Wait("invite_limit")


def test_a_missing_variable_fails_the_lead_naming_it():
    stopped = action(LeadState(PENDING), variables={"first_name": "Jo", "company": " "})
    assert isinstance(stopped, Stop) and stopped.status == FAILED
    assert stopped.reason.startswith("step 1 (invite): the template needs {{ company }}")
    assert "first_name" in stopped.reason


def test_a_note_too_long_once_personalized_fails_the_lead():
    campaign = make_campaign(steps=(Step("invite", "Hi {{first_name}}" + "." * 290), *STEPS[1:]))
    assert isinstance(action(LeadState(PENDING), campaign=campaign), Due)
    stopped = action(LeadState(PENDING), campaign=campaign, variables={"first_name": "J" * 20})
    assert stopped == Stop("step 1 (invite): the personalized connection note is 313 "
                           "characters; LinkedIn allows at most 300", FAILED)


def test_checks_apply_in_order():
    # Closed calendar before limits, limits before personalization.
    assert action(LeadState(PENDING), london(2026, 3, 7, 12), usage=Usage(25, 0),
                  variables={}).reason == "weekend"
    assert action(LeadState(PENDING), usage=Usage(25, 0), variables={}) == Wait("invite_limit")


def test_lead_states_are_validated_and_kept_in_utc():
    with pytest.raises(ValueError, match="unknown lead status 'DONE'"):
        LeadState("DONE")
    with pytest.raises(ValueError, match="steps_done"):
        LeadState(PENDING, -1)
    with pytest.raises(ValueError, match="connected_at must be a timezone-aware"):
        LeadState(CONNECTED, 1, connected_at=datetime(2026, 3, 2, 10))
    state = LeadState("CONNECTED", 1, connected_at=london(2026, 7, 1, 10))
    assert state.status is CONNECTED and state.connected_at.tzinfo is UTC
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        action(LeadState(PENDING), datetime(2026, 3, 2, 10))


def test_statuses_and_limits():
    assert [status.value for status in SequenceStatus] == [
        "PENDING", "INVITED", "CONNECTED", "MESSAGING", "REPLIED", "FINISHED", "FAILED"]
    assert [is_terminal(status) for status in SequenceStatus] == [
        False, False, False, False, True, True, True]
    assert is_terminal("REPLIED")
    assert Limits.of(Account("a", "c", daily_invite_limit=10)) == Limits(10, 100)
    with pytest.raises(ValueError, match="usage.invites"):
        Usage(-1, 0)


# A tick's plan


def test_plan_puts_messages_first_then_the_longest_due_and_keeps_within_limits():
    leads = [
        ("new-1", LeadState(PENDING, enrolled_at=london(2026, 3, 2, 9, 30)), LEAD),
        ("new-0", LeadState(PENDING, enrolled_at=london(2026, 2, 27, 12)), LEAD),
        ("new-x", LeadState(PENDING), LEAD),
        ("late", messaging(2, london(2026, 2, 20, 10)), LEAD),
        ("later", messaging(2, london(2026, 2, 24, 10)), LEAD),
        ("replied", LeadState(REPLIED, 3), LEAD),
        ("broken", LeadState(PENDING), {}),
        ("done", messaging(4, london(2026, 2, 20, 10)), LEAD),
        ("waiting", LeadState(INVITED, 1), LEAD),
    ]
    result = plan(UK, leads, MONDAY_10, Usage(invites=23, messages=99), ROOMY)
    assert [(key, due.step_number) for key, due in result.due] == [
        ("late", 3), ("new-0", 1), ("new-1", 1)]
    assert [(key, stop.status) for key, stop in result.stops] == [
        ("broken", FAILED), ("done", FINISHED)]
    assert result.waiting == Counter({"replied": 1, "not_connected": 1, "message_limit": 1,
                                      "invite_limit": 1})


def test_plan_with_nothing_left_today_sends_nothing():
    leads = [(n, LeadState(PENDING), LEAD) for n in range(3)]
    result = plan(UK, leads, MONDAY_10, Usage(invites=30, messages=0), ROOMY)
    assert result == Plan(due=[], stops=[], waiting=Counter({"invite_limit": 3}))


def test_plan_is_deterministic():
    leads = [(n, LeadState(PENDING), LEAD) for n in range(10)]
    first = plan(UK, leads, MONDAY_10, NONE_USED, Limits(4, 4))
    assert [key for key, _ in first.due] == [0, 1, 2, 3]
    assert plan(UK, leads, MONDAY_10, NONE_USED, Limits(4, 4)) == first


# Properties


@st.composite
def campaigns(draw: st.DrawFn) -> Campaign:
    """A campaign in a random zone, with default or random hours and days, holidays around
    2025-2027 and random delays."""
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        hours, workdays = (time(9), time(17)), frozenset(range(5))
    else:
        opening = draw(st.integers(0, 22 * 60))
        closing = draw(st.integers(opening + 1, 24 * 60 - 1))
        hours = (time(*divmod(opening, 60)), time(*divmod(closing, 60)))
        workdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    holidays = draw(st.frozensets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=40))
    delays = draw(st.lists(st.integers(0, 6), min_size=1, max_size=4))
    steps = (Step("invite", draw(st.sampled_from([None, "Hi {{first_name}}"]))),
             *(Step("message", f"Message {n}", delay) for n, delay in enumerate(delays)))
    return make_campaign(timezone=zone, working_hours=hours, workdays=workdays,
                         holidays=holidays, steps=steps,
                         status=draw(st.sampled_from(["active"] * 4 + ["paused"])))


INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC))
AGES = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@st.composite
def leads(draw: st.DrawFn, now: datetime) -> LeadState:
    """Any lead state (mostly one still in its sequence), its events before ``now``, a reply
    a quarter of the time."""
    status = draw(st.sampled_from([PENDING, INVITED, CONNECTED, MESSAGING] * 3
                                  + [REPLIED, FINISHED, FAILED]))
    connected = draw(st.none() | AGES.map(lambda age: now - age))
    last = draw(st.none() | AGES.map(lambda age: now - age))
    replied = draw(st.sampled_from([None, None, None, now - draw(AGES)]))
    return LeadState(status, draw(st.integers(0, 5)), last_step_at=last, connected_at=connected,
                     replied_at=replied)


@st.composite
def ticks(draw: st.DrawFn) -> tuple[Campaign, datetime, list[LeadState]]:
    """A campaign, a time (half of the time one at which its calendar is open) and leads."""
    campaign, now = draw(campaigns()), draw(INSTANTS)
    if draw(st.booleans()):
        now = campaign.calendar.next_open(now).astimezone(UTC)
    return campaign, now, draw(st.lists(leads(now), min_size=1, max_size=12))


@settings(max_examples=200, deadline=None)
@given(ticks(), st.data())
def test_never_due_when_the_calendar_is_closed_or_after_a_reply(tick, data):
    campaign, now, states = tick
    variables = data.draw(st.sampled_from([LEAD, {}]))
    for state in states:
        outcome = action(state, now, campaign=campaign, variables=variables)
        if isinstance(outcome, Due):
            calendar = campaign.calendar
            assert calendar.is_open(now)
            assert calendar.is_working_day(calendar.day_of(now))
            assert campaign.is_active
            assert state.replied_at is None and not is_terminal(state.status)
        if state.replied_at is not None or state.status == REPLIED:
            assert outcome == Wait("replied")


@settings(max_examples=200, deadline=None)
@given(ticks(), st.integers(0, 12), st.integers(0, 12), st.integers(0, 30), st.integers(0, 30),
       st.integers(0, 10), st.integers(0, 10))
def test_a_plan_never_exceeds_the_daily_limits(tick, pending, connected, used_invites,
                                               used_messages, invite_limit, message_limit):
    campaign, now, states = tick
    # Leads that are due whenever the calendar is open: invites, and first messages.
    states = [*states, *[LeadState(PENDING)] * pending,
              *[LeadState(CONNECTED, 1, connected_at=now - timedelta(days=30))] * connected]
    usage, limits = Usage(used_invites, used_messages), Limits(invite_limit, message_limit)
    result = plan(campaign, [(n, state, LEAD) for n, state in enumerate(states)], now, usage,
                  limits)
    kinds = Counter(due.kind for _, due in result.due)
    assert kinds["invite"] <= max(0, invite_limit - used_invites)
    assert kinds["message"] <= max(0, message_limit - used_messages)
    assert len(result.due) + len(result.stops) + sum(result.waiting.values()) == len(states)
    order = [due.kind for _, due in result.due]
    assert order == sorted(order, key=lambda kind: kind != "message")
    assert all(states[key].replied_at is None for key, _ in result.due)


@settings(max_examples=200, deadline=None)
@given(campaigns(), INSTANTS, st.timedeltas(timedelta(0), timedelta(days=15)),
       st.integers(1, 4))
def test_a_message_is_never_due_before_its_delay(campaign, sent, elapsed, next_step):
    """Step ``next_step`` (0-based) is next: the first message counts from the acceptance at
    ``sent``, a later one from the previous message sent at ``sent``."""
    next_step = min(next_step, len(campaign.steps) - 1)
    if next_step == 1:
        lead = LeadState(CONNECTED, 1, connected_at=sent)
    else:
        lead = LeadState(MESSAGING, next_step, last_step_at=sent,
                         connected_at=sent - timedelta(days=1))
    now = sent + elapsed
    outcome = action(lead, now, campaign=campaign)
    delay = campaign.steps[next_step].delay_days
    earliest = campaign.calendar.add_working_days(sent, delay).astimezone(UTC)
    if isinstance(outcome, Due):
        assert outcome.step_number == next_step + 1
        assert earliest <= outcome.due_since <= now
    elif isinstance(outcome, Wait) and outcome.reason == "delay":
        assert outcome.not_before > now
        assert outcome.not_before >= earliest
