"""Smartlead ingestion assets: the 2-hourly sync, daily metrics, enrollment snapshots, leads.

An endpoint an account cannot use (403 or 404, e.g. a plan without the analytics API) does not
fail the run: the source loads everything else, and each table that needed the endpoint shows
it in the UI: its materialization metadata (``unavailable_endpoints``) names the endpoint, the
status and the connection, a warning says so in the run's log, and its ``endpoints_available``
check fails.
"""


from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Literal

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, dlt_assets
from dlt.extract.source import DltSource

from outbound_pipeline import clock
from outbound_pipeline.defs.checks import (
    UNAVAILABLE_METADATA,
    build_endpoint_checks,
    describe_unavailable,
)
from outbound_pipeline.defs.ingest import RawTableTranslator
from outbound_pipeline.defs.resources import (
    OWNERS,
    ConnectionsResource,
    WarehouseResource,
    pool_for,
    warehouse_kind,
)
from outbound_pipeline.http import PlatformError
from outbound_pipeline.platforms.smartlead.source import (
    CampaignPlan,
    SmartleadClients,
    smartlead_daily_source,
    smartlead_enrollment_source,
    smartlead_leads_source,
    smartlead_source,
)
from outbound_pipeline.settings import Settings
from outbound_pipeline.warehouse import Warehouse

DATASET = "raw_smartlead"
GROUP = "smartlead"
LEADS_CHUNK = 5
"""Campaigns per committed load in the leads sync: the unit a killed run resumes from."""

DESCRIPTIONS = {
    "campaigns": "Smartlead campaigns with settings, analytics totals (sent, opened, replied, "
                 "bounced, ...) and the seed 002 metrics_hash used to skip unchanged campaigns.",
    "sequence_variants": "Every sequence step's A/B variants: subject, HTML and plain body, a "
                         "200-character preview and the {{personalization}} variables used.",
    "lead_categories": "The account's reply categories (defaults and custom ones).",
    "email_accounts": "Sending mailboxes with SMTP/IMAP health and warmup stats. Passwords are "
                      "dropped before loading.",
    "campaign_email_accounts": "Which mailboxes send for which campaign.",
    "email_statistics": "One row per sent email: step, variant, sent/open/click/reply times and "
                        "whether it bounced. Incremental with a lookback for late replies.",
    "mailbox_health": "Per-mailbox sent, bounced, replied and unsubscribed over the trailing "
                      "29 days, one row per mailbox per sync day.",
    "message_history": "The full thread (sent steps, replies, manual follow-ups) of every lead "
                       "that replied: the input of reply classification.",
    "campaign_daily_stats": "Per campaign and day: sent and bounced on the send date; opened, "
                            "replied, unsubscribed on the event date; positive replies on the "
                            "reply date. Daily partitions; backfills run as one request window "
                            "of up to 29 days per campaign and series.",
    "campaign_window_totals": "analytics-by-date totals for the same windows as the daily "
                              "series: the reference they are reconciled against.",
    "enrollment_snapshots": "Each campaign's lead funnel (not started, in progress, completed, "
                            "paused, stopped, blocked) as of the partition's day. Only today "
                            "can be captured: the API has no history.",
    "campaign_leads": "Every lead enrolled in every campaign. Not scheduled by default (slow on "
                      "large accounts, seed 002); resumable per campaign.",
}



class SmartleadSyncConfig(dg.Config):
    """Sync modes (seed 003): ``delta`` fetches only campaigns whose metrics moved (default);
    ``full`` re-fetches everything and merges; ``reset`` drops the raw tables and their state
    first, then loads everything again."""

    mode: Literal["delta", "full", "reset"] = "delta"
    statistics_lookback_days: int = 30


def _run_source(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    connections: ConnectionsResource,
    pipeline: dlt.Pipeline,
    make_source: Callable[[SmartleadClients], DltSource],
    warehouse: Warehouse,
    **run_kwargs: object,
) -> Iterator:
    """Runs a Smartlead source for every connection; adds the requests made (and 429s seen)
    and the rows loaded (0 included) to each asset's materialization metadata, and the
    endpoints that were unavailable to the tables that needed them (``unavailable_endpoints``,
    which the ``endpoints_available`` check reads, and a warning in the run's log)."""
    clients = SmartleadClients(connections.for_platform("smartlead"))
    availability = clients.availability
    try:
        source = warehouse.prefer_bulk_load(make_source(clients))
        results = dlt.run(context=context, dlt_source=source, dlt_pipeline=pipeline,
                          **run_kwargs)
        for result in results:
            if isinstance(result, dg.MaterializeResult) and result.asset_key is not None:
                metadata = {"rows_loaded": 0, **(result.metadata or {}),
                            **clients.stats().as_metadata()}
                found = availability.for_table(result.asset_key.path[-1])
                if found:
                    metadata[UNAVAILABLE_METADATA] = dg.MetadataValue.md(
                        describe_unavailable(found))
                    context.log.warning(
                        f"{result.asset_key.to_user_string()} is incomplete: "
                        + "; ".join(f.describe() for f in found))
                yield dg.MaterializeResult(asset_key=result.asset_key, metadata=metadata,
                                           tags=result.tags)
            else:
                yield result
    finally:
        clients.close()


def _spec_pipeline(name: str, settings: Settings) -> dlt.Pipeline:
    # Used only to derive asset specs at load time; runs build theirs from WarehouseResource.
    # Kept apart from the runs' working folders so loading definitions never reads their state.
    return dlt.pipeline(
        pipeline_name=name, destination=warehouse_kind(settings), dataset_name=DATASET,
        pipelines_dir=str(settings.data_dir / "dlt_specs"),
    )


def _today() -> str:
    return clock.now().date().isoformat()


def build_smartlead_defs(settings: Settings) -> dg.Definitions:
    kind = warehouse_kind(settings)
    translator = RawTableTranslator("smartlead", kind, DESCRIPTIONS)
    pool = pool_for(settings, "smartlead")
    spec_clients = SmartleadClients([])
    daily = dg.DailyPartitionsDefinition(start_date=settings.history_start.isoformat())
    snapshot_days = dg.DailyPartitionsDefinition(
        start_date=settings.history_start.isoformat(), end_offset=1
    )

    @dlt_assets(
        dlt_source=smartlead_source(spec_clients),
        dlt_pipeline=_spec_pipeline("smartlead", settings),
        name="smartlead_sync",
        dagster_dlt_translator=translator,
        pool=pool,
    )
    def smartlead_sync(
        context: dg.AssetExecutionContext,
        config: SmartleadSyncConfig,
        dlt: DagsterDltResource,
        connections: ConnectionsResource,
        warehouse: WarehouseResource,
    ) -> Iterator:
        """The regular Smartlead sync of every configured account."""
        mode = "delta" if config.mode == "delta" else "full"
        yield from _run_source(
            context, dlt, connections, warehouse.pipeline("smartlead", DATASET),
            lambda clients: smartlead_source(
                clients, mode=mode, statistics_lookback_days=config.statistics_lookback_days),
            warehouse.warehouse,
            refresh="drop_sources" if config.mode == "reset" else None,
        )

    @dlt_assets(
        dlt_source=smartlead_daily_source(spec_clients),
        dlt_pipeline=_spec_pipeline("smartlead_daily", settings),
        name="smartlead_daily_metrics",
        dagster_dlt_translator=translator,
        partitions_def=daily,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=pool,
    )
    def smartlead_daily_metrics(
        context: dg.AssetExecutionContext,
        dlt: DagsterDltResource,
        connections: ConnectionsResource,
        warehouse: WarehouseResource,
    ) -> Iterator:
        """Day-wise series for the partition range (a backfill is one run)."""
        window = context.partition_time_window
        start = window.start.date()
        end = (window.end - timedelta(days=1)).date()
        context.log.info(f"Smartlead day-wise series {start}..{end}")
        yield from _run_source(
            context, dlt, connections, warehouse.pipeline("smartlead_daily", DATASET),
            lambda clients: smartlead_daily_source(clients, start=start, end=end),
            warehouse.warehouse,
        )

    @dlt_assets(
        dlt_source=smartlead_enrollment_source(spec_clients),
        dlt_pipeline=_spec_pipeline("smartlead_enrollment", settings),
        name="smartlead_enrollment_snapshots",
        dagster_dlt_translator=translator,
        partitions_def=snapshot_days,
        pool=pool,
    )
    def smartlead_enrollment_snapshots(
        context: dg.AssetExecutionContext,
        dlt: DagsterDltResource,
        connections: ConnectionsResource,
        warehouse: WarehouseResource,
    ) -> Iterator:
        """Today's enrollment funnel; a past partition cannot be captured and fails clearly."""
        keys = context.partition_keys
        today = _today()
        if keys != [today]:
            raise dg.Failure(
                description=(
                    f"enrollment_snapshots can only be captured for today ({today} UTC): "
                    "Smartlead returns only the current lead statuses, so past days "
                    f"({', '.join(k for k in keys if k != today)}) cannot be reconstructed."
                )
            )
        yield from _run_source(
            context, dlt, connections, warehouse.pipeline("smartlead_enrollment", DATASET),
            lambda clients: smartlead_enrollment_source(
                clients, snapshot_date=clock.now().date()),
            warehouse.warehouse,
        )

    @dg.asset(
        key=dg.AssetKey(["raw", "smartlead", "campaign_leads"]),
        group_name=GROUP,
        owners=OWNERS,
        description=DESCRIPTIONS["campaign_leads"],
        kinds={"dlt", kind},
        tags={"platform": "smartlead", "layer": "raw"},
        pool=pool,
    )
    def smartlead_campaign_leads(
        context: dg.AssetExecutionContext,
        config: SmartleadSyncConfig,
        connections: ConnectionsResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        """Leads of every campaign, committed every few campaigns so a killed run resumes."""
        clients = SmartleadClients(connections.for_platform("smartlead"))
        mode = "delta" if config.mode == "delta" else "full"
        pipeline = warehouse.pipeline("smartlead_leads", DATASET)
        # A crashed run may have left local packages behind; the warehouse holds the truth.
        pipeline.drop()
        rows = 0
        campaigns: list = []
        try:
            campaigns = CampaignPlan(clients).campaigns()
            chunks = [campaigns[i:i + LEADS_CHUNK] for i in range(0, len(campaigns), LEADS_CHUNK)]
            for number, chunk in enumerate(chunks, 1):
                info = pipeline.run(
                    warehouse.warehouse.prefer_bulk_load(
                        smartlead_leads_source(clients, chunk, mode=mode)),
                    refresh="drop_sources" if (config.mode == "reset" and number == 1) else None,
                )
                info.raise_on_failed_jobs()
                normalized = pipeline.last_trace.last_normalize_info
                rows += normalized.row_counts.get("campaign_leads", 0) if normalized else 0
                context.log.info(f"campaign leads: chunk {number}/{len(chunks)} committed")
            requests = clients.stats().as_metadata()
        except PlatformError as exc:
            raise dg.Failure(description=str(exc)) from None
        finally:
            clients.close()
        metadata = {"rows_loaded": rows, "campaigns": len(campaigns), **requests}
        found = clients.availability.for_table("campaign_leads")
        if found:  # what could be fetched is committed; the rest is named
            raise dg.Failure(
                description="campaign_leads is incomplete: "
                            + "; ".join(f.describe() for f in found),
                metadata={**metadata,
                          UNAVAILABLE_METADATA: dg.MetadataValue.md(describe_unavailable(found))},
            )
        return dg.MaterializeResult(metadata=metadata)

    loads = (smartlead_sync, smartlead_daily_metrics, smartlead_enrollment_snapshots)
    return dg.Definitions(
        assets=[*loads, smartlead_campaign_leads],
        asset_checks=[build_endpoint_checks(f"{load.op.name}_endpoints", list(load.keys))
                      for load in loads],
    )
