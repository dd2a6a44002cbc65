"""End to end: the simulator's webhooks → receiver → landing sensor → landing_job → analytics,
and the next sync agrees with what the webhooks said (same rows, no duplicates)."""

from __future__ import annotations

import time

import dagster as dg

from outbound_pipeline.definitions import build_definitions
from outbound_pipeline.webhooks.landing import LandingStore
from outbound_pipeline.webhooks.serve import receiver_process
from outbound_pipeline_tests.conftest import connect_sandbox
from outbound_pipeline_tests.helpers import run_job, settings_for, sync_config

SECRET = "flow-secret"


def wait_landed(store: LandingStore, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        landed = sum(len(store.read(s.segment_id)) for s in store.sealed_after(None))
        if landed >= expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"only {landed} of {expected} deliveries sealed in {timeout} s")


def test_webhook_events_reach_the_analytics_and_the_next_sync_agrees(
        warehouse, sandbox, tmp_path, monkeypatch):
    env = connect_sandbox(sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, warehouse, env.connections_path)
    run_job(settings, "smartlead_campaign_leads_job")
    run_job(settings, "smartlead_sync_job", run_config=sync_config(), with_dbt=True)
    campaign_id, account = warehouse.query(
        "select campaign_id, connection from raw_smartlead.campaigns where status = 'ACTIVE' "
        "and sent_count > 0 order by campaign_id limit 1")[0]

    store = LandingStore(settings.landing_dir)
    receiver_env = {"OUTBOUND_CONNECTIONS": str(env.connections_path),
                    "OUTBOUND_LANDING_DIR": str(settings.landing_dir),
                    "OUTBOUND_WEBHOOK_SECRET_SMARTLEAD": SECRET,
                    "OUTBOUND_LANDING_SEGMENT_SECONDS": "0.2"}
    with receiver_process(receiver_env) as receiver:
        sandbox.configure_webhooks(receiver.urls["receiver"] + "/webhooks/smartlead/{account}",
                                   SECRET, p_duplicate=0.3, max_delay_seconds=0.3,
                                   deprecated_share=0.5)
        sandbox.add_activity(campaign_id, sends=30, replies=6)
        stats = sandbox.flush_webhooks(timeout=30)
        assert stats["all_delivered"], stats
        counters = stats["stats"]
        assert counters["duplicates_sent"] > 0
        wait_landed(store, counters["emitted"] + counters["duplicates_sent"])

    # One sensor tick hands the sealed segments to one landing_job run (load + dbt).
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()
    tick = defs.resolve_sensor_def("landing_sensor")(
        dg.build_sensor_context(instance=instance, definitions=defs))
    (request,) = tick.run_requests
    result = defs.resolve_job_def("landing_job").execute_in_process(
        run_config=request.run_config, instance=instance, tags=request.tags)
    assert result.success

    events = warehouse.query(
        "select event_type, count(*) from landing.webhook_events group by event_type "
        "order by event_type")
    # 30 sends, 6 replies each with its category update; duplicates collapsed to one row.
    by_type = dict(events)
    assert by_type["sent"] == 30 and by_type["replied"] == 6 and by_type["category_updated"] == 6
    assert sum(by_type.values()) == counters["emitted"]

    webhook_rows = dict(warehouse.query(
        "select event_type, count(*) from analytics.email_activities "
        "where recorded_by = 'webhook' group by event_type"))
    assert webhook_rows == {"sent": 30, "replied": 6, **(
        {"unsubscribed": by_type["unsubscribed"]} if "unsubscribed" in by_type else {})}
    replies = warehouse.query(
        "select count(*) from analytics.email_activities a join landing.webhook_events e "
        "on a.external_id = e.email_external_id || ':replied' and e.event_type = 'replied' "
        "where a.recorded_by = 'webhook' and e.text is not null")
    assert replies[0][0] == 6  # the reply text arrived in every payload shape
    hour_sent = warehouse.query(
        "select sum(emails_sent) from analytics.hourly_metrics where campaign_external_id = ? "
        "and hour_start = (select max(hour_start) from analytics.hourly_metrics "
        "where campaign_external_id = ?)", (str(campaign_id), str(campaign_id)))
    assert hour_sent[0][0] >= 30
    categories = warehouse.query(
        "select count(*) from analytics.contacts where connection = ? and lead_category is not "
        "null and lower(email) in (select lead_email from landing.webhook_events "
        "where event_type = 'category_updated')", (account,))
    assert categories[0][0] >= 1  # leads synced before the replies carry the new category

    # The next sync reports the same emails: the rows turn into synced ones, never doubled.
    run_job(settings, "smartlead_sync_job", run_config=sync_config(), with_dbt=True)
    after = dict(warehouse.query(
        "select recorded_by, count(*) from analytics.email_activities where "
        "campaign_external_id = ? and event_type in ('sent', 'replied') group by recorded_by",
        (str(campaign_id),)))
    assert "webhook" not in after
    api_sent, api_replied = warehouse.query(
        "select sent_count, reply_count from raw_smartlead.campaigns where campaign_id = ?",
        (campaign_id,))[0]
    assert after["sync"] == int(api_sent) + int(api_replied)
