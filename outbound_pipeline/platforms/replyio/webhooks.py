"""Reply.io webhooks: authentication and payload parsing.

The body is ``{"event": {date, id, type, ...}, "contact_fields": {...}, "sequence_fields":
{...}, ...}`` (platform-apis.md); seed 002's older dotted names (``email.replied``,
``contact.optedOut``) parse to the same types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outbound_pipeline.webhooks.auth import header_secret_matches
from outbound_pipeline.webhooks.events import (
    Event,
    email,
    first,
    integer,
    section,
    snake,
    text,
    timestamp,
)

SECRET_HEADERS = ("x-webhook-secret",)

EVENT_TYPES = {
    "email_sent": "sent",
    "email_opened": "opened",
    "email_link_clicked": "clicked",
    "email_clicked": "clicked",
    "email_replied": "replied",
    "email_bounced": "bounced",
    "email_auto_reply": "auto_replied",
    "reply_categorized": "category_updated",
    "contact_opted_out": "unsubscribed",
    "contact_interested": "interested",
    "linkedin_connection_request_sent": "linkedin_invite_sent",
    "linkedin_connection_request_accepted": "linkedin_invite_accepted",
    "linkedin_message_sent": "linkedin_message_sent",
    "linkedin_message_replied": "linkedin_replied",
}


def authenticate(secret: str, body: bytes, headers: Mapping[str, str], payload: Any) -> bool:
    return header_secret_matches(secret, headers, SECRET_HEADERS)


def redact(payload: dict[str, Any]) -> dict[str, Any]:
    return payload


def parse(payload: Mapping[str, Any]) -> list[Event]:
    event = section(payload, "event")
    contact = section(payload, "contact_fields")
    sequence = section(payload, "sequence_fields")
    email_fields = section(payload, "email_fields")
    raw_type = text(first(event.get("type"), payload.get("type"))) or "unknown"
    event_type = EVENT_TYPES.get(snake(raw_type), snake(raw_type))
    return [
        Event(
            platform="replyio",
            event_type=event_type,
            raw_event_type=raw_type,
            campaign_external_id=text(first(sequence.get("id"), payload.get("sequence_id"))),
            lead_external_id=text(first(contact.get("id"), payload.get("contact_id"))),
            lead_email=email(first(contact.get("email"), payload.get("email"))),
            activity_id=text(event.get("id")),
            message_id=text(first(email_fields.get("message_id"), payload.get("message_id"))),
            sender_account=email(first(email_fields.get("from_email"),
                                       payload.get("email_account"))),
            step_number=integer(first(sequence.get("step_number"), sequence.get("step"),
                                      payload.get("step_number"))),
            subject=text(first(email_fields.get("subject"), payload.get("subject"))),
            text=text(first(email_fields.get("text"), email_fields.get("body"),
                            payload.get("email_text"), payload.get("reply_text"))),
            category=text(first(payload.get("reply_reason"), payload.get("category"))),
            occurred_at=timestamp(first(event.get("date"), payload.get("date"))),
        )
    ]
