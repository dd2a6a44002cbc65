"""Jobs and schedules: the 2-hourly sync, yesterday's daily metrics, today's snapshot."""

from __future__ import annotations

from datetime import UTC

import dagster as dg

from outbound_pipeline import clock

SYNC_ASSETS = dg.AssetSelection.groups("smartlead") - dg.AssetSelection.assets(
    dg.AssetKey(["raw", "smartlead", "campaign_leads"]),
    dg.AssetKey(["raw", "smartlead", "campaign_daily_stats"]),
    dg.AssetKey(["raw", "smartlead", "campaign_window_totals"]),
    dg.AssetKey(["raw", "smartlead", "enrollment_snapshots"]),
)
DAILY_ASSETS = dg.AssetSelection.assets(
    dg.AssetKey(["raw", "smartlead", "campaign_daily_stats"]),
    dg.AssetKey(["raw", "smartlead", "campaign_window_totals"]),
)
SNAPSHOT_ASSETS = dg.AssetSelection.assets(
    dg.AssetKey(["raw", "smartlead", "enrollment_snapshots"])
)

smartlead_snapshot_job = dg.define_asset_job(
    "smartlead_enrollment_snapshot_job", selection=SNAPSHOT_ASSETS,
    description="Today's enrollment funnel per campaign.",
)
smartlead_leads_job = dg.define_asset_job(
    "smartlead_campaign_leads_job",
    selection=dg.AssetSelection.assets(dg.AssetKey(["raw", "smartlead", "campaign_leads"])),
    description="Every campaign's leads (not scheduled; slow on large accounts).",
)



@dg.schedule(
    name="smartlead_enrollment_snapshot_daily", job=smartlead_snapshot_job,
    cron_schedule="30 23 * * *", execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def smartlead_enrollment_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Captures the funnel late in the UTC day, for that day's partition."""
    when = context.scheduled_execution_time or clock.now()
    day = when.astimezone(UTC).date().isoformat()
    return dg.RunRequest(run_key=f"enrollment-{day}", partition_key=day)


def build_schedule_defs(dbt_models: dg.AssetSelection, dbt_daily_models: dg.AssetSelection,
                        replies: dg.AssetSelection) -> dg.Definitions:
    """Jobs that pair ingestion with the dbt models it feeds, and their schedules."""
    sync_job = dg.define_asset_job(
        "smartlead_sync_job", selection=SYNC_ASSETS | replies | dbt_models,
        description="Campaigns, variants, mailboxes, per-email statistics and reply threads, "
                    "the classified replies, then the analytics models.",
    )
    daily_job = dg.define_asset_job(
        "smartlead_daily_metrics_job", selection=DAILY_ASSETS | dbt_daily_models,
        description="Day-wise series per campaign and the daily_metrics model for the selected "
                    "days (a backfill is one run).",
    )
    analytics_job = dg.define_asset_job(
        "analytics_job", selection=replies | dbt_models,
        description="Classify any replies not classified yet and rebuild the analytics models "
                    "from what is already in the warehouse.",
    )
    replies_job = dg.define_asset_job(
        "classify_replies_job", selection=replies,
        description="Classify the replies that are due (config reclassify: true for all).",
    )
    return dg.Definitions(
        jobs=[sync_job, daily_job, analytics_job, replies_job, smartlead_snapshot_job,
              smartlead_leads_job],
        schedules=[
            dg.ScheduleDefinition(
                name="smartlead_sync_every_2_hours", job=sync_job, cron_schedule="0 */2 * * *",
                default_status=dg.DefaultScheduleStatus.STOPPED,
            ),
            dg.build_schedule_from_partitioned_job(
                daily_job, name="smartlead_daily_metrics_yesterday", hour_of_day=1,
                default_status=dg.DefaultScheduleStatus.STOPPED,
            ),
            smartlead_enrollment_schedule,
        ],
    )
