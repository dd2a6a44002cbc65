"""The warehouse side of LinkedIn sequences: the ``ops`` tables the ``linkedin_steps`` job owns.

- ``ops.linkedin_accounts``: LinkedIn accounts (Unipile account id, connection, timezone, daily
  limits) and what the job learned about them (their own provider id, sync watermarks).
- ``ops.linkedin_campaigns``: campaigns as data (the whole definition as JSON).
- ``ops.linkedin_leads``: one row per enrolled lead and campaign: identifiers, personalization
  variables, sequence state (status, steps done, when invited / connected / replied).
- ``ops.linkedin_actions``: one row per step the job decided to send, written *before* the
  request (``pending``) and settled after it (``sent`` or ``not_sent``). Its key
  ``campaign:lead:step`` is what stops two runs from sending the same step twice.
- ``ops.rate_usage``: per account, local day and action (``invite`` / ``message``), how many
  were used of the day's limit. A send first reserves one unit with a conditional update
  (``used < limit``) in its own transaction, so concurrent runs and restarts can never
  exceed the limit; a request that surely did not send gives its unit back.
- ``ops.linkedin_messages``: every LinkedIn message seen (webhook or polling), keyed by message
  id, with its direction; inbound ones are the replies.
- ``ops.linkedin_relations``: relations seen by the relations sync, resolved to provider ids.
- ``ops.linkedin_events``: the sequence's history (invite_sent, connection_accepted,
  message_sent, reply_received, lead_failed), the input of the LinkedIn marts.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from outbound_pipeline import clock
from outbound_pipeline.linkedin.campaign import (
    Account,
    Campaign,
    CampaignsFile,
    account_from_dict,
    account_to_dict,
    campaign_from_dict,
    campaign_to_dict,
)
from outbound_pipeline.linkedin.engine import (
    FAILED,
    FINISHED,
    PENDING,
    REPLIED,
    LeadState,
    is_terminal,
)
from outbound_pipeline.warehouse import Transaction, Warehouse

SCHEMA = "ops"
ACCOUNTS = f"{SCHEMA}.linkedin_accounts"
CAMPAIGNS = f"{SCHEMA}.linkedin_campaigns"
LEADS = f"{SCHEMA}.linkedin_leads"
ACTIONS = f"{SCHEMA}.linkedin_actions"
RATE_USAGE = f"{SCHEMA}.rate_usage"
MESSAGES = f"{SCHEMA}.linkedin_messages"
RELATIONS = f"{SCHEMA}.linkedin_relations"
EVENTS = f"{SCHEMA}.linkedin_events"
CURSORS = f"{SCHEMA}.linkedin_cursors"

INVITE = "invite"
MESSAGE = "message"
RESERVE_ATTEMPTS = 50

_DDL = [
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {ACCOUNTS} (
        account_id varchar primary key,
        connection varchar not null,
        definition varchar not null,
        own_provider_id varchar,
        relations_synced_at timestamp with time zone,
        messages_synced_until timestamp with time zone,
        updated_at timestamp with time zone not null
    )""",
    f"""create table if not exists {CAMPAIGNS} (
        campaign_id varchar primary key,
        name varchar not null,
        client varchar,
        account_id varchar not null,
        timezone varchar not null,
        status varchar not null,
        steps integer not null,
        definition varchar not null,
        updated_at timestamp with time zone not null
    )""",
    f"""create table if not exists {LEADS} (
        campaign_id varchar not null,
        lead_id varchar not null,
        account_id varchar not null,
        provider_id varchar,
        public_identifier varchar,
        member_id varchar,
        first_name varchar,
        last_name varchar,
        company varchar,
        headline varchar,
        email varchar,
        variables varchar not null,
        status varchar not null,
        steps_done integer not null,
        enrolled_at timestamp with time zone not null,
        invited_at timestamp with time zone,
        connected_at timestamp with time zone,
        last_step_at timestamp with time zone,
        chat_id varchar,
        replied_at timestamp with time zone,
        reply_message_id varchar,
        reply_step integer,
        last_error varchar,
        updated_at timestamp with time zone not null,
        primary key (campaign_id, lead_id)
    )""",
    f"""create table if not exists {ACTIONS} (
        action_id varchar primary key,
        campaign_id varchar not null,
        lead_id varchar not null,
        account_id varchar not null,
        step_number integer not null,
        kind varchar not null,
        text varchar,
        usage_day date not null,
        status varchar not null,
        planned_at timestamp with time zone not null,
        created_at timestamp with time zone not null,
        finished_at timestamp with time zone,
        chat_id varchar,
        message_id varchar,
        error varchar,
        run_id varchar
    )""",
    f"""create table if not exists {RATE_USAGE} (
        account_id varchar not null,
        usage_day date not null,
        action varchar not null,
        used integer not null,
        daily_limit integer not null,
        updated_at timestamp with time zone not null,
        primary key (account_id, usage_day, action)
    )""",
    f"""create table if not exists {MESSAGES} (
        message_id varchar primary key,
        connection varchar not null,
        account_id varchar not null,
        chat_id varchar,
        sender_provider_id varchar,
        direction varchar not null,
        text varchar,
        sent_at timestamp with time zone,
        seen_via varchar not null,
        campaign_id varchar,
        lead_id varchar,
        recorded_at timestamp with time zone not null
    )""",
    f"""create table if not exists {RELATIONS} (
        account_id varchar not null,
        member_id varchar not null,
        provider_id varchar,
        public_identifier varchar,
        first_name varchar,
        last_name varchar,
        connected_at timestamp with time zone,
        recorded_at timestamp with time zone not null,
        primary key (account_id, member_id)
    )""",
    f"""create table if not exists {EVENTS} (
        event_id varchar primary key,
        event_type varchar not null,
        campaign_id varchar not null,
        lead_id varchar not null,
        account_id varchar not null,
        step_number integer,
        occurred_at timestamp with time zone not null,
        message_id varchar,
        detail varchar,
        recorded_at timestamp with time zone not null
    )""",
    f"""create table if not exists {CURSORS} (
        name varchar primary key,
        value timestamp with time zone not null
    )""",
]

_LEAD_COLUMNS = (
    "campaign_id", "lead_id", "account_id", "provider_id", "public_identifier", "member_id",
    "first_name", "last_name", "company", "headline", "email", "variables", "status",
    "steps_done", "enrolled_at", "invited_at", "connected_at", "last_step_at", "chat_id",
    "replied_at", "reply_message_id", "reply_step", "last_error", "updated_at",
)


def ensure_tables(warehouse: Warehouse) -> None:
    with warehouse.transaction() as tx:
        for statement in _DDL:
            tx.execute(statement)


def now_utc() -> datetime:
    return clock.now()


# Campaigns and accounts ------------------------------------------------------------------------

def save_campaigns(warehouse: Warehouse, file: CampaignsFile) -> tuple[int, int]:
    """Upserts the file's accounts and campaigns (campaigns not in the file are kept as they
    are: a lead's history outlives a campaign's removal from the file)."""
    ensure_tables(warehouse)
    now = now_utc()
    with warehouse.transaction() as tx:
        for account in file.accounts:
            definition = json.dumps(account_to_dict(account), sort_keys=True)
            tx.execute(
                f"insert into {ACCOUNTS} (account_id, connection, definition, updated_at) "
                "values (?, ?, ?, ?) on conflict (account_id) do update set "
                "connection = excluded.connection, definition = excluded.definition, "
                "updated_at = excluded.updated_at",
                (account.account_id, account.connection, definition, now))
        for campaign in file.campaigns:
            definition = json.dumps(campaign_to_dict(campaign), sort_keys=True, default=str)
            tx.execute(
                f"insert into {CAMPAIGNS} (campaign_id, name, client, account_id, timezone, "
                "status, steps, definition, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "on conflict (campaign_id) do update set name = excluded.name, "
                "client = excluded.client, account_id = excluded.account_id, "
                "timezone = excluded.timezone, status = excluded.status, "
                "steps = excluded.steps, definition = excluded.definition, "
                "updated_at = excluded.updated_at",
                (campaign.campaign_id, campaign.name, campaign.client, campaign.account_id,
                 campaign.timezone, campaign.status, len(campaign.steps), definition, now))
    return len(file.accounts), len(file.campaigns)


def stored_accounts(warehouse: Warehouse) -> dict[str, Account]:
    ensure_tables(warehouse)
    rows = warehouse.query(f"select definition from {ACCOUNTS} order by account_id")
    return {a.account_id: a for a in (account_from_dict(json.loads(r[0])) for r in rows)}


def stored_campaigns(warehouse: Warehouse) -> dict[str, Campaign]:
    ensure_tables(warehouse)
    rows = warehouse.query(f"select definition from {CAMPAIGNS} order by campaign_id")
    return {c.campaign_id: c for c in (campaign_from_dict(json.loads(r[0])) for r in rows)}


def own_provider_ids(warehouse: Warehouse) -> dict[str, str]:
    rows = warehouse.query(f"select account_id, own_provider_id from {ACCOUNTS} "
                           "where own_provider_id is not null")
    return {r[0]: r[1] for r in rows}


def set_account_fields(warehouse: Warehouse, account_id: str, **values: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    with warehouse.transaction() as tx:
        tx.execute(f"update {ACCOUNTS} set {sets} where account_id = ?",
                   [*values.values(), account_id])


def account_field(warehouse: Warehouse, account_id: str, name: str) -> Any:
    rows = warehouse.query(f"select {name} from {ACCOUNTS} where account_id = ?", (account_id,))
    return rows[0][0] if rows else None


# Enrolment ---------------------------------------------------------------------------------------

_PROFILE_URL = re.compile(r"linkedin\.com/in/([^/?#\s]+)", re.IGNORECASE)
_KNOWN_FIELDS = {"linkedin_url", "profile_url", "public_identifier", "provider_id", "member_id",
                 "first_name", "last_name", "company", "company_name", "headline", "title",
                 "email"}


def public_identifier_of(url: str) -> str | None:
    """``jane-doe-4f2a`` from ``https://www.linkedin.com/in/jane-doe-4f2a/``."""
    match = _PROFILE_URL.search(url)
    return match.group(1).strip().lower() if match else None


@dataclass(frozen=True)
class EnrolLead:
    """A lead to enrol: at least one LinkedIn identifier, plus personalization variables."""

    lead_id: str
    provider_id: str | None
    public_identifier: str | None
    member_id: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    headline: str | None
    email: str | None
    variables: dict[str, str]


def lead_from_row(row: Mapping[str, Any]) -> EnrolLead:
    """One CSV row or table row as a lead; a row without any LinkedIn identifier is refused
    with a ValueError that says what is accepted."""
    def clean(name: str) -> str | None:
        value = row.get(name)
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    public_id = clean("public_identifier")
    for url_field in ("linkedin_url", "profile_url"):
        url = clean(url_field)
        if url and not public_id:
            public_id = public_identifier_of(url)
            if public_id is None:
                raise ValueError(f"{url_field} {url!r} is not a linkedin.com/in/ profile URL")
    provider_id, member_id = clean("provider_id"), clean("member_id")
    lead_id = provider_id or public_id or member_id
    if lead_id is None:
        raise ValueError("a lead needs a LinkedIn identifier: linkedin_url, public_identifier, "
                         "provider_id or member_id")
    company = clean("company") or clean("company_name")
    headline = clean("headline") or clean("title")
    variables = {str(k).strip().lower(): str(v).strip() for k, v in row.items()
                 if k is not None and v not in (None, "") and str(k).strip().lower()
                 not in _KNOWN_FIELDS}
    for name, value in (("first_name", clean("first_name")), ("last_name", clean("last_name")),
                        ("company", company), ("headline", headline), ("title", headline)):
        if value:
            variables[name] = value
    if clean("first_name") and clean("last_name"):
        variables["full_name"] = f"{clean('first_name')} {clean('last_name')}"
    return EnrolLead(lead_id=lead_id, provider_id=provider_id, public_identifier=public_id,
                     member_id=member_id, first_name=clean("first_name"),
                     last_name=clean("last_name"), company=company, headline=headline,
                     email=clean("email"), variables=variables)


@dataclass
class EnrolResult:
    enrolled: int = 0
    already_enrolled: int = 0
    refused: list[str] = field(default_factory=list)


def enrol_leads(warehouse: Warehouse, campaign_id: str, rows: Iterable[Mapping[str, Any]],
                *, now: datetime | None = None) -> EnrolResult:
    """Enrols rows into a stored campaign as of ``now`` (default: the project's clock); a
    lead's first step is due from then. Re-enrolling a lead changes nothing; a lead already
    in another unfinished campaign of the same LinkedIn account is refused (it would be
    invited twice). Refused rows are listed with their row number and reason."""
    ensure_tables(warehouse)
    campaign = stored_campaigns(warehouse).get(campaign_id)
    if campaign is None:
        raise ValueError(f"no LinkedIn campaign {campaign_id!r}: load the campaigns file first "
                         "(outbound linkedin campaigns FILE)")
    result = EnrolResult()
    leads: dict[str, EnrolLead] = {}
    for number, row in enumerate(rows, 1):
        try:
            lead = lead_from_row(row)
        except ValueError as exc:
            result.refused.append(f"row {number}: {exc}")
            continue
        if lead.lead_id in leads:
            result.already_enrolled += 1
            continue
        leads[lead.lead_id] = lead
    # Any shared identifier is the same person: (kind, value) -> (campaign, unfinished)
    known: dict[tuple[str, str], tuple[str, bool]] = {}
    for campaign_of, status, *ids in warehouse.query(
            f"select campaign_id, status, lead_id, provider_id, public_identifier, member_id "
            f"from {LEADS} where account_id = ?", (campaign.account_id,)):
        unfinished = status not in (str(FINISHED), str(FAILED), str(REPLIED))
        for value in ids:
            if value:
                key = ("id", value)
                if key not in known or campaign_of == campaign_id or unfinished:
                    known[key] = (campaign_of, unfinished)
    now = now or now_utc()
    rows_out = []
    for lead in leads.values():
        matches = [known[("id", v)] for v in (lead.lead_id, lead.provider_id,
                                              lead.public_identifier, lead.member_id)
                   if v and ("id", v) in known]
        if any(c == campaign_id for c, _ in matches):
            result.already_enrolled += 1
            continue
        elsewhere = [c for c, unfinished in matches if unfinished]
        if elsewhere:
            result.refused.append(f"{lead.lead_id}: already in campaign {elsewhere[0]!r} of "
                                  "the same LinkedIn account")
            continue
        rows_out.append((
            campaign_id, lead.lead_id, campaign.account_id, lead.provider_id,
            lead.public_identifier, lead.member_id, lead.first_name, lead.last_name,
            lead.company, lead.headline, lead.email, json.dumps(lead.variables, sort_keys=True),
            str(PENDING), 0, now, None, None, None, None, None, None, None, None, now))
    with warehouse.transaction() as tx:
        tx.insert(LEADS, _LEAD_COLUMNS, rows_out, "on conflict do nothing")
    result.enrolled = len(rows_out)
    return result


# Lead state ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredLead:
    campaign_id: str
    lead_id: str
    account_id: str
    provider_id: str | None
    public_identifier: str | None
    member_id: str | None
    variables: dict[str, str]
    status: str
    steps_done: int
    enrolled_at: datetime
    invited_at: datetime | None
    connected_at: datetime | None
    last_step_at: datetime | None
    chat_id: str | None
    replied_at: datetime | None

    @property
    def state(self) -> LeadState:
        return LeadState(status=self.status, steps_done=self.steps_done,
                         last_step_at=self.last_step_at, connected_at=self.connected_at,
                         replied_at=self.replied_at, enrolled_at=self.enrolled_at)


_STORED = ("campaign_id", "lead_id", "account_id", "provider_id", "public_identifier",
           "member_id", "variables", "status", "steps_done", "enrolled_at", "invited_at",
           "connected_at", "last_step_at", "chat_id", "replied_at")


def as_utc(value: Any) -> Any:
    """A warehouse timestamp as an aware UTC datetime (DuckDB may hand back naive UTC);
    anything else unchanged."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def _stored(row: Sequence[Any]) -> StoredLead:
    values = dict(zip(_STORED, row, strict=True))
    values["variables"] = json.loads(values["variables"] or "{}")
    for name in ("enrolled_at", "invited_at", "connected_at", "last_step_at", "replied_at"):
        values[name] = as_utc(values[name])
    return StoredLead(**values)


def leads_where(warehouse: Warehouse, condition: str, params: Sequence[Any]) -> list[StoredLead]:
    """The leads matching a SQL condition on ``ops.linkedin_leads`` (``?`` placeholders)."""
    rows = warehouse.query(f"select {', '.join(_STORED)} from {LEADS} where {condition}",
                           params)
    return [_stored(row) for row in rows]


def active_leads(warehouse: Warehouse, campaign_id: str) -> list[StoredLead]:
    """The campaign's leads that may still get a step (not replied, finished or failed)."""
    rows = warehouse.query(
        f"select {', '.join(_STORED)} from {LEADS} where campaign_id = ? and replied_at is null "
        "and status not in (?, ?, ?) order by enrolled_at, lead_id",
        (campaign_id, str(REPLIED), str(FINISHED), str(FAILED)))
    return [lead for lead in map(_stored, rows) if not is_terminal(lead.status)]


def lead(warehouse: Warehouse, campaign_id: str, lead_id: str) -> StoredLead | None:
    rows = warehouse.query(f"select {', '.join(_STORED)} from {LEADS} where campaign_id = ? "
                           "and lead_id = ?", (campaign_id, lead_id))
    return _stored(rows[0]) if rows else None


def update_lead(tx: Transaction, campaign_id: str, lead_id: str, **values: Any) -> None:
    values = {k: str(v) if k == "status" else v for k, v in values.items()}
    values["updated_at"] = now_utc()
    sets = ", ".join(f"{k} = ?" for k in values)
    tx.execute(f"update {LEADS} set {sets} where campaign_id = ? and lead_id = ?",
               [*values.values(), campaign_id, lead_id])


def record_event(tx: Transaction, event_type: str, lead: StoredLead, occurred_at: datetime,
                 *, step_number: int | None = None, message_id: str | None = None,
                 detail: str | None = None, key: str | None = None) -> None:
    """One history row; the same event recorded twice is one row."""
    event_id = f"{event_type}:{lead.campaign_id}:{lead.lead_id}:{key or step_number or ''}"
    tx.execute(
        f"insert into {EVENTS} (event_id, event_type, campaign_id, lead_id, account_id, "
        "step_number, occurred_at, message_id, detail, recorded_at) values "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
        (event_id, event_type, lead.campaign_id, lead.lead_id, lead.account_id, step_number,
         occurred_at, message_id, detail, now_utc()))


def fail_lead(warehouse: Warehouse, lead: StoredLead, reason: str, at: datetime) -> None:
    with warehouse.transaction() as tx:
        update_lead(tx, lead.campaign_id, lead.lead_id, status=str(FAILED), last_error=reason)
        record_event(tx, "lead_failed", lead, at, detail=reason, key="failed")


def status_counts(warehouse: Warehouse) -> dict[str, dict[str, int]]:
    """Leads per campaign and status."""
    ensure_tables(warehouse)
    counts: dict[str, dict[str, int]] = {}
    for campaign_id, status, n in warehouse.query(
            f"select campaign_id, status, count(*) from {LEADS} group by 1, 2 order by 1, 2"):
        counts.setdefault(campaign_id, {})[status] = int(n)
    return counts


# Daily limits ----------------------------------------------------------------------------------

def usage(warehouse: Warehouse, account_id: str, day: date) -> dict[str, int]:
    """Units used today per action (``invite``, ``message``)."""
    rows = warehouse.query(f"select action, used from {RATE_USAGE} where account_id = ? and "
                           "usage_day = ?", (account_id, day))
    found = {r[0]: int(r[1]) for r in rows}
    return {INVITE: found.get(INVITE, 0), MESSAGE: found.get(MESSAGE, 0)}


def retrying(warehouse: Warehouse, work: Any) -> Any:
    """Runs ``work(tx)`` in a transaction, again when DuckDB reports a write conflict with a
    concurrent transaction (PostgreSQL waits for the row lock instead)."""
    for attempt in range(RESERVE_ATTEMPTS):
        try:
            with warehouse.transaction() as tx:
                return work(tx)
        except Exception as exc:
            message = str(exc).lower()
            # DuckDB: two transactions writing one row conflict, and two inserting one key
            # fail with "duplicate key" even with ON CONFLICT; the retry sees the winner's row.
            retry = "conflict" in message or "duplicate key" in message
            if not retry or attempt == RESERVE_ATTEMPTS - 1:
                raise
            time.sleep(0.002 * (attempt + 1))
    raise AssertionError("unreachable")


def reserve(warehouse: Warehouse, account_id: str, day: date, action: str, limit: int) -> bool:
    """Takes one unit of the account's daily ``action`` limit; False when none is left.

    The check and the increment are one conditional ``UPDATE`` in its own transaction, so
    however many runs reserve at once, ``used`` never passes ``limit``.
    """
    now = now_utc()

    def work(tx: Transaction) -> bool:
        tx.execute(f"insert into {RATE_USAGE} (account_id, usage_day, action, used, "
                   "daily_limit, updated_at) values (?, ?, ?, 0, ?, ?) on conflict do nothing",
                   (account_id, day, action, limit, now))
        rows = tx.execute(
            f"update {RATE_USAGE} set used = used + 1, daily_limit = ?, updated_at = ? "
            "where account_id = ? and usage_day = ? and action = ? and used < ? "
            "returning used", (limit, now, account_id, day, action, limit))
        return bool(rows)

    return bool(retrying(warehouse, work))


def release(warehouse: Warehouse, account_id: str, day: date, action: str) -> None:
    """Gives back a unit for a request that surely sent nothing."""
    def work(tx: Transaction) -> None:
        tx.execute(f"update {RATE_USAGE} set used = used - 1, updated_at = ? where "
                   "account_id = ? and usage_day = ? and action = ? and used > 0",
                   (now_utc(), account_id, day, action))

    retrying(warehouse, work)


def exhaust(warehouse: Warehouse, account_id: str, day: date, action: str, limit: int) -> None:
    """LinkedIn said the account's limit is reached: nothing more of ``action`` today."""
    def work(tx: Transaction) -> None:
        tx.execute(f"insert into {RATE_USAGE} (account_id, usage_day, action, used, "
                   "daily_limit, updated_at) values (?, ?, ?, ?, ?, ?) on conflict do nothing",
                   (account_id, day, action, limit, limit, now_utc()))
        tx.execute(f"update {RATE_USAGE} set used = greatest(used, daily_limit), "
                   "updated_at = ? where account_id = ? and usage_day = ? and action = ?",
                   (now_utc(), account_id, day, action))

    retrying(warehouse, work)


# Cursors ---------------------------------------------------------------------------------------

def cursor(warehouse: Warehouse, name: str) -> datetime | None:
    rows = warehouse.query(f"select value from {CURSORS} where name = ?", (name,))
    return as_utc(rows[0][0]) if rows else None


def set_cursor(tx: Transaction, name: str, value: datetime) -> None:
    tx.execute(f"insert into {CURSORS} (name, value) values (?, ?) on conflict (name) do "
               "update set value = excluded.value", (name, value))
