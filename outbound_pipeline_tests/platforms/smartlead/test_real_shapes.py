"""Real-shaped accounts through the whole chain: the simulator over HTTP → dlt → DuckDB /
PostgreSQL → dbt (staging and analytics), on both engines.

A real account may have a campaign that never sent, no replies and no mailbox health yet, and
answers that leave optional fields out. Every raw table and column the staging models read must
exist whatever the data, and what the API did not say must come out null, never as a zero.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from outbound_pipeline import clock
from outbound_pipeline.connections import load_connections
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.platforms.smartlead.rows import mailbox_health_rows
from outbound_pipeline.platforms.smartlead.schema import TABLES
from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline.sandbox.runner import SandboxProcess
from outbound_pipeline.sandbox.world import WorldConfig
from outbound_pipeline_tests.conftest import TEST_SPEED, TEST_WORLD, connect_sandbox
from outbound_pipeline_tests.helpers import backfill_tags, run_job, settings_for, sync_config

SYNC_TABLES = ("campaigns", "sequence_variants", "lead_categories", "email_accounts",
               "campaign_email_accounts", "email_statistics", "mailbox_health", "message_history")
DAILY_TABLES = ("campaign_daily_stats", "campaign_window_totals")
FRESH_WORLD = WorldConfig(seed=23, n_accounts=0, n_campaigns=0, n_leads=0, days=40,
                          end_date=date(2026, 3, 1), fresh_accounts=1)
WORLD_END = TEST_WORLD["end_date"]
SYNC_AT = datetime(WORLD_END.year, WORLD_END.month, WORLD_END.day, 12, tzinfo=UTC)
"""The sync's clock in the tests that read mailbox health: its trailing window ends on the
sync's day, so the sync runs on the world's last day whatever today is."""


def _columns(warehouse, table: str) -> set[str]:
    return {r[0] for r in warehouse.query(
        "select column_name from information_schema.columns where table_schema = "
        "'raw_smartlead' and table_name = ?", (table,))}


def _count(warehouse, sql: str, params: tuple = ()) -> int:
    return warehouse.query(sql, params)[0][0]


@pytest.fixture
def fresh_sandbox():
    """An account set up but not sending yet: one active campaign that never sent."""
    process = SandboxProcess(FRESH_WORLD, speed=TEST_SPEED)
    process.start()
    yield process
    process.stop()


def test_an_account_that_never_sent_syncs_and_builds_with_null_rates(
        warehouse, fresh_sandbox, tmp_path, monkeypatch):
    env = connect_sandbox(fresh_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, warehouse, env.connections_path)
    result = run_job(settings, "smartlead_sync_job", run_config=sync_config(), with_dbt=True)
    assert result.success
    end = FRESH_WORLD.end_date
    daily = run_job(settings, "smartlead_daily_metrics_job", with_dbt=True,
                    tags=backfill_tags(end - timedelta(days=6), end - timedelta(days=1)))
    assert daily.success
    checks = result.get_asset_check_evaluations() + daily.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [c.check_name for c in checks
                                                      if not c.passed]

    # every raw table the staging models read exists with every declared column, rows or not
    for table in SYNC_TABLES + DAILY_TABLES:
        assert set(TABLES[table].columns) <= _columns(warehouse, table), table
    for empty in ("email_statistics", "mailbox_health", "message_history"):
        assert _count(warehouse, f"select count(*) from raw_smartlead.{empty}") == 0, empty
    assert _count(warehouse, "select count(*) from raw_smartlead.sequence_variants") > 0

    # the campaign is in the analytics with zero totals and null rates (zero denominators)
    rows = warehouse.query(
        "select status, total_sent, total_delivered, total_replied, total_bounced, "
        "positive_replies, reply_rate, bounce_rate, positive_rate from analytics.campaigns")
    assert rows == [("active", 0, 0, 0, 0, 0, None, None, None)]
    variants = warehouse.query("select emails_sent, reply_rate, bounce_rate "
                               "from analytics.campaign_variants")
    assert variants and all(v == (0, None, None) for v in variants)
    mailboxes = warehouse.query("select window_emails_sent, window_bounce_rate "
                                "from analytics.email_accounts")
    assert mailboxes and all(m == (None, None) for m in mailboxes)
    days = warehouse.query("select count(*), sum(emails_sent), count(reply_rate), "
                           "count(bounce_rate) from analytics.daily_metrics")
    assert days == [(6, 0, 0, 0)]
    for empty in ("classified_replies", "email_activities", "deliverability_alerts"):
        assert _count(warehouse, f"select count(*) from analytics.{empty}") == 0, empty


def test_answers_without_optional_fields_load_as_nulls_not_zeros(warehouse, tmp_path,
                                                                 monkeypatch):
    process = SandboxProcess(WorldConfig(**TEST_WORLD), speed=TEST_SPEED,
                             faults=FaultConfig(omit_optional_fields=True))
    process.start()
    try:
        env = connect_sandbox(process, tmp_path, monkeypatch)
        settings = settings_for(tmp_path, warehouse, env.connections_path)
        end = WORLD_END - timedelta(days=1)
        days = backfill_tags(end - timedelta(days=9), end)
        # the day-wise tables first, so the sync's models see them; then daily_metrics
        assert run_job(settings, "smartlead_daily_metrics_job", tags=days).success
        with clock.frozen(SYNC_AT):
            assert run_job(settings, "smartlead_sync_job", run_config=sync_config(),
                           with_dbt=True).success
        daily = run_job(settings, "smartlead_daily_metrics_job", with_dbt=True, tags=days)
        assert daily.success
        reconciled = [c for c in daily.get_asset_check_evaluations()
                      if c.check_name == "daily_series_match_window_totals"]
        assert reconciled and all(c.passed for c in reconciled)
        api = {}
        for connection in load_connections(env.connections_path):
            with SmartleadClient.for_connection(connection) as client:
                for campaign in client.campaigns():
                    analytics = client.campaign_analytics(campaign["id"]) or {}
                    assert "unique_open_count" not in analytics  # the fault is on
                    api[(connection.name, str(campaign["id"]))] = (
                        int(analytics.get("sent_count") or 0),
                        int(analytics.get("reply_count") or 0))
    finally:
        process.stop()

    # the measures the API gave are right; the ones it left out are null, in raw and analytics
    campaigns = warehouse.query(
        "select connection, external_id, total_sent, total_replied, total_opened, "
        "total_unsubscribed from analytics.campaigns")
    assert {(r[0], str(r[1])): (r[2], r[3]) for r in campaigns} == api
    assert all(r[4] is None and r[5] is None for r in campaigns)
    assert set(TABLES["campaigns"].columns) <= _columns(warehouse, "campaigns")

    window = warehouse.query(
        "select count(*), count(sent_count), count(unique_open_count), "
        "count(unsubscribed_count) from raw_smartlead.campaign_window_totals")[0]
    assert window[0] > 0 and window[1] == window[0] and window[2:] == (0, 0)
    staged = warehouse.query(
        "select count(emails_sent), count(emails_opened), count(unsubscribed) "
        "from staging.stg_smartlead__campaign_window_totals")[0]
    assert staged == (window[0], 0, 0)

    days = warehouse.query(
        "select count(*), sum(emails_sent), count(emails_opened), count(unsubscribed) "
        "from analytics.daily_metrics")[0]
    raw_sent = _count(warehouse, "select sum(sent) from raw_smartlead.campaign_daily_stats")
    assert days[0] > 0 and days[1] == raw_sent > 0 and days[2:] == (0, 0)

    health = warehouse.query(
        "select count(*), count(sent), count(bounced), count(opened), count(unsubscribed) "
        "from raw_smartlead.mailbox_health")[0]
    assert health[0] > 0 and health[1] == health[2] == health[0] and health[3:] == (0, 0)
    # health rows, keyed by address in the API, reach their mailbox in the analytics
    joined = warehouse.query(
        "select a.connection, a.external_id, a.window_emails_sent, h.sent "
        "from analytics.email_accounts a join raw_smartlead.mailbox_health h "
        "on h.connection = a.connection and cast(h.email_account_id as varchar) = a.external_id "
        "and lower(h.from_email) = a.from_email")
    assert len(joined) == health[0] and all(r[2] == r[3] for r in joined)
    accounts = warehouse.query("select count(*), count(warmup_reputation), "
                               "count(tracking_domain) from analytics.email_accounts")[0]
    assert accounts[0] > 0 and accounts[1:] == (0, 0)


def test_staging_tolerates_a_table_or_column_an_older_load_lacks(duckdb_warehouse,
                                                                 shared_sandbox, tmp_path,
                                                                 monkeypatch):
    """A warehouse loaded before the tables were declared may lack a column or a table: the
    models still build, with nulls there."""
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
    with clock.frozen(SYNC_AT):
        run_job(settings, "smartlead_sync_job", run_config=sync_config())
    assert duckdb_warehouse.query("select count(*) from raw_smartlead.mailbox_health")[0][0]
    with duckdb_warehouse.connect() as con:
        con.execute("alter table raw_smartlead.campaigns drop column unsubscribed_count")
        con.execute("alter table raw_smartlead.email_accounts drop column warmup_reputation")
        con.execute("drop table raw_smartlead.mailbox_health")
    assert run_job(settings, "analytics_job", with_dbt=True).success
    rows = duckdb_warehouse.query(
        "select count(*), count(total_sent), count(total_unsubscribed) from analytics.campaigns")
    assert rows[0][0] == TEST_WORLD["n_campaigns"] and rows[0][1:] == (rows[0][0], 0)
    accounts = duckdb_warehouse.query(
        "select count(*), count(warmup_status), count(warmup_reputation), "
        "count(window_emails_sent) from analytics.email_accounts")[0]
    assert accounts[0] > 0 and accounts[1:] == (accounts[0], 0, 0)


def test_mailbox_health_keyed_by_address_joins_its_email_account(warehouse, shared_sandbox,
                                                                 tmp_path, monkeypatch):
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, warehouse, env.connections_path)
    with clock.frozen(SYNC_AT):
        assert run_job(settings, "smartlead_sync_job", run_config=sync_config()).success
    expected = {}
    for connection in load_connections(env.connections_path):
        with SmartleadClient.for_connection(connection) as client:
            for item in client.mailbox_health(WORLD_END - timedelta(days=28), WORLD_END):
                assert "email_account_id" not in item and "id" not in item  # keyed by address
                expected[(connection.name, item["from_email"].lower())] = int(item["sent"])
    assert expected

    landed = warehouse.query(
        "select h.connection, lower(h.from_email), h.sent, a.email_account_id, "
        "lower(a.from_email) from raw_smartlead.mailbox_health h "
        "left join raw_smartlead.email_accounts a on a.connection = h.connection "
        "and a.email_account_id = h.email_account_id")
    assert {(r[0], r[1]): r[2] for r in landed} == expected
    assert all(r[3] is not None and r[4] == r[1] for r in landed)  # the right mailbox


def test_mailbox_health_rows_join_by_address():
    mailboxes = [{"email_account_id": 11, "from_email": "Ann@Acme.io"},
                 {"email_account_id": 12, "from_email": "bob@acme.io"}]
    items = [{"from_email": "ann@acme.io", "sent": "40", "bounced": "2", "open_rate": "4.71%"},
             {"from_email": "BOB@acme.io", "sent": 5, "bounced": 0, "opened": "1",
              "replied": "0", "unsubscribed": "0"},
             {"from_email": "gone@acme.io", "sent": "9"},
             {"from_email": "other@acme.io", "email_account_id": "13", "sent": "1"}]
    start, end = date(2026, 1, 1), date(2026, 1, 29)
    rows = mailbox_health_rows("acme", items, mailboxes, start, end)
    assert [(r["email_account_id"], r["sent"], r["bounced"], r["opened"]) for r in rows] == [
        (11, 40, 2, None), (12, 5, 0, 1), (13, 1, None, None)]
    assert rows[0]["window_start"] == start and rows[0]["window_end"] == end
    assert rows[0]["from_email"] == "ann@acme.io" and rows[0]["connection"] == "acme"
