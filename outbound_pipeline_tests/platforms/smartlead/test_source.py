"""The Smartlead source end to end: simulator over HTTP → dlt → DuckDB / PostgreSQL via the
project's real Dagster jobs."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import dagster as dg
import pytest

from outbound_pipeline import clock
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline_tests.conftest import TEST_WORLD, connect_sandbox
from outbound_pipeline_tests.helpers import (
    backfill_tags,
    files_containing,
    materialized,
    run_job,
    settings_for,
    sync_config,
    table_snapshot,
)

RAW_TABLES = ("campaigns", "sequence_variants", "lead_categories", "email_accounts",
              "campaign_email_accounts", "email_statistics", "mailbox_health", "message_history")
DETAIL_ROUTES = ("/campaigns/{id}/sequences", "/campaigns/{id}/statistics",
                 "/campaigns/{id}/email-accounts",
                 "/campaigns/{cid}/leads/{lead_id}/message-history")


def _api_truth(process, env) -> dict:
    """What the API itself says, read through the client: the reference for the warehouse."""
    from outbound_pipeline.connections import load_connections

    truth: dict = {"campaigns": {}, "passwords": set()}
    for connection in load_connections(env.connections_path):
        with SmartleadClient.for_connection(connection) as client:
            for campaign in client.campaigns():
                analytics = client.campaign_analytics(campaign["id"]) or {}
                truth["campaigns"][(connection.name, campaign["id"])] = {
                    k: int(analytics.get(k) or 0) for k in ("sent_count", "reply_count",
                                                             "bounce_count")}
                for account in client.campaign_email_accounts(campaign["id"]):
                    if account.get("password"):
                        truth["passwords"].add(account["password"])
    return truth


def test_sync_lands_every_table_with_true_numbers(warehouse, shared_sandbox, tmp_path,
                                                  monkeypatch):
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, warehouse, env.connections_path)
    result = run_job(settings, "smartlead_sync_job", run_config=sync_config())
    mats = materialized(result)
    assert {k.split("/")[-1] for k in mats} == set(RAW_TABLES)
    meta = mats["raw/smartlead/campaigns"]
    assert meta["requests"] > 0 and meta["responses_429"] == 0
    for key, asset_meta in mats.items():  # the metadata tells the truth on both engines
        table = key.split("/")[-1]
        count = warehouse.query(f"select count(*) from raw_smartlead.{table}")[0][0]
        assert asset_meta["rows_loaded"] == count, (table, asset_meta["rows_loaded"], count)

    truth = _api_truth(shared_sandbox, env)
    rows = warehouse.query("select connection, campaign_id, sent_count, reply_count, "
                           "bounce_count from raw_smartlead.campaigns")
    assert {(r[0], r[1]): {"sent_count": r[2], "reply_count": r[3], "bounce_count": r[4]}
            for r in rows} == truth["campaigns"]

    # one statistics row per sent email, and the bounce flags match the bounce totals
    per_campaign = {(r[0], r[1]): (r[2], r[3]) for r in warehouse.query(
        "select connection, campaign_id, count(*), sum(case when is_bounced then 1 else 0 end) "
        "from raw_smartlead.email_statistics group by 1, 2")}
    for key, totals in truth["campaigns"].items():
        if totals["sent_count"]:
            assert per_campaign[key] == (totals["sent_count"], totals["bounce_count"]), key

    # every lead that replied has its thread, with the reply in it
    replied = warehouse.query(
        "select count(distinct lead_id) from raw_smartlead.message_history where type = 'REPLY'")
    assert replied[0][0] > 0
    # every connection's rows are tagged
    connections = {r[0] for r in warehouse.query(
        "select distinct connection from raw_smartlead.email_statistics")}
    assert len(connections) == TEST_WORLD["n_accounts"]

    # passwords never reach the warehouse
    columns = {r[0] for r in warehouse.query(
        "select column_name from information_schema.columns where table_schema = "
        "'raw_smartlead' and table_name = 'email_accounts'")}
    assert not {c for c in columns if "password" in c}
    dump = json.dumps(table_snapshot(warehouse, "email_accounts", "email_account_id"))
    assert truth["passwords"] and not any(p in dump for p in truth["passwords"])

    # no key in any file the run wrote (DuckDB file, dlt state and traces)
    assert files_containing(tmp_path, list(env.keys.values())) == []

    # a second sync with nothing new loads nothing and asks only for analytics
    shared_sandbox.reset_requests()
    again = materialized(run_job(settings, "smartlead_sync_job", run_config=sync_config()))
    assert all(not m.get("rows_loaded") for m in again.values()), again
    requests = shared_sandbox.requests()
    analytics = Counter(r["campaign_id"] for r in requests
                        if r["route"] == "/campaigns/{id}/analytics")
    assert analytics and max(analytics.values()) == 1
    assert not [r for r in requests if r["route"] in DETAIL_ROUTES]


def test_new_activity_refetches_only_the_changed_campaign(sandbox, duckdb_warehouse, tmp_path,
                                                          monkeypatch):
    env = connect_sandbox(sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    run_job(settings, "smartlead_sync_job", run_config=sync_config())
    before = duckdb_warehouse.query("select count(*) from raw_smartlead.email_statistics")[0][0]
    campaign_id = duckdb_warehouse.query(
        "select campaign_id from raw_smartlead.campaigns where status = 'ACTIVE' "
        "and sent_count > 0 order by campaign_id limit 1")[0][0]

    sandbox.add_activity(campaign_id, sends=5, replies=2)
    sandbox.reset_requests()
    run_job(settings, "smartlead_sync_job", run_config=sync_config())

    touched = {r["campaign_id"] for r in sandbox.requests()
               if r["route"] in ("/campaigns/{id}/statistics", "/campaigns/{id}/sequences")}
    assert touched == {campaign_id}
    after = duckdb_warehouse.query("select count(*) from raw_smartlead.email_statistics")[0][0]
    assert after == before + 5
    sent = duckdb_warehouse.query(
        "select sent_count from raw_smartlead.campaigns where campaign_id = ?", (campaign_id,))
    stats = duckdb_warehouse.query(
        "select count(*) from raw_smartlead.email_statistics where campaign_id = ?",
        (campaign_id,))
    assert sent == stats


def test_faults_end_with_the_same_warehouse_as_a_clean_run(sandbox, tmp_path, monkeypatch):
    from outbound_pipeline.warehouse import Warehouse

    env = connect_sandbox(sandbox, tmp_path, monkeypatch)
    clean = Warehouse.from_url(f"duckdb:///{tmp_path / 'clean.duckdb'}")
    faulty = Warehouse.from_url(f"duckdb:///{tmp_path / 'faulty.duckdb'}")
    run_job(settings_for(tmp_path / "a", clean, env.connections_path), "smartlead_sync_job",
            run_config=sync_config())

    sandbox.set_faults(FaultConfig(burst_429_every=25, burst_429_length=3, p_5xx=0.05,
                                   p_truncated=0.02, repeat_page_once=True, seed=3))
    result = run_job(settings_for(tmp_path / "b", faulty, env.connections_path),
                     "smartlead_sync_job", run_config=sync_config())
    sandbox.set_faults(None)
    meta = materialized(result)["raw/smartlead/campaigns"]
    assert meta["responses_429"] > 0 and meta["retries"] > 0

    keys = {"campaigns": "connection, campaign_id",
            "sequence_variants": "connection, variant_id",
            "lead_categories": "connection, category_id",
            "email_accounts": "connection, email_account_id",
            "campaign_email_accounts": "connection, campaign_id, email_account_id",
            "email_statistics": "connection, stats_id",
            "mailbox_health": "connection, email_account_id",
            "message_history": "connection, lead_id, position"}
    for table, order in keys.items():
        assert table_snapshot(faulty, table, order) == table_snapshot(clean, table, order), table


def test_wrong_key_fails_clearly_without_leaking_it(shared_sandbox, duckdb_warehouse, tmp_path,
                                                    monkeypatch):
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    wrong = "slk_definitely_wrong_key_4242"
    for name in env.keys:
        monkeypatch.setenv(name, wrong)
    instance = dg.DagsterInstance.ephemeral()
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    result = run_job(settings, "smartlead_sync_job", instance=instance, raise_on_error=False,
                     run_config=sync_config())
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error.to_string())
    assert "refused the credentials" in message and "HTTP 401" in message
    assert "Invalid API Key" in message
    logs = "\n".join(str(record) for record in instance.all_logs(result.run_id))
    assert wrong not in message and wrong not in logs
    assert files_containing(tmp_path, [wrong]) == []


def test_backfill_90_days_is_one_run_in_29_day_windows(shared_sandbox, duckdb_warehouse,
                                                       tmp_path, monkeypatch):
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    run_job(settings, "smartlead_sync_job", run_config=sync_config())
    end = TEST_WORLD["end_date"] - timedelta(days=1)
    start = end - timedelta(days=89)
    assert start < date(2026, 1, 1) <= end  # the window crosses New Year

    shared_sandbox.reset_requests()
    result = run_job(settings, "smartlead_daily_metrics_job", tags=backfill_tags(start, end))
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)

    per_series = Counter((r["route"], r["campaign_id"]) for r in shared_sandbox.requests()
                         if r["route"].startswith("/analytics/day-wise"))
    assert per_series and max(per_series.values()) <= 4

    # the daily series agree with the per-email statistics, day by day, across New Year
    daily = dict(((r[0], r[1], str(r[2])), r[3]) for r in duckdb_warehouse.query(
        "select connection, campaign_id, date, sent from raw_smartlead.campaign_daily_stats "
        "where sent > 0"))
    emails = dict(((r[0], r[1], str(r[2])), r[3]) for r in duckdb_warehouse.query(
        "select connection, campaign_id, cast(sent_time as date) as d, count(*) "
        "from raw_smartlead.email_statistics where cast(sent_time as date) between ? and ? "
        "group by 1, 2, 3", (start, end)))
    assert daily == emails
    days = {r[0] for r in duckdb_warehouse.query(
        "select distinct cast(date as varchar) from raw_smartlead.campaign_daily_stats")}
    assert {"2025-12-31", "2026-01-01"} <= days
    assert min(days) == start.isoformat() and max(days) == end.isoformat()


def test_reconciliation_check_reports_a_mismatch(shared_sandbox, duckdb_warehouse, tmp_path,
                                                 monkeypatch):
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    end = TEST_WORLD["end_date"] - timedelta(days=1)
    start = end - timedelta(days=20)
    run_job(settings, "smartlead_daily_metrics_job", tags=backfill_tags(start, end))
    with duckdb_warehouse.connect() as con:
        con.execute("update raw_smartlead.campaign_daily_stats set sent = sent + 1 "
                    "where date = ?", [end])
    from outbound_pipeline.definitions import build_definitions

    defs = build_definitions(settings)
    check_job = dg.define_asset_job(
        "reconcile", selection=dg.AssetSelection.checks(dg.AssetCheckKey(
            dg.AssetKey(["raw", "smartlead", "campaign_daily_stats"]),
            "daily_series_match_window_totals")))
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[check_job])).resolve_job_def(
        "reconcile")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["mismatched_windows"].value > 0


def test_enrollment_snapshot_is_today_only(shared_sandbox, duckdb_warehouse, tmp_path,
                                           monkeypatch):

    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    today = clock.now().date()
    past = run_job(settings, "smartlead_enrollment_snapshot_job", raise_on_error=False,
                   partition_key=(today - timedelta(days=3)).isoformat())
    assert not past.success
    failure = next(e for e in past.all_events if e.event_type_value == "STEP_FAILURE")
    assert "can only be captured for today" in failure.event_specific_data.error.to_string()

    run_job(settings, "smartlead_enrollment_snapshot_job", partition_key=today.isoformat())
    rows = duckdb_warehouse.query(
        "select count(*), count(distinct snapshot_date), sum(total) "
        "from raw_smartlead.enrollment_snapshots")
    count, dates, total = rows[0]
    assert count == TEST_WORLD["n_campaigns"] and dates == 1
    assert total == TEST_WORLD["n_leads"]


@pytest.mark.parametrize("mode", ["full", "reset"])
def test_full_and_reset_modes_reload_everything_without_duplicates(mode, shared_sandbox,
                                                                   duckdb_warehouse, tmp_path,
                                                                   monkeypatch):
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    run_job(settings, "smartlead_sync_job", run_config=sync_config())
    first = table_snapshot(duckdb_warehouse, "email_statistics", "connection, stats_id")
    mats = materialized(run_job(settings, "smartlead_sync_job", run_config=sync_config(mode)))
    assert mats["raw/smartlead/email_statistics"]["rows_loaded"] == len(first)
    assert table_snapshot(duckdb_warehouse, "email_statistics", "connection, stats_id") == first
