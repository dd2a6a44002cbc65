"""A Unipile (LinkedIn) API simulator with a simulated clock.

Serves the LinkedIn routes of ``docs/platform-apis.md`` (Unipile) under ``/api/v1``: accounts,
invitations, profiles, relations, chats and messages, with the ``X-API-KEY`` header, opaque
cursors, ``{status, type, title, detail}`` errors, multipart writes and a per-key sliding-window
rate limit (10 requests per second / speed, 429 with ``Retry-After`` in whole seconds).

The people on the other side are prospects derived from the first ``n_prospects`` leads of the
sandbox world. Each carries hidden behaviour drawn from the world's seed: whether and when it
accepts an invitation, whether its relation row hides the public identifier, how late the
``new_relation`` webhook comes, and how likely and how soon it answers a message. Answers are
the lead's own words from :func:`outbound_pipeline.sandbox.replies.compose_reply`.

Time is simulated: the clock starts at 09:00 UTC on the world's end date and only moves through
``POST /_sandbox/clock``. Whatever falls due when it moves (acceptances, ``new_relation``
webhooks, replies) happens in time order; every API timestamp is simulated time. Real time only
paces the rate limit and webhook delivery.

Conventions worth knowing:

- ``GET /messages``: ``after`` is inclusive and ``before`` exclusive (``after <= timestamp <
  before``); ``account_id`` is optional there and on ``GET /chats`` (all accounts).
- Cursors are keyset positions ("older than the last item seen"), so items arriving while a
  client pages never make it see an item twice.
- An invitation pending for 14 simulated days may be sent again; a relation cannot be invited
  (422 ``errors/already_invited_recently``). ``errors/cannot_resend_yet`` is never answered.
- Daily caps (invitations, messages) count per account and simulated UTC day.
- A received message stays unread (``seen: 0``, counted in the chat's ``unread_count``) until
  the account writes in that chat again; an own message is ``seen`` once the prospect answers.
- Quirks are picked per id from a hash, the same on every run: ``POST /chats`` answers
  ``message_id: null`` for about 30% of messages, and about 15% of listed messages lack
  ``is_sender``.

Every route runs on the server's event loop without awaiting between a check and the change it
guards, so concurrent requests never see the state half-changed.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import heapq
import itertools
import json
import math
import random
import re
import string
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from outbound_pipeline.sandbox.ratelimit import SlidingWindowLimiter
from outbound_pipeline.sandbox.replies import (
    Person,
    SentEmail,
    choose_kind,
    choose_language,
    compose_reply,
)
from outbound_pipeline.sandbox.simulator_app import API_PREFIX, json_object, simulator_app
from outbound_pipeline.sandbox.webhook_delivery import WebhookDelivery
from outbound_pipeline.sandbox.world import Lead, World, iso

CONTROL_PREFIX = "/_sandbox"
RATE_LIMIT_REQUESTS = 10
RATE_LIMIT_SECONDS = 1.0
MAX_NOTE_CHARS = 300
INVITE_COOLDOWN = timedelta(days=14)
DEFAULT_INVITE_CAP = 80
DEFAULT_MESSAGE_CAP = 150
MIN_ACCOUNTS = 2
RELATIONS_PAGE = (100, 1000)
CHATS_PAGE = (100, 250)
MESSAGES_PAGE = (100, 250)
"""``(default, maximum)`` page sizes."""

ACCEPT_RATE = 0.45
HIDDEN_IDENTIFIER_RATE = 0.20
NOTE_FIRST_RATE = 0.05
REPLY_PROPENSITY = (0.25, 0.15, 0.10)
"""Chance to answer the 1st, 2nd, and 3rd or later message received (scaled per prospect)."""
REPLY_AGAIN_PROPENSITY = 0.3
"""Chance to answer a message once the prospect has answered before."""
NULL_MESSAGE_ID_SHARE = 0.30
MISSING_IS_SENDER_SHARE = 0.15

SECRET_HEADER = "X-Unipile-Secret"
PROFILE_URL = "https://www.linkedin.com/in/{}"
DEFAULT_FLUSH_SECONDS = 30.0
MAX_FLUSH_SECONDS = 600.0
MAX_WEBHOOK_DELAY_SECONDS = 60.0

_URL_SAFE = string.ascii_letters + string.digits + "-_"
_HEX = "0123456789abcdef"
_WEBHOOK_KEYS = frozenset(
    {"users_url", "messaging_url", "secret", "p_duplicate", "max_delay_seconds", "seed"}
)

T = TypeVar("T")


class ApiError(Exception):
    """An error answered as ``{status, type, title, detail}``."""

    def __init__(self, status: int, kind: str, detail: str, title: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.title = title or _TITLES.get(kind, kind.replace("_", " ").capitalize())


_TITLES = {
    "missing_credentials": "Missing credentials",
    "invalid_credentials": "Invalid credentials",
    "resource_not_found": "Resource not found.",
    "invalid_parameters": "Invalid parameters",
    "already_invited_recently": "Already invited recently",
    "cannot_resend_yet": "Cannot resend yet",
    "limit_exceeded": "Limit exceeded",
    "not_connected": "Not connected",
    "too_many_requests": "Too many requests",
}


# The simulated LinkedIn -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkedInAccount:
    """A LinkedIn account connected to the workspace."""

    id: str
    name: str
    provider_id: str
    public_identifier: str
    created_at: datetime
    topic: str
    """What its messages are about (the world account's product)."""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "provider_id": self.provider_id,
                "public_identifier": self.public_identifier}


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a prospect reacts; drawn once from the world's seed and never served by the API."""

    accepts: bool
    accept_delay_hours: float
    hides_public_identifier: bool
    new_relation_lag_hours: float
    reply_propensity: tuple[float, float, float]
    reply_delay_hours: float
    replies_to_note: bool


@dataclass(frozen=True, slots=True)
class Prospect:
    """A LinkedIn member built from one lead of the world."""

    provider_id: str
    member_id: str
    public_identifier: str
    first_name: str
    last_name: str
    title: str
    company: str
    location: str
    country: str
    email: str
    phone: str
    behaviour: Behaviour

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def headline(self) -> str:
        return f"{self.title} at {self.company}" if self.title else self.company

    @property
    def profile_url(self) -> str:
        return PROFILE_URL.format(self.public_identifier)

    def public(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id,
            "member_id": self.member_id,
            "public_identifier": self.public_identifier,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "headline": self.headline,
            "location": self.location,
            "country": self.country,
            "email": self.email,
        }


@dataclass(slots=True)
class Invitation:
    id: str
    account_id: str
    provider_id: str
    at: datetime
    note: str | None


@dataclass(slots=True)
class Message:
    id: str
    seq: int
    chat_id: str
    account_id: str
    provider_id: str
    sender_id: str
    text: str
    at: datetime
    is_sender: bool
    seen: bool = False

    @property
    def key(self) -> tuple[int, int]:
        return _micros(self.at), self.seq


@dataclass(slots=True)
class Chat:
    id: str
    seq: int
    account_id: str
    attendee_id: str
    provider_id: str
    last_at: datetime
    messages: list[Message] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int]:
        return _micros(self.last_at), self.seq


@dataclass(slots=True)
class Relation:
    account_id: str
    provider_id: str
    created_at: datetime
    seq: int

    @property
    def key(self) -> tuple[int, int]:
        return _micros(self.created_at), self.seq


@dataclass(slots=True)
class Conversation:
    """Everything between one account and one prospect, ground truth included."""

    account_id: str
    provider_id: str
    invitations: list[Invitation] = field(default_factory=list)
    accepted_at: datetime | None = None
    new_relation_at: datetime | None = None
    messages_received: int = 0
    reply_pending: bool = False
    replies: list[dict[str, Any]] = field(default_factory=list)
    chat_id: str | None = None


@dataclass(order=True, slots=True)
class _Happening:
    at: datetime
    order: int
    kind: str = field(compare=False)
    account_id: str = field(compare=False)
    provider_id: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


Listener = Callable[[str, dict[str, Any]], None]


class LinkedInWorld:
    """Accounts, prospects and everything they do, on a simulated clock.

    ``listeners`` hear ``("new_relation", {account, prospect, at})`` and ``("message", {account,
    prospect, chat, message})`` (own messages and prospects' answers alike) as they happen.
    """

    def __init__(self, world: World, n_prospects: int = 600) -> None:
        if n_prospects < 0:
            raise ValueError("n_prospects must be >= 0")
        self.world = world
        self.seed = world.config.seed
        self.clock: datetime = world.cutoff
        self.api_key = _key(random.Random(f"{self.seed}/unipile/key"))
        self.invite_cap = DEFAULT_INVITE_CAP
        self.message_cap = DEFAULT_MESSAGE_CAP
        self.listeners: list[Listener] = []
        self.accounts: list[LinkedInAccount] = []
        self.account_by_id: dict[str, LinkedInAccount] = {}
        self.prospects: list[Prospect] = []
        self.prospect_by_id: dict[str, Prospect] = {}
        self._prospect_by_identifier: dict[str, Prospect] = {}
        self.conversations: dict[tuple[str, str], Conversation] = {}
        self.relations: dict[str, list[Relation]] = {}
        self.chats: dict[str, Chat] = {}
        self.sent: list[dict[str, Any]] = []
        self._happenings: list[_Happening] = []
        self._order = itertools.count()
        self._seq = itertools.count(1)
        self._daily: dict[tuple[str, date, str], int] = {}
        self._ids = random.Random(f"{self.seed}/unipile/ids")
        self._build_accounts()
        self._build_prospects(n_prospects)

    # generation

    def _build_accounts(self) -> None:
        rng = random.Random(f"{self.seed}/unipile/accounts")
        world = self.world
        owners = world.accounts
        used: set[str] = set()
        for index in range(max(MIN_ACCOUNTS, len(owners))):
            owner = owners[index % len(owners)] if owners else None
            mailboxes = sorted(world.mailboxes_of(owner.name), key=lambda m: m.id) if owner else []
            candidates = [m.from_name for m in mailboxes if m.from_name not in used]
            name = f"Sandbox Sender {index + 1}"
            if candidates:
                name = candidates[index // max(1, len(owners)) % len(candidates)]
            used.add(name)
            account = LinkedInAccount(
                id=_token(rng, 22),
                name=name,
                provider_id=_provider_id(rng),
                public_identifier=f"{_slug(name)}-{_token(rng, 6, _HEX)}",
                created_at=datetime.combine(world.first_day, datetime.min.time(), UTC)
                - timedelta(days=rng.randint(10, 400), minutes=rng.randint(0, 1439)),
                topic=owner.product if owner else "our product",
            )
            self.accounts.append(account)
            self.account_by_id[account.id] = account
            self.relations[account.id] = []

    def _build_prospects(self, n_prospects: int) -> None:
        leads = itertools.islice(self.world.leads.values(), n_prospects)
        member_ids: set[str] = set()
        for index, lead in enumerate(leads):
            rng = random.Random(f"{self.seed}/unipile/prospect/{index}")
            member_id = str(rng.randint(10**7, 10**10 - 1))
            while member_id in member_ids:
                member_id = str(rng.randint(10**7, 10**10 - 1))
            member_ids.add(member_id)
            prospect = Prospect(
                provider_id=_provider_id(rng),
                member_id=member_id,
                public_identifier=self._public_identifier(rng, lead),
                first_name=lead.first_name,
                last_name=lead.last_name,
                title=lead.custom_fields.get("title", ""),
                company=lead.company_name,
                location=lead.location,
                country=lead.country,
                email=lead.email,
                phone=lead.phone_number,
                behaviour=_behaviour(rng),
            )
            self.prospects.append(prospect)
            self.prospect_by_id[prospect.provider_id] = prospect
            for identifier in (prospect.provider_id, prospect.member_id,
                               prospect.public_identifier):
                self._prospect_by_identifier[identifier.lower()] = prospect

    def _public_identifier(self, rng: random.Random, lead: Lead) -> str:
        """The lead's own LinkedIn handle when it has a free one, else a fresh slug."""
        handle = lead.linkedin_profile.rstrip("/").rsplit("/", 1)[-1].lower()
        suffix = _token(rng, 6, _HEX)
        if handle and handle not in self._prospect_by_identifier:
            return handle
        base = _slug(f"{lead.first_name} {lead.last_name}") or "member"
        candidate = f"{base}-{suffix}"
        while candidate in self._prospect_by_identifier:
            candidate = f"{base}-{_token(rng, 6, _HEX)}"
        return candidate

    # lookups

    def find_prospect(self, identifier: str) -> Prospect | None:
        """By provider id, member id or public identifier."""
        return self._prospect_by_identifier.get(identifier.strip().lower())

    def conversation(self, account_id: str, provider_id: str) -> Conversation:
        key = (account_id, provider_id)
        found = self.conversations.get(key)
        if found is None:
            found = self.conversations[key] = Conversation(account_id, provider_id)
        return found

    def is_relation(self, account_id: str, provider_id: str) -> bool:
        found = self.conversations.get((account_id, provider_id))
        return found is not None and found.accepted_at is not None

    def pending_invitation(self, account_id: str, provider_id: str) -> Invitation | None:
        """The account's invitation still waiting for an answer, if any."""
        found = self.conversations.get((account_id, provider_id))
        if found is None or found.accepted_at is not None or not found.invitations:
            return None
        return found.invitations[-1]

    def chat_with(self, account_id: str, provider_id: str) -> Chat | None:
        found = self.conversations.get((account_id, provider_id))
        if found is None or found.chat_id is None:
            return None
        return self.chats[found.chat_id]

    def daily_count(self, account_id: str, kind: str) -> int:
        return self._daily.get((account_id, self.clock.date(), kind), 0)

    # the clock

    def advance(self, now: datetime) -> int:
        """Moves the clock to ``now`` (never backwards); returns how many things happened."""
        now = now.astimezone(UTC)
        if now < self.clock:
            raise ValueError(f"the clock cannot go back: it is {iso(self.clock)}, "
                             f"asked for {iso(now)}")
        self.clock = now
        return self.materialise()

    def materialise(self) -> int:
        """Lets everything due by the clock happen, in time order."""
        done = 0
        while self._happenings and self._happenings[0].at <= self.clock:
            happening = heapq.heappop(self._happenings)
            done += 1
            match happening.kind:
                case "accept":
                    self._accept(happening)
                case "new_relation":
                    self._new_relation(happening)
                case _:
                    self._reply(happening)
        return done

    def _schedule(self, at: datetime, kind: str, account_id: str, provider_id: str,
                  **data: Any) -> None:
        heapq.heappush(self._happenings,
                       _Happening(at, next(self._order), kind, account_id, provider_id, data))

    # actions of the account

    def invite(self, account: LinkedInAccount, prospect: Prospect,
               note: str | None) -> Invitation:
        """Sends a connection request now, or raises the refusal as an ``ApiError``."""
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise ApiError(400, "invalid_parameters",
                           f"The invitation message must be at most {MAX_NOTE_CHARS} "
                           f"characters long; it has {len(note)}.")
        if self.is_relation(account.id, prospect.provider_id):
            raise ApiError(422, "already_invited_recently",
                           "The user is already a relation of this account.")
        pending = self.pending_invitation(account.id, prospect.provider_id)
        if pending is not None and self.clock - pending.at < INVITE_COOLDOWN:
            raise ApiError(422, "already_invited_recently",
                           "An invitation to this user was sent recently and is still pending.")
        if self.daily_count(account.id, "invite") >= self.invite_cap:
            raise ApiError(422, "limit_exceeded",
                           "The daily limit of invitations for this account is reached.")
        invitation = Invitation(str(self._ids.randint(7 * 10**18, 8 * 10**18 - 1)), account.id,
                                prospect.provider_id, self.clock, note or None)
        conversation = self.conversation(account.id, prospect.provider_id)
        first = not conversation.invitations
        conversation.invitations.append(invitation)
        self._count(account.id, "invite")
        self.sent.append({"kind": "invite", "account_id": account.id,
                          "provider_id": prospect.provider_id, "at": iso(self.clock),
                          "text": invitation.note, "invitation_id": invitation.id})
        behaviour = prospect.behaviour
        if behaviour.accepts and first:
            self._schedule(self.clock + timedelta(hours=behaviour.accept_delay_hours), "accept",
                           account.id, prospect.provider_id, invitation_id=invitation.id)
        return invitation

    def send(self, account: LinkedInAccount, prospect: Prospect, text: str,
             chat: Chat | None = None) -> tuple[Chat, Message]:
        """Sends ``text`` to ``prospect`` (in its chat with the account) now."""
        chat = chat or self.chat_with(account.id, prospect.provider_id)
        if chat is None and not self.is_relation(account.id, prospect.provider_id):
            raise ApiError(422, "not_connected",
                           "The recipient is not a relation of this account; send an "
                           "invitation first.")
        if self.daily_count(account.id, "message") >= self.message_cap:
            raise ApiError(422, "limit_exceeded",
                           "The daily limit of messages for this account is reached.")
        if chat is None:
            chat = self._open_chat(account, prospect, self.clock)
        for earlier in chat.messages:
            if not earlier.is_sender:
                earlier.seen = True
        message = self._add_message(chat, account.provider_id, text, self.clock, is_sender=True)
        self._count(account.id, "message")
        self.sent.append({"kind": "message", "account_id": account.id,
                          "provider_id": prospect.provider_id, "at": iso(self.clock),
                          "text": text, "chat_id": chat.id, "message_id": message.id})
        conversation = self.conversation(account.id, prospect.provider_id)
        conversation.messages_received += 1
        self._maybe_answer(account, prospect, conversation, message)
        self._tell("message", {"account": account, "prospect": prospect, "chat": chat,
                               "message": message})
        return chat, message

    def _count(self, account_id: str, kind: str) -> None:
        key = (account_id, self.clock.date(), kind)
        self._daily[key] = self._daily.get(key, 0) + 1

    def _open_chat(self, account: LinkedInAccount, prospect: Prospect, at: datetime) -> Chat:
        chat = Chat(id=_token(self._ids, 22), seq=next(self._seq), account_id=account.id,
                    attendee_id=prospect.provider_id,
                    provider_id="2-" + _b64(self._ids.randbytes(30)), last_at=at)
        self.chats[chat.id] = chat
        self.conversation(account.id, prospect.provider_id).chat_id = chat.id
        return chat

    def _add_message(self, chat: Chat, sender_id: str, text: str, at: datetime, *,
                     is_sender: bool) -> Message:
        message = Message(id=_token(self._ids, 22), seq=next(self._seq), chat_id=chat.id,
                          account_id=chat.account_id,
                          provider_id="2-" + _b64(self._ids.randbytes(36)), sender_id=sender_id,
                          text=text, at=at, is_sender=is_sender)
        chat.messages.append(message)
        chat.last_at = max(chat.last_at, at)
        return message

    def _maybe_answer(self, account: LinkedInAccount, prospect: Prospect,
                      conversation: Conversation, message: Message) -> None:
        if conversation.reply_pending:
            return
        number = conversation.messages_received
        rng = random.Random(f"{self.seed}/unipile/answer/{account.id}/{prospect.provider_id}/"
                            f"{number}")
        behaviour = prospect.behaviour
        chance = (REPLY_AGAIN_PROPENSITY if conversation.replies
                  else behaviour.reply_propensity[min(number, 3) - 1])
        if rng.random() >= chance:
            return
        delay = behaviour.reply_delay_hours * rng.uniform(0.6, 1.4)
        conversation.reply_pending = True
        self._schedule(message.at + timedelta(hours=delay), "reply", account.id,
                       prospect.provider_id, text=message.text, sent_at=message.at,
                       after_message_number=number)

    # what prospects do

    def _accept(self, happening: _Happening) -> None:
        account = self.account_by_id[happening.account_id]
        prospect = self.prospect_by_id[happening.provider_id]
        conversation = self.conversation(account.id, prospect.provider_id)
        at = happening.at
        conversation.accepted_at = at
        self.relations[account.id].append(
            Relation(account.id, prospect.provider_id, at, next(self._seq)))
        behaviour = prospect.behaviour
        lag = timedelta(hours=behaviour.new_relation_lag_hours)
        conversation.new_relation_at = at + lag
        self._schedule(at + lag, "new_relation", account.id, prospect.provider_id)
        note = conversation.invitations[-1].note
        if note and behaviour.replies_to_note and not conversation.reply_pending:
            rng = random.Random(f"{self.seed}/unipile/note/{account.id}/{prospect.provider_id}")
            conversation.reply_pending = True
            self._schedule(at + timedelta(hours=rng.uniform(0.1, 3.0)), "reply", account.id,
                           prospect.provider_id, text=note,
                           sent_at=conversation.invitations[-1].at, after_message_number=0)

    def _new_relation(self, happening: _Happening) -> None:
        self._tell("new_relation", {"account": self.account_by_id[happening.account_id],
                                    "prospect": self.prospect_by_id[happening.provider_id],
                                    "at": happening.at})

    def _reply(self, happening: _Happening) -> None:
        account = self.account_by_id[happening.account_id]
        prospect = self.prospect_by_id[happening.provider_id]
        conversation = self.conversation(account.id, prospect.provider_id)
        data = happening.data
        at = happening.at
        rng = random.Random(f"{self.seed}/unipile/reply/{account.id}/{prospect.provider_id}/"
                            f"{len(conversation.replies)}")
        content = compose_reply(
            rng,
            kind=choose_kind(rng),
            language=choose_language(rng, prospect.country),
            lead=Person(prospect.first_name, prospect.last_name, prospect.email, prospect.title,
                        prospect.company, prospect.phone),
            sent=SentEmail(account.name, "", "", data["text"], data["sent_at"]),
            reply_time=at,
            topic=account.topic,
        )
        chat = self.chat_with(account.id, prospect.provider_id)
        if chat is None:
            chat = self._open_chat(account, prospect, at)
        for earlier in chat.messages:
            if earlier.is_sender:
                earlier.seen = True
        message = self._add_message(chat, prospect.provider_id, content.own, at, is_sender=False)
        conversation.reply_pending = False
        conversation.replies.append({
            "message_id": message.id,
            "chat_id": chat.id,
            "at": iso(at),
            "kind": content.kind,
            "language": content.language,
            "after_message_number": data["after_message_number"],
        })
        self._tell("message", {"account": account, "prospect": prospect, "chat": chat,
                               "message": message})

    def _tell(self, change: str, facts: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(change, facts)

    # ground truth

    def truth(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "accounts": [a.public() for a in self.accounts],
            "prospects": [p.public() for p in self.prospects],
            "clock": iso(self.clock),
        }

    def outcomes(self) -> list[dict[str, Any]]:
        """What has happened so far, per invited (account, prospect) pair."""
        rows = []
        for conversation in self.conversations.values():
            if not conversation.invitations:
                continue
            prospect = self.prospect_by_id[conversation.provider_id]
            new_relation = conversation.new_relation_at
            rows.append({
                "account_id": conversation.account_id,
                "provider_id": conversation.provider_id,
                "invited_at": iso(conversation.invitations[0].at),
                "invitations": len(conversation.invitations),
                "accepted_at": iso(conversation.accepted_at),
                "new_relation_webhook_at": (
                    iso(new_relation) if new_relation and new_relation <= self.clock else None
                ),
                "relation_visible_public_identifier":
                    not prospect.behaviour.hides_public_identifier,
                "chat_id": conversation.chat_id,
                "messages_received": conversation.messages_received,
                "replies": [dict(r) for r in conversation.replies],
            })
        rows.sort(key=lambda r: (r["invited_at"], r["account_id"], r["provider_id"]))
        return rows


# Webhooks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookSettings:
    """Where the ``users`` and ``messaging`` webhooks go; a null URL leaves that source off."""

    users_url: str | None
    messaging_url: str | None
    secret: str | None = None
    p_duplicate: float = 0.05
    max_delay_seconds: float = 0.3
    seed: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookSettings:
        """Validated settings from a control request; raises ``ValueError`` with the reason."""
        unknown = sorted(set(data) - _WEBHOOK_KEYS)
        if unknown:
            raise ValueError(f"unknown webhook settings: {', '.join(unknown)}")
        secret = data.get("secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise ValueError("secret must be a non-empty string or null")
        seed = data.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        return cls(
            users_url=_url(data.get("users_url"), "users_url"),
            messaging_url=_url(data.get("messaging_url"), "messaging_url"),
            secret=secret,
            p_duplicate=_fraction(data.get("p_duplicate", 0.05), "p_duplicate", 1.0),
            max_delay_seconds=_fraction(data.get("max_delay_seconds", 0.3), "max_delay_seconds",
                                        MAX_WEBHOOK_DELAY_SECONDS),
            seed=seed,
        )

    def public(self) -> dict[str, Any]:
        """The settings without the secret (only whether one is set)."""
        return {
            "users_url": self.users_url,
            "messaging_url": self.messaging_url,
            "secret_set": self.secret is not None,
            "p_duplicate": self.p_duplicate,
            "max_delay_seconds": self.max_delay_seconds,
            "seed": self.seed,
        }


class UnipileWebhooks:
    """A ``LinkedInWorld`` listener: ``new_relation`` to the users URL, ``message_received``
    (own messages and answers) to the messaging URL, each through its own delivery thread."""

    def __init__(self, world: LinkedInWorld, settings: WebhookSettings, *, speed: float) -> None:
        self.world = world
        self.settings = settings
        headers = {SECRET_HEADER: settings.secret} if settings.secret else None
        self.deliveries: dict[str, WebhookDelivery] = {}
        for offset, (source, url) in enumerate(
            (("users", settings.users_url), ("messaging", settings.messaging_url))
        ):
            if url is not None:
                self.deliveries[source] = WebhookDelivery(
                    url, p_duplicate=settings.p_duplicate,
                    max_delay_seconds=settings.max_delay_seconds, speed=speed,
                    seed=settings.seed * 2 + offset, headers=headers,
                )

    def __call__(self, change: str, facts: dict[str, Any]) -> None:
        if change == "new_relation":
            source, payload = "users", self.new_relation(facts["account"], facts["prospect"])
        else:
            source, payload = "messaging", self.message_received(
                facts["account"], facts["prospect"], facts["chat"], facts["message"])
        delivery = self.deliveries.get(source)
        if delivery is not None:
            delivery.emit(payload)

    def new_relation(self, account: LinkedInAccount, prospect: Prospect) -> dict[str, Any]:
        return {
            "event": "new_relation",
            "account_id": account.id,
            "webhook_name": "users",
            "user_full_name": prospect.full_name,
            "user_provider_id": prospect.provider_id,
            "user_public_identifier": prospect.public_identifier,
            "user_profile_url": prospect.profile_url,
        }

    def message_received(self, account: LinkedInAccount, prospect: Prospect, chat: Chat,
                         message: Message) -> dict[str, Any]:
        own = _attendee(account.id, account.name, account.provider_id,
                        PROFILE_URL.format(account.public_identifier))
        them = _attendee(account.id, prospect.full_name, prospect.provider_id,
                         prospect.profile_url)
        sender, other = (own, them) if message.is_sender else (them, own)
        return {
            "account_id": account.id,
            "account_type": "LINKEDIN",
            "event": "message_received",
            "chat_id": chat.id,
            "timestamp": iso(message.at),
            "webhook_name": "messaging",
            "message_id": message.id,
            "message": message.text,
            "sender": sender,
            "attendees": [other],
        }

    def describe(self) -> dict[str, Any]:
        """Settings (never the secret) and the counters per source."""
        return {
            "enabled": True,
            **self.settings.public(),
            "stats": {source: d.stats() for source, d in self.deliveries.items()},
        }

    def flush(self, timeout: float) -> bool:
        """Waits up to ``timeout`` seconds in all for every source; True when none is pending."""
        deadline = time.monotonic() + timeout
        flushed = True
        for delivery in self.deliveries.values():
            remaining = max(0.0, deadline - time.monotonic())
            flushed = delivery.flush(remaining) and flushed
        return flushed

    def failed(self) -> int:
        return sum(d.stats()["failed"] for d in self.deliveries.values())

    def close(self) -> None:
        for delivery in self.deliveries.values():
            delivery.close()


def _attendee(account_id: str, name: str, provider_id: str, url: str) -> dict[str, Any]:
    digest = hashlib.sha256(f"{account_id}/{provider_id}".encode()).digest()
    return {
        "attendee_id": _b64(digest)[:22],
        "attendee_name": name,
        "attendee_provider_id": provider_id,
        "attendee_profile_url": url,
    }


# The API ----------------------------------------------------------------------------------------


@dataclass
class _Call:
    """One authenticated API request, as handlers see it."""

    params: dict[str, str]
    path: dict[str, str]
    body: bytes
    content_type: str


Handler = Callable[["UnipileSimulator", _Call], tuple[int, Any]]


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


def _route(method: str, template: str, handler: Handler) -> _Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return _Route(method, template, re.compile(f"^{regex}/?$"), handler)


class UnipileSimulator:
    """Request handling over a ``LinkedInWorld``; ``create_app`` wraps it in a Starlette app."""

    def __init__(self, world: World, speed: float = 1.0, n_prospects: int = 600) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self.linkedin = LinkedInWorld(world, n_prospects)
        self.limiter = SlidingWindowLimiter(RATE_LIMIT_REQUESTS, RATE_LIMIT_SECONDS / speed)
        self.webhooks: UnipileWebhooks | None = None
        self.requests: list[dict[str, Any]] = []
        self._request_seq = 0

    # webhooks

    def set_webhooks(self, settings: WebhookSettings | None) -> UnipileWebhooks | None:
        """Starts delivering per ``settings`` (None stops); returns the replaced deliverer, which
        the caller closes."""
        old, self.webhooks = self.webhooks, None
        if old is not None:
            self.linkedin.listeners.remove(old)
        if settings is not None and (settings.users_url or settings.messaging_url):
            self.webhooks = UnipileWebhooks(self.linkedin, settings, speed=self.speed)
            self.linkedin.listeners.append(self.webhooks)
        return old

    def describe_webhooks(self) -> dict[str, Any]:
        return {"enabled": False} if self.webhooks is None else self.webhooks.describe()

    async def shutdown(self) -> None:
        """Stops the webhook delivery threads (pending deliveries are dropped)."""
        old = self.set_webhooks(None)
        if old is not None:
            await asyncio.to_thread(old.close)

    # dispatch

    async def handle(self, request: Request) -> Response:
        self._request_seq += 1
        path = "/" + request.path_params["path"]
        entry: dict[str, Any] = {"seq": self._request_seq, "method": request.method,
                                 "path": API_PREFIX + path, "route": None, "status": None}
        try:
            response = await self._respond(request, path, entry)
            entry["status"] = response.status_code
            return response
        except Exception:
            entry["status"] = 500
            raise
        finally:
            self.requests.append(entry)

    async def _respond(self, request: Request, path: str, entry: dict[str, Any]) -> Response:
        route, path_params = _match(request.method, path)
        if route is not None:
            entry["route"] = route.template
        key = request.headers.get("x-api-key")
        if not key:
            return _error(ApiError(401, "missing_credentials",
                                   "The X-API-KEY header is missing."))
        if key != self.linkedin.api_key:
            return _error(ApiError(401, "invalid_credentials", "The API key is not valid."))
        rate = self.limiter.hit(key)
        if not rate.allowed:
            wait = str(max(1, math.ceil(rate.retry_after)))
            response = _error(ApiError(
                429, "too_many_requests",
                f"At most {RATE_LIMIT_REQUESTS} requests per "
                f"{RATE_LIMIT_SECONDS / self.speed:g} seconds; retry after {wait} seconds."))
            response.headers["Retry-After"] = wait
            return response
        if route is None:
            return _error(ApiError(404, "resource_not_found",
                                   f"Cannot {request.method} {API_PREFIX}{path}."))
        body = await request.body() if request.method == "POST" else b""
        call = _Call(dict(request.query_params), path_params, body,
                     request.headers.get("content-type", ""))
        self.linkedin.materialise()
        try:
            status, payload = route.handler(self, call)
        except ApiError as exc:
            return _error(exc)
        return JSONResponse(payload, status_code=status)

    # lookups

    def _account(self, call: _Call, value: str | None = None) -> LinkedInAccount:
        account_id = value if value is not None else call.params.get("account_id")
        if not account_id:
            raise ApiError(400, "invalid_parameters", "account_id is required.")
        account = self.linkedin.account_by_id.get(account_id)
        if account is None:
            raise ApiError(404, "resource_not_found", f"No account with id {account_id!r}.")
        return account

    def _optional_account(self, call: _Call) -> LinkedInAccount | None:
        return self._account(call) if call.params.get("account_id") else None

    def _prospect(self, identifier: str) -> Prospect:
        prospect = self.linkedin.find_prospect(identifier)
        if prospect is None:
            raise ApiError(404, "resource_not_found", f"No user matches {identifier!r}.")
        return prospect

    # accounts

    def list_accounts(self, call: _Call) -> tuple[int, Any]:
        items = [self._account_row(a) for a in self.linkedin.accounts]
        return 200, {"object": "AccountList", "items": items, "cursor": None}

    def get_account(self, call: _Call) -> tuple[int, Any]:
        return 200, self._account_row(self._account(call, call.path["account_id"]))

    def _account_row(self, account: LinkedInAccount) -> dict[str, Any]:
        return {
            "object": "Account",
            "id": account.id,
            "name": account.name,
            "type": "LINKEDIN",
            "created_at": iso(account.created_at),
            "connection_params": {"im": {"id": account.provider_id,
                                         "publicIdentifier": account.public_identifier,
                                         "username": account.name}},
            "sources": [{"id": f"{account.id}_MESSAGING", "status": "OK"}],
        }

    # users

    def invite(self, call: _Call) -> tuple[int, Any]:
        body = _json_body(call)
        account = self._account(call, _string_field(body, "account_id"))
        provider_id = _string_field(body, "provider_id")
        if not provider_id:
            raise ApiError(400, "invalid_parameters", "provider_id is required.")
        note = body.get("message")
        if note is not None and not isinstance(note, str):
            raise ApiError(400, "invalid_parameters", "message must be a string.")
        prospect = self.linkedin.prospect_by_id.get(provider_id)
        if prospect is None:
            raise ApiError(404, "resource_not_found", f"No user with provider id {provider_id!r}.")
        invitation = self.linkedin.invite(account, prospect, note)
        return 201, {"object": "UserInvitationSent", "invitation_id": invitation.id}

    def profile(self, call: _Call) -> tuple[int, Any]:
        account = self._account(call)
        prospect = self._prospect(call.path["identifier"])
        linkedin = self.linkedin
        related = linkedin.is_relation(account.id, prospect.provider_id)
        pending = linkedin.pending_invitation(account.id, prospect.provider_id)
        return 200, {
            "object": "UserProfile",
            "provider_id": prospect.provider_id,
            "public_identifier": prospect.public_identifier,
            "member_id": prospect.member_id,
            "first_name": prospect.first_name,
            "last_name": prospect.last_name,
            "headline": prospect.headline,
            "location": prospect.location,
            "is_relationship": related,
            "network_distance": "FIRST_DEGREE" if related else "SECOND_DEGREE",
            "invitation": {"type": "SENT", "status": "PENDING"} if pending else None,
        }

    def relations(self, call: _Call) -> tuple[int, Any]:
        account = self._account(call)
        page, cursor = _page(self.linkedin.relations[account.id], lambda r: r.key, call,
                             *RELATIONS_PAGE)
        items = []
        for relation in page:
            prospect = self.linkedin.prospect_by_id[relation.provider_id]
            row: dict[str, Any] = {
                "object": "UserRelation",
                "connection_urn": f"urn:li:fsd_connection:{prospect.provider_id}",
                "created_at": _micros(relation.created_at) // 1000,
                "first_name": prospect.first_name,
                "last_name": prospect.last_name,
                "member_id": prospect.member_id,
                "member_urn": f"urn:li:member:{prospect.member_id}",
                "headline": prospect.headline,
            }
            if not prospect.behaviour.hides_public_identifier:
                row["public_identifier"] = prospect.public_identifier
                row["public_profile_url"] = prospect.profile_url
            items.append(row)
        return 200, {"object": "UserRelationsList", "items": items, "cursor": cursor}

    # chats and messages

    def list_chats(self, call: _Call) -> tuple[int, Any]:
        account = self._optional_account(call)
        chats = [c for c in self.linkedin.chats.values()
                 if account is None or c.account_id == account.id]
        page, cursor = _page(chats, lambda c: c.key, call, *CHATS_PAGE)
        items = []
        for chat in page:
            prospect = self.linkedin.prospect_by_id[chat.attendee_id]
            items.append({
                "object": "Chat",
                "id": chat.id,
                "account_id": chat.account_id,
                "provider_id": chat.provider_id,
                "attendee_provider_id": chat.attendee_id,
                "name": prospect.full_name,
                "type": 0,
                "timestamp": iso(chat.last_at),
                "unread_count": sum(1 for m in chat.messages if not m.is_sender and not m.seen),
            })
        return 200, {"object": "ChatList", "items": items, "cursor": cursor}

    def start_chat(self, call: _Call) -> tuple[int, Any]:
        form = _multipart(call)
        account = self._account(call, _form_value(form, "account_id"))
        text = _form_text(form)
        attendees = form.get("attendees_ids", [])
        if not attendees or not attendees[0]:
            raise ApiError(400, "invalid_parameters", "attendees_ids is required.")
        if len(attendees) > 1:
            raise ApiError(400, "invalid_parameters",
                           "Only 1:1 chats can be started here: give one attendees_ids.")
        prospect = self._prospect(attendees[0])
        chat, message = self.linkedin.send(account, prospect, text)
        message_id = None if _share(message.id, "message_id") < NULL_MESSAGE_ID_SHARE \
            else message.id
        return 201, {"object": "ChatStarted", "chat_id": chat.id, "message_id": message_id}

    def send_message(self, call: _Call) -> tuple[int, Any]:
        chat = self._chat(call)
        form = _multipart(call)
        text = _form_text(form)
        linkedin = self.linkedin
        account = linkedin.account_by_id[chat.account_id]
        _, message = linkedin.send(account, linkedin.prospect_by_id[chat.attendee_id], text, chat)
        return 201, {"object": "MessageSent", "message_id": message.id}

    def _chat(self, call: _Call) -> Chat:
        chat = self.linkedin.chats.get(call.path["chat_id"])
        if chat is None:
            raise ApiError(404, "resource_not_found", f"No chat with id {call.path['chat_id']!r}.")
        return chat

    def list_messages(self, call: _Call) -> tuple[int, Any]:
        account = self._optional_account(call)
        after = _instant(call.params.get("after"), "after")
        before = _instant(call.params.get("before"), "before")
        messages = [
            m for chat in self.linkedin.chats.values()
            if account is None or chat.account_id == account.id
            for m in chat.messages
            if (after is None or m.at >= after) and (before is None or m.at < before)
        ]
        return 200, self._message_page(messages, call)

    def chat_messages(self, call: _Call) -> tuple[int, Any]:
        return 200, self._message_page(self._chat(call).messages, call)

    def _message_page(self, messages: list[Message], call: _Call) -> dict[str, Any]:
        page, cursor = _page(messages, lambda m: m.key, call, *MESSAGES_PAGE)
        items = []
        for message in page:
            row: dict[str, Any] = {
                "object": "Message",
                "id": message.id,
                "account_id": message.account_id,
                "chat_id": message.chat_id,
                "provider_id": message.provider_id,
                "sender_id": message.sender_id,
                "text": message.text,
                "timestamp": iso(message.at),
                "is_sender": int(message.is_sender),
                "seen": int(message.seen),
            }
            if _share(message.id, "is_sender") < MISSING_IS_SENDER_SHARE:
                del row["is_sender"]
            items.append(row)
        return {"object": "MessageList", "items": items, "cursor": cursor}


_ROUTES: tuple[_Route, ...] = (
    _route("GET", "/accounts", UnipileSimulator.list_accounts),
    _route("GET", "/accounts/{account_id}", UnipileSimulator.get_account),
    _route("POST", "/users/invite", UnipileSimulator.invite),
    _route("GET", "/users/relations", UnipileSimulator.relations),
    _route("GET", "/users/{identifier}", UnipileSimulator.profile),
    _route("GET", "/chats", UnipileSimulator.list_chats),
    _route("POST", "/chats", UnipileSimulator.start_chat),
    _route("GET", "/chats/{chat_id}/messages", UnipileSimulator.chat_messages),
    _route("POST", "/chats/{chat_id}/messages", UnipileSimulator.send_message),
    _route("GET", "/messages", UnipileSimulator.list_messages),
)


def _match(method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
    for route in _ROUTES:
        m = route.pattern.match(path)
        if m and route.method == method:
            return route, m.groupdict()
    return None, {}


# Control routes ---------------------------------------------------------------------------------


def _control_routes(sim: UnipileSimulator) -> list[Route]:
    linkedin = sim.linkedin

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "platforms": ["unipile"]})

    async def truth(request: Request) -> Response:
        return JSONResponse({
            **linkedin.truth(),
            "speed": sim.speed,
            "rate_limit": {"requests": RATE_LIMIT_REQUESTS,
                           "per_seconds": RATE_LIMIT_SECONDS / sim.speed},
        })

    async def clock(request: Request) -> Response:
        happened = 0
        if request.method == "POST":
            try:
                data = json_object(await request.body(), "clock settings")
                unknown = sorted(set(data) - {"now"})
                if unknown:
                    raise ValueError(f"unknown clock settings: {', '.join(unknown)}")
                now = _aware(data.get("now"))
                happened = linkedin.advance(now)
            except ValueError as exc:
                return _control_error(str(exc))
        return JSONResponse({"now": iso(linkedin.clock), "happened": happened})

    async def outcomes(request: Request) -> Response:
        linkedin.materialise()
        return JSONResponse({"clock": iso(linkedin.clock), "outcomes": linkedin.outcomes()})

    async def sent(request: Request) -> Response:
        return JSONResponse({"sent": list(linkedin.sent)})

    async def limits(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json_object(await request.body(), "limits")
                unknown = sorted(set(data) - {"invites", "messages"})
                if unknown:
                    raise ValueError(f"unknown limits: {', '.join(unknown)}")
                invites = _cap(data.get("invites", linkedin.invite_cap), "invites")
                messages = _cap(data.get("messages", linkedin.message_cap), "messages")
            except ValueError as exc:
                return _control_error(str(exc))
            linkedin.invite_cap, linkedin.message_cap = invites, messages
        return JSONResponse({"invites": linkedin.invite_cap, "messages": linkedin.message_cap})

    async def requests_log(request: Request) -> Response:
        return JSONResponse({"requests": list(sim.requests)})

    async def reset_requests(request: Request) -> Response:
        sim.requests.clear()
        sim._request_seq = 0
        return JSONResponse({"ok": True})

    async def webhooks(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json_object(await request.body(), "webhook settings")
                settings = WebhookSettings.from_json(data)
            except ValueError as exc:
                return _control_error(str(exc))
            old = sim.set_webhooks(settings)
            if old is not None:
                await asyncio.to_thread(old.close)
        return JSONResponse(sim.describe_webhooks())

    async def flush_webhooks(request: Request) -> Response:
        try:
            data = json_object(await request.body(), "flush options")
            unknown = sorted(set(data) - {"timeout"})
            if unknown:
                raise ValueError(f"unknown flush options: {', '.join(unknown)}")
            timeout = _fraction(data.get("timeout", DEFAULT_FLUSH_SECONDS), "timeout",
                                MAX_FLUSH_SECONDS)
        except ValueError as exc:
            return _control_error(str(exc))
        hooks = sim.webhooks
        if hooks is None:
            return _control_error("webhooks are not configured")
        flushed = await asyncio.to_thread(hooks.flush, timeout)
        return JSONResponse({**hooks.describe(), "flushed": flushed,
                             "all_delivered": flushed and hooks.failed() == 0})

    p = CONTROL_PREFIX
    return [
        Route(f"{p}/health", health, methods=["GET"]),
        Route(f"{p}/truth", truth, methods=["GET"]),
        Route(f"{p}/clock", clock, methods=["GET", "POST"]),
        Route(f"{p}/outcomes", outcomes, methods=["GET"]),
        Route(f"{p}/sent", sent, methods=["GET"]),
        Route(f"{p}/limits", limits, methods=["GET", "POST"]),
        Route(f"{p}/requests", requests_log, methods=["GET"]),
        Route(f"{p}/requests/reset", reset_requests, methods=["POST"]),
        Route(f"{p}/webhooks", webhooks, methods=["GET", "POST"]),
        Route(f"{p}/webhooks/flush", flush_webhooks, methods=["POST"]),
    ]


def create_app(world: World, *, speed: float = 1.0, n_prospects: int = 600) -> Starlette:
    """The Unipile API (``/api/v1``) and sandbox controls (``/_sandbox``) over ``world``.

    ``speed`` shrinks the rate-limit window (1 s / speed) and webhook retry backoff; it does not
    move the simulated clock. The app's lifespan shutdown stops the webhook delivery threads.
    """
    sim = UnipileSimulator(world, speed, n_prospects)
    return simulator_app(sim, _control_routes(sim))


# Helpers ----------------------------------------------------------------------------------------


def _behaviour(rng: random.Random) -> Behaviour:
    responsiveness = rng.uniform(0.5, 1.5)
    first, second, later = (min(0.9, p * responsiveness) for p in REPLY_PROPENSITY)
    return Behaviour(
        accepts=rng.random() < ACCEPT_RATE,
        accept_delay_hours=min(240.0, max(0.5, rng.lognormvariate(math.log(14.0), 1.0))),
        hides_public_identifier=rng.random() < HIDDEN_IDENTIFIER_RATE,
        new_relation_lag_hours=rng.uniform(0.0, 6.0),
        reply_propensity=(first, second, later),
        reply_delay_hours=math.exp(rng.uniform(math.log(0.5), math.log(48.0))),
        replies_to_note=rng.random() < NOTE_FIRST_RATE,
    )


def _token(rng: random.Random, length: int, alphabet: str = _URL_SAFE) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _provider_id(rng: random.Random) -> str:
    return "ACoAA" + _token(rng, 34)


def _key(rng: random.Random) -> str:
    return _b64(rng.randbytes(30)) + "="


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = plain.replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _micros(value: datetime) -> int:
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _share(value: str, salt: str) -> float:
    """A stable number in [0, 1) for ``value``: picks quirks per id, the same on every run."""
    digest = hashlib.sha256(f"{salt}/{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _page(items: Iterable[T], key: Callable[[T], tuple[int, int]], call: _Call, default: int,
          maximum: int) -> tuple[list[T], str | None]:
    """Newest first; the cursor holds the position of the last item served."""
    limit = _limit(call.params.get("limit"), default, maximum)
    position = _decode_cursor(call.params.get("cursor"))
    ordered = sorted(items, key=key, reverse=True)
    if position is not None:
        ordered = [item for item in ordered if key(item) < position]
    page = ordered[:limit]
    cursor = _encode_cursor(key(page[-1])) if len(ordered) > limit else None
    return page, cursor


def _limit(raw: str | None, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameters", "limit must be an integer.") from None
    if not 1 <= value <= maximum:
        raise ApiError(400, "invalid_parameters", f"limit must be between 1 and {maximum}.")
    return value


def _encode_cursor(position: tuple[int, int]) -> str:
    return _b64(json.dumps(list(position)).encode())


def _decode_cursor(raw: str | None) -> tuple[int, int] | None:
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        first, second = value
        if not isinstance(first, int) or not isinstance(second, int):
            raise ValueError
    except (ValueError, TypeError):
        raise ApiError(400, "invalid_parameters", "cursor is not valid.") from None
    return first, second


def _instant(raw: str | None, name: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "invalid_parameters",
                       f"{name} must be an ISO 8601 instant.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _json_body(call: _Call) -> dict[str, Any]:
    try:
        body = json.loads(call.body or b"{}")
    except ValueError:
        raise ApiError(400, "invalid_parameters", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_parameters", "The body must be a JSON object.")
    return body


def _string_field(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "invalid_parameters", f"{name} must be a string.")
    return value


def _multipart(call: _Call) -> dict[str, list[str]]:
    """The fields of a ``multipart/form-data`` body (repeated fields keep every value)."""
    if not call.content_type.lower().startswith("multipart/form-data"):
        raise ApiError(400, "invalid_parameters",
                       "The body must be multipart/form-data.")
    head = f"Content-Type: {call.content_type}\r\n\r\n".encode()
    message = email.message_from_bytes(head + call.body, policy=email.policy.HTTP)
    if not message.is_multipart():
        raise ApiError(400, "invalid_parameters", "The multipart body cannot be read.")
    fields: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
        fields.setdefault(name, []).append(value)
    return fields


def _form_value(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _form_text(form: Mapping[str, list[str]]) -> str:
    text = _form_value(form, "text")
    if not text.strip():
        raise ApiError(400, "invalid_parameters", "text is required.")
    return text


def _error(exc: ApiError) -> Response:
    return JSONResponse({"status": exc.status, "type": f"errors/{exc.kind}", "title": exc.title,
                         "detail": exc.detail}, status_code=exc.status)


def _control_error(message: str) -> Response:
    return JSONResponse({"message": message}, status_code=400)



def _aware(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("now must be an ISO 8601 instant with an offset")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"invalid instant {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError("now must carry a UTC offset")
    return parsed.astimezone(UTC)


def _cap(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0")
    return value


def _fraction(value: Any, name: str, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be between 0 and {maximum:g}")
    return float(value)


def _url(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be an http(s) URL or null")
    url = value.strip()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"{name} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"{name} must be an http(s) URL with a host")
    return url
