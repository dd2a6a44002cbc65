"""One endpoint an account cannot use (403: not in its plan, or 404) degrades the sync instead of
sinking it: everything else lands and the analytics build, and the tables that needed the
endpoint say so in Dagster (a failed ``endpoints_available`` check, materialization metadata and a
warning naming the endpoint, the status and the connection), without the key anywhere. Real
simulator over HTTP, real Dagster runs, both engines."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from outbound_pipeline import clock
from outbound_pipeline.connections import load_connections
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline_tests.conftest import TEST_WORLD, connect_sandbox, start_test_sandbox
from outbound_pipeline_tests.helpers import (
    backfill_tags,
    files_containing,
    materialized,
    run_job,
    settings_for,
    sync_config,
)

WORLD_END = TEST_WORLD["end_date"]
SYNC_AT = datetime(WORLD_END.year, WORLD_END.month, WORLD_END.day, 12, tzinfo=UTC)
"""The sync runs on the world's last day, so the mailbox health window holds sends."""
CAMPAIGN_ANALYTICS = "GET campaigns/{id}/analytics"
MAILBOX_HEALTH = "GET analytics/mailbox/name-wise-health-metrics"
CASES = {
    # status: (routes refused to the first account, {table: the endpoint its check names})
    403: (("/analytics/", "/campaigns/{id}/analytics"),
          {"campaigns": CAMPAIGN_ANALYTICS, "mailbox_health": MAILBOX_HEALTH}),
    404: (("/analytics/mailbox/",), {"mailbox_health": MAILBOX_HEALTH}),
}
LANDED_FOR_BOTH = ("campaigns", "sequence_variants", "lead_categories", "email_accounts",
                   "campaign_email_accounts", "email_statistics", "message_history")


@pytest.fixture
def degraded(request):
    """A private sandbox whose first account is refused one endpoint family."""
    process = start_test_sandbox()
    routes, _ = CASES[request.param]
    process.set_faults(FaultConfig(unavailable_routes=routes, unavailable_status=request.param,
                                   unavailable_accounts=(process.accounts[0]["name"],)))
    yield process, request.param
    process.stop()


def _api_totals(env, connection_name: str) -> dict[int, int]:
    for connection in load_connections(env.connections_path):
        if connection.name == connection_name:
            with SmartleadClient.for_connection(connection) as client:
                return {int(c["id"]): int((client.campaign_analytics(c["id"]) or {})
                                          .get("sent_count") or 0)
                        for c in client.campaigns()}
    raise AssertionError(connection_name)


def _check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()
            if e.check_name == "endpoints_available"}


@pytest.mark.parametrize("degraded", sorted(CASES), indirect=True)
def test_an_unavailable_endpoint_fails_only_the_tables_that_need_it(degraded, warehouse,
                                                                    tmp_path, monkeypatch):
    process, status = degraded
    affected, other = (a["name"] for a in process.accounts[:2])
    expected = CASES[status][1]
    env = connect_sandbox(process, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, warehouse, env.connections_path)
    instance = dg.DagsterInstance.ephemeral()
    with clock.frozen(SYNC_AT):
        result = run_job(settings, "smartlead_sync_job", instance=instance, with_dbt=True,
                         raise_on_error=False, run_config=sync_config())
    assert result.success  # the sync and the dbt build of what is available

    # everything the refused endpoint does not feed landed, for both accounts
    for table in LANDED_FOR_BOTH:
        connections = {r[0] for r in warehouse.query(
            f"select distinct connection from raw_smartlead.{table}")}
        assert connections == {affected, other}, table
    health = {r[0] for r in warehouse.query(
        "select distinct connection from raw_smartlead.mailbox_health")}
    assert health == {other}
    sent = {(r[0], r[1]): r[2] for r in warehouse.query(
        "select connection, campaign_id, sent_count from raw_smartlead.campaigns")}
    assert {k[1]: v for k, v in sent.items() if k[0] == other} == _api_totals(env, other)
    mine = [v for k, v in sent.items() if k[0] == affected]
    if "campaigns" in expected:  # totals unknown: null, never zero
        assert mine and all(v is None for v in mine)
    else:
        assert {k[1]: v for k, v in sent.items() if k[0] == affected} == _api_totals(
            env, affected)

    # the tables that needed the endpoint say which, with the status and the connection
    checks = _check_results(result)
    assert {t for t, e in checks.items() if not e.passed} == set(expected)
    assert len(checks) == 8
    mats = materialized(result)
    for table, endpoint in expected.items():
        evaluation = checks[table]
        assert evaluation.severity == dg.AssetCheckSeverity.ERROR
        detail = str(evaluation.metadata["unavailable_endpoints"].value)
        for text in (detail, evaluation.description or "",
                     str(mats[f"raw/smartlead/{table}"]["unavailable_endpoints"])):
            assert endpoint in text and f"HTTP {status}" in text and affected in text, text
            assert other not in text
    for key, meta in mats.items():
        if key.startswith("raw/") and key.split("/")[-1] not in expected:
            assert "unavailable_endpoints" not in meta, key
    warnings = [e.message for e in instance.all_logs(result.run_id)
                if e.level == logging.WARNING and "is incomplete" in e.message]
    assert len(warnings) == len(expected)

    # the analytics built from what is available
    campaigns = warehouse.query(
        "select connection, count(*), count(total_sent), count(reply_rate) "
        "from analytics.campaigns group by connection")
    counts = {r[0]: r[1:] for r in campaigns}
    assert set(counts) == {affected, other}
    if "campaigns" in expected:
        assert counts[affected][1:] == (0, 0)
    assert counts[other][1] == counts[other][0]

    # the key is nowhere: not in the event log, the metadata, the checks or any file
    keys = list(env.keys.values())
    logged = "\n".join(str(record) for record in instance.all_logs(result.run_id))
    assert "platform said" in logged and not any(k in logged for k in keys)
    assert not any(k in str(e.metadata) + str(e.description)
                   for e in checks.values() for k in keys)
    assert files_containing(tmp_path, keys) == []


@pytest.mark.parametrize("degraded", [403], indirect=True)
def test_daily_series_and_leads_of_a_plan_without_analytics(degraded, duckdb_warehouse,
                                                            tmp_path, monkeypatch):
    process, status = degraded
    affected, other = (a["name"] for a in process.accounts[:2])
    env = connect_sandbox(process, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    end = WORLD_END - timedelta(days=1)
    result = run_job(settings, "smartlead_daily_metrics_job",
                     tags=backfill_tags(end - timedelta(days=6), end))
    assert result.success
    for table in ("campaign_daily_stats", "campaign_window_totals"):
        assert {r[0] for r in duckdb_warehouse.query(
            f"select distinct connection from raw_smartlead.{table}")} == {other}, table
    checks = _check_results(result)
    assert not checks["campaign_daily_stats"].passed and not checks["campaign_window_totals"]\
        .passed
    assert "GET analytics/day-wise-overall-stats" in checks["campaign_daily_stats"].description
    window = checks["campaign_window_totals"].description
    assert "GET campaigns/{id}/analytics-by-date" in window and "HTTP 403" in window
    reconciled = [e for e in result.get_asset_check_evaluations()
                  if e.check_name == "daily_series_match_window_totals"]
    assert reconciled and all(e.passed for e in reconciled)  # what landed still agrees

    # the leads need only the campaign list: every lead of both accounts lands
    leads = run_job(settings, "smartlead_campaign_leads_job")
    assert leads.success
    per_connection = dict(duckdb_warehouse.query(
        "select connection, count(*) from raw_smartlead.campaign_leads group by 1"))
    assert set(per_connection) == {affected, other}
    assert sum(per_connection.values()) == TEST_WORLD["n_leads"]
