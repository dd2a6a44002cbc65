"""The one Definitions of the project: assembles each area's definitions, nothing else."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from outbound_pipeline.defs.checks import daily_series_match_window_totals
from outbound_pipeline.defs.dagster_clock import follow_project_clock
from outbound_pipeline.defs.events import build_events_defs
from outbound_pipeline.defs.ingest.smartlead import build_smartlead_defs
from outbound_pipeline.defs.ingest.unipile import build_unipile_defs
from outbound_pipeline.defs.leads import build_leads_defs
from outbound_pipeline.defs.linkedin import build_linkedin_defs
from outbound_pipeline.defs.replies import CLASSIFIED_REPLIES, build_replies_defs
from outbound_pipeline.defs.resources import build_resources
from outbound_pipeline.defs.schedules import build_schedule_defs
from outbound_pipeline.defs.transform import (
    build_transform_defs,
    dbt_asset_selections,
    event_driven_selection,
)
from outbound_pipeline.settings import Settings, load_settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    follow_project_clock()
    transform = build_transform_defs(settings)
    return dg.Definitions.merge(
        build_smartlead_defs(settings),
        dg.Definitions(asset_checks=[daily_series_match_window_totals]),
        transform,
        build_replies_defs(settings),
        build_leads_defs(settings),
        build_unipile_defs(settings),
        build_linkedin_defs(settings),
        build_events_defs(settings, event_driven_selection(transform)
                          | dg.AssetSelection.assets(CLASSIFIED_REPLIES)),
        build_schedule_defs(*dbt_asset_selections(transform),
                            replies=dg.AssetSelection.assets(CLASSIFIED_REPLIES)),
        dg.Definitions(resources={**build_resources(settings), "dlt": DagsterDltResource()}),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
