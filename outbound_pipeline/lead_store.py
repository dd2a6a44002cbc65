"""The warehouse side of lead routing: ``ops.leads``, its audit log, the routing rules and the
push intents, and the two steps of the ``push_leads`` job.

**Intake** turns landed intake events (``/ingest/leads``, ``/ingest/clay``) and imported CSV
rows into ``ops.leads``: each lead passes the health gate (RED -> BLOCKED) and the routing
rules (a rule -> HELD with its campaign; none -> HELD in the holding pool). Every decision is a
row in ``ops.lead_audit_log``. A lead's id is its landing event key (a CSV row's: source,
organization and address), so taking the same intake twice changes nothing.

**Push** sends HELD leads with a campaign to Smartlead, at most 100 per request per campaign.
Nothing is pushed twice: before each request the batch's ``(connection, campaign, email)``
intents are written as ``pending``; after the answer they are confirmed (the lead is ACTIVE)
or removed. A request whose outcome is unknown (timeout, 5xx, a crash before the answer was
recorded) leaves its intents pending, and the next push first reconciles them by asking
Smartlead (``GET /leads/?email=``) whether the lead is in the campaign. A failed request keeps
its leads HELD with the error and a next attempt time (exponential backoff); after
``MAX_PUSH_ATTEMPTS`` they are FAILED. Leads Smartlead refuses (invalid address,
unsubscribed, block list, duplicate in another campaign) are FAILED with the reason.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from outbound_pipeline import clock
from outbound_pipeline.http import BadResponseError, PlatformError, ServerError
from outbound_pipeline.routing.health import HealthContext, check_health
from outbound_pipeline.routing.leads import IntakeLead, lead_from_payload, to_smartlead
from outbound_pipeline.routing.rules import RoutingRule, resolve, rules_from_rows
from outbound_pipeline.routing.status import (
    MAX_PUSH_ATTEMPTS,
    AuditAction,
    LeadStatus,
    next_status,
    retry_delay,
)
from outbound_pipeline.warehouse import Transaction, Warehouse

log = logging.getLogger(__name__)

SCHEMA = "ops"
LEADS = f"{SCHEMA}.leads"
AUDIT = f"{SCHEMA}.lead_audit_log"
RULES = f"{SCHEMA}.routing_rules"
INTENTS = f"{SCHEMA}.push_intents"
BATCH_SIZE = 100
_AFTER = timedelta(microseconds=1)
"""Two audit entries of one step (push_failed, then failed) keep their order by time."""
PUSH_SETTINGS = {
    # seed 001: respect Smartlead's block and unsubscribe lists, allow a lead in several
    # campaigns
    "ignore_global_block_list": False,
    "ignore_unsubscribe_list": False,
    "ignore_community_bounce_list": False,
    "ignore_duplicate_leads_in_other_campaign": True,
}

_DDL = [
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {LEADS} (
        lead_id varchar primary key,
        organization varchar not null,
        email varchar not null,
        first_name varchar,
        last_name varchar,
        company varchar,
        title varchar,
        persona varchar,
        score double precision,
        source varchar not null,
        lead_data varchar not null,
        health varchar not null,
        health_reasons varchar not null,
        status varchar not null,
        rule_id varchar,
        connection varchar,
        campaign_id varchar,
        attempts integer not null,
        next_attempt_at timestamp with time zone,
        last_error varchar,
        received_at timestamp with time zone,
        created_at timestamp with time zone not null,
        updated_at timestamp with time zone not null
    )""",
    f"""create table if not exists {AUDIT} (
        audit_id varchar primary key,
        lead_id varchar not null,
        action varchar not null,
        from_status varchar,
        to_status varchar not null,
        detail varchar not null,
        run_id varchar,
        logged_at timestamp with time zone not null
    )""",
    f"""create table if not exists {RULES} (
        id varchar primary key,
        organization varchar not null,
        connection varchar not null,
        persona varchar not null,
        min_score double precision not null,
        campaign_id varchar not null,
        priority integer not null,
        position integer not null,
        loaded_at timestamp with time zone not null
    )""",
    f"""create table if not exists {INTENTS} (
        connection varchar not null,
        campaign_id varchar not null,
        email varchar not null,
        lead_id varchar not null,
        batch_id varchar not null,
        state varchar not null,
        created_at timestamp with time zone not null,
        primary key (connection, campaign_id, email)
    )""",
]


_LEAD_COLUMNS = ("lead_id", "organization", "email", "first_name", "last_name", "company",
                 "title", "persona", "score", "source", "lead_data", "health", "health_reasons",
                 "status", "rule_id", "connection", "campaign_id", "attempts", "next_attempt_at",
                 "last_error", "received_at", "created_at", "updated_at")
_AUDIT_COLUMNS = ("audit_id", "lead_id", "action", "from_status", "to_status", "detail",
                  "run_id", "logged_at")
_INTENT_COLUMNS = ("connection", "campaign_id", "email", "lead_id", "batch_id", "state",
                   "created_at")
_RULE_COLUMNS = ("id", "organization", "connection", "persona", "min_score", "campaign_id",
                 "priority", "position", "loaded_at")


def ensure_tables(warehouse: Warehouse) -> None:
    with warehouse.transaction() as tx:
        for statement in _DDL:
            tx.execute(statement)


# Routing rules ---------------------------------------------------------------------------------

def replace_rules(warehouse: Warehouse, rules: Sequence[RoutingRule]) -> None:
    """Makes ``ops.routing_rules`` exactly these rules, in one transaction."""
    ensure_tables(warehouse)
    now = clock.now()
    with warehouse.transaction() as tx:
        tx.execute(f"delete from {RULES}")
        tx.insert(RULES, _RULE_COLUMNS,
                  [(r.id, r.organization, r.connection, r.persona, r.min_score, r.campaign_id,
                    r.priority, r.position, now) for r in rules])


def stored_rules(warehouse: Warehouse) -> list[RoutingRule]:
    ensure_tables(warehouse)
    rows = warehouse.query(f"select id, organization, connection, persona, min_score, "
                           f"campaign_id, priority, position from {RULES} order by position")
    names = ("id", "organization", "connection", "persona", "min_score", "campaign_id",
             "priority", "position")
    return rules_from_rows([dict(zip(names, row, strict=True)) for row in rows])


# Intake ----------------------------------------------------------------------------------------

@dataclass
class IntakeResult:
    received: int = 0
    new: int = 0
    blocked: int = 0
    assigned: int = 0
    unassigned: int = 0
    refused: list[str] = field(default_factory=list)
    """Landed intake events that cannot become a lead (kept in landing, reported here)."""


def _audit_row(lead_id: str, action: AuditAction, before: LeadStatus | None,
               after: LeadStatus, detail: dict[str, Any], run_id: str | None,
               at: datetime) -> tuple[Any, ...]:
    return (uuid.uuid4().hex, lead_id, action.value, before.value if before else None,
            after.value, json.dumps(detail, sort_keys=True, default=str), run_id, at)


def health_context(warehouse: Warehouse) -> HealthContext:
    """What the warehouse knows that judges a new lead: bounced and unsubscribed addresses,
    bounced domains, and the leads already in play."""
    bounced: set[str] = set()
    unsubscribed: set[str] = set()
    if warehouse.table_exists("analytics", "email_activities"):
        for address, kind in warehouse.query(
                "select distinct lower(lead_email), event_type from analytics.email_activities "
                "where event_type in ('bounced', 'unsubscribed') and lead_email is not null"):
            (bounced if kind == "bounced" else unsubscribed).add(address)
    if warehouse.table_exists("analytics", "contacts"):
        unsubscribed |= {r[0] for r in warehouse.query(
            "select distinct lower(email) from analytics.contacts "
            "where is_unsubscribed and email is not null")}
    active = {r[0] for r in warehouse.query(
        f"select distinct email from {LEADS} where status in (?, ?)",
        (LeadStatus.HELD.value, LeadStatus.ACTIVE.value))}
    return HealthContext(
        bounced_emails=frozenset(bounced),
        bounced_domains=frozenset(a.rsplit("@", 1)[-1] for a in bounced if "@" in a),
        unsubscribed_emails=frozenset(unsubscribed),
        active_emails=frozenset(active),
    )


def _pending_intake(warehouse: Warehouse) -> list[tuple[str, str, str, datetime]]:
    if not warehouse.table_exists("landing", "webhook_events"):
        return []
    return warehouse.query(
        f"select e.event_key, e.raw_event_type, e.payload, e.received_at "
        f"from landing.webhook_events e left join {LEADS} l on l.lead_id = e.event_key "
        f"where e.event_type = 'lead_intake' and l.lead_id is null "
        f"order by e.received_at, e.event_key")


def take_intake(warehouse: Warehouse, run_id: str | None = None) -> IntakeResult:
    """Every landed intake event not yet a lead becomes one (see the module docstring)."""
    ensure_tables(warehouse)
    leads: list[tuple[str, IntakeLead, datetime | None]] = []
    result = IntakeResult()
    for event_key, source, payload, received_at in _pending_intake(warehouse):
        result.received += 1
        try:
            leads.append((event_key, lead_from_payload(json.loads(payload), source or "api"),
                          received_at))
        except ValueError as exc:
            result.refused.append(f"{event_key}: {exc}")
    _admit(warehouse, leads, run_id, result)
    return result


def import_leads(warehouse: Warehouse, leads: Sequence[IntakeLead],
                 run_id: str | None = None) -> IntakeResult:
    """Imported leads (CSV or a table): the same gate and rules as the receiver's intake."""
    import hashlib

    ensure_tables(warehouse)
    keyed = []
    for lead in leads:
        digest = hashlib.sha256(f"{lead.organization}\x1f{lead.email}".encode()).hexdigest()
        keyed.append((f"{lead.source}_{digest[:32]}", lead, clock.now()))
    known = set()
    ids = [k for k, _, _ in keyed]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        known |= {r[0] for r in warehouse.query(
            f"select lead_id from {LEADS} where lead_id in ({', '.join('?' for _ in chunk)})",
            chunk)}
    result = IntakeResult(received=len(keyed))
    _admit(warehouse, [k for k in keyed if k[0] not in known], run_id, result)
    return result


def _admit(warehouse: Warehouse, leads: list[tuple[str, IntakeLead, datetime | None]],
           run_id: str | None, result: IntakeResult) -> None:
    if not leads:
        return
    context = health_context(warehouse)
    rules = stored_rules(warehouse)
    now = clock.now()
    rows, audits = [], []
    seen_active: set[str] = set(context.active_emails)
    for lead_id, lead, received_at in leads:
        context_now = HealthContext(
            bounced_emails=context.bounced_emails, bounced_domains=context.bounced_domains,
            unsubscribed_emails=context.unsubscribed_emails,
            active_emails=frozenset(seen_active))
        health = check_health(lead, context_now)
        reasons = [{"code": r.code, "message": r.message} for r in health.reasons]
        rule = None
        if health.classification == "RED":
            action, detail = AuditAction.BLOCKED, {"reasons": reasons}
            result.blocked += 1
        else:
            rule = resolve(lead, rules)
            if rule is None:
                action, detail = AuditAction.UNASSIGNED, {"reason": "no routing rule matched"}
                result.unassigned += 1
            else:
                action = AuditAction.ASSIGNED
                detail = {"rule": rule.id, "connection": rule.connection,
                          "campaign_id": rule.campaign_id}
                result.assigned += 1
            seen_active.add(lead.email)
        status = next_status(None, action)
        result.new += 1
        rows.append((
            lead_id, lead.organization, lead.email, lead.first_name, lead.last_name,
            lead.company, lead.title, lead.persona, lead.score, lead.source,
            json.dumps(to_smartlead(lead), sort_keys=True), health.classification,
            json.dumps(reasons), status.value, rule.id if rule else None,
            rule.connection if rule else None, rule.campaign_id if rule else None, 0, None,
            None, received_at, now, now))
        audits.append(_audit_row(lead_id, action, None, status, detail, run_id, now))
    with warehouse.transaction() as tx:
        tx.insert(LEADS, _LEAD_COLUMNS, rows, "on conflict (lead_id) do nothing")
        tx.insert(AUDIT, _AUDIT_COLUMNS, audits)


def reroute_held(warehouse: Warehouse, run_id: str | None = None) -> int:
    """Leads waiting in the holding pool get a campaign when a rule now matches them."""
    rules = stored_rules(warehouse)
    if not rules:
        return 0
    rows = warehouse.query(
        f"select lead_id, lead_data, organization, persona, score, email from {LEADS} "
        f"where status = ? and campaign_id is null", (LeadStatus.HELD.value,))
    now = clock.now()
    updates, audits = [], []
    for lead_id, _data, organization, persona, score, address in rows:
        lead = IntakeLead(email=address, persona=persona, score=score,
                          organization=organization)
        rule = resolve(lead, rules)
        if rule is None:
            continue
        updates.append((rule.id, rule.connection, rule.campaign_id, now, lead_id))
        audits.append(_audit_row(lead_id, AuditAction.ASSIGNED, LeadStatus.HELD,
                                 LeadStatus.HELD, {"rule": rule.id, "campaign_id":
                                                   rule.campaign_id}, run_id, now))
    with warehouse.transaction() as tx:
        tx.update(LEADS, "lead_id", ("rule_id", "connection", "campaign_id", "updated_at"),
                  updates)
        tx.insert(AUDIT, _AUDIT_COLUMNS, audits)
    return len(updates)


# Push ------------------------------------------------------------------------------------------

@dataclass
class PushResult:
    requests: int = 0
    pushed: int = 0
    already_in_campaign: int = 0
    reconciled: int = 0
    retry_later: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    lead_id: str
    email: str
    connection: str
    campaign_id: str
    attempts: int
    lead_data: str


def _transition(tx: Transaction, leads: Sequence[_Due], action: AuditAction, detail: dict[str, Any],
                run_id: str | None, now: datetime, *, attempts_delta: int = 0,
                error: str | None = None, next_attempt_at: datetime | None = None) -> None:
    rows, audits = [], []
    for lead in leads:
        after = next_status(LeadStatus.HELD, action)
        rows.append((after.value, lead.attempts + attempts_delta, error, next_attempt_at, now,
                     lead.lead_id))
        audits.append(_audit_row(lead.lead_id, action, LeadStatus.HELD, after,
                                 {**detail, "attempt": lead.attempts + attempts_delta},
                                 run_id, now))
    tx.update(LEADS, "lead_id",
              ("status", "attempts", "last_error", "next_attempt_at", "updated_at"), rows)
    tx.insert(AUDIT, _AUDIT_COLUMNS, audits)


def _in_campaign(found: dict[str, Any] | None, campaign_id: str) -> bool:
    for campaign in (found or {}).get("lead_campaign_data") or []:
        if str(campaign.get("campaign_id")) == str(campaign_id):
            return True
    return False


def reconcile(warehouse: Warehouse, client_for: Callable[[str], Any], run_id: str | None,
              result: PushResult) -> None:
    """Settles pending intents: a lead Smartlead has in the campaign is ACTIVE; any other
    intent is removed, so the lead is pushed again."""
    pending = warehouse.query(
        f"select i.connection, i.campaign_id, i.email, i.lead_id, l.attempts, l.lead_data, "
        f"l.status from {INTENTS} i join {LEADS} l on l.lead_id = i.lead_id "
        f"where i.state = 'pending'")
    now = clock.now()
    unreachable: set[str] = set()
    for connection, campaign_id, address, lead_id, attempts, data, status in pending:
        if connection in unreachable:
            continue
        try:
            found = client_for(connection).lead_by_email(address)
        except PlatformError as exc:  # ask again next run; the lead is not pushed meanwhile
            unreachable.add(connection)
            result.errors.append(f"reconciling {connection}: {exc}")
            continue
        lead = _Due(lead_id, address, connection, campaign_id, attempts, data)
        with warehouse.transaction() as tx:
            if _in_campaign(found, campaign_id):
                if status == LeadStatus.HELD.value:
                    _transition(tx, [lead], AuditAction.PUSHED_TO_SMARTLEAD,
                                {"campaign_id": campaign_id, "reconciled": True}, run_id, now)
                tx.execute(f"update {INTENTS} set state = 'confirmed' where connection = ? "
                           "and campaign_id = ? and email = ?", (connection, campaign_id, address))
                result.reconciled += 1
            else:
                tx.execute(f"delete from {INTENTS} where connection = ? and campaign_id = ? "
                           "and email = ?", (connection, campaign_id, address))
                tx.execute(f"update {LEADS} set next_attempt_at = null where lead_id = ? "
                           "and status = ?", (lead_id, LeadStatus.HELD.value))


def _due(warehouse: Warehouse, now: datetime) -> list[_Due]:
    rows = warehouse.query(
        f"select l.lead_id, l.email, l.connection, l.campaign_id, l.attempts, l.lead_data "
        f"from {LEADS} l left join {INTENTS} i on i.connection = l.connection "
        f"and i.campaign_id = l.campaign_id and i.email = l.email and i.state = 'pending' "
        f"where l.status = ? and l.campaign_id is not null and i.email is null "
        f"and (l.next_attempt_at is null or l.next_attempt_at <= ?) "
        f"order by l.connection, l.campaign_id, l.received_at, l.lead_id",
        (LeadStatus.HELD.value, now))
    return [_Due(*row) for row in rows]


def push_due(warehouse: Warehouse, client_for: Callable[[str], Any], *,
             run_id: str | None = None, now: datetime | None = None,
             max_attempts: int = MAX_PUSH_ATTEMPTS,
             after_request: Callable[[str], None] | None = None) -> PushResult:
    """Pushes every due HELD lead (see the module docstring). ``after_request`` is called
    with the batch id between a request and the recording of its outcome (tests crash there)."""
    ensure_tables(warehouse)
    result = PushResult()
    reconcile(warehouse, client_for, run_id, result)
    now = now or clock.now()
    due = _due(warehouse, now)
    groups: dict[tuple[str, str], list[_Due]] = {}
    for lead in due:
        groups.setdefault((lead.connection, lead.campaign_id), []).append(lead)
    for (connection, campaign_id), leads in groups.items():
        client = client_for(connection)
        for start in range(0, len(leads), BATCH_SIZE):
            _push_batch(warehouse, client, connection, campaign_id,
                        leads[start:start + BATCH_SIZE], run_id, max_attempts, after_request,
                        result)
    return result


def _push_batch(warehouse: Warehouse, client: Any, connection: str, campaign_id: str,
                batch: list[_Due], run_id: str | None, max_attempts: int,
                after_request: Callable[[str], None] | None, result: PushResult) -> None:
    batch_id = uuid.uuid4().hex
    now = clock.now()
    with warehouse.transaction() as tx:
        confirmed = {r[0] for r in tx.execute(
            f"select email from {INTENTS} where connection = ? and campaign_id = ? "
            f"and state = 'confirmed' and email in ({', '.join('?' for _ in batch)})",
            (connection, campaign_id, *[lead.email for lead in batch]))}
        already = [lead for lead in batch if lead.email in confirmed]
        batch = [lead for lead in batch if lead.email not in confirmed]
        if already:  # the same address was pushed to this campaign for another lead row
            _transition(tx, already, AuditAction.PUSHED_TO_SMARTLEAD,
                        {"campaign_id": campaign_id, "already_in_campaign": True}, run_id, now)
            result.already_in_campaign += len(already)
        tx.insert(INTENTS, _INTENT_COLUMNS,
                  [(connection, campaign_id, lead.email, lead.lead_id, batch_id, "pending", now)
                   for lead in batch], "on conflict (connection, campaign_id, email) do nothing")
    if not batch:
        return
    try:
        result.requests += 1
        answer = client.add_leads(int(campaign_id), [json.loads(lead.lead_data)
                                                     for lead in batch], PUSH_SETTINGS)
    except PlatformError as exc:
        _request_failed(warehouse, connection, campaign_id, batch, batch_id, exc, run_id,
                        max_attempts, result)
        return
    if after_request is not None:
        after_request(batch_id)
    _record_answer(warehouse, client, connection, campaign_id, batch, batch_id, answer or {},
                   run_id, result)


def _request_failed(warehouse: Warehouse, connection: str, campaign_id: str,
                    batch: list[_Due], batch_id: str, exc: PlatformError, run_id: str | None,
                    max_attempts: int, result: PushResult) -> None:
    # A 5xx, a timeout, a broken connection or an unreadable answer may have been applied:
    # keep the intents, so the next push asks Smartlead before sending these leads again.
    unknown = isinstance(exc, ServerError | BadResponseError)
    message = str(exc)
    result.errors.append(message)
    now = clock.now()
    give_up = [lead for lead in batch if lead.attempts + 1 >= max_attempts]
    retry = [lead for lead in batch if lead.attempts + 1 < max_attempts]
    detail = {"campaign_id": campaign_id, "error": message, "outcome_unknown": unknown}
    with warehouse.transaction() as tx:
        if not unknown:
            tx.execute(f"delete from {INTENTS} where batch_id = ?", (batch_id,))
        for lead in retry:
            when = now + timedelta(seconds=retry_delay(lead.attempts + 1))
            _transition(tx, [lead], AuditAction.PUSH_FAILED, detail, run_id, now,
                        attempts_delta=1, error=message, next_attempt_at=when)
        if give_up:
            _transition(tx, give_up, AuditAction.PUSH_FAILED, detail, run_id, now,
                        attempts_delta=1, error=message)
            _transition(tx, [replace_attempts(lead, 1) for lead in give_up], AuditAction.FAILED,
                        {**detail, "reason": f"gave up after {max_attempts} attempts"},
                        run_id, now + _AFTER, error=message)
    result.retry_later += len(retry)
    result.failed += len(give_up)


def replace_attempts(lead: _Due, delta: int) -> _Due:
    return _Due(lead.lead_id, lead.email, lead.connection, lead.campaign_id,
                lead.attempts + delta, lead.lead_data)


def _record_answer(warehouse: Warehouse, client: Any, connection: str, campaign_id: str,
                   batch: list[_Due], batch_id: str, answer: dict[str, Any],
                   run_id: str | None, result: PushResult) -> None:
    invalid = {str(e).strip().lower() for e in answer.get("invalid_emails") or []}
    unsubscribed = {str(e.get("email") if isinstance(e, dict) else e).strip().lower()
                    for e in answer.get("unsubscribed_leads") or []}
    refused_unnamed = int(answer.get("duplicate_count") or 0) + int(
        answer.get("block_count") or 0) + int(answer.get("bounce_count") or 0)
    pushed, failed = [], []
    for lead in batch:
        if lead.email in invalid:
            failed.append((lead, "Smartlead: invalid email address"))
        elif lead.email in unsubscribed:
            failed.append((lead, "Smartlead: unsubscribed"))
        elif refused_unnamed and not _in_campaign(client.lead_by_email(lead.email),
                                                  campaign_id):
            failed.append((lead, "Smartlead: refused (block list, bounce list or duplicate "
                                 "in another campaign)"))
        else:
            pushed.append(lead)
    now = clock.now()
    with warehouse.transaction() as tx:
        _transition(tx, pushed, AuditAction.PUSHED_TO_SMARTLEAD,
                    {"campaign_id": campaign_id, "upload_count": answer.get("upload_count"),
                     "already_added_to_campaign": answer.get("already_added_to_campaign")},
                    run_id, now, attempts_delta=1)
        if pushed:
            tx.execute(f"update {INTENTS} set state = 'confirmed' where batch_id = ? and email "
                       f"in ({', '.join('?' for _ in pushed)})",
                       (batch_id, *[lead.email for lead in pushed]))
        for lead, reason in failed:
            _transition(tx, [lead], AuditAction.PUSH_FAILED, {"campaign_id": campaign_id,
                                                               "error": reason}, run_id, now,
                        attempts_delta=1, error=reason)
            _transition(tx, [replace_attempts(lead, 1)], AuditAction.FAILED,
                        {"campaign_id": campaign_id, "reason": reason}, run_id, now + _AFTER,
                        error=reason)
            tx.execute(f"delete from {INTENTS} where connection = ? and campaign_id = ? "
                       "and email = ?", (connection, campaign_id, lead.email))
    result.pushed += len(pushed)
    result.failed += len(failed)


def status_counts(warehouse: Warehouse) -> dict[str, int]:
    if not warehouse.table_exists(SCHEMA, "leads"):
        return {}
    return dict(warehouse.query(f"select status, count(*) from {LEADS} group by status "
                                "order by status"))


def retry_failed(warehouse: Warehouse, lead_ids: Sequence[str] | None = None,
                 run_id: str | None = None) -> int:
    """FAILED leads (all, or these) go back to HELD with their attempts reset and their
    routing cleared, so the next ``push_leads`` run routes them with the current rules."""
    where = f"status = '{LeadStatus.FAILED.value}'"
    params: list[Any] = []
    if lead_ids:
        where += f" and lead_id in ({', '.join('?' for _ in lead_ids)})"
        params = list(lead_ids)
    rows = warehouse.query(f"select lead_id from {LEADS} where {where}", params)
    now = clock.now()
    with warehouse.transaction() as tx:
        tx.executemany(f"update {LEADS} set status = ?, attempts = 0, next_attempt_at = null, "
                       "rule_id = null, connection = null, campaign_id = null, "
                       "updated_at = ? where lead_id = ?",
                       [(LeadStatus.HELD.value, now, r[0]) for r in rows])
        tx.insert(AUDIT, _AUDIT_COLUMNS, [
            _audit_row(r[0], AuditAction.RETRIED, LeadStatus.FAILED,
                       next_status(LeadStatus.FAILED, AuditAction.RETRIED),
                       {"manual": True}, run_id, now) for r in rows])
    return len(rows)
