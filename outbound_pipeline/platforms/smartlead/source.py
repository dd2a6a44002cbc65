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

Real accounts: every table is declared (``schema``) and created even when a resource has no rows,
a value the API leaves out stays null (never a zero), and an endpoint the account cannot use
(403/404) is recorded in ``SmartleadClients.availability`` instead of failing the sync: the
tables that need it skip that connection, everything else loads (``availability``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from outbound_pipeline import clock
from outbound_pipeline.connections import Connection
from outbound_pipeline.http import ClientPool
from outbound_pipeline.platforms.smartlead.availability import (
    CAMPAIGN_ANALYTICS,
    CAMPAIGN_LIST,
    MAILBOX_LIST,
    Availability,
)
from outbound_pipeline.platforms.smartlead.client import (
    SmartleadClient,
    as_int,
    windows,
)
from outbound_pipeline.platforms.smartlead.rows import (
    LEADS_SCHEMA,
    STATISTICS_SCHEMA,
    UPSERT,
    arrow_batches,
    campaign_row,
    content_hash,
    email_account_row,
    leads_table,
    mailbox_health_rows,
    message_rows,
    metrics_hash,
    parse_time,
    statistics_table,
    variant_rows,
)
from outbound_pipeline.platforms.smartlead.schema import hints

SyncMode = Literal["delta", "full"]

LEAD_STATS_FIELDS = (
    "total", "notStarted", "inprogress", "completed", "paused", "stopped", "blocked",
    "interested", "revenue",
)
WINDOW_TOTAL_FIELDS = ("sent_count", "unique_open_count", "reply_count", "bounce_count",
                       "unsubscribed_count")

log = logging.getLogger(__name__)


def materialize_table() -> Any:
    """The item that makes dlt create a resource's table (with its declared columns) even
    when the resource yields no rows. The Arrow resources (upsert) yield an empty table of
    their schema instead: dlt would take this marker for a row without a key."""
    return dlt.mark.materialize_table_schema()


# ---------------------------------------------------------------------------------------------
# Clients shared by the resources of one run


class SmartleadClients(ClientPool[SmartleadClient]):
    """One Smartlead client per connection for the duration of a run, and the endpoints the
    run found unavailable (``availability``)."""

    def __init__(
        self,
        connections: Sequence[Connection],
        factory: Callable[[Connection], SmartleadClient] = SmartleadClient.for_connection,
    ) -> None:
        super().__init__(connections, factory)
        self.availability = Availability()


# ---------------------------------------------------------------------------------------------
# The campaign plan: list + analytics, fetched once per run and shared by the resources


@dataclass
class CampaignInfo:
    connection: str
    campaign: dict[str, Any]
    analytics: dict[str, Any] | None
    analytics_known: bool = True
    """False when the analytics endpoint was unavailable to the connection: the totals are
    unknown (not zero), so the campaign counts as changed and as having sends."""

    @property
    def id(self) -> int:
        return int(self.campaign["id"])

    @property
    def key(self) -> str:
        return f"{self.connection}:{self.id}"

    @property
    def hash(self) -> str | None:
        """What says the campaign's details may have moved: its metrics (seed 002's
        metrics_hash) or an edit (``updated_at``); None when the metrics are unknown."""
        if not self.analytics_known:
            return None
        metrics = metrics_hash(self.analytics) if self.analytics else "missing"
        return f"{metrics}|{self.campaign.get('updated_at')}"

    @property
    def has_sends(self) -> bool:
        if not self.analytics_known:
            return True
        return bool(self.analytics) and (as_int(self.analytics.get("sent_count")) or 0) > 0


@dataclass
class CampaignPlan:
    """Every connection's campaigns with their analytics, fetched once per run. A connection
    whose campaign list is unavailable has no campaigns here; one whose analytics endpoint is
    unavailable has its campaigns with ``analytics_known`` false (both recorded in
    ``clients.availability``)."""

    clients: SmartleadClients
    _campaigns: list[CampaignInfo] | None = field(default=None, repr=False)

    def campaigns(self) -> list[CampaignInfo]:
        if self._campaigns is None:
            found = []
            for connection in self.clients.connections:
                found.extend(self._campaigns_of(connection))
            self._campaigns = found
        return self._campaigns

    def _campaigns_of(self, connection: Connection) -> list[CampaignInfo]:
        availability = self.clients.availability
        client = self.clients.get(connection)
        listed = availability.attempt(connection.name, CAMPAIGN_LIST, client.campaigns) or []
        found = []
        for campaign in listed:
            analytics = None
            if not availability.blocked(CAMPAIGN_ANALYTICS, connection.name):
                analytics = availability.attempt(connection.name, CAMPAIGN_ANALYTICS,
                                                 client.campaign_analytics, int(campaign["id"]))
            known = not availability.blocked(CAMPAIGN_ANALYTICS, connection.name)
            found.append(CampaignInfo(connection.name, campaign, analytics, known))
        return found

    def client_for(self, connection_name: str) -> SmartleadClient:
        for connection in self.clients.connections:
            if connection.name == connection_name:
                return self.clients.get(connection)
        raise KeyError(connection_name)


def _never(connection: str) -> bool:
    return False


def changed(plan: CampaignPlan, state_key: str, mode: SyncMode,
            blocked: Callable[[str], bool] = _never, *, record: bool = True
            ) -> Iterator[CampaignInfo]:
    """Campaigns whose hash moved since this resource last saw them (all of them in full mode,
    and those whose hash is unknown), leaving out connections ``blocked`` says this resource
    cannot fetch.

    With ``record`` the new hash is recorded once the caller has consumed the campaign (unless
    the connection became blocked meanwhile); dlt commits the state together with the rows, so
    a failed run re-fetches what it did not load. Without it the caller records with
    :func:`record_seen`.
    """
    seen: dict[str, str] = dlt.current.resource_state().setdefault(state_key, {})
    for info in plan.campaigns():
        if blocked(info.connection):
            continue
        if mode == "delta" and info.hash is not None and seen.get(info.key) == info.hash:
            continue
        yield info
        if record and info.hash is not None and not blocked(info.connection):
            seen[info.key] = info.hash


def record_seen(state_key: str, infos: Iterable[CampaignInfo]) -> None:
    """Records campaigns' hashes as loaded (see :func:`changed`)."""
    seen: dict[str, str] = dlt.current.resource_state().setdefault(state_key, {})
    for info in infos:
        if info.hash is not None:
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
    - ``mailbox_health``: per-mailbox sent/bounced/replied over the trailing window, joined to
      the mailboxes by address.
    - ``message_history``: the full thread of every lead that replied.
    """
    plan = CampaignPlan(clients)
    availability = clients.availability
    day = today or clock.now().date()
    mailboxes: dict[str, list[dict[str, Any]] | None] = {}

    def blocked(scope: str) -> Callable[[str], bool]:
        return lambda connection: availability.blocked(scope, connection)

    def mailbox_rows(connection: Connection) -> list[dict[str, Any]] | None:
        """The account's mailboxes (passwords dropped), fetched once for both tables that
        need them; None when the list is unavailable."""
        if connection.name not in mailboxes:
            mailboxes[connection.name] = availability.attempt(
                connection.name, MAILBOX_LIST, _email_account_rows, clients.get(connection),
                connection.name)
        return mailboxes[connection.name]

    @dlt.resource(name="campaigns", write_disposition="merge", **hints("campaigns"))
    def campaigns() -> Iterator[Any]:
        yield materialize_table()
        # The whole row is fingerprinted: a rename or a pause moves no metric.
        rows = [campaign_row(info.connection, info.campaign, info.analytics)
                for info in plan.campaigns()]
        yield skip_unchanged_rows("rows", rows,
                                  lambda r: f"{r['connection']}:{r['campaign_id']}", mode)

    @dlt.resource(name="sequence_variants", write_disposition="merge",
                  **hints("sequence_variants"))
    def sequence_variants() -> Iterator[Any]:
        yield materialize_table()
        for info in changed(plan, "campaign_hash", mode, blocked("sequence_variants")):
            steps = availability.attempt(info.connection, "sequence_variants",
                                         plan.client_for(info.connection).sequences, info.id)
            if steps is not None:
                yield list(variant_rows(info.connection, info.id, steps))

    @dlt.resource(name="lead_categories", write_disposition="merge", **hints("lead_categories"))
    def lead_categories() -> Iterator[Any]:
        yield materialize_table()
        for connection in clients.connections:
            categories = availability.attempt(connection.name, "lead_categories",
                                              clients.get(connection).lead_categories)
            if categories is None:
                continue
            rows = [{"connection": connection.name, "category_id": int(c["id"]),
                     "name": c.get("name"), "sentiment_type": c.get("sentiment_type"),
                     "created_at": parse_time(c.get("created_at"))} for c in categories]
            yield skip_unchanged_rows("rows", rows,
                                      lambda r: f"{r['connection']}:{r['category_id']}", mode)

    @dlt.resource(name="email_accounts", write_disposition="merge", **hints("email_accounts"))
    def email_accounts() -> Iterator[Any]:
        yield materialize_table()
        for connection in clients.connections:
            rows = mailbox_rows(connection)
            if rows is not None:
                yield skip_unchanged_rows(
                    "rows", rows, lambda r: f"{r['connection']}:{r['email_account_id']}", mode)

    @dlt.resource(name="campaign_email_accounts", write_disposition="merge",
                  **hints("campaign_email_accounts"))
    def campaign_email_accounts() -> Iterator[Any]:
        yield materialize_table()
        for info in changed(plan, "campaign_hash", mode, blocked("campaign_email_accounts")):
            accounts = availability.attempt(
                info.connection, "campaign_email_accounts",
                plan.client_for(info.connection).campaign_email_accounts, info.id)
            if accounts is not None:
                yield [{"connection": info.connection, "campaign_id": info.id,
                        "email_account_id": int(a["id"]), "from_email": a.get("from_email")}
                       for a in accounts]

    @dlt.resource(name="email_statistics", write_disposition=UPSERT,
                  **hints("email_statistics"))
    def email_statistics() -> Iterator[Any]:
        yield STATISTICS_SCHEMA.empty_table()
        last_sent: dict[str, str] = dlt.current.resource_state().setdefault("last_sent_date", {})

        def pages() -> Iterator[pa.Table]:
            for info in changed(plan, "campaign_hash", mode, blocked("email_statistics")):
                if not info.has_sends:
                    continue
                since = None
                if mode == "delta" and info.key in last_sent:
                    since = date.fromisoformat(last_sent[info.key]) - timedelta(
                        days=statistics_lookback_days)
                with availability.guard(info.connection, "email_statistics"):
                    yield from _campaign_statistics(plan.client_for(info.connection), info,
                                                    since, last_sent)

        yield from arrow_batches(pages())

    @dlt.resource(name="mailbox_health", write_disposition="merge", **hints("mailbox_health"))
    def mailbox_health() -> Iterator[Any]:
        yield materialize_table()
        start = day - timedelta(days=mailbox_health_days - 1)
        for connection in clients.connections:
            accounts = mailbox_rows(connection)
            if accounts is None:  # reported through the mailbox list
                continue
            items = availability.attempt(connection.name, "mailbox_health",
                                         clients.get(connection).mailbox_health, start, day)
            if items is None:
                continue
            rows = mailbox_health_rows(connection.name, items, accounts, start, day)
            if len(rows) < len(items):
                log.warning("mailbox health of %s: %d of %d mailboxes match no email account "
                            "by address and were left out", connection.name,
                            len(items) - len(rows), len(items))
            yield skip_unchanged_rows(
                "rows", rows, lambda r: f"{r['connection']}:{r['email_account_id']}:{day}", mode)

    @dlt.resource(name="message_history", write_disposition="merge", **hints("message_history"))
    def message_history() -> Iterator[Any]:
        yield materialize_table()
        last_reply: dict[str, str] = dlt.current.resource_state().setdefault(
            "last_reply_time", {})
        by_connection: dict[str, list[CampaignInfo]] = {}
        for info in changed(plan, "campaign_hash", mode, record=False):
            by_connection.setdefault(info.connection, []).append(info)
        for connection_name, infos in by_connection.items():
            since = last_reply.get(connection_name) if mode == "delta" else None
            with availability.guard(connection_name, "message_history"):
                yield from _threads(plan.client_for(connection_name), connection_name,
                                    infos, since, last_reply)
                record_seen("campaign_hash", infos)

    return (campaigns, sequence_variants, lead_categories, email_accounts,
            campaign_email_accounts, email_statistics, mailbox_health, message_history)


def _email_account_rows(client: SmartleadClient, connection: str) -> list[dict[str, Any]]:
    return [email_account_row(connection, account)
            for page in client.email_accounts() for account in page]


def _campaign_statistics(client: SmartleadClient, info: CampaignInfo, since: date | None,
                         last_sent: dict[str, str]) -> Iterator[pa.Table]:
    """One campaign's emails sent from ``since`` on; its newest send day goes into
    ``last_sent`` once every page is read."""
    bounced = {str(r.get("stats_id")) for page in
               client.statistics(info.id, sent_from=since, email_status="bounced")
               for r in page}
    newest: str | None = None
    for page in client.statistics(info.id, sent_from=since):
        table = statistics_table(info.connection, info.id, page, bounced)
        latest = pc.max(table["sent_time"]).as_py() if table.num_rows else None
        if latest is not None:
            newest = max(newest or "", latest.date().isoformat())
        yield table
    if newest:
        last_sent[info.key] = max(last_sent.get(info.key, newest), newest)


def _threads(client: SmartleadClient, connection: str, infos: Sequence[CampaignInfo],
             since: str | None, last_reply: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    """The thread of every lead of these campaigns that replied since ``since``; the newest
    reply time goes into ``last_reply`` once the inbox is read."""
    newest = since
    for page in client.inbox_replies(campaign_ids=[i.id for i in infos], replied_since=since):
        for reply in page:
            lead_id = as_int(reply.get("email_lead_id") or reply.get("lead_id")
                             or reply.get("sl_email_lead_id"))
            campaign_id = as_int(reply.get("email_campaign_id") or reply.get("campaign_id"))
            if lead_id is None or campaign_id is None:
                continue
            history = client.message_history(campaign_id, lead_id)
            yield list(message_rows(connection, campaign_id, lead_id, history))
            replied_at = parse_time(reply.get("last_reply_time"))
            if replied_at and (newest is None or replied_at.isoformat() > newest):
                newest = replied_at.isoformat()
    if newest:
        last_reply[connection] = newest


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
    # Each pair of resources shares one walk over campaigns and windows. A series whose
    # endpoint is unavailable to a connection is skipped for it (``clients.availability``);
    # the other series is still fetched.
    walked: dict[str, list[dict[str, Any]]] = {}
    availability = clients.availability

    def walk() -> dict[str, list[dict[str, Any]]]:
        if walked or start is None or end is None:
            return walked
        daily: list[dict[str, Any]] = []
        totals: list[dict[str, Any]] = []
        for connection in clients.connections:
            client = clients.get(connection)
            name = connection.name
            for campaign in availability.attempt(name, CAMPAIGN_LIST, client.campaigns) or []:
                created = parse_time(campaign.get("created_at"))
                if str(campaign.get("status", "")).upper() == "DRAFTED":
                    continue
                if created is not None and created.date() > end:
                    continue
                campaign_id = int(campaign["id"])
                for window_start, window_end in windows(start, end):
                    if not availability.blocked("campaign_daily_stats", name):
                        daily.extend(availability.attempt(
                            name, "campaign_daily_stats", _daily_rows, client, name,
                            campaign_id, window_start, window_end, timezone) or [])
                    if availability.blocked("campaign_window_totals", name):
                        continue
                    window = availability.attempt(name, "campaign_window_totals",
                                                  client.analytics_by_date, campaign_id,
                                                  window_start, window_end)
                    if not availability.blocked("campaign_window_totals", name):
                        totals.append(_window_totals(name, campaign_id, window_start,
                                                     window_end, window or {}))
        walked["daily"], walked["totals"] = daily, totals
        return walked

    @dlt.resource(name="campaign_daily_stats", write_disposition="merge",
                  **hints("campaign_daily_stats"))
    def campaign_daily_stats() -> Iterator[Any]:
        yield materialize_table()
        yield walk().get("daily", [])

    @dlt.resource(name="campaign_window_totals", write_disposition="merge",
                  **hints("campaign_window_totals"))
    def campaign_window_totals() -> Iterator[Any]:
        yield materialize_table()
        yield walk().get("totals", [])

    return campaign_daily_stats, campaign_window_totals


def _window_totals(connection: str, campaign_id: int, start: date, end: date,
                   window: dict[str, Any]) -> dict[str, Any]:
    """analytics-by-date's totals for one window; a count the answer leaves out stays null."""
    return {"connection": connection, "campaign_id": campaign_id, "window_start": start,
            "window_end": end, **{k: as_int(window.get(k)) for k in WINDOW_TOTAL_FIELDS}}


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
        # Opens and unsubscribes are left out by accounts that do not track them: null then.
        days[stat.day]["opened"] = stat.metrics.get("opened")
        days[stat.day]["replied"] = stat.metrics.get("replied", 0)
        days[stat.day]["unsubscribed"] = stat.metrics.get("unsubscribed")
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
                  **hints("enrollment_snapshots"))
    def enrollment_snapshots() -> Iterator[Any]:
        yield materialize_table()
        if snapshot_date is None:
            return
        for info in CampaignPlan(clients).campaigns():
            if not info.analytics_known:  # the funnel is in the analytics answer
                continue
            stats = (info.analytics or {}).get("campaign_lead_stats") or {}
            yield [{
                "connection": info.connection, "campaign_id": info.id,
                "snapshot_date": snapshot_date, "status": info.campaign.get("status"),
                **{_snake(k): as_int(stats.get(k)) for k in LEAD_STATS_FIELDS},
                "total_count": as_int((info.analytics or {}).get("total_count")),
            }]

    return enrollment_snapshots


def _snake(name: str) -> str:
    return {"notStarted": "not_started", "inprogress": "in_progress"}.get(name, name)


@dlt.source(name="smartlead_leads", max_table_nesting=0)
def smartlead_leads_source(clients: SmartleadClients,
                           campaigns: Sequence[CampaignInfo] = (),
                           mode: SyncMode = "delta") -> DltResource:
    """``campaign_leads``: every lead of the given campaigns (run in chunks to be resumable)."""

    @dlt.resource(name="campaign_leads", write_disposition=UPSERT, **hints("campaign_leads"))
    def campaign_leads() -> Iterator[Any]:
        yield LEADS_SCHEMA.empty_table()
        seen: dict[str, str] = dlt.current.resource_state().setdefault("synced_hash", {})
        for info in campaigns:
            if mode == "delta" and info.hash is not None and seen.get(info.key) == info.hash:
                continue
            client = next(clients.get(c) for c in clients.connections
                          if c.name == info.connection)
            yield from arrow_batches(
                leads_table(info.connection, info.id, page)
                for page in client.campaign_leads(info.id))
            if info.hash is not None:
                seen[info.key] = info.hash

    return campaign_leads

