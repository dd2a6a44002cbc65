"""The Dagster side of LinkedIn: the ``linkedin_steps`` job, the reply sensor with its
``linkedin_replies`` run after a landing load, a bad campaigns file, and the ``unipile_sync``
assets into ``raw_unipile``."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest

from outbound_pipeline.cli import run_requests
from outbound_pipeline.definitions import build_definitions
from outbound_pipeline.defs.events import WEBHOOK_EVENTS
from outbound_pipeline.linkedin.campaign import load_campaigns
from outbound_pipeline.linkedin_store import LEADS, enrol_leads, save_campaigns
from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
from outbound_pipeline.webhooks.landing import LandingStore
from outbound_pipeline.webhooks.serve import receiver_process
from outbound_pipeline_tests.helpers import materialized, run_job, settings_for
from outbound_pipeline_tests.linkedin.test_linkedin_steps import CAMPAIGNS, SPEED, WORLD


@pytest.fixture
def linkedin(tmp_path: Path, duckdb_warehouse, monkeypatch):
    with SandboxProcess(WORLD, speed=SPEED, linkedin_prospects=30) as sandbox:
        truth = sandbox.unipile_truth()
        connections = tmp_path / "connections.yaml"
        keys = write_connections_file(connections, [], sandbox.smartlead_url, SPEED,
                                      unipile=(sandbox.unipile_url, truth["api_key"]))
        for name, value in keys.items():
            monkeypatch.setenv(name, value)
        campaigns = tmp_path / "linkedin_campaigns.yaml"
        campaigns.write_text(CAMPAIGNS.format(account=truth["accounts"][0]["id"], invites=25,
                                              messages=100))
        settings = replace(settings_for(tmp_path, duckdb_warehouse, connections),
                           linkedin_campaigns_path=campaigns)
        save_campaigns(duckdb_warehouse, load_campaigns(campaigns.read_text()))
        enrol_leads(duckdb_warehouse, "cfo", [
            {"provider_id": p["provider_id"], "first_name": p["first_name"],
             "company": p["company"]} for p in truth["prospects"][:20]],
            now=datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
        yield sandbox, settings


def _config(at: datetime, poll: bool = True) -> dict:
    return {"ops": {"detect_linkedin_activity": {"config": {"now": at.isoformat(),
                                                             "poll": poll}}}}


def test_job_sends_invitations_and_the_reply_sensor_applies_webhooks(linkedin, duckdb_warehouse,
                                                                     tmp_path):
    sandbox, settings = linkedin
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()
    env = {"OUTBOUND_CONNECTIONS": str(settings.connections_path),
           "OUTBOUND_LANDING_DIR": str(settings.landing_dir),
           "OUTBOUND_WEBHOOK_SECRET_UNIPILE": "hook-secret",
           "OUTBOUND_LANDING_SEGMENT_SECONDS": "0.2"}
    with receiver_process(env) as receiver:
        base = receiver.urls["receiver"] + "/webhooks/unipile/linkedin"
        sandbox.unipile_webhooks(f"{base}/users", f"{base}/messaging", secret="hook-secret",
                                 max_delay_seconds=0.05)
        monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
        sandbox.unipile_clock(monday)
        result = defs.resolve_job_def("linkedin_steps").execute_in_process(
            instance=instance, run_config=_config(monday))
        assert result.success
        meta = {e.step_key: e for e in result.get_step_success_events()}
        assert set(meta) == {"detect_linkedin_activity", "send_linkedin_steps"}
        assert "ops/linkedin_leads" in materialized(result)
        invited = duckdb_warehouse.query(f"select count(*) from {LEADS} where status = "
                                         "'INVITED'")[0][0]
        assert invited == 20 == len(sandbox.unipile_sent())

        sandbox.unipile_clock(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
        sandbox.unipile_flush_webhooks(timeout=30)
        store = LandingStore(settings.landing_dir)
        deadline = time.monotonic() + 20
        while not store.sealed_after(None) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    tick = defs.resolve_sensor_def("landing_sensor")(
        dg.build_sensor_context(instance=instance, definitions=defs))
    (request,) = tick.run_requests
    assert defs.resolve_job_def("landing_job").execute_in_process(
        run_config=request.run_config, instance=instance, tags=request.tags,
        asset_selection=[WEBHOOK_EVENTS]).success
    sensor = defs.resolve_sensor_def("linkedin_reply_sensor")
    (request,) = run_requests(sensor(dg.build_sensor_context(instance=instance,
                                                             definitions=defs)))
    assert request.run_key.startswith("linkedin-")
    assert defs.resolve_job_def("linkedin_replies").execute_in_process(
        instance=instance, tags=request.tags).success
    accepted = {o["provider_id"] for o in sandbox.unipile_outcomes() if o["accepted_at"]}
    connected = {r[0] for r in duckdb_warehouse.query(
        f"select provider_id from {LEADS} where connected_at is not null")}
    assert accepted and connected == accepted  # from new_relation webhooks alone


def test_a_bad_campaigns_file_stops_the_run_with_every_problem(linkedin, tmp_path):
    _, settings = linkedin
    bad = tmp_path / "bad.yaml"
    bad.write_text("accounts: []\ncampaigns:\n  - campaign_id: X y\n    steps: []\n")
    result = build_definitions(replace(settings, linkedin_campaigns_path=bad)) \
        .resolve_job_def("linkedin_steps").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            run_config=_config(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)))
    assert not result.success
    failure = str(result.get_step_failure_events()[0].step_failure_data.error)
    assert "campaigns[0]" in failure and "campaign_id" in failure and "steps" in failure


def test_unipile_sync_loads_relations_chats_and_messages_once(linkedin, duckdb_warehouse):
    sandbox, settings = linkedin
    from outbound_pipeline.connections import load_connections
    from outbound_pipeline.linkedin_run import detect, send_due
    from outbound_pipeline.platforms.unipile.client import UnipileClient

    connection = load_connections(settings.connections_path)[0]
    with UnipileClient.for_connection(connection) as client:
        for day in (23, 24, 25, 26, 27):
            at = datetime(2026, 11, day, 11, 0, tzinfo=UTC)
            sandbox.unipile_clock(at)
            detect(duckdb_warehouse, lambda _: client, at)
            send_due(duckdb_warehouse, lambda _: client, at)
    first = materialized(run_job(settings, "unipile_sync_job"))
    assert first["raw/unipile/relations"]["requests"] > 0
    counts = {t: duckdb_warehouse.query(f"select count(*) from raw_unipile.{t}")[0][0]
              for t in ("relations", "chats", "messages")}
    outcomes = sandbox.unipile_outcomes()
    assert counts["relations"] == sum(1 for o in outcomes if o["accepted_at"])
    sent = [s for s in sandbox.unipile_sent() if s["kind"] == "message"]
    replies = sum(len(o["replies"]) for o in outcomes)
    assert counts["messages"] == len(sent) + replies and counts["chats"] > 0
    hidden = duckdb_warehouse.query("select count(*) from raw_unipile.relations where "
                                    "public_identifier is null")[0][0]
    assert hidden == sum(1 for o in outcomes
                         if o["accepted_at"] and not o["relation_visible_public_identifier"])
    run_job(settings, "unipile_sync_job")  # incremental: nothing twice
    again = duckdb_warehouse.query("select count(*), count(distinct message_id) from "
                                   "raw_unipile.messages")[0]
    assert again == (counts["messages"], counts["messages"])
    assert date(2026, 11, 23) <= duckdb_warehouse.query(
        "select min(sent_at) from raw_unipile.messages")[0][0].date()
