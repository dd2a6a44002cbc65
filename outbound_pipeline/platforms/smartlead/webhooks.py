"""Smartlead webhooks: authentication and payload parsing.

Payloads are flat JSON (platform-apis.md). Every shape Smartlead has used parses to the same
fields: the reply text from ``reply_message`` or the deprecated ``reply_body``/``preview_text``,
the time from ``event_timestamp`` or the deprecated ``time_sent``/``time_opened``/
``time_clicked``/``time_replied``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outbound_pipeline.copy_text import html_to_text
from outbound_pipeline.webhooks.auth import secret_matches, signature_matches
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

SIGNATURE_HEADER = "x-smartlead-signature"
SECRET_FIELD = "secret_key"

EVENT_TYPES = {
    "EMAIL_SENT": "sent",
    "EMAIL_OPEN": "opened",
    "EMAIL_LINK_CLICK": "clicked",
    "EMAIL_REPLY": "replied",
    "EMAIL_BOUNCE": "bounced",
    "LEAD_UNSUBSCRIBED": "unsubscribed",
    "LEAD_CATEGORY_UPDATED": "category_updated",
    # seed 002's short names
    "OPEN": "opened",
    "CLICK": "clicked",
    "REPLY": "replied",
    "BOUNCE": "bounced",
}

_DEPRECATED_TIME = {
    "sent": "time_sent",
    "opened": "time_opened",
    "clicked": "time_clicked",
    "replied": "time_replied",
}


def authenticate(secret: str, body: bytes, headers: Mapping[str, str], payload: Any) -> bool:
    """Accepts a valid ``X-Smartlead-Signature`` HMAC or the shared ``secret_key`` in the body."""
    if signature_matches(secret, body, headers.get(SIGNATURE_HEADER)):
        return True
    return isinstance(payload, Mapping) and secret_matches(secret, payload.get(SECRET_FIELD))


def redact(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without the shared secret, which must never be stored."""
    return {k: v for k, v in payload.items() if k != SECRET_FIELD}


def parse(payload: Mapping[str, Any]) -> list[Event]:
    raw_type = text(payload.get("event_type")) or "unknown"
    event_type = EVENT_TYPES.get(raw_type.upper(), snake(raw_type))
    sent = section(payload, "sent_message")
    reply = section(payload, "reply_message")
    lead_data = section(payload, "lead_data")
    category = section(payload, "lead_category")

    if event_type == "replied":
        message_id = first(text(reply.get("message_id")), text(payload.get("message_id")))
        body = _reply_text(reply, payload)
        moment = first(payload.get("event_timestamp"), payload.get("time_replied"),
                       reply.get("time"))
    else:
        message_id = first(text(sent.get("message_id")), text(payload.get("message_id")))
        body = None
        moment = first(payload.get("event_timestamp"),
                       payload.get(_DEPRECATED_TIME.get(event_type, "")),
                       sent.get("time") if event_type == "sent" else None)

    extra: tuple[str, ...] = ()
    if event_type == "category_updated":
        extra = (str(category.get("new_id")), str(category.get("old_id")))
    return [
        Event(
            platform="smartlead",
            event_type=event_type,
            raw_event_type=raw_type,
            campaign_external_id=text(payload.get("campaign_id")),
            lead_external_id=text(first(payload.get("sl_email_lead_id"), payload.get("lead_id"))),
            lead_email=email(first(payload.get("sl_lead_email"), payload.get("to_email"),
                                   lead_data.get("email"))),
            email_external_id=text(payload.get("stats_id")),
            message_id=message_id,
            sender_account=email(payload.get("from_email")),
            step_number=integer(payload.get("sequence_number")),
            subject=text(payload.get("subject")),
            text=body,
            category=text(category.get("new_name")),
            occurred_at=timestamp(moment),
            identity_extra=extra,
        )
    ]


def _reply_text(reply: Mapping[str, Any], payload: Mapping[str, Any]) -> str | None:
    plain = text(reply.get("text"))
    if plain:
        return plain
    html = first(text(reply.get("html")), text(payload.get("reply_body")))
    if html:
        return html_to_text(html) or None
    return text(payload.get("preview_text"))
