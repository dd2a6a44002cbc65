"""Parsing every documented payload shape, and the deterministic event key."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from outbound_pipeline.webhooks.events import Event
from outbound_pipeline.webhooks.sources import events_of
from outbound_pipeline_tests.webhooks import payloads


def one(source: str, payload) -> Event:
    events = events_of(source, payload)
    assert len(events) == 1
    return events[0][0]


@pytest.mark.parametrize("deprecated", [False, True])
def test_smartlead_reply_shapes_parse_to_the_same_fields(deprecated):
    event = one("smartlead", payloads.smartlead("EMAIL_REPLY", deprecated=deprecated))
    assert event.columns() == {
        "platform": "smartlead", "event_type": "replied", "raw_event_type": "EMAIL_REPLY",
        "campaign_external_id": "301", "lead_external_id": "5001",
        "lead_email": "lead@acme.com", "email_external_id": "st-1", "activity_id": None,
        "message_id": "<r-1@acme.com>", "sender_account": "sam@sender.io", "step_number": 2,
        "subject": "Quick question", "text": "Sounds good, call me Tuesday",
        "category": None, "occurred_at": datetime(2026, 3, 2, 11, 30, 0, 500000, tzinfo=UTC),
    }


@pytest.mark.parametrize("event_type, expected", [
    ("EMAIL_SENT", "sent"), ("EMAIL_OPEN", "opened"), ("EMAIL_LINK_CLICK", "clicked"),
    ("EMAIL_BOUNCE", "bounced"), ("LEAD_UNSUBSCRIBED", "unsubscribed"),
    ("LEAD_CATEGORY_UPDATED", "category_updated"),
])
def test_smartlead_event_types(event_type, expected):
    current = one("smartlead", payloads.smartlead(event_type))
    assert current.event_type == expected
    assert current.occurred_at is not None
    assert current.email_external_id == "st-1" and current.campaign_external_id == "301"
    if event_type in ("EMAIL_SENT", "EMAIL_OPEN", "EMAIL_LINK_CLICK"):
        old = one("smartlead", payloads.smartlead(event_type, deprecated=True))
        assert old.columns() == current.columns()
    if event_type == "LEAD_CATEGORY_UPDATED":
        assert current.category == "Interested" and current.lead_email == "lead@acme.com"


@pytest.mark.parametrize("dotted", [False, True])
def test_replyio_shapes(dotted):
    event = one("replyio", payloads.replyio(dotted=dotted))
    assert (event.platform, event.event_type, event.campaign_external_id, event.lead_email,
            event.activity_id, event.text, event.step_number) == (
        "replyio", "replied", "4021", "pat@globex.com",
        "3f1c2a9e-0000-4000-8000-00000000a001", "Yes, send details", 1)
    assert event.occurred_at == datetime(2026, 3, 2, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["emailsReplied", "emailReplied"])
def test_lemlist_plural_and_singular_types(raw):
    event = one("lemlist", payloads.lemlist(raw))
    assert (event.event_type, event.step_number, event.email_external_id, event.lead_email,
            event.activity_id) == ("replied", 1, "em_9", "bo@initech.com", "act_abc123")


@pytest.mark.parametrize("wrapped", [False, True])
def test_unipile_message_received_plain_and_wrapped(wrapped):
    event = one("unipile_messaging", payloads.unipile_message(wrapped))
    assert (event.event_type, event.sender_account, event.lead_external_id, event.activity_id,
            event.message_id, event.text) == (
        "message_received", "acc_1", "ACoAAB123", "chat_9", "msg_42", "Happy to chat next week")


def test_unipile_new_relation():
    event = one("unipile_users", payloads.unipile_relation())
    assert (event.event_type, event.lead_external_id, event.sender_account) == (
        "new_relation", "ACoAAB123", "acc_1")


def test_unknown_event_types_still_parse():
    event = one("smartlead", {"event_type": "EMAIL_FORWARDED", "campaign_id": 1})
    assert event.event_type == "email_forwarded"


def test_key_is_stable_for_a_redelivery_and_differs_between_events():
    payload = payloads.smartlead("EMAIL_REPLY")
    key = one("smartlead", payload).key(payload)
    again = copy.deepcopy(payload)
    assert one("smartlead", again).key(again) == key
    assert key.startswith("smartlead_replied_")
    other = payloads.smartlead("EMAIL_REPLY", stats_id="st-2")
    assert one("smartlead", other).key(other) != key
    sent = payloads.smartlead("EMAIL_SENT")
    assert one("smartlead", sent).key(sent) != key
    # The same instant written differently is the same event.
    zulu = payloads.smartlead("EMAIL_REPLY")
    zulu["event_timestamp"] = "2026-03-02T11:30:00.500Z"
    assert one("smartlead", zulu).key(zulu) == key


def test_category_changes_of_one_lead_get_distinct_keys():
    first = payloads.smartlead("LEAD_CATEGORY_UPDATED")
    second = payloads.smartlead("LEAD_CATEGORY_UPDATED", lead_category={
        "old_id": 1, "old_name": "Interested", "new_id": 3, "new_name": "Not Interested"})
    assert one("smartlead", first).key(first) != one("smartlead", second).key(second)


def test_payload_without_identifying_fields_keys_on_its_content():
    a, b = {"event_type": "PING"}, {"event_type": "PING", "n": 2}
    assert one("smartlead", a).key(a) == one("smartlead", dict(a)).key(dict(a))
    assert one("smartlead", a).key(a) != one("smartlead", b).key(b)


def test_intake_batches_become_one_event_per_lead():
    events = events_of("leads", {"leads": [{"email": "A@x.com", "lead_score": 80},
                                           {"email": "b@y.com", "persona": "VP Sales"}]})
    assert [(e.event_type, e.lead_email) for e, _ in events] == [
        ("lead_intake", "a@x.com"), ("lead_intake", "b@y.com")]
    assert [part["email"] for _, part in events] == ["A@x.com", "b@y.com"]
    same = events_of("leads", {"email": "A@x.com", "lead_score": 80})
    assert same[0][0].key(same[0][1]) == events[0][0].key(events[0][1])
    rescored = events_of("leads", {"email": "A@x.com", "lead_score": 90})
    assert rescored[0][0].key(rescored[0][1]) != events[0][0].key(events[0][1])
