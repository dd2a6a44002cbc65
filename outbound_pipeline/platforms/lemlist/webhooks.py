"""Lemlist webhooks: authentication and payload parsing.

The payload is the activity object of ``GET /activities`` (platform-apis.md). Types come plural
(``emailsReplied``) or, on some pages, singular (``emailReplied``); both parse the same.
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
    snake,
    text,
    timestamp,
)

SECRET_HEADERS = ("x-webhook-secret",)

EVENT_TYPES = {
    "emails_sent": "sent",
    "emails_opened": "opened",
    "emails_clicked": "clicked",
    "emails_replied": "replied",
    "emails_bounced": "bounced",
    "emails_unsubscribed": "unsubscribed",
    "emails_interested": "interested",
    "emails_not_interested": "not_interested",
    "linkedin_invite_done": "linkedin_invite_sent",
    "linkedin_invite_accepted": "linkedin_invite_accepted",
    "linkedin_sent": "linkedin_message_sent",
    "linkedin_replied": "linkedin_replied",
}


def authenticate(secret: str, body: bytes, headers: Mapping[str, str], payload: Any) -> bool:
    return header_secret_matches(secret, headers, SECRET_HEADERS)


def redact(payload: dict[str, Any]) -> dict[str, Any]:
    return payload


def _normal_type(raw: str) -> str:
    name = snake(raw)
    if name.startswith("email_"):  # singular form
        name = "emails_" + name[len("email_"):]
    return EVENT_TYPES.get(name, name)


def parse(payload: Mapping[str, Any]) -> list[Event]:
    raw_type = text(payload.get("type")) or "unknown"
    step = integer(payload.get("sequenceStep"))
    return [
        Event(
            platform="lemlist",
            event_type=_normal_type(raw_type),
            raw_event_type=raw_type,
            campaign_external_id=text(payload.get("campaignId")),
            lead_external_id=text(payload.get("leadId")),
            lead_email=email(payload.get("leadEmail")),
            email_external_id=text(payload.get("emailId")),
            activity_id=text(payload.get("_id")),
            message_id=text(payload.get("messageId")),
            sender_account=email(payload.get("sendUserEmail")),
            step_number=None if step is None else step + 1,
            subject=text(payload.get("subject")),
            text=text(first(payload.get("text"), payload.get("message"))),
            occurred_at=timestamp(payload.get("createdAt")),
        )
    ]
