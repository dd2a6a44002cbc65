"""What one ``linkedin_steps`` run does, against the warehouse and Unipile.

1. **Settle unknown outcomes.** A step whose request broke off without an answer is still
   ``pending`` in ``ops.linkedin_actions``; after ``SETTLE_AFTER`` it is looked up on Unipile
   (the profile's pending invitation, the account's sent messages) and marked sent or not.
2. **Detect replies and acceptances** (:func:`detect`):

   - landed Unipile webhooks (``message_received``, ``new_relation``);
   - polling ``/messages`` since the last poll: the fallback that still sees a reply when the
     messaging webhook is misrouted or paused. Webhook and polling see the same message id;
     ``ops.linkedin_messages`` keeps it once, and only its first sighting acts.
   - the relations list, newest first, back to the oldest invitation still waiting.

   A message's direction: ``is_sender`` when present, else the sender compared with the
   account's own provider id (``GET /accounts/{id}``); webhooks carry the account's own
   messages too. An inbound message marks its lead ``replied`` (matched by chat, then sender);
   nothing is sent to that lead again. A relation marks an invited lead connected: matched by
   provider id, then public identifier, then member id; a relation without a public
   identifier is resolved through the profile endpoint by its member id.
3. **Send what is due** (:func:`send_due`), campaign by campaign, through the pure engine
   (:mod:`outbound_pipeline.linkedin`). Each step reserves a unit of the account's daily
   limit (``ops.rate_usage``), writes its intent, re-checks that the lead has not replied, and
   only then calls Unipile.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from outbound_pipeline.http import AuthenticationError, PlatformError, RateLimitedError
from outbound_pipeline.linkedin import engine
from outbound_pipeline.linkedin.campaign import Account, Campaign
from outbound_pipeline.linkedin.engine import Limits, Usage, plan
from outbound_pipeline.linkedin_store import (
    ACTIONS,
    INVITE,
    LEADS,
    MESSAGE,
    MESSAGES,
    RELATIONS,
    StoredLead,
    account_field,
    active_leads,
    as_utc,
    cursor,
    ensure_tables,
    exhaust,
    fail_lead,
    lead,
    leads_where,
    now_utc,
    own_provider_ids,
    record_event,
    release,
    reserve,
    retrying,
    set_account_fields,
    set_cursor,
    stored_accounts,
    stored_campaigns,
    update_lead,
    usage,
)
from outbound_pipeline.platforms.unipile.client import (
    AlreadyInvited,
    LimitExceeded,
    NotConnected,
    NotFound,
    UnipileClient,
    UnipileRefusal,
    parse_flag,
    parse_timestamp,
)
from outbound_pipeline.warehouse import Transaction, Warehouse

log = logging.getLogger(__name__)

SETTLE_AFTER = timedelta(minutes=10)
"""A pending step younger than this may still be in flight in another run."""
POLL_LOOKBACK = timedelta(minutes=30)
"""Polling re-reads this much before its watermark: a message may be listed late."""
FIRST_POLL = timedelta(days=7)
MAX_PROFILE_LOOKUPS = 200
"""Relations without a public identifier resolved per account and run (one request each)."""
LANDING_CURSOR = "landing_unipile"

ClientFor = Callable[[str], UnipileClient]
CONNECTED = str(engine.CONNECTED)
FAILED = str(engine.FAILED)
INVITED = str(engine.INVITED)
MESSAGING = str(engine.MESSAGING)
REPLIED = str(engine.REPLIED)


@dataclass(frozen=True)
class SeenMessage:
    message_id: str
    connection: str
    account_id: str
    chat_id: str | None
    sender_provider_id: str | None
    is_sender: bool | None
    text: str | None
    sent_at: datetime | None
    seen_via: str


@dataclass
class DetectResult:
    messages_seen: int = 0
    new_messages: int = 0
    replies: int = 0
    connections: int = 0
    profile_lookups: int = 0
    undetermined: int = 0
    """Messages whose direction could not be told yet (the account's own id unknown)."""


@dataclass
class SendResult:
    invites_sent: int = 0
    messages_sent: int = 0
    not_sent: int = 0
    unknown: int = 0
    finished: int = 0
    failed: int = 0
    settled: int = 0
    waiting: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


# Accounts ----------------------------------------------------------------------------------

def ensure_own_ids(warehouse: Warehouse, client_for: ClientFor,
                   accounts: Iterable[Account]) -> dict[str, str]:
    """The accounts' own provider ids, fetched once and kept in ``ops.linkedin_accounts``."""
    known = own_provider_ids(warehouse)
    for account in accounts:
        if account.account_id not in known:
            own = client_for(account.connection).own_provider_id(account.account_id)
            set_account_fields(warehouse, account.account_id, own_provider_id=own)
            known[account.account_id] = own
    return known


# Detection -----------------------------------------------------------------------------------

def _direction(message: SeenMessage, own_ids: dict[str, str]) -> str | None:
    if message.is_sender is not None:
        return "outbound" if message.is_sender else "inbound"
    own = own_ids.get(message.account_id)
    if own is None or message.sender_provider_id is None:
        return None
    return "outbound" if message.sender_provider_id == own else "inbound"


def record_messages(warehouse: Warehouse, messages: list[SeenMessage],
                    own_ids: dict[str, str], result: DetectResult) -> None:
    """Keeps each message once; a first-seen inbound message marks its lead replied."""
    result.messages_seen += len(messages)
    fresh: dict[str, tuple[SeenMessage, str]] = {}
    for message in messages:
        direction = _direction(message, own_ids)
        if direction is None:
            result.undetermined += 1
            continue
        fresh.setdefault(message.message_id, (message, direction))
    if not fresh:
        return
    ids = list(fresh)
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        known |= {r[0] for r in warehouse.query(
            f"select message_id from {MESSAGES} where message_id in "
            f"({', '.join('?' for _ in chunk)})", chunk)}
    for message_id in ids:
        if message_id in known:
            continue
        message, direction = fresh[message_id]
        matched = _lead_for_message(warehouse, message) if direction == "inbound" else None
        with warehouse.transaction() as tx:
            rows = tx.execute(
                f"insert into {MESSAGES} (message_id, connection, account_id, chat_id, "
                "sender_provider_id, direction, text, sent_at, seen_via, campaign_id, lead_id, "
                "recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "on conflict do nothing returning message_id",
                (message.message_id, message.connection, message.account_id, message.chat_id,
                 message.sender_provider_id, direction, message.text, message.sent_at,
                 message.seen_via, matched.campaign_id if matched else None,
                 matched.lead_id if matched else None, now_utc()))
            if not rows:
                continue
            result.new_messages += 1
            if matched is not None and _mark_replied(tx, matched, message):
                result.replies += 1


def _lead_for_message(warehouse: Warehouse, message: SeenMessage) -> StoredLead | None:
    """The enrolled lead a message comes from: by chat, then by sender provider id."""
    for column, value in (("chat_id", message.chat_id),
                          ("provider_id", message.sender_provider_id)):
        if not value:
            continue
        found = leads_where(warehouse, f"account_id = ? and {column} = ? "
                            "order by enrolled_at desc limit 1", (message.account_id, value))
        if found:
            return found[0]
    return None


def _mark_replied(tx: Transaction, stored: StoredLead, message: SeenMessage) -> bool:
    at = message.sent_at or now_utc()
    rows = tx.execute(
        f"update {LEADS} set status = ?, replied_at = ?, reply_message_id = ?, reply_step = "
        "steps_done, chat_id = coalesce(chat_id, ?), connected_at = coalesce(connected_at, ?), "
        "updated_at = ? where campaign_id = ? and lead_id = ? and replied_at is null "
        "returning lead_id",
        (REPLIED, at, message.message_id, message.chat_id, at, now_utc(), stored.campaign_id,
         stored.lead_id))
    if not rows:
        return False
    if stored.connected_at is None:
        record_event(tx, "connection_accepted", stored, at, key="accepted", detail="reply")
    record_event(tx, "reply_received", stored, at, step_number=stored.steps_done,
                 message_id=message.message_id, key="first")
    return True


def mark_connected(warehouse: Warehouse, account_id: str, at: datetime, *,
                   provider_id: str | None = None, public_identifier: str | None = None,
                   member_id: str | None = None, via: str) -> int:
    """Marks the account's invited, not yet connected lead matching the relation connected:
    by provider id, then public identifier, then member id. Returns the leads marked."""
    for column, value in (("provider_id", provider_id),
                          ("public_identifier", public_identifier.lower()
                           if public_identifier else None),
                          ("member_id", member_id)):
        if not value:
            continue
        waiting = leads_where(warehouse, f"account_id = ? and {column} = ? and connected_at "
                              "is null and replied_at is null and status = ?",
                              (account_id, value, INVITED))
        if not waiting:
            continue
        marked = 0
        with warehouse.transaction() as tx:
            for stored in waiting:
                when = max(at, stored.invited_at) if stored.invited_at else at
                done = tx.execute(
                    f"update {LEADS} set status = ?, connected_at = ?, "
                    "member_id = coalesce(member_id, ?), updated_at = ? where campaign_id = ? "
                    "and lead_id = ? and connected_at is null returning lead_id",
                    (CONNECTED, when, member_id, now_utc(), stored.campaign_id,
                     stored.lead_id))
                if done:
                    record_event(tx, "connection_accepted", stored, when, key="accepted",
                                 detail=via)
                    marked += 1
        return marked
    return 0


def detect_landed(warehouse: Warehouse, own_ids: dict[str, str], now: datetime,
                  result: DetectResult) -> None:
    """Acts on Unipile webhooks landed since the last look (idempotent: re-reading is safe)."""
    if not warehouse.table_exists("landing", "webhook_events"):
        return
    since = cursor(warehouse, LANDING_CURSOR)
    params: list[Any] = []
    where = "platform = 'unipile'"
    if since is not None:
        where += " and loaded_at >= ?"
        params.append(since - timedelta(minutes=5))
    rows = warehouse.query(
        f"select event_type, connection, sender_account, activity_id, lead_external_id, "
        f"message_id, text, occurred_at, received_at, payload, loaded_at from "
        f"landing.webhook_events where {where} order by loaded_at", params)
    messages = []
    newest = since
    for (event_type, connection, account_id, chat_id, sender, message_id, text, occurred_at,
         received_at, payload, loaded_at) in rows:
        newest = max(newest, _as_utc(loaded_at)) if newest else _as_utc(loaded_at)
        if not account_id:
            continue
        if event_type == "message_received" and message_id:
            messages.append(SeenMessage(str(message_id), connection or "", str(account_id),
                                        chat_id, sender, None, text,
                                        _as_utc(occurred_at or received_at), "webhook"))
        elif event_type == "new_relation":
            body = json.loads(payload or "{}")
            body = body.get("data", body) if "event" not in body else body
            at = min(_as_utc(received_at), now)
            result.connections += mark_connected(
                warehouse, str(account_id), at, provider_id=body.get("user_provider_id"),
                public_identifier=body.get("user_public_identifier"), via="webhook")
    record_messages(warehouse, messages, own_ids, result)
    if newest is not None:
        with warehouse.transaction() as tx:
            set_cursor(tx, LANDING_CURSOR, newest)


def _as_utc(value: Any) -> datetime:
    """A warehouse timestamp or an API instant as an aware UTC datetime (now when unreadable)."""
    if isinstance(value, datetime):
        return as_utc(value)
    return parse_timestamp(value) or now_utc()



def poll_messages(warehouse: Warehouse, client: UnipileClient, account: Account,
                  own_ids: dict[str, str], now: datetime, result: DetectResult) -> None:
    """Reads ``/messages`` since the last poll (minus a lookback) and records them."""
    since = account_field(warehouse, account.account_id, "messages_synced_until")
    after = (_as_utc(since) - POLL_LOOKBACK) if since is not None else now - FIRST_POLL
    seen: list[SeenMessage] = []
    newest = _as_utc(since) if since is not None else None
    for page in client.messages(account.account_id, after=after):
        for item in page:
            message_id = item.get("id")
            if not message_id:
                continue
            sent_at = parse_timestamp(item.get("timestamp"))
            if sent_at is not None:
                newest = max(newest, sent_at) if newest else sent_at
            seen.append(SeenMessage(str(message_id), client.connection, account.account_id,
                                    item.get("chat_id"), item.get("sender_id"),
                                    parse_flag(item.get("is_sender")), item.get("text"),
                                    sent_at, "polling"))
    record_messages(warehouse, seen, own_ids, result)
    if newest is not None:
        set_account_fields(warehouse, account.account_id, messages_synced_until=newest)


def sync_relations(warehouse: Warehouse, client: UnipileClient, account: Account,
                   result: DetectResult) -> None:
    """Reads relations newest first, back to the oldest invitation still waiting, and marks
    the matching leads connected."""
    waiting = warehouse.query(
        f"select min(invited_at), count(*) from {LEADS} where account_id = ? and status = ? "
        "and connected_at is null", (account.account_id, INVITED))
    oldest, count = waiting[0]
    if not count or oldest is None:
        return
    stop_before = _as_utc(oldest) - timedelta(hours=1)
    known = {r[0]: (r[1], r[2]) for r in warehouse.query(
        f"select member_id, provider_id, public_identifier from {RELATIONS} "
        "where account_id = ?", (account.account_id,))}
    lookups = 0
    for page in client.relations(account.account_id):
        done = False
        for item in page:
            created = parse_timestamp(item.get("created_at"))
            if created is not None and created < stop_before:
                done = True
                break
            member_id = str(item.get("member_id") or "") or None
            public_id = item.get("public_identifier") or None
            provider_id = None
            if member_id and member_id in known:
                provider_id, public_id = known[member_id][0], public_id or known[member_id][1]
            at = created or now_utc()
            marked = mark_connected(warehouse, account.account_id, at, public_identifier=public_id,
                                    member_id=member_id, provider_id=provider_id,
                                    via="relations")
            if not marked and member_id and member_id not in known \
                    and lookups < MAX_PROFILE_LOOKUPS:
                lookups += 1
                try:
                    profile = client.profile(member_id, account.account_id)
                except NotFound:
                    profile = {}
                provider_id = profile.get("provider_id")
                public_id = profile.get("public_identifier")
                marked = mark_connected(warehouse, account.account_id, at,
                                        provider_id=provider_id, public_identifier=public_id,
                                        via="relations")
            if member_id and member_id not in known:
                known[member_id] = (provider_id, public_id)
                with warehouse.transaction() as tx:
                    tx.execute(
                        f"insert into {RELATIONS} (account_id, member_id, provider_id, "
                        "public_identifier, first_name, last_name, connected_at, recorded_at) "
                        "values (?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
                        (account.account_id, member_id, provider_id, public_id,
                         item.get("first_name"), item.get("last_name"), created, now_utc()))
            result.connections += marked
        if done:
            break
    result.profile_lookups += lookups


def detect(warehouse: Warehouse, client_for: ClientFor, now: datetime, *,
           poll: bool = True) -> DetectResult:
    """Landed webhooks, then (with ``poll``) messages and relations of every account."""
    with warehouse.session():
        return _detect(warehouse, client_for, now, poll=poll)


def _detect(warehouse: Warehouse, client_for: ClientFor, now: datetime, *,
            poll: bool) -> DetectResult:
    ensure_tables(warehouse)
    result = DetectResult()
    accounts = stored_accounts(warehouse)
    own_ids = ensure_own_ids(warehouse, client_for, accounts.values())
    detect_landed(warehouse, own_ids, now, result)
    if poll:
        for account in accounts.values():
            client = client_for(account.connection)
            poll_messages(warehouse, client, account, own_ids, now, result)
            sync_relations(warehouse, client, account, result)
    return result


# Sending -------------------------------------------------------------------------------------

def account_day(account: Account, now: datetime) -> Any:
    """The account's calendar day: its daily limits reset at local midnight."""
    return now.astimezone(ZoneInfo(account.timezone)).date()


def _start_intent(warehouse: Warehouse, stored: StoredLead, step_number: int, kind: str,
                  text: str | None, day: Any, now: datetime, run_id: str | None) -> bool:
    """Writes the step's intent if the lead is still where the plan saw it (no reply, the
    previous step done); False when another run got there first or the lead moved on."""
    def work(tx: Transaction) -> bool:
        rows = tx.execute(f"select steps_done, replied_at from {LEADS} where campaign_id = ? "
                          "and lead_id = ?", (stored.campaign_id, stored.lead_id))
        if not rows or rows[0][1] is not None or rows[0][0] != step_number - 1:
            return False
        inserted = tx.execute(
            f"insert into {ACTIONS} (action_id, campaign_id, lead_id, account_id, step_number, "
            "kind, text, usage_day, status, planned_at, created_at, run_id) values "
            "(?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) on conflict do nothing "
            "returning action_id",
            (_action_id(stored, step_number), stored.campaign_id, stored.lead_id,
             stored.account_id, step_number, kind, text, day, now, now_utc(), run_id))
        return bool(inserted)

    return bool(retrying(warehouse, work))


def _drop_intent(warehouse: Warehouse, stored: StoredLead, step_number: int) -> None:
    """Removes a claim whose request was never made."""
    retrying(warehouse, lambda tx: tx.execute(
        f"delete from {ACTIONS} where action_id = ? and status = 'pending'",
        (_action_id(stored, step_number),)))


def _action_id(stored: StoredLead, step_number: int) -> str:
    return f"{stored.campaign_id}:{stored.lead_id}:{step_number}"


def _finish_intent(tx: Transaction, action_id: str, status: str, *, error: str | None = None,
                   chat_id: str | None = None, message_id: str | None = None) -> None:
    tx.execute(f"update {ACTIONS} set status = ?, finished_at = ?, error = ?, chat_id = ?, "
               "message_id = ? where action_id = ?",
               (status, now_utc(), error, chat_id, message_id, action_id))


def _step_sent(warehouse: Warehouse, stored: StoredLead, step_number: int, kind: str,
               at: datetime, *, chat_id: str | None = None, message_id: str | None = None,
               detail: str | None = None) -> None:
    with warehouse.transaction() as tx:
        _finish_intent(tx, _action_id(stored, step_number), "sent", chat_id=chat_id,
                       message_id=message_id)
        if kind == INVITE:
            update_lead(tx, stored.campaign_id, stored.lead_id, status=INVITED,
                        steps_done=step_number, invited_at=at, last_step_at=at, last_error=None)
            record_event(tx, "invite_sent", stored, at, step_number=step_number, detail=detail)
        else:
            update_lead(tx, stored.campaign_id, stored.lead_id, status=MESSAGING,
                        steps_done=step_number, last_step_at=at, last_error=None,
                        chat_id=chat_id or stored.chat_id)
            tx.execute(f"update {LEADS} set status = ? where campaign_id = ? and lead_id = ? "
                       "and replied_at is not null", (REPLIED, stored.campaign_id,
                                                       stored.lead_id))
            record_event(tx, "message_sent", stored, at, step_number=step_number,
                         message_id=message_id, detail=detail)


def _not_sent(warehouse: Warehouse, stored: StoredLead, step_number: int, kind: str, day: Any,
              error: str, **lead_values: Any) -> None:
    with warehouse.transaction() as tx:
        _finish_intent(tx, _action_id(stored, step_number), "not_sent", error=error)
        if lead_values:
            update_lead(tx, stored.campaign_id, stored.lead_id, **lead_values)
    release(warehouse, stored.account_id, day, kind)


def _resolve_ids(client: UnipileClient, stored: StoredLead) -> dict[str, Any]:
    """The profile of a lead enrolled by public identifier or member id."""
    identifier = stored.provider_id or stored.public_identifier or stored.member_id
    assert identifier is not None
    return client.profile(identifier, stored.account_id)


def _send_invite(warehouse: Warehouse, client: UnipileClient, stored: StoredLead,
                 step_number: int, note: str | None, now: datetime, day: Any,
                 result: SendResult) -> None:
    profile = _resolve_ids(client, stored)
    provider_id = profile.get("provider_id") or stored.provider_id
    ids = {"provider_id": provider_id,
           "public_identifier": (profile.get("public_identifier") or stored.public_identifier),
           "member_id": str(profile.get("member_id") or stored.member_id or "") or None}
    twin = warehouse.query(
        f"select campaign_id, lead_id from {LEADS} where account_id = ? and provider_id = ? "
        "and not (campaign_id = ? and lead_id = ?)",
        (stored.account_id, provider_id, stored.campaign_id, stored.lead_id)) \
        if provider_id else []
    if twin:
        reason = (f"the same person as lead {twin[0][1]!r} of campaign {twin[0][0]!r} on this "
                  "LinkedIn account (enrolled by another identifier)")
        _not_sent(warehouse, stored, step_number, INVITE, day, reason, status=FAILED,
                  last_error=reason)
        with warehouse.transaction() as tx:
            record_event(tx, "lead_failed", stored, now, detail=reason, key="failed")
        result.failed += 1
        return
    with warehouse.transaction() as tx:
        update_lead(tx, stored.campaign_id, stored.lead_id, **ids)
    if not provider_id:
        _not_sent(warehouse, stored, step_number, INVITE, day, "profile has no provider_id",
                  status=FAILED, last_error="the profile has no provider_id")
        result.failed += 1
        return
    if profile.get("is_relationship") or profile.get("network_distance") == "FIRST_DEGREE":
        _not_sent(warehouse, stored, step_number, INVITE, day, "already connected",
                  status=CONNECTED, steps_done=step_number, invited_at=now, connected_at=now,
                  last_step_at=now)
        with warehouse.transaction() as tx:
            record_event(tx, "connection_accepted", stored, now, key="accepted",
                         detail="already connected")
        result.not_sent += 1
        return
    invitation = profile.get("invitation") or {}
    if isinstance(invitation, dict) and str(invitation.get("type", "")).upper() == "SENT":
        _not_sent(warehouse, stored, step_number, INVITE, day, "an invitation is pending",
                  status=INVITED, steps_done=step_number, invited_at=now, last_step_at=now)
        result.not_sent += 1
        return
    try:
        client.invite(stored.account_id, provider_id, note)
    except AlreadyInvited as exc:
        _not_sent(warehouse, stored, step_number, INVITE, day, exc.detail, status=INVITED,
                  steps_done=step_number, invited_at=now, last_step_at=now)
        result.not_sent += 1
        return
    _step_sent(warehouse, stored, step_number, INVITE, now)
    result.invites_sent += 1


def _send_message(warehouse: Warehouse, client: UnipileClient, stored: StoredLead,
                  step_number: int, text: str, now: datetime, result: SendResult) -> None:
    provider_id = stored.provider_id
    if stored.chat_id:
        sent = client.send_message(stored.chat_id, text)
    else:
        if not provider_id:
            provider_id = _resolve_ids(client, stored).get("provider_id")
        sent = client.start_chat(stored.account_id, str(provider_id), text)
    _step_sent(warehouse, stored, step_number, MESSAGE, now, chat_id=sent.chat_id,
               message_id=sent.message_id)
    result.messages_sent += 1


def send_due(warehouse: Warehouse, client_for: ClientFor, now: datetime, *,
             run_id: str | None = None, campaign_ids: Iterable[str] | None = None
             ) -> SendResult:
    """Sends every step due now, campaign by campaign, within each account's daily limits."""
    with warehouse.session():
        return _send_due(warehouse, client_for, now, run_id=run_id, campaign_ids=campaign_ids)


def _send_due(warehouse: Warehouse, client_for: ClientFor, now: datetime, *,
              run_id: str | None, campaign_ids: Iterable[str] | None) -> SendResult:
    ensure_tables(warehouse)
    result = SendResult()
    accounts = stored_accounts(warehouse)
    campaigns = stored_campaigns(warehouse)
    wanted = set(campaign_ids) if campaign_ids is not None else None
    stopped: set[tuple[str, str]] = set()
    settle_pending(warehouse, client_for, accounts, result)
    for campaign in campaigns.values():
        if wanted is not None and campaign.campaign_id not in wanted:
            continue
        account = accounts.get(campaign.account_id)
        if account is None:
            result.errors.append(f"campaign {campaign.campaign_id}: account "
                                 f"{campaign.account_id!r} is not in the campaigns file")
            continue
        _send_campaign(warehouse, client_for(account.connection), campaign, account, now,
                       run_id, stopped, result)
    return result


def _send_campaign(warehouse: Warehouse, client: UnipileClient, campaign: Campaign,
                   account: Account, now: datetime, run_id: str | None,
                   stopped: set[tuple[str, str]], result: SendResult) -> None:
    leads = {stored.lead_id: stored for stored in active_leads(warehouse, campaign.campaign_id)}
    if not leads:
        return
    day = account_day(account, now)
    used = usage(warehouse, account.account_id, day)
    limits = Limits(invites=account.daily_invite_limit, messages=account.daily_message_limit)
    decided = plan(campaign, [(key, s.state, s.variables) for key, s in leads.items()], now,
                   Usage(invites=used[INVITE], messages=used[MESSAGE]), limits)
    result.waiting.update(decided.waiting)
    for key, stop in decided.stops:
        stored = leads[key]
        if stop.status == FAILED:
            fail_lead(warehouse, stored, stop.reason, now)
            result.failed += 1
        else:
            with warehouse.transaction() as tx:
                update_lead(tx, stored.campaign_id, stored.lead_id, status=stop.status)
            result.finished += 1
    for key, due in decided.due:
        stored = leads[key]
        kind = INVITE if due.kind == "invite" else MESSAGE
        if (account.account_id, kind) in stopped:
            result.waiting[f"{kind}_limit"] += 1
            continue
        limit = limits.invites if kind == INVITE else limits.messages
        # Claim the step first, so concurrent runs work on different leads; then take a unit
        # of the daily limit, or give the claim back.
        if not _start_intent(warehouse, stored, due.step_number, kind, due.text, day, now,
                             run_id):
            result.waiting["taken"] += 1
            continue
        if not reserve(warehouse, account.account_id, day, kind, limit):
            _drop_intent(warehouse, stored, due.step_number)
            stopped.add((account.account_id, kind))
            result.waiting[f"{kind}_limit"] += 1
            continue
        try:
            if kind == INVITE:
                _send_invite(warehouse, client, stored, due.step_number, due.text, now, day,
                             result)
            else:
                assert due.text is not None
                _send_message(warehouse, client, stored, due.step_number, due.text, now,
                              result)
        except LimitExceeded as exc:
            _not_sent(warehouse, stored, due.step_number, kind, day, exc.detail)
            exhaust(warehouse, account.account_id, day, kind, limit)
            stopped.add((account.account_id, kind))
            result.not_sent += 1
        except NotConnected as exc:
            _not_sent(warehouse, stored, due.step_number, kind, day, exc.detail,
                      status=INVITED, connected_at=None, last_error=exc.detail)
            result.not_sent += 1
        except (NotFound, UnipileRefusal) as exc:
            _not_sent(warehouse, stored, due.step_number, kind, day, exc.detail,
                      status=FAILED, last_error=str(exc))
            result.failed += 1
        except AuthenticationError:
            raise
        except RateLimitedError as exc:
            # Every attempt was answered 429: nothing was sent.
            _not_sent(warehouse, stored, due.step_number, kind, day, str(exc))
            result.errors.append(str(exc))
            return
        except PlatformError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                _not_sent(warehouse, stored, due.step_number, kind, day, str(exc),
                          status=FAILED, last_error=str(exc))
                result.failed += 1
            else:
                # The request may have been applied: the intent stays pending and keeps its
                # unit of the limit until it is settled.
                result.unknown += 1
                result.errors.append(str(exc))


# Settling unknown outcomes -------------------------------------------------------------------

def settle_pending(warehouse: Warehouse, client_for: ClientFor, accounts: dict[str, Account],
                   result: SendResult) -> None:
    """Looks up steps whose request broke off: sent (the lead moves on) or not (the unit of
    the daily limit is given back and the step will be due again)."""
    older_than = now_utc() - SETTLE_AFTER
    rows = warehouse.query(
        f"select action_id, campaign_id, lead_id, account_id, step_number, kind, text, "
        f"usage_day, planned_at from {ACTIONS} where status = 'pending' and created_at < ?",
        (older_than,))
    own_ids = own_provider_ids(warehouse)
    for (_, campaign_id, lead_id, account_id, step_number, kind, text, day,
         planned_at) in rows:
        stored = lead(warehouse, campaign_id, lead_id)
        account = accounts.get(account_id)
        if stored is None or account is None:
            continue
        client = client_for(account.connection)
        try:
            if kind == INVITE:
                profile = _resolve_ids(client, stored)
                invitation = profile.get("invitation") or {}
                sent = bool(profile.get("is_relationship")) or (
                    isinstance(invitation, dict)
                    and str(invitation.get("type", "")).upper() == "SENT")
                chat_id = None
            else:
                sent, chat_id = _find_sent_message(client, account_id, own_ids.get(account_id),
                                                   text, _as_utc(planned_at))
        except PlatformError as exc:
            result.errors.append(f"could not settle {campaign_id}:{lead_id} step "
                                 f"{step_number}: {exc}")
            continue
        at = _as_utc(planned_at)
        if sent:
            _step_sent(warehouse, stored, step_number, kind, at, chat_id=chat_id,
                       detail="settled")
        else:
            _not_sent(warehouse, stored, step_number, kind, day, "not sent (settled)")
        result.settled += 1


def _find_sent_message(client: UnipileClient, account_id: str, own_id: str | None,
                       text: str | None, since: datetime) -> tuple[bool, str | None]:
    for page in client.messages(account_id, after=since - timedelta(minutes=5)):
        for item in page:
            mine = parse_flag(item.get("is_sender"))
            if mine is None:
                mine = own_id is not None and item.get("sender_id") == own_id
            if mine and (item.get("text") or "").strip() == (text or "").strip():
                return True, item.get("chat_id")
    return False, None
