"""dlt sources for Smartlead.

Every row carries ``connection`` (the account it came from), so several Smartlead accounts live
side by side in ``raw_smartlead``. Four sources, one per way of syncing:

- :func:`smartlead_source`: the regular sync (every 2 hours).
- :func:`smartlead_daily_source`: the day-wise series for a date window (daily partitions).
- :func:`smartlead_enrollment_source`: today's lead-status funnel per campaign.
- :func:`smartlead_leads_source`: campaign leads, resumable per campaign.

Skip-unchanged: a campaign's ``metrics_hash`` (seed 002: sent-opened-replied-bounced) is kept in
each resource's dlt state; a resource only re-fetches a campaign whose hash moved, so a sync with
nothing new makes one analytics request per campaign and loads nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from outbound_pipeline import clock
from outbound_pipeline.connections import Connection
from outbound_pipeline.copy_text import html_to_text, personalization_variables, preview
from outbound_pipeline.http import ClientPool
from outbound_pipeline.platforms.smartlead.client import (
    SmartleadClient,
    as_int,
    windows,
)

SyncMode = Literal["delta", "full"]

COUNT_FIELDS = (
    "sent_count", "unique_sent_count", "open_count", "unique_open_count", "click_count",
    "unique_click_count", "reply_count", "bounce_count", "block_count", "unsubscribed_count",
    "total_count", "drafted_count", "sequence_count",
)
LEAD_STATS_FIELDS = (
    "total", "notStarted", "inprogress", "completed", "paused", "stopped", "blocked",
    "interested", "revenue",
)
SECRET_FIELDS = ("password", "imap_password", "smtp_password")


# ---------------------------------------------------------------------------------------------
# Clients shared by the resources of one run


class SmartleadClients(ClientPool[SmartleadClient]):
    """One Smartlead client per connection for the duration of a run."""

    def __init__(
        self,
        connections: Sequence[Connection],
        factory: Callable[[Connection], SmartleadClient] = SmartleadClient.for_connection,
    ) -> None:
        super().__init__(connections, factory)


# ---------------------------------------------------------------------------------------------
# Row shaping (pure)


def metrics_hash(analytics: dict[str, Any]) -> str:
    """Seed 002's skip-unchanged fingerprint: ``{sent}-{opened}-{replied}-{bounced}``."""
    parts = [as_int(analytics.get(k)) or 0 for k in
             ("sent_count", "unique_open_count", "reply_count", "bounce_count")]
    return "-".join(str(p) for p in parts)


def content_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:16]


def parse_time(value: Any) -> datetime | None:
    """ISO timestamps as Smartlead writes them (``Z``, offsets, microseconds) → aware UTC."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("Z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def campaign_row(connection: str, campaign: dict[str, Any],
                 analytics: dict[str, Any] | None) -> dict[str, Any]:
    row = {k: v for k, v in campaign.items() if k not in ("id",)}
    row["connection"] = connection
    row["campaign_id"] = int(campaign["id"])
    for key in ("created_at", "updated_at", "schedule_start_time"):
        if key in row:
            row[key] = parse_time(row[key])
    analytics = analytics or {}
    for key in COUNT_FIELDS:
        row[key] = as_int(analytics.get(key))
    lead_stats = analytics.get("campaign_lead_stats") or {}
    row["lead_stats_total"] = as_int(lead_stats.get("total"))
    row["metrics_hash"] = metrics_hash(analytics) if analytics else None
    return row


def email_account_row(connection: str, account: dict[str, Any]) -> dict[str, Any]:
    """Flattens warmup details and drops every password before the row leaves the source."""
    row = {k: v for k, v in account.items() if k not in SECRET_FIELDS and k != "warmup_details"}
    warmup = account.get("warmup_details") or {}
    row["connection"] = connection
    row["email_account_id"] = int(row.pop("id"))
    row["warmup_status"] = warmup.get("status")
    reputation = warmup.get("warmup_reputation")
    if isinstance(reputation, str):
        reputation = reputation.strip().rstrip("%") or None
    row["warmup_reputation"] = float(reputation) if reputation is not None else None
    row["warmup_spam_count"] = as_int(warmup.get("total_spam_count"))
    row["warmup_sent_count"] = as_int(warmup.get("total_sent_count"))
    for key in ("message_per_day", "daily_sent_count", "campaign_count", "smtp_port",
                "imap_port"):
        if key in row:
            row[key] = as_int(row[key])
    for key in ("created_at", "updated_at"):
        if key in row:
            row[key] = parse_time(row[key])
    return row


def variant_rows(connection: str, campaign_id: int,
                 steps: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One row per A/B variant (a step without variants is its own single variant)."""
    for step in steps:
        step_id = int(step["id"])
        delay = (step.get("seq_delay_details") or {})
        delay_days = as_int(delay.get("delayInDays", delay.get("delay_in_days")))
        variants = step.get("sequence_variants") or step.get("seq_variants") or []
        if not variants:
            variants = [{"id": None, "subject": step.get("subject"),
                         "email_body": step.get("email_body"), "variant_label": None}]
        for variant in variants:
            body_html = variant.get("email_body") or ""
            subject = variant.get("subject") or ""
            plain = html_to_text(body_html)
            variant_id = variant.get("id")
            yield {
                "connection": connection,
                "campaign_id": campaign_id,
                "step_id": step_id,
                "variant_id": str(variant_id) if variant_id is not None else f"{step_id}-base",
                "is_base_variant": variant_id is None,
                "seq_number": as_int(step.get("seq_number")),
                "delay_in_days": delay_days,
                "variant_label": variant.get("variant_label"),
                "subject": subject,
                "body_html": body_html,
                "body_plain": plain,
                "body_preview": preview(plain),
                "personalization_vars": personalization_variables(subject, body_html),
                "send_as_reply": not subject.strip() and (as_int(step.get("seq_number")) or 1) > 1,
                "created_at": parse_time(step.get("created_at")),
                "updated_at": parse_time(step.get("updated_at")),
            }


STATISTICS_SCHEMA = pa.schema([
    pa.field("connection", pa.string(), nullable=False),
    ("campaign_id", pa.int64()),
    pa.field("stats_id", pa.string(), nullable=False),
    ("lead_email", pa.string()),
    ("lead_name", pa.string()),
    ("lead_category", pa.string()),
    ("sequence_number", pa.int64()),
    ("seq_variant_id", pa.string()),
    ("email_subject", pa.string()),
    ("sent_time", pa.timestamp("us", tz="UTC")),
    ("open_time", pa.timestamp("us", tz="UTC")),
    ("click_time", pa.timestamp("us", tz="UTC")),
    ("reply_time", pa.timestamp("us", tz="UTC")),
    ("is_bounced", pa.bool_()),
])


def statistics_table(connection: str, campaign_id: int, rows: Sequence[dict[str, Any]],
                     bounced: set[str]) -> pa.Table:
    def text(value: Any) -> str | None:
        return None if value in (None, "") else str(value)

    records = [{
        "connection": connection,
        "campaign_id": campaign_id,
        "stats_id": str(r["stats_id"]),
        "lead_email": text(r.get("lead_email")),
        "lead_name": text(r.get("lead_name")),
        "lead_category": text(r.get("lead_category")),
        "sequence_number": as_int(r.get("sequence_number")),
        "seq_variant_id": text(r.get("seq_variant_id")),
        "email_subject": text(r.get("email_subject")),
        "sent_time": parse_time(r.get("sent_time")),
        "open_time": parse_time(r.get("open_time")),
        "click_time": parse_time(r.get("click_time")),
        "reply_time": parse_time(r.get("reply_time")),
        "is_bounced": str(r["stats_id"]) in bounced,
    } for r in rows if r.get("stats_id") not in (None, "")]
    return pa.Table.from_pylist(records, schema=STATISTICS_SCHEMA)


def message_rows(connection: str, campaign_id: int, lead_id: int,
                 history: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for position, message in enumerate(history):
        body_html = message.get("email_body") or ""
        message_id = message.get("message_id") or f"{lead_id}-{position}"
        yield {
            "connection": connection,
            "campaign_id": campaign_id,
            "lead_id": lead_id,
            "message_id": str(message_id),
            "position": position,
            "type": message.get("type"),
            "time": parse_time(message.get("time")),
            "email_seq_number": as_int(message.get("email_seq_number")),
            "is_manual": message.get("type") == "SENT" and message.get("email_seq_number") is None,
            "stats_id": message.get("stats_id"),
            "subject": message.get("subject"),
            "from_email": message.get("from"),
            "to_email": message.get("to"),
            "email_body": body_html,
            "body_plain": html_to_text(body_html),
        }


ARROW_BATCH_ROWS = 50_000
UPSERT: Any = {"disposition": "merge", "strategy": "upsert"}
"""For the high-volume Arrow resources: same result as delete-insert (a load never holds a key
twice), loaded with one MERGE instead of a delete and an insert."""


def arrow_batches(tables: Iterable[pa.Table], max_rows: int = ARROW_BATCH_ROWS
                  ) -> Iterator[pa.Table]:
    """Joins API pages (100 rows each) into large Arrow tables: dlt's cost is per table and
    per file, so a few large tables load several times faster than one per page."""
    pending: list[pa.Table] = []
    rows = 0
    for table in tables:
        if not table.num_rows:
            continue
        pending.append(table)
        rows += table.num_rows
        if rows >= max_rows:
            yield pa.concat_tables(pending)
            pending, rows = [], 0
    if pending:
        yield pa.concat_tables(pending)


# ---------------------------------------------------------------------------------------------
# The campaign plan: list + analytics, fetched once per run and shared by the resources


@dataclass
class CampaignInfo:
    connection: str
    campaign: dict[str, Any]
    analytics: dict[str, Any] | None

    @property
    def id(self) -> int:
        return int(self.campaign["id"])

    @property
    def key(self) -> str:
        return f"{self.connection}:{self.id}"

    @property
    def hash(self) -> str:
        """What says the campaign's details may have moved: its metrics (seed 002's
        metrics_hash) or an edit (``updated_at``)."""
        metrics = metrics_hash(self.analytics) if self.analytics else "missing"
        return f"{metrics}|{self.campaign.get('updated_at')}"

    @property
    def has_sends(self) -> bool:
        return bool(self.analytics) and (as_int(self.analytics.get("sent_count")) or 0) > 0


@dataclass
class CampaignPlan:
    clients: SmartleadClients
    _campaigns: list[CampaignInfo] | None = field(default=None, repr=False)

    def campaigns(self) -> list[CampaignInfo]:
        if self._campaigns is None:
            found = []
            for connection in self.clients.connections:
                client = self.clients.get(connection)
                for campaign in client.campaigns():
                    analytics = client.campaign_analytics(int(campaign["id"]))
                    found.append(CampaignInfo(connection.name, campaign, analytics))
            self._campaigns = found
        return self._campaigns

    def client_for(self, connection_name: str) -> SmartleadClient:
        for connection in self.clients.connections:
            if connection.name == connection_name:
                return self.clients.get(connection)
        raise KeyError(connection_name)


def changed(plan: CampaignPlan, state_key: str, mode: SyncMode) -> Iterator[CampaignInfo]:
    """Campaigns whose hash moved since this resource last saw them (all of them in full mode).

    The new hash is recorded once the caller has consumed the campaign, and dlt commits the state
    together with the rows, so a failed run re-fetches what it did not load.
    """
    seen: dict[str, str] = dlt.current.resource_state().setdefault(state_key, {})
    for info in plan.campaigns():
        if mode == "delta" and seen.get(info.key) == info.hash:
            continue
        yield info
        seen[info.key] = info.hash


def skip_unchanged_rows(state_key: str, rows: Sequence[dict[str, Any]],
                        key: Callable[[dict[str, Any]], str], mode: SyncMode
                        ) -> list[dict[str, Any]]:
    """Only rows whose content changed since the last load (account-level lists)."""
    seen: dict[str, str] = dlt.current.resource_state().setdefault(state_key, {})
    result = []
    for row in rows:
        fingerprint = content_hash(row)
        if mode == "full" or seen.get(key(row)) != fingerprint:
            result.append(row)
            seen[key(row)] = fingerprint
    return result


# ---------------------------------------------------------------------------------------------
# Sources (max_table_nesting=0 on each: nested values such as settings, tags and variable lists
# land as JSON columns instead of child tables)


def nullable_columns(**types: str) -> dict[str, dict[str, Any]]:
    """Type hints for optional columns, so they exist (and dbt can select them) even when every
    row of a load has them null. One dict per column: dlt writes each name into its dict."""
    return {name: {"data_type": data_type, "nullable": True} for name, data_type in types.items()}


@dlt.source(name="smartlead", max_table_nesting=0)
def smartlead_source(
    clients: SmartleadClients,
    mode: SyncMode = "delta",
    statistics_lookback_days: int = 30,
    mailbox_health_days: int = 29,
    today: date | None = None,
) -> Sequence[DltResource]:
    """The regular Smartlead sync. Resources:

    - ``campaigns``: campaign settings with analytics totals and ``metrics_hash``.
    - ``sequence_variants``: every step's A/B variants with ``body_plain``, ``body_preview`` and
      ``personalization_vars``.
    - ``lead_categories``: the account's reply categories.
    - ``email_accounts``: mailboxes with warmup stats; passwords dropped here, never loaded.
    - ``campaign_email_accounts``: which mailboxes send for which campaign.
    - ``email_statistics``: one row per sent email (variant, sent/open/click/reply time, bounce).
    - ``mailbox_health``: per-mailbox sent/bounced/replied over the trailing window.
    - ``message_history``: the full thread of every lead that replied.
    """
    plan = CampaignPlan(clients)
    day = today or clock.now().date()

    @dlt.resource(
        name="campaigns", write_disposition="merge", primary_key=("connection", "campaign_id"),
        columns=nullable_columns(
            parent_campaign_id="bigint", schedule_start_time="timestamp", client_id="bigint",
            min_time_btwn_emails="bigint", max_leads_per_day="bigint", send_as_plain_text="bool",
            follow_up_percentage="bigint", unsubscribe_text="text", stop_lead_settings="text",
            sent_count="bigint", unique_open_count="bigint", reply_count="bigint",
            bounce_count="bigint", unsubscribed_count="bigint", total_count="bigint",
            metrics_hash="text", lead_stats_total="bigint"),
    )
    def campaigns() -> Iterator[list[dict[str, Any]]]:
        # The whole row is fingerprinted: a rename or a pause moves no metric.
        rows = [campaign_row(info.connection, info.campaign, info.analytics)
                for info in plan.campaigns()]
        yield skip_unchanged_rows("rows", rows,
                                  lambda r: f"{r['connection']}:{r['campaign_id']}", mode)

    @dlt.resource(
        name="sequence_variants", write_disposition="merge",
        primary_key=("connection", "campaign_id", "variant_id"),
        columns=nullable_columns(variant_label="text", delay_in_days="bigint",
                                 seq_number="bigint"),
    )
    def sequence_variants() -> Iterator[list[dict[str, Any]]]:
        for info in changed(plan, "campaign_hash", mode):
            steps = plan.client_for(info.connection).sequences(info.id)
            yield list(variant_rows(info.connection, info.id, steps))

    @dlt.resource(name="lead_categories", write_disposition="merge",
                  primary_key=("connection", "category_id"),
                  columns=nullable_columns(sentiment_type="text", created_at="timestamp"))
    def lead_categories() -> Iterator[list[dict[str, Any]]]:
        for connection in clients.connections:
            rows = [{"connection": connection.name, "category_id": int(c["id"]),
                     "name": c.get("name"), "sentiment_type": c.get("sentiment_type"),
                     "created_at": parse_time(c.get("created_at"))}
                    for c in clients.get(connection).lead_categories()]
            yield skip_unchanged_rows("rows", rows,
                                      lambda r: f"{r['connection']}:{r['category_id']}", mode)

    @dlt.resource(name="email_accounts", write_disposition="merge",
                  primary_key=("connection", "email_account_id"),
                  columns=nullable_columns(
                      smtp_failure_error="text", imap_failure_error="text",
                      custom_tracking_domain="text", warmup_status="text",
                      warmup_reputation="double", warmup_spam_count="bigint",
                      warmup_sent_count="bigint", message_per_day="bigint",
                      daily_sent_count="bigint", client_id="bigint"))
    def email_accounts() -> Iterator[list[dict[str, Any]]]:
        for connection in clients.connections:
            rows = [email_account_row(connection.name, account)
                    for page in clients.get(connection).email_accounts() for account in page]
            yield skip_unchanged_rows(
                "rows", rows, lambda r: f"{r['connection']}:{r['email_account_id']}", mode)

    @dlt.resource(name="campaign_email_accounts", write_disposition="merge",
                  primary_key=("connection", "campaign_id", "email_account_id"))
    def campaign_email_accounts() -> Iterator[list[dict[str, Any]]]:
        for info in changed(plan, "campaign_hash", mode):
            accounts = plan.client_for(info.connection).campaign_email_accounts(info.id)
            yield [{"connection": info.connection, "campaign_id": info.id,
                    "email_account_id": int(a["id"]), "from_email": a.get("from_email")}
                   for a in accounts]

    @dlt.resource(name="email_statistics", write_disposition=UPSERT,
                  primary_key=("connection", "stats_id"))
    def email_statistics() -> Iterator[pa.Table]:
        last_sent: dict[str, str] = dlt.current.resource_state().setdefault("last_sent_date", {})

        def pages() -> Iterator[pa.Table]:
            for info in changed(plan, "campaign_hash", mode):
                if not info.has_sends:
                    continue
                client = plan.client_for(info.connection)
                since = None
                if mode == "delta" and info.key in last_sent:
                    since = date.fromisoformat(last_sent[info.key]) - timedelta(
                        days=statistics_lookback_days)
                bounced = {str(r.get("stats_id")) for page in
                           client.statistics(info.id, sent_from=since, email_status="bounced")
                           for r in page}
                for page in client.statistics(info.id, sent_from=since):
                    table = statistics_table(info.connection, info.id, page, bounced)
                    newest = pc.max(table["sent_time"]).as_py() if table.num_rows else None
                    if newest is not None:
                        day = newest.date().isoformat()
                        last_sent[info.key] = max(last_sent.get(info.key, day), day)
                    yield table

        yield from arrow_batches(pages())

    @dlt.resource(name="mailbox_health", write_disposition="merge",
                  primary_key=("connection", "email_account_id", "window_end"))
    def mailbox_health() -> Iterator[list[dict[str, Any]]]:
        start = day - timedelta(days=mailbox_health_days - 1)
        for connection in clients.connections:
            rows = []
            for m in clients.get(connection).mailbox_health(start, day):
                account_id = as_int(m.get("email_account_id") or m.get("id"))
                if account_id is None:
                    continue
                rows.append({
                    "connection": connection.name, "email_account_id": account_id,
                    "from_email": m.get("from_email"), "window_start": start, "window_end": day,
                    **{k: as_int(m.get(k)) or 0 for k in
                       ("sent", "opened", "replied", "bounced", "unsubscribed")},
                })
            yield skip_unchanged_rows(
                "rows", rows, lambda r: f"{r['connection']}:{r['email_account_id']}:{day}", mode)

    @dlt.resource(name="message_history", write_disposition="merge",
                  primary_key=("connection", "lead_id", "message_id"),
                  columns=nullable_columns(email_seq_number="bigint", stats_id="text",
                                           subject="text", time="timestamp"))
    def message_history() -> Iterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state()
        last_reply: dict[str, str] = state.setdefault("last_reply_time", {})
        touched = [info for info in changed(plan, "campaign_hash", mode)]
        by_connection: dict[str, list[int]] = {}
        for info in touched:
            by_connection.setdefault(info.connection, []).append(info.id)
        for connection_name, campaign_ids in by_connection.items():
            client = plan.client_for(connection_name)
            since = last_reply.get(connection_name) if mode == "delta" else None
            newest = since
            for page in client.inbox_replies(campaign_ids=campaign_ids, replied_since=since):
                for reply in page:
                    lead_id = as_int(reply.get("email_lead_id") or reply.get("lead_id")
                                     or reply.get("sl_email_lead_id"))
                    campaign_id = as_int(reply.get("email_campaign_id")
                                         or reply.get("campaign_id"))
                    if lead_id is None or campaign_id is None:
                        continue
                    history = client.message_history(campaign_id, lead_id)
                    yield list(message_rows(connection_name, campaign_id, lead_id, history))
                    replied_at = parse_time(reply.get("last_reply_time"))
                    if replied_at and (newest is None or replied_at.isoformat() > newest):
                        newest = replied_at.isoformat()
            if newest:
                last_reply[connection_name] = newest

    return (campaigns, sequence_variants, lead_categories, email_accounts,
            campaign_email_accounts, email_statistics, mailbox_health, message_history)


@dlt.source(name="smartlead_daily", max_table_nesting=0)
def smartlead_daily_source(
    clients: SmartleadClients, start: date | None = None, end: date | None = None,
    timezone: str = "UTC",
) -> Sequence[DltResource]:
    """Day-wise metrics per campaign for ``[start, end]``, in windows of at most 29 days.

    - ``campaign_daily_stats``: per campaign and day: sent and bounced on the send date,
      opened, replied and unsubscribed on the event date, positive replies on the reply date.
    - ``campaign_window_totals``: analytics-by-date totals for the same windows, the reference
      the daily series are reconciled against.
    """
    # Each pair of resources shares one walk over campaigns and windows.
    walked: dict[str, list[dict[str, Any]]] = {}

    def walk() -> dict[str, list[dict[str, Any]]]:
        if walked or start is None or end is None:
            return walked
        daily: list[dict[str, Any]] = []
        totals: list[dict[str, Any]] = []
        for connection in clients.connections:
            client = clients.get(connection)
            for campaign in client.campaigns():
                created = parse_time(campaign.get("created_at"))
                if str(campaign.get("status", "")).upper() == "DRAFTED":
                    continue
                if created is not None and created.date() > end:
                    continue
                campaign_id = int(campaign["id"])
                for window_start, window_end in windows(start, end):
                    daily.extend(_daily_rows(client, connection.name, campaign_id, window_start,
                                             window_end, timezone))
                    window = client.analytics_by_date(campaign_id, window_start, window_end) or {}
                    totals.append({
                        "connection": connection.name, "campaign_id": campaign_id,
                        "window_start": window_start, "window_end": window_end,
                        **{k: as_int(window.get(k)) for k in
                           ("sent_count", "unique_open_count", "reply_count", "bounce_count",
                            "unsubscribed_count")},
                    })
        walked["daily"], walked["totals"] = daily, totals
        return walked

    @dlt.resource(name="campaign_daily_stats", write_disposition="merge",
                  primary_key=("connection", "campaign_id", "date"))
    def campaign_daily_stats() -> Iterator[list[dict[str, Any]]]:
        yield walk().get("daily", [])

    @dlt.resource(name="campaign_window_totals", write_disposition="merge",
                  primary_key=("connection", "campaign_id", "window_start", "window_end"))
    def campaign_window_totals() -> Iterator[list[dict[str, Any]]]:
        yield walk().get("totals", [])

    return campaign_daily_stats, campaign_window_totals


def _daily_rows(client: SmartleadClient, connection: str, campaign_id: int, start: date,
                end: date, timezone: str) -> list[dict[str, Any]]:
    days: dict[date, dict[str, Any]] = {}
    current = start
    while current <= end:
        days[current] = {"connection": connection, "campaign_id": campaign_id, "date": current,
                         "sent": 0, "bounced": 0, "opened": 0, "replied": 0,
                         "unsubscribed": 0, "positive_replied": 0}
        current += timedelta(days=1)
    for stat in client.day_wise("sent_date", start, end, campaign_id=campaign_id,
                                timezone=timezone):
        days[stat.day]["sent"] = stat.metrics.get("sent", 0)
        days[stat.day]["bounced"] = stat.metrics.get("bounced", 0)
    for stat in client.day_wise("event_date", start, end, campaign_id=campaign_id):
        days[stat.day]["opened"] = stat.metrics.get("opened", 0)
        days[stat.day]["replied"] = stat.metrics.get("replied", 0)
        days[stat.day]["unsubscribed"] = stat.metrics.get("unsubscribed", 0)
    for stat in client.day_wise("positive_reply_date", start, end, campaign_id=campaign_id):
        metrics = stat.metrics
        days[stat.day]["positive_replied"] = metrics.get(
            "positive_replied", metrics.get("positive_reply_count", metrics.get("replied", 0)))
    return list(days.values())


@dlt.source(name="smartlead_enrollment", max_table_nesting=0)
def smartlead_enrollment_source(clients: SmartleadClients,
                                snapshot_date: date | None = None) -> DltResource:
    """``enrollment_snapshots``: each campaign's lead-status funnel as the API shows it now."""

    @dlt.resource(name="enrollment_snapshots", write_disposition="merge",
                  primary_key=("connection", "campaign_id", "snapshot_date"))
    def enrollment_snapshots() -> Iterator[list[dict[str, Any]]]:
        if snapshot_date is None:
            return
        for info in CampaignPlan(clients).campaigns():
            stats = (info.analytics or {}).get("campaign_lead_stats") or {}
            yield [{
                "connection": info.connection, "campaign_id": info.id,
                "snapshot_date": snapshot_date, "status": info.campaign.get("status"),
                **{_snake(k): as_int(stats.get(k)) or 0 for k in LEAD_STATS_FIELDS},
                "total_count": as_int((info.analytics or {}).get("total_count")),
            }]

    return enrollment_snapshots


def _snake(name: str) -> str:
    return {"notStarted": "not_started", "inprogress": "in_progress"}.get(name, name)


LEADS_SCHEMA = pa.schema([
    pa.field("connection", pa.string(), nullable=False),
    pa.field("campaign_id", pa.int64(), nullable=False),
    pa.field("lead_id", pa.int64(), nullable=False),
    ("campaign_lead_map_id", pa.int64()), ("lead_category_id", pa.int64()),
    ("status", pa.string()), ("enrolled_at", pa.timestamp("us", tz="UTC")),
    ("email", pa.string()), ("first_name", pa.string()), ("last_name", pa.string()),
    ("phone_number", pa.string()), ("company_name", pa.string()), ("website", pa.string()),
    ("location", pa.string()), ("linkedin_profile", pa.string()), ("company_url", pa.string()),
    ("is_unsubscribed", pa.bool_()), ("custom_fields", pa.string()),
])


def leads_table(connection: str, campaign_id: int, page: Sequence[dict[str, Any]]) -> pa.Table:
    records = []
    for item in page:
        lead = item.get("lead") or {}
        if lead.get("id") is None:
            continue
        records.append({
            "connection": connection, "campaign_id": campaign_id, "lead_id": int(lead["id"]),
            "campaign_lead_map_id": as_int(item.get("campaign_lead_map_id")),
            "lead_category_id": as_int(item.get("lead_category_id")),
            "status": item.get("status"), "enrolled_at": parse_time(item.get("created_at")),
            **{k: (None if lead.get(k) in (None, "") else str(lead.get(k))) for k in
               ("email", "first_name", "last_name", "phone_number", "company_name", "website",
                "location", "linkedin_profile", "company_url")},
            "is_unsubscribed": bool(lead.get("is_unsubscribed")),
            "custom_fields": json.dumps(lead.get("custom_fields") or {}, sort_keys=True),
        })
    return pa.Table.from_pylist(records, schema=LEADS_SCHEMA)


@dlt.source(name="smartlead_leads", max_table_nesting=0)
def smartlead_leads_source(clients: SmartleadClients,
                           campaigns: Sequence[CampaignInfo] = (),
                           mode: SyncMode = "delta") -> DltResource:
    """``campaign_leads``: every lead of the given campaigns (run in chunks to be resumable)."""

    @dlt.resource(name="campaign_leads", write_disposition=UPSERT,
                  primary_key=("connection", "campaign_id", "lead_id"))
    def campaign_leads() -> Iterator[pa.Table]:
        seen: dict[str, str] = dlt.current.resource_state().setdefault("synced_hash", {})
        for info in campaigns:
            if mode == "delta" and seen.get(info.key) == info.hash:
                continue
            client = next(clients.get(c) for c in clients.connections
                          if c.name == info.connection)
            yield from arrow_batches(
                leads_table(info.connection, info.id, page)
                for page in client.campaign_leads(info.id))
            seen[info.key] = info.hash

    return campaign_leads

