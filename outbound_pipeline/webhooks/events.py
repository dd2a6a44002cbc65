"""The platform-neutral form of a landed event, and its deterministic event key.

Every source's parser (``platforms/<name>/webhooks.py``, ``webhooks/intake.py``) turns one JSON
payload into :class:`Event` values. The receiver computes each event's key when it lands it; the
landing load writes the same fields as columns of ``landing.webhook_events``. Parsers are pure
and lenient: a payload of an unknown event type still lands (``event_type`` is the raw type in
snake case), so nothing a platform sends is lost before a parser learns about it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Event:
    """One event, as the warehouse sees it.

    Attributes:
        platform: smartlead, replyio, lemlist, unipile or intake.
        event_type: the normalized type: sent, opened, clicked, replied, bounced, unsubscribed,
            auto_replied, category_updated, interested, not_interested, message_received,
            new_relation, linkedin_invite_sent, linkedin_invite_accepted,
            linkedin_message_sent, linkedin_replied, lead_intake, or the raw type in snake
            case when the parser does not know it.
        raw_event_type: the platform's own name for it.
        campaign_external_id: campaign / sequence id on the platform.
        lead_external_id: the lead's id on the platform (Unipile: the person's provider id).
        lead_email: the lead's address, lower case.
        email_external_id: the id of the one email the event is about (Smartlead stats_id,
            Lemlist emailId), which matches the per-email rows of the synced statistics.
        activity_id: the platform's id of the event itself, when it has one.
        message_id: the message the event carries (a reply's Message-ID, a LinkedIn message id).
        sender_account: the sending side: the mailbox address, or Unipile's account id.
        step_number: the sequence step, 1-based.
        subject: the email subject.
        text: the reply or message text as the platform sent it.
        category: the lead category set by the event (category updates, reply.io categories).
        occurred_at: when it happened on the platform (UTC), when the payload says.
    """

    platform: str
    event_type: str
    raw_event_type: str | None = None
    campaign_external_id: str | None = None
    lead_external_id: str | None = None
    lead_email: str | None = None
    email_external_id: str | None = None
    activity_id: str | None = None
    message_id: str | None = None
    sender_account: str | None = None
    step_number: int | None = None
    subject: str | None = None
    text: str | None = None
    category: str | None = None
    occurred_at: datetime | None = None
    identity_extra: tuple[str, ...] = field(default=(), compare=False)
    """Further values that tell two events apart (e.g. a new category id); only in the key."""

    def key(self, fallback: Any = None) -> str:
        """The deterministic event key (seed 003): the same event delivered twice, or replayed,
        gets the same key; two different events practically never do.

        Built from platform, campaign, event type, lead, the email/activity/message ids and the
        timestamp. When a payload carries none of the identifying fields, ``fallback`` (the
        payload itself) is hashed instead, so an exact redelivery still collapses.
        """
        parts = [
            self.campaign_external_id,
            self.lead_external_id or self.lead_email,
            self.email_external_id,
            self.activity_id,
            self.message_id,
            self.occurred_at.isoformat() if self.occurred_at else None,
            *self.identity_extra,
        ]
        if all(p is None for p in parts):
            parts = [canonical_json(fallback)]
        material = _SEPARATOR.join(
            [self.platform, self.event_type, *("" if p is None else str(p) for p in parts)]
        )
        digest = hashlib.sha256(material.encode()).hexdigest()[:32]
        return f"{self.platform}_{self.event_type}_{digest}"

    def columns(self) -> dict[str, Any]:
        """The event's fields as ``landing.webhook_events`` columns."""
        row = asdict(self)
        del row["identity_extra"]
        return row


EVENT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Event) if f.name != "identity_extra")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def snake(name: str) -> str:
    """``emailsReplied`` → ``emails_replied``; ``EMAIL_REPLY`` → ``email_reply``."""
    name = re.sub(r"[.\-\s]+", "_", name.strip())
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return name.lower()


def text(value: Any) -> str | None:
    """A non-empty string form of an id or a text field, or None."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    result = str(value).strip()
    return result or None


def email(value: Any) -> str | None:
    result = text(value)
    return result.lower() if result and "@" in result else None


def integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def timestamp(value: Any) -> datetime | None:
    """An event time in UTC from ISO 8601 (with ``Z``, an offset or none), ``YYYY-MM-DD
    HH:MM:SS``, or epoch seconds / milliseconds. Unreadable values give None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if raw.isdigit():
        return timestamp(int(raw))
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def section(payload: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = payload.get(name)
    return value if isinstance(value, Mapping) else {}


def first(*values: Any) -> Any:
    """The first value that is not None or an empty string."""
    for value in values:
        if value is not None and value != "":
            return value
    return None
