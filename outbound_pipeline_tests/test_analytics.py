"""The analytics layer end to end: the sandbox's default world → Smartlead sync → dbt, on both
engines, checked against the ground truth the sandbox planted and against the API's totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from outbound_pipeline import clock
from outbound_pipeline.connections import load_connections
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.conftest import PG_ADMIN_URL
from outbound_pipeline_tests.helpers import backfill_tags, run_job, settings_for, sync_config

# The default world, big enough for the planted effects to be significant, as in the demo. The
# whole build (sandbox, sync, backfill, dbt) runs on the world's timeline: the project's clock
# starts at noon on the world's last day, in this process and the sandbox's, so the sync's
# trailing windows (mailbox health, statistics lookback) see the world as it was generated,
# whatever today's date or OUTBOUND_TIME_SHIFT.
WORLD = {"seed": 7, "n_accounts": 3, "n_campaigns": 60, "n_leads": 30_000, "days": 365,
         "end_date": date(2026, 11, 22)}
WORLD_NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DAILY_DAYS = 60


def _build(tmp: Path, warehouse: Warehouse) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(clock.VARIABLE, WORLD_NOW.isoformat())
        clock.reset()
        try:
            return _build_on_world_clock(tmp, warehouse, mp)
        finally:
            mp.undo()
            clock.reset()


def _build_on_world_clock(tmp: Path, warehouse: Warehouse, mp: pytest.MonkeyPatch) -> dict:
    from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
    from outbound_pipeline.sandbox.world import WorldConfig

    process = SandboxProcess(WorldConfig(**WORLD), speed=400.0)
    process.start()
    try:
        connections = tmp / "connections.yaml"
        for name, value in write_connections_file(connections, process.accounts,
                                                  process.smartlead_url, 400.0).items():
            mp.setenv(name, value)
        settings = settings_for(tmp, warehouse, connections)
        run_job(settings, "smartlead_sync_job", run_config=sync_config(), with_dbt=True)
        last = _world_end(process) - timedelta(days=1)
        first = last - timedelta(days=DAILY_DAYS - 1)
        run_job(settings, "smartlead_daily_metrics_job", tags=backfill_tags(first, last),
                with_dbt=True)
        api = {}
        for connection in load_connections(connections):
            with SmartleadClient.for_connection(connection) as client:
                for campaign in client.campaigns():
                    analytics = client.campaign_analytics(campaign["id"]) or {}
                    api[(connection.name, str(campaign["id"]))] = tuple(
                        int(analytics.get(k) or 0)
                        for k in ("sent_count", "reply_count", "bounce_count"))
        return {"warehouse": warehouse, "settings": settings, "truth": process.truth,
                "api": api, "window": (first, last)}
    finally:
        process.stop()


def _world_end(process):
    return date.fromisoformat(str(process.truth["config"]["end_date"])[:10])


@pytest.fixture(scope="module")
def duckdb_built(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("analytics_duckdb")
    return _build(tmp, Warehouse.from_url(f"duckdb:///{tmp / 'warehouse.duckdb'}"))


@pytest.fixture(scope="module")
def postgres_built(tmp_path_factory, postgres_server) -> dict:
    import uuid

    import psycopg

    name = f"outbound_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as con:
        con.execute(f'create database "{name}"')
    tmp = tmp_path_factory.mktemp("analytics_postgres")
    try:
        yield _build(tmp, Warehouse.from_url(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"))
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as con:
            con.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(params=["duckdb", "postgres"])
def built(request) -> dict:
    return request.getfixturevalue(f"{request.param}_built")


def test_planted_subject_feature_is_the_top_significant_pattern(built):
    planted = built["truth"]["planted"]["subject_feature"]
    top = built["warehouse"].query(
        "select feature, cast(feature_value as varchar), lift, is_significant "
        "from analytics.copy_patterns where pattern_rank = 1")
    assert len(top) == 1
    feature, value, lift, significant = top[0]
    assert feature == planted["feature"] and value.lower() in ("true", "1", "yes")
    assert significant and lift > 1.3


def test_planted_bouncing_mailbox_is_the_only_bounce_alert(built):
    planted = built["truth"]["planted"]["bouncing_mailbox"]
    alerts = built["warehouse"].query(
        "select entity_external_id, measured_value from analytics.deliverability_alerts "
        "where entity_type = 'mailbox' and alert_type = 'bounce_rate'")
    assert [str(a[0]) for a in alerts] == [str(planted["email_account_id"])]
    assert alerts[0][1] > 0.08


def test_planted_decaying_variant_is_the_most_surely_decaying(built):
    """Rank 1 by the conservative end of the slope's 95% interval, and a significant decay."""
    planted = built["truth"]["planted"]["decaying_variant"]
    ranked = built["warehouse"].query(
        "select external_id, slope, slope_upper_95 from analytics.variant_decay "
        "where decay_rank is not null order by decay_rank limit 2")
    assert str(ranked[0][0]) == str(planted["variant_id"])
    assert ranked[0][1] < 0 and ranked[0][2] < 0 and ranked[0][2] < ranked[1][2]


def test_campaign_totals_equal_the_api_totals_for_every_campaign(built):
    rows = built["warehouse"].query(
        "select connection, external_id, total_sent, total_replied, total_bounced "
        "from analytics.campaigns where platform = 'smartlead'")
    assert {(r[0], str(r[1])): (r[2], r[3], r[4]) for r in rows} == built["api"]


def test_rates_follow_seed_002(built):
    rows = built["warehouse"].query(
        "select total_sent, total_bounced, total_replied, positive_replies, total_delivered, "
        "reply_rate, bounce_rate, positive_rate from analytics.campaigns")
    zero_sent = 0
    for sent, bounced, replied, positive, delivered, reply, bounce, pos in rows:
        assert delivered == sent - bounced
        if sent == 0:
            zero_sent += 1
            assert reply is None and bounce is None and pos is None
            continue
        assert bounce == pytest.approx(bounced / sent)
        assert reply == pytest.approx(replied / delivered)
        assert pos == pytest.approx(positive / delivered)
        assert 0 <= reply <= 1 and 0 <= bounce <= 1
    assert zero_sent > 0  # drafted campaigns exercise the zero denominator


def test_daily_metrics_cover_the_backfilled_window_and_match_raw(built):
    wh = built["warehouse"]
    first, last = built["window"]
    span = wh.query("select min(date), max(date), sum(emails_sent), sum(emails_replied) "
                    "from analytics.daily_metrics")[0]
    raw = wh.query("select sum(sent), sum(replied) from raw_smartlead.campaign_daily_stats "
                   "where date between ? and ?", (first, last))[0]
    assert (str(span[0]), str(span[1])) == (first.isoformat(), last.isoformat())
    assert (span[2], span[3]) == raw


def test_one_daily_partition_rebuilds_only_that_day(duckdb_built):
    wh, settings = duckdb_built["warehouse"], duckdb_built["settings"]
    first, last = duckdb_built["window"]
    before = wh.query("select date, count(*), sum(emails_sent) from analytics.daily_metrics "
                      "group by 1 order by 1")
    with wh.connect() as con:  # tamper with one day: a rebuild of that day alone must fix it
        con.execute("update analytics.daily_metrics set emails_sent = emails_sent + 1000 "
                    "where date = ?", [last])
    # Only the dbt side of the daily job: the raw day is already loaded.
    from outbound_pipeline.definitions import build_definitions

    job = dg.define_asset_job("rebuild_day", selection=dg.AssetSelection.assets(
        dg.AssetKey(["daily_metrics"])))
    result = dg.Definitions.merge(build_definitions(settings), dg.Definitions(jobs=[job])) \
        .resolve_job_def("rebuild_day").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), partition_key=last.isoformat())
    assert result.success
    after = wh.query("select date, count(*), sum(emails_sent) from analytics.daily_metrics "
                     "group by 1 order by 1")
    assert after == before


def test_classified_replies_recover_the_sandbox_reply_kinds(built):
    """In the sandbox the platform's lead category is the reply's true kind, so agreement is
    the classifier's accuracy on simulator replies (never trained on)."""
    wh = built["warehouse"]
    agreed, paired = wh.query(
        "select sum(case when agrees then replies else 0 end), sum(replies) "
        "from analytics.reply_classification_agreement")[0]
    replies = wh.query("select count(*) from analytics.classified_replies")[0][0]
    assert paired >= 0.9 * replies > 500
    assert agreed / paired >= 0.85
    for category, share, agreeing in wh.query(
            "select platform_category, share_of_platform_category, replies "
            "from analytics.reply_classification_agreement where agrees"):
        if agreeing / share >= 30:  # fewer replies are too few to judge one category
            assert share >= 0.4, category  # neutral is the weakest, about 0.5


def test_positive_replies_come_from_the_classified_replies(built):
    wh = built["warehouse"]
    expected = dict(wh.query(
        "select campaign_external_id, count(distinct lead_email) "
        "from analytics.classified_replies where is_positive group by campaign_external_id"))
    rows = wh.query("select external_id, positive_replies, platform_positive_replies "
                    "from analytics.campaigns")
    assert {str(r[0]): r[1] for r in rows if r[1]} == {str(k): v for k, v in expected.items()}
    classified = sum(r[1] for r in rows)
    platform = sum(r[2] for r in rows)
    assert abs(classified - platform) <= 0.15 * platform
    daily = [float(v) for v in wh.query(
        "select sum(positive_replies), sum(platform_positive_replies) "
        "from analytics.daily_metrics")[0]]
    assert daily[0] > 0 and abs(daily[0] - daily[1]) <= 0.2 * daily[1]


def test_every_analytics_table_and_column_has_a_dbt_description(duckdb_built):
    import json

    from outbound_pipeline.defs.transform import DBT_PROJECT

    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    described = {}
    for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        if node["resource_type"] in ("model", "source") and node["schema"] == "analytics":
            name = node.get("alias") or node.get("identifier") or node["name"]
            described[name] = (node["description"],
                               {c: v["description"] for c, v in node["columns"].items()})
    wh = duckdb_built["warehouse"]
    for table in wh.tables("analytics"):
        assert table in described and described[table][0].strip(), table
        columns = [r[0] for r in wh.query(
            "select column_name from information_schema.columns where table_schema = "
            "'analytics' and table_name = ?", (table,))]
        missing = [c for c in columns if not described[table][1].get(c, "").strip()]
        assert not missing, (table, missing)


def test_both_engines_give_identical_analytics(duckdb_built, postgres_built):
    queries = {
        "campaigns": "select count(*), sum(total_sent), sum(positive_replies), "
                     "sum(reply_rate), sum(bounce_rate), sum(positive_rate) "
                     "from analytics.campaigns",
        "classified_replies": "select count(*), sum(confidence), "
                              "count(distinct reply_category || body_hash) "
                              "from analytics.classified_replies",
        "copy_patterns": "select count(*), sum(delivered), sum(reply_rate), "
                         "sum(case when is_significant then 1 else 0 end) "
                         "from analytics.copy_patterns",
        "variant_decay": "select count(*), sum(slope) "
                         "from analytics.variant_decay",
        "deliverability_alerts": "select count(*) from analytics.deliverability_alerts",
        "daily_metrics": "select count(*), sum(emails_sent), sum(reply_rate) "
                         "from analytics.daily_metrics",
    }
    for table, sql in queries.items():
        duck = [tuple(float(v) if v is not None else None for v in row)
                for row in duckdb_built["warehouse"].query(sql)]
        pg = [tuple(float(v) if v is not None else None for v in row)
              for row in postgres_built["warehouse"].query(sql)]
        assert len(duck) == len(pg) == 1, table
        assert duck[0] == pytest.approx(pg[0], rel=1e-9), table
