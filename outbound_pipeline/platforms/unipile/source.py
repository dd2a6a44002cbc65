"""dlt source for Unipile (LinkedIn): relations, chats and messages into ``raw_unipile``.

Every row carries ``connection`` (the Unipile workspace) and ``account_id`` (the LinkedIn
account), so several accounts live side by side.

- ``relations``: the accounts' LinkedIn relations, merged on ``(connection, account_id,
  member_id)``. ``public_identifier`` may be null: LinkedIn does not always give it.
- ``chats``: merged on ``(connection, account_id, chat_id)``.
- ``messages``: incremental. Each account's newest message time is kept in dlt state; the next
  run asks ``/messages?after=`` that time minus ``lookback`` and merges on
  ``(connection, account_id, message_id)``, so a message listed late is still loaded once.
  ``is_sender`` is null when Unipile leaves it out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import dlt

from outbound_pipeline.connections import Connection
from outbound_pipeline.http import ClientPool
from outbound_pipeline.platforms.unipile.client import (
    UnipileClient,
    parse_flag,
    parse_timestamp,
)

DEFAULT_LOOKBACK = timedelta(hours=6)


class UnipileClients(ClientPool[UnipileClient]):
    """One Unipile client per connection for the duration of a run."""

    def __init__(self, connections: Sequence[Connection],
                 factory: Callable[[Connection], UnipileClient] = UnipileClient.for_connection
                 ) -> None:
        super().__init__(connections, factory)

    def accounts(self) -> Iterator[tuple[UnipileClient, str]]:
        """Every LinkedIn account of every connection."""
        for connection in self.connections:
            client = self.get(connection)
            for account in client.accounts():
                if str(account.get("type", "LINKEDIN")).upper() == "LINKEDIN" and account.get("id"):
                    yield client, str(account["id"])


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)



def relation_row(connection: str, account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "connection": connection, "account_id": account_id,
        "member_id": _text(item.get("member_id")),
        "public_identifier": _text(item.get("public_identifier")),
        "first_name": _text(item.get("first_name")), "last_name": _text(item.get("last_name")),
        "headline": _text(item.get("headline")),
        "connection_urn": _text(item.get("connection_urn")),
        "member_urn": _text(item.get("member_urn")),
        "public_profile_url": _text(item.get("public_profile_url")),
        "connected_at": parse_timestamp(item.get("created_at")),
    }


def chat_row(connection: str, account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "connection": connection, "account_id": account_id, "chat_id": _text(item.get("id")),
        "provider_id": _text(item.get("provider_id")),
        "attendee_provider_id": _text(item.get("attendee_provider_id")),
        "name": _text(item.get("name")), "chat_type": _text(item.get("type")),
        "last_activity_at": parse_timestamp(item.get("timestamp")),
        "unread_count": item.get("unread_count"),
    }


def message_row(connection: str, account_id: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "connection": connection, "account_id": account_id, "message_id": _text(item.get("id")),
        "chat_id": _text(item.get("chat_id")), "provider_id": _text(item.get("provider_id")),
        "sender_id": _text(item.get("sender_id")), "text": _text(item.get("text")),
        "sent_at": parse_timestamp(item.get("timestamp")),
        "is_sender": parse_flag(item.get("is_sender")), "seen": parse_flag(item.get("seen")),
    }


_NULLABLE = {
    "relations": {"public_identifier": "text", "public_profile_url": "text", "headline": "text",
                  "connection_urn": "text", "member_urn": "text", "first_name": "text",
                  "last_name": "text", "connected_at": "timestamp"},
    "chats": {"name": "text", "provider_id": "text", "attendee_provider_id": "text",
              "chat_type": "text", "last_activity_at": "timestamp", "unread_count": "bigint"},
    "messages": {"text": "text", "chat_id": "text", "provider_id": "text", "sender_id": "text",
                 "sent_at": "timestamp", "is_sender": "bool", "seen": "bool"},
}


def _columns(table: str) -> dict[str, dict[str, Any]]:
    return {name: {"data_type": kind, "nullable": True}
            for name, kind in _NULLABLE[table].items()}


@dlt.source(name="unipile", max_table_nesting=0)
def unipile_source(clients: UnipileClients, *, lookback: timedelta = DEFAULT_LOOKBACK):
    """Relations, chats and messages of every LinkedIn account of every connection."""
    accounts_cache: list[tuple[UnipileClient, str]] = []

    def accounts() -> list[tuple[UnipileClient, str]]:
        if not accounts_cache:
            accounts_cache.extend(clients.accounts())
        return accounts_cache

    @dlt.resource(name="relations", write_disposition="merge",
                  primary_key=("connection", "account_id", "member_id"),
                  columns=_columns("relations"))
    def relations() -> Iterator[list[dict[str, Any]]]:
        for client, account_id in accounts():
            for page in client.relations(account_id):
                rows = [relation_row(client.connection, account_id, i) for i in page]
                yield [r for r in rows if r["member_id"]]

    @dlt.resource(name="chats", write_disposition="merge",
                  primary_key=("connection", "account_id", "chat_id"), columns=_columns("chats"))
    def chats() -> Iterator[list[dict[str, Any]]]:
        for client, account_id in accounts():
            for page in client.chats(account_id):
                rows = [chat_row(client.connection, account_id, i) for i in page]
                yield [r for r in rows if r["chat_id"]]

    @dlt.resource(name="messages", write_disposition="merge",
                  primary_key=("connection", "account_id", "message_id"),
                  columns=_columns("messages"))
    def messages() -> Iterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state().setdefault("newest", {})
        for client, account_id in accounts():
            key = f"{client.connection}/{account_id}"
            newest = parse_timestamp(state.get(key))
            after = newest - lookback if newest is not None else None
            top: datetime | None = newest
            for page in client.messages(account_id, after=after):
                rows = [message_row(client.connection, account_id, i) for i in page]
                rows = [r for r in rows if r["message_id"]]
                for row in rows:
                    if row["sent_at"] is not None and (top is None or row["sent_at"] > top):
                        top = row["sent_at"]
                yield rows
            if top is not None:
                state[key] = top.isoformat()

    return relations, chats, messages
