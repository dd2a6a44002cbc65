"""Unipile API client (LinkedIn through ``https://{subdomain}.unipile.com:{port}/api/v1``).

Written against docs/platform-apis.md (Unipile): the key travels in the ``X-API-KEY`` header,
lists page with an opaque ``cursor`` (null at the end), chats are started and messages sent as
**multipart** forms, errors are ``{status, type, title, detail}``. The 422 refusals that a job
must act on become typed errors: :class:`AlreadyInvited` (``errors/already_invited_recently``
or ``errors/cannot_resend_yet``), :class:`LimitExceeded` (``errors/limit_exceeded``) and
:class:`NotConnected`. A 429 is paced and retried like everywhere else
(:mod:`outbound_pipeline.http`).

Writes (invite, start chat, send message) are never retried once the server may have acted on
them; the caller records an intent first and reconciles an unknown outcome
(:mod:`outbound_pipeline.linkedin_store`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from outbound_pipeline.http import (
    ApiClient,
    BadResponseError,
    ClientRequestError,
    PaginationError,
    page_fingerprint,
)

MAX_NOTE_CHARS = 300
"""LinkedIn refuses a connection note longer than this."""
PAGE_SIZE = 100
CHAT_PAGE_SIZE = 250
MAX_PAGES = 10_000


class UnipileRefusal(ClientRequestError):
    """A 4xx with a Unipile error ``type`` the caller can act on."""

    error_type = ""


class AlreadyInvited(UnipileRefusal):
    """The person was invited recently (or cannot be invited again yet)."""


class LimitExceeded(UnipileRefusal):
    """LinkedIn's own limit for the account is reached; stop this kind of action today."""


class NotConnected(UnipileRefusal):
    """Messaging someone who is not (yet) a relation."""


class NotFound(UnipileRefusal):
    """The profile, chat or account does not exist."""


_REFUSALS: dict[str, type[UnipileRefusal]] = {
    "errors/already_invited_recently": AlreadyInvited,
    "errors/cannot_resend_yet": AlreadyInvited,
    "errors/limit_exceeded": LimitExceeded,
    "errors/not_connected": NotConnected,
    "errors/resource_not_found": NotFound,
}


def error_type(detail: str) -> str:
    """The ``errors/...`` type at the start of an error detail (see ``error_detail``)."""
    head = detail.split(":", 1)[0].strip()
    return head if head.startswith("errors/") else ""


def parse_timestamp(value: Any) -> datetime | None:
    """Unipile instants: ISO-8601 strings (``...Z``) or epoch milliseconds; None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def parse_flag(value: Any) -> bool | None:
    """Unipile's 0/1 flags (``is_sender``, ``seen``); None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    try:
        return bool(int(value))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class SendResult:
    """What a write returned: the chat (when known) and the message id (may be None)."""

    chat_id: str | None
    message_id: str | None


class UnipileClient(ApiClient):
    """One Unipile workspace key; every LinkedIn account of the workspace goes through it."""

    platform = "unipile"


    def authenticate(self, params: dict[str, Any], headers: dict[str, str]) -> None:
        headers["X-API-KEY"] = self._api_key

    def error_detail(self, response: httpx.Response) -> str:
        """``errors/<type>: title: detail`` from Unipile's error body."""
        try:
            body = response.json()
        except ValueError:
            return response.text[:300].strip()
        if not isinstance(body, dict):
            return response.text[:300].strip()
        parts = [str(body[k]) for k in ("type", "title", "detail") if body.get(k)]
        return ": ".join(parts) or response.text[:300].strip()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """``request`` with Unipile's typed refusals raised as their own classes."""
        try:
            return self.request(method, path, **kwargs)
        except ClientRequestError as exc:
            kind = _REFUSALS.get(error_type(exc.detail))
            if kind is None:
                raise
            refusal = kind(
                "request refused", platform=self.platform, connection=self.connection,
                status=exc.status, method=exc.method, path=exc.path, detail=exc.detail,
            )
            refusal.error_type = error_type(exc.detail)
            raise refusal from None

    # shape checks

    def _object(self, body: Any, what: str, path: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadResponseError(
                f"expected a JSON object for {what}, got {type(body).__name__}",
                platform=self.platform, connection=self.connection, path=path,
            )
        return body

    def _page(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Cursor paging: pages until the cursor is null; a repeated cursor or page stops
        with an error instead of looping."""
        cursor: str | None = None
        seen_cursors: set[str] = set()
        previous: str | None = None
        for _ in range(MAX_PAGES):
            body = self._object(self.call("GET", path, params={**params, "cursor": cursor}),
                                "a list page", path)
            items = body.get("items")
            if not isinstance(items, list):
                raise BadResponseError(
                    "a list page has no `items` array", platform=self.platform,
                    connection=self.connection, path=path, detail=json.dumps(body)[:200],
                )
            if items:
                fingerprint = page_fingerprint(items)
                if fingerprint == previous:
                    raise PaginationError(
                        "a page repeats the previous page", platform=self.platform,
                        connection=self.connection, path=path,
                    )
                previous = fingerprint
                yield [i for i in items if isinstance(i, dict)]
            cursor = body.get("cursor") or None
            if cursor is None:
                return
            if cursor in seen_cursors:
                raise PaginationError(
                    "the cursor repeats", platform=self.platform, connection=self.connection,
                    path=path,
                )
            seen_cursors.add(cursor)
        raise PaginationError(f"stopped after {MAX_PAGES} pages", platform=self.platform,
                              connection=self.connection, path=path)

    # reads

    def accounts(self) -> list[dict[str, Any]]:
        return [item for page in self._page("accounts", {}) for item in page]

    def account(self, account_id: str) -> dict[str, Any]:
        return self._object(self.call("GET", f"accounts/{account_id}"), "an account",
                            "accounts/{id}")

    def own_provider_id(self, account_id: str) -> str:
        """The LinkedIn account's own provider id: tells the account's own messages apart."""
        account = self.account(account_id)
        im = (account.get("connection_params") or {}).get("im") or {}
        provider_id = im.get("id") or im.get("provider_id")
        if not provider_id:
            raise BadResponseError(
                "the account has no connection_params.im.id (its own provider id)",
                platform=self.platform, connection=self.connection, path="accounts/{id}",
            )
        return str(provider_id)

    def profile(self, identifier: str, account_id: str) -> dict[str, Any]:
        """A profile by provider id, public identifier or member id."""
        return self._object(
            self.call("GET", f"users/{identifier}", params={"account_id": account_id}),
            "a profile", "users/{identifier}")

    def relations(self, account_id: str, page_size: int = PAGE_SIZE
                  ) -> Iterator[list[dict[str, Any]]]:
        """The account's relations, newest first, page by page."""
        return self._page("users/relations", {"account_id": account_id, "limit": page_size})

    def chats(self, account_id: str, page_size: int = CHAT_PAGE_SIZE
              ) -> Iterator[list[dict[str, Any]]]:
        return self._page("chats", {"account_id": account_id, "limit": page_size})

    def messages(self, account_id: str, *, after: datetime | None = None,
                 before: datetime | None = None, page_size: int = PAGE_SIZE
                 ) -> Iterator[list[dict[str, Any]]]:
        """Messages of every chat of the account (own and received), newest first."""
        params: dict[str, Any] = {"account_id": account_id, "limit": page_size}
        if after is not None:
            params["after"] = _iso(after)
        if before is not None:
            params["before"] = _iso(before)
        return self._page("messages", params)

    def chat_messages(self, chat_id: str, page_size: int = PAGE_SIZE
                      ) -> Iterator[list[dict[str, Any]]]:
        return self._page(f"chats/{chat_id}/messages", {"limit": page_size})

    # writes (never retried once the server may have acted)

    def invite(self, account_id: str, provider_id: str, note: str | None = None) -> str | None:
        """Sends a connection request; returns the invitation id."""
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise ValueError(f"a connection note has at most {MAX_NOTE_CHARS} characters, "
                             f"this one has {len(note)}")
        body: dict[str, Any] = {"provider_id": provider_id, "account_id": account_id}
        if note:
            body["message"] = note
        answer = self._object(self.call("POST", "users/invite", json_body=body),
                              "an invitation", "users/invite")
        invitation = answer.get("invitation_id")
        return str(invitation) if invitation is not None else None

    def start_chat(self, account_id: str, attendee_provider_id: str, text: str) -> SendResult:
        """Starts (or continues) the 1:1 chat with a relation and sends ``text``."""
        form = [("account_id", account_id), ("text", text),
                ("attendees_ids", attendee_provider_id), ("linkedin[api]", "classic")]
        answer = self._object(
            self.call("POST", "chats", files=[(k, (None, v)) for k, v in form]),
            "a started chat", "chats")
        chat_id = answer.get("chat_id")
        message_id = answer.get("message_id")
        return SendResult(str(chat_id) if chat_id else None,
                          str(message_id) if message_id else None)

    def send_message(self, chat_id: str, text: str) -> SendResult:
        answer = self._object(
            self.call("POST", f"chats/{chat_id}/messages", files=[("text", (None, text))]),
            "a sent message", "chats/{id}/messages")
        message_id = answer.get("message_id")
        return SendResult(chat_id, str(message_id) if message_id else None)


def _iso(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("instants passed to Unipile must be timezone-aware")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{instant.astimezone(UTC).microsecond // 1000:03d}Z"
