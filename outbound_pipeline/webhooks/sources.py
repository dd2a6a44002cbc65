"""Which module parses each landed ``source``."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from outbound_pipeline.platforms.lemlist import webhooks as lemlist
from outbound_pipeline.platforms.replyio import webhooks as replyio
from outbound_pipeline.platforms.smartlead import webhooks as smartlead
from outbound_pipeline.platforms.unipile import webhooks as unipile
from outbound_pipeline.webhooks import intake
from outbound_pipeline.webhooks.events import Event

PLATFORM_PARSERS: dict[str, ModuleType] = {
    "smartlead": smartlead,
    "replyio": replyio,
    "lemlist": lemlist,
    "unipile_users": unipile,
    "unipile_messaging": unipile,
}
"""Landed ``source`` → the module that authenticates and parses its payloads."""


def events_of(source: str, payload: Any) -> list[tuple[Event, Any]]:
    """The events of one payload with the part of the payload each one lands with."""
    if source in ("leads", "clay"):
        return list(intake.parse(payload, "clay" if source == "clay" else "api"))
    parser = PLATFORM_PARSERS[source]
    return [(event, payload) for event in parser.parse(payload)]
