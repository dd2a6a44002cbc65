"""Unipile ingestion assets: LinkedIn relations, chats and messages into ``raw_unipile``."""

from collections.abc import Iterator

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from outbound_pipeline.defs.ingest import RawTableTranslator
from outbound_pipeline.defs.resources import (
    ConnectionsResource,
    WarehouseResource,
    pool_for,
    warehouse_kind,
)
from outbound_pipeline.http import PlatformError
from outbound_pipeline.platforms.unipile.source import UnipileClients, unipile_source
from outbound_pipeline.settings import Settings

DATASET = "raw_unipile"
GROUP = "unipile"

DESCRIPTIONS = {
    "relations": "Every LinkedIn account's relations (1st-degree connections): member id, "
                 "public identifier (null when LinkedIn withholds it), name, headline and when "
                 "the connection was made.",
    "chats": "LinkedIn chats per account: the attendee's provider id, last activity, unread "
             "count.",
    "messages": "Every LinkedIn message of every chat, sent and received, with is_sender "
                "(null when Unipile leaves it out). Incremental with a lookback.",
}



def build_unipile_defs(settings: Settings) -> dg.Definitions:
    import dlt

    kind = warehouse_kind(settings)

    @dlt_assets(
        dlt_source=unipile_source(UnipileClients([])),
        dlt_pipeline=dlt.pipeline(
            pipeline_name="unipile", destination=kind, dataset_name=DATASET,
            pipelines_dir=str(settings.data_dir / "dlt_specs")),
        name="unipile_sync",
        dagster_dlt_translator=RawTableTranslator("unipile", kind, DESCRIPTIONS),
        pool=pool_for(settings, "unipile"),
    )
    def unipile_sync(context: dg.AssetExecutionContext, dlt: DagsterDltResource,
                     connections: ConnectionsResource, warehouse: WarehouseResource) -> Iterator:
        """Relations, chats and new messages of every LinkedIn account."""
        clients = UnipileClients(connections.for_platform("unipile"))
        try:
            source = unipile_source(clients)
            for result in dlt.run(context=context, dlt_source=source,
                                  dlt_pipeline=warehouse.pipeline("unipile", DATASET)):
                if isinstance(result, dg.MaterializeResult):
                    yield dg.MaterializeResult(
                        asset_key=result.asset_key,
                        metadata={**(result.metadata or {}), **clients.stats().as_metadata()},
                        tags=result.tags)
                else:
                    yield result
        except PlatformError as exc:
            raise dg.Failure(description=str(exc)) from None
        finally:
            clients.close()

    job = dg.define_asset_job("unipile_sync_job", selection=dg.AssetSelection.groups(GROUP),
                              description="LinkedIn relations, chats and messages into "
                                          "raw_unipile.")
    return dg.Definitions(
        assets=[unipile_sync], jobs=[job],
        schedules=[dg.ScheduleDefinition(
            name="unipile_sync_hourly", job=job, cron_schedule="15 * * * *",
            default_status=dg.DefaultScheduleStatus.STOPPED)],
    )
