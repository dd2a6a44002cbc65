"""Smartlead webhooks from the sandbox world: settings, payloads, and their delivery.

``SmartleadWebhooks`` listens to ``World.add_activity`` and delivers, per new email,
``EMAIL_SENT``, and per new reply ``EMAIL_REPLY``, ``LEAD_CATEGORY_UPDATED`` and, when the reply
unsubscribed the lead, ``LEAD_UNSUBSCRIBED``. Payloads are the flat JSON of
``docs/platform-apis.md`` (Smartlead, Webhooks) with the shapes real integrations meet: a share
(``deprecated_share``) of replies carries only the deprecated ``reply_body``/``preview_text``/
``message_id`` fields, and about the same share of email events carries only the deprecated
time field (``time_sent``, ``time_replied``) without ``event_timestamp``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from outbound_pipeline import clock
from outbound_pipeline.copy_text import html_to_text
from outbound_pipeline.sandbox.webhook_delivery import WebhookDelivery
from outbound_pipeline.sandbox.world import Campaign, Lead, Reply, Send, World

WEBHOOK_NAME = "Sandbox webhook"
APP_URL = "https://app.smartlead.ai/app/master-inbox?action=INBOX&leadMap={map_id}"
MAX_DELAY_SECONDS = 60.0

DEPRECATED_TIME_FIELDS = {
    "EMAIL_SENT": "time_sent",
    "EMAIL_OPEN": "time_opened",
    "EMAIL_LINK_CLICK": "time_clicked",
    "EMAIL_REPLY": "time_replied",
}
"""The time field each email event carried before ``event_timestamp``."""

_SETTINGS_KEYS = frozenset(
    {"url", "secret_key", "sign", "p_duplicate", "max_delay_seconds", "deprecated_share", "seed"}
)


@dataclass(frozen=True)
class WebhookSettings:
    """Where and how the simulator delivers webhooks.

    ``sign`` adds the ``X-Smartlead-Signature`` HMAC header; the ``secret_key`` also travels in
    every body, as Smartlead's shared secret does.
    """

    url: str
    secret_key: str | None = None
    sign: bool = False
    p_duplicate: float = 0.05
    max_delay_seconds: float = 0.5
    deprecated_share: float = 0.3
    seed: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookSettings:
        """Validated settings from a control request; raises ``ValueError`` with the reason.

        ``sign`` defaults to true when a ``secret_key`` is given (and must not be true without).
        """
        unknown = sorted(set(data) - _SETTINGS_KEYS)
        if unknown:
            raise ValueError(f"unknown webhook settings: {', '.join(unknown)}")
        url = _url(data.get("url"))
        secret_key = data.get("secret_key")
        if secret_key is not None and (not isinstance(secret_key, str) or not secret_key):
            raise ValueError("secret_key must be a non-empty string or null")
        sign = data.get("sign", secret_key is not None)
        if not isinstance(sign, bool):
            raise ValueError("sign must be true or false")
        if sign and secret_key is None:
            raise ValueError("sign needs a secret_key")
        seed = data.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        return cls(
            url=url,
            secret_key=secret_key,
            sign=sign,
            p_duplicate=_number(data.get("p_duplicate", 0.05), "p_duplicate", 1.0),
            max_delay_seconds=_number(
                data.get("max_delay_seconds", 0.5), "max_delay_seconds", MAX_DELAY_SECONDS
            ),
            deprecated_share=_number(data.get("deprecated_share", 0.3), "deprecated_share", 1.0),
            seed=seed,
        )

    def public(self) -> dict[str, Any]:
        """The settings without the secret (only whether one is set)."""
        return {
            "url": self.url,
            "secret_key_set": self.secret_key is not None,
            "sign": self.sign,
            "p_duplicate": self.p_duplicate,
            "max_delay_seconds": self.max_delay_seconds,
            "deprecated_share": self.deprecated_share,
            "seed": self.seed,
        }


class SmartleadPayloads:
    """Builds Smartlead webhook payloads from world objects.

    Call ``build`` right after the world reports a change (before it moves again): payloads read
    the world's current state, such as the campaign status and the lead's message history.
    """

    def __init__(
        self, world: World, settings: WebhookSettings, webhook_id: int, created_at: datetime
    ) -> None:
        self.world = world
        self.settings = settings
        self.webhook_id = webhook_id
        self.created_at = created_at
        self._rng = random.Random(f"{settings.seed}/payloads")

    def build(self, change: str, facts: Mapping[str, Any]) -> dict[str, Any] | None:
        """The payload for one ``World.listeners`` report, or None for an unknown change."""
        match change:
            case "sent":
                return self.email_sent(facts["send"])
            case "replied":
                return self.email_reply(facts["reply"])
            case "category_changed":
                return self.category_updated(facts["reply"], facts["old_category_id"])
            case "unsubscribed":
                return self.unsubscribed(facts["reply"])
        return None

    def email_sent(self, send: Send) -> dict[str, Any]:
        lead = self.world.leads[send.lead_id]
        campaign = self.world.campaigns[send.campaign_id]
        return {
            **self._head("EMAIL_SENT", lead, send.stats_id, send.sent_time),
            **self._email(send, lead, campaign),
            **self._tail(
                lead,
                campaign,
                f"Email {send.seq_number} sent to {_name(lead)} in {campaign.name}",
            ),
        }

    def email_reply(self, reply: Reply) -> dict[str, Any]:
        lead = self.world.leads[reply.lead_id]
        campaign = self.world.campaigns[reply.campaign_id]
        send = self._replied(reply)
        payload = {
            **self._head("EMAIL_REPLY", lead, reply.stats_id, reply.time),
            **self._email(send, lead, campaign),
            "sl_lead_email": lead.email,
            "stats_thread_id": self.world.lead_sends[lead.id][0].stats_id,
        }
        if self._rng.random() < self.settings.deprecated_share:
            payload["message_id"] = reply.message_id
            payload["reply_body"] = reply.content.html
            payload["preview_text"] = reply.content.text
        else:
            payload["reply_message"] = {
                "message_id": reply.message_id,
                "html": reply.content.html,
                "text": reply.content.text,
                "time": _timestamp(reply.time),
            }
        description = f"{_name(lead)} replied to email {send.seq_number} of {campaign.name}"
        return {**payload, **self._tail(lead, campaign, description)}

    def category_updated(self, reply: Reply, old_category_id: int | None) -> dict[str, Any]:
        world = self.world
        lead = world.leads[reply.lead_id]
        campaign = world.campaigns[reply.campaign_id]
        mailbox = world.mailboxes[lead.mailbox_id]
        old = world.category_by_id.get(old_category_id) if old_category_id is not None else None
        new = world.category_by_id[reply.category_id]
        history: list[dict[str, Any]] = [
            {
                "stats_id": s.stats_id,
                "type": "SENT",
                "message_id": s.message_id,
                "time": _timestamp(s.sent_time),
                "email_body": world.body_of(s),
                "subject": world.subject_of(s),
            }
            for s in world.lead_sends[lead.id]
            if s.sent_time <= reply.time
        ]
        history.append(
            {
                "stats_id": reply.stats_id,
                "type": "REPLY",
                "message_id": reply.message_id,
                "time": _timestamp(reply.time),
                "email_body": reply.content.html,
                "subject": reply.content.subject,
            }
        )
        return {
            **self._head("LEAD_CATEGORY_UPDATED", lead, reply.stats_id, reply.time),
            "lead_id": lead.id,
            "from_email": mailbox.from_email,
            "to_email": lead.email,
            "to_name": _name(lead),
            "campaign_id": campaign.id,
            "campaign_name": campaign.name,
            "campaign_status": campaign.status,
            "lead_category": {
                "old_id": old.id if old else None,
                "old_name": old.name if old else None,
                "new_id": new.id,
                "new_name": new.name,
            },
            "lead_data": {
                "email": lead.email,
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "phone_number": lead.phone_number,
                "company_name": lead.company_name,
                "website": lead.website,
                "location": lead.location,
                "company_url": lead.company_url,
                "linkedin_profile": lead.linkedin_profile,
                "custom_fields": dict(lead.custom_fields),
            },
            "history": history,
            **self._tail(lead, campaign, f"{_name(lead)} was categorized as {new.name}"),
        }

    def unsubscribed(self, reply: Reply) -> dict[str, Any]:
        lead = self.world.leads[reply.lead_id]
        campaign = self.world.campaigns[reply.campaign_id]
        return {
            **self._head("LEAD_UNSUBSCRIBED", lead, reply.stats_id, reply.time),
            **self._email(self._replied(reply), lead, campaign),
            **self._tail(lead, campaign, f"{_name(lead)} unsubscribed from {campaign.name}"),
        }

    # parts

    def _head(self, event_type: str, lead: Lead, stats_id: str, when: datetime) -> dict[str, Any]:
        head: dict[str, Any] = {
            "webhook_id": self.webhook_id,
            "webhook_name": WEBHOOK_NAME,
            "sl_email_lead_id": lead.id,
            "sl_email_lead_map_id": lead.map_id,
            "stats_id": stats_id,
            "event_type": event_type,
        }
        deprecated = DEPRECATED_TIME_FIELDS.get(event_type)
        if deprecated is None or self._rng.random() >= self.settings.deprecated_share:
            head["event_timestamp"] = _timestamp(when)
        if deprecated is not None:
            head[deprecated] = _timestamp(when)
        return head

    def _email(self, send: Send, lead: Lead, campaign: Campaign) -> dict[str, Any]:
        html = self.world.body_of(send)
        return {
            "from_email": self.world.mailboxes[send.mailbox_id].from_email,
            "to_email": lead.email,
            "to_name": _name(lead),
            "subject": self.world.subject_of(send),
            "campaign_id": campaign.id,
            "campaign_name": campaign.name,
            "campaign_status": campaign.status,
            "sequence_number": send.seq_number,
            "sent_message": {
                "message_id": send.message_id,
                "html": html,
                "text": html_to_text(html),
                "time": _timestamp(send.sent_time),
            },
        }

    def _tail(self, lead: Lead, campaign: Campaign, description: str) -> dict[str, Any]:
        tail: dict[str, Any] = {
            "client_id": campaign.client_id,
            "app_url": APP_URL.format(map_id=lead.map_id),
        }
        if self.settings.secret_key is not None:
            tail["secret_key"] = self.settings.secret_key
        tail["description"] = description
        tail["metadata"] = {"webhook_created_at": _timestamp(self.created_at)}
        return tail

    def _replied(self, reply: Reply) -> Send:
        return next(s for s in self.world.lead_sends[reply.lead_id] if s.stats_id == reply.stats_id)


class SmartleadWebhooks:
    """A ``World`` listener that delivers the Smartlead payload of every change it hears of."""

    def __init__(
        self, world: World, settings: WebhookSettings, *, speed: float, webhook_id: int
    ) -> None:
        self.settings = settings
        self.webhook_id = webhook_id
        self.payloads = SmartleadPayloads(world, settings, webhook_id, clock.now())
        self.delivery = WebhookDelivery(
            settings.url,
            secret_key=settings.secret_key if settings.sign else None,
            p_duplicate=settings.p_duplicate,
            max_delay_seconds=settings.max_delay_seconds,
            speed=speed,
            seed=settings.seed,
        )

    def __call__(self, change: str, facts: dict[str, Any]) -> None:
        payload = self.payloads.build(change, facts)
        if payload is not None:
            # One webhook per account: "{account}" in the URL is the lead's account name.
            url = self.settings.url.replace("{account}", facts["lead"].account)
            self.delivery.emit(payload, url)

    def describe(self) -> dict[str, Any]:
        """Settings (never the secret), the webhook's id and name, and the delivery counters."""
        return {
            "enabled": True,
            "webhook_id": self.webhook_id,
            "webhook_name": WEBHOOK_NAME,
            **self.settings.public(),
            "stats": self.delivery.stats(),
        }

    def flush(self, timeout: float) -> bool:
        return self.delivery.flush(timeout)

    def close(self) -> None:
        self.delivery.close()


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("url must be an http(s) URL, or null to stop webhooks")
    url = value.strip()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"url is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("url must be an http(s) URL with a host")
    return url


def _number(value: Any, name: str, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be between 0 and {maximum:g}")
    return float(value)


def _name(lead: Lead) -> str:
    return f"{lead.first_name} {lead.last_name}".strip()


def _timestamp(value: datetime) -> str:
    """``2023-09-25T17:29:11.618881+00:00``: microseconds and an explicit offset."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")
