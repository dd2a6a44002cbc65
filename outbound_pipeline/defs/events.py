"""Event-driven Dagster definitions: the landing sensor, the load of landed webhook events and
the job that rebuilds the models that depend on them.

The receiver (``outbound webhooks serve``) only lands events in sealed segments. The sensor
looks for segments sealed after its cursor and asks for one run of ``landing_job`` over them;
the run loads them into ``landing.webhook_events`` (each segment once, in its own transaction)
and rebuilds the event-driven dbt models (``email_activities``, ``hourly_metrics``,
``contacts`` and the hand-offs to lead routing and LinkedIn).
"""


from collections.abc import Iterator

import dagster as dg

from outbound_pipeline.defs.resources import OWNERS, WarehouseResource, warehouse_kind
from outbound_pipeline.settings import Settings
from outbound_pipeline.webhooks.landing import LandingStore
from outbound_pipeline.webhooks.load import load_segments

WEBHOOK_EVENTS = dg.AssetKey(["landing", "webhook_events"])


def landed_event_types(asset_event: dg.EventLogEntry) -> dict[str, int]:
    """``{"<platform>.<event_type>": count}`` of the events a landing run loaded (its
    materialization's ``event_types``), for sensors that start work on some of them."""
    materialization = asset_event.asset_materialization
    types = materialization.metadata.get("event_types") if materialization else None
    counts = types.value if types is not None else {}
    return counts if isinstance(counts, dict) else {}
LANDING_JOB = "landing_job"
MAX_SEGMENTS_PER_RUN = 500
SEGMENTS_TAG = "outbound/segments"

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


class LandingLoadConfig(dg.Config):
    segments: list[str] = []
    """Segment ids to load, oldest first. Empty: every sealed segment not loaded yet."""
    reload: bool = False
    """Load the segments again even if already loaded (rows still merge on the event key)."""


def build_events_defs(settings: Settings, event_driven_models: dg.AssetSelection,
                      ) -> dg.Definitions:
    kind = warehouse_kind(settings)
    landing_dir = settings.landing_dir

    @dg.asset(
        key=WEBHOOK_EVENTS,
        group_name="landing",
        kinds={"python", kind},
        owners=OWNERS,
        pool="duckdb_writer" if kind == "duckdb" else None,
        description=(
            "Webhook events from every platform and lead intake, one row per event key: landed "
            "by the receiver in sealed segments, loaded by the landing sensor's runs. A "
            "redelivered or replayed event keeps one row; each segment loads once."
        ),
    )
    def webhook_events(context: dg.AssetExecutionContext, config: LandingLoadConfig,
                       warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
        store = LandingStore(landing_dir)
        segments = config.segments or [s.segment_id for s in store.sealed_after(None)]
        result = load_segments(warehouse.warehouse, store, segments, run_id=context.run.run_id,
                               reload=config.reload)
        context.log.info(
            f"loaded {len(result.segments_loaded)} segment(s) "
            f"({len(result.segments_skipped)} already loaded): {result.events_read} events, "
            f"{result.new_events} new, {result.duplicates} duplicates"
        )
        metadata: dict[str, dg.RawMetadataValue] = {
            "segments_loaded": len(result.segments_loaded),
            "segments_skipped": len(result.segments_skipped),
            "first_segment": result.segments_loaded[0] if result.segments_loaded else None,
            "last_segment": result.segments_loaded[-1] if result.segments_loaded else None,
            "events_read": result.events_read,
            "new_events": result.new_events,
            "duplicates": result.duplicates,
            "unparsed": result.unparsed,
            "event_types": dg.MetadataValue.json(dict(sorted(result.event_types.items()))),
            "dagster/row_count": result.new_events,
        }
        if result.max_lag_seconds is not None:
            metadata["max_receive_to_load_seconds"] = round(result.max_lag_seconds, 2)
        yield dg.MaterializeResult(metadata=metadata)

    landing_job = dg.define_asset_job(
        LANDING_JOB,
        selection=dg.AssetSelection.assets(webhook_events) | event_driven_models,
        description="Loads sealed landing segments, classifies new replies and rebuilds the "
                    "event-driven models.",
    )

    @dg.sensor(
        job=landing_job,
        minimum_interval_seconds=settings.landing_sensor_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Launches a landing_job run for the segments sealed since its cursor (the last "
            "segment it handed out). One run at a time: while one is in flight, new segments "
            "wait for the next tick and go into one run together."
        ),
    )
    def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        in_flight = context.instance.get_run_records(
            dg.RunsFilter(job_name=LANDING_JOB, statuses=IN_FLIGHT), limit=1)
        if in_flight:
            return dg.SkipReason(f"landing run {in_flight[0].dagster_run.run_id} in flight")
        store = LandingStore(landing_dir)
        if not store.sealed_dir.exists():
            return dg.SkipReason(f"no landing folder yet at {landing_dir}")
        segments = store.sealed_after(context.cursor or None, limit=MAX_SEGMENTS_PER_RUN)
        if not segments:
            return dg.SkipReason("no segments sealed since the last run")
        ids = [s.segment_id for s in segments]
        span = ids[0] if len(ids) == 1 else f"{ids[0]}..{ids[-1]}"
        request = dg.RunRequest(
            run_key=f"landing-{span}",
            run_config=dg.RunConfig(ops={"landing__webhook_events": LandingLoadConfig(
                segments=ids)}),
            tags={SEGMENTS_TAG: span},
        )
        return dg.SensorResult(run_requests=[request], cursor=ids[-1])

    return dg.Definitions(assets=[webhook_events], jobs=[landing_job], sensors=[landing_sensor])

