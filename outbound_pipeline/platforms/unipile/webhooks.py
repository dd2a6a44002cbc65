"""Unipile webhooks (``users`` and ``messaging`` sources): authentication and parsing.

``message_received`` also carries the account's own messages: the parser keeps the sender's
provider id in ``lead_external_id`` and the account in ``sender_account``; the LinkedIn job tells
direction by comparing the sender with the account's own provider id. Some deliveries wrap the
body in ``data``; both forms parse the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outbound_pipeline.webhooks.auth import header_secret_matches
from outbound_pipeline.webhooks.events import Event, first, section, snake, text, timestamp

SECRET_HEADERS = ("x-unipile-secret", "x-webhook-secret")


def authenticate(secret: str, body: bytes, headers: Mapping[str, str], payload: Any) -> bool:
    return header_secret_matches(secret, headers, SECRET_HEADERS)


def redact(payload: dict[str, Any]) -> dict[str, Any]:
    return payload


def _unwrap(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    data = section(payload, "data")
    return data if data and "event" not in payload else payload


def parse(payload: Mapping[str, Any]) -> list[Event]:
    body = _unwrap(payload)
    raw_type = text(body.get("event")) or "unknown"
    event_type = snake(raw_type)
    account = text(body.get("account_id"))
    if event_type == "new_relation":
        return [
            Event(
                platform="unipile",
                event_type=event_type,
                raw_event_type=raw_type,
                lead_external_id=text(first(body.get("user_provider_id"),
                                            body.get("user_public_identifier"))),
                sender_account=account,
                identity_extra=(str(account),),
            )
        ]
    sender = section(body, "sender")
    return [
        Event(
            platform="unipile",
            event_type=event_type,
            raw_event_type=raw_type,
            campaign_external_id=None,
            lead_external_id=text(first(sender.get("attendee_provider_id"),
                                        body.get("sender_id"))),
            activity_id=text(body.get("chat_id")),
            message_id=text(first(body.get("message_id"), body.get("provider_message_id"))),
            sender_account=account,
            text=text(first(body.get("message"), body.get("text"))),
            occurred_at=timestamp(body.get("timestamp")),
        )
    ]
