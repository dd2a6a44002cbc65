"""The classified_replies asset on a real warehouse (DuckDB and PostgreSQL), run as Dagster
runs: replies from the synced threads and from webhooks, dedup by message id and by body
hash, incremental re-runs, a classifier version change, reclassify, and the remote fallback."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from outbound_pipeline.sandbox.classifier_api import classifier_api_process
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline.webhooks.load import ensure_tables
from outbound_pipeline_tests.helpers import materialized, run_job, settings_for

WHEN = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
HISTORY = [
    # (lead_id, message_id, type, body)
    (1, "<m1@x>", "SENT", "Hi Ana, quick call next week? Reply STOP to opt out."),
    (1, "<r1@x>", "REPLY", '<div dir="ltr">Sounds great, can we talk Tuesday at 3pm?</div>'
                           '<div class="gmail_quote"><blockquote>quick call?</blockquote></div>'),
    (2, "<r2@x>", "REPLY", "Please remove me from your list."),
    (3, "<r3@x>", "REPLY", "Please remove me from your list.\n\nOn Mon, Tom wrote:\n> hi"),
    (4, "<r4@x>", "REPLY", "Out of office until 16 March 2026. For urgent matters call Jo."),
]


HISTORY_ROW = ("insert into raw_smartlead.message_history "
               "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def execute(warehouse: Warehouse, sql: str, params: tuple = ()) -> None:
    with warehouse.connect() as con:
        if warehouse.kind == "postgres":
            sql = sql.replace("?", "%s")
        con.execute(sql, list(params))


def seed(warehouse: Warehouse) -> None:
    with warehouse.connect() as con:
        con.execute("create schema if not exists raw_smartlead")
        con.execute("""create table raw_smartlead.message_history (
            connection varchar, campaign_id bigint, lead_id bigint, message_id varchar,
            type varchar, "time" timestamp with time zone, subject varchar, from_email varchar,
            stats_id varchar, email_body varchar)""")
    for lead, message_id, kind, body in HISTORY:
        execute(
            warehouse, HISTORY_ROW,
            ("acme", 10, lead, message_id, kind, WHEN, "Re: hello", f"lead{lead}@x.com",
             f"s{lead}", body))
    ensure_tables(warehouse)
    # The same reply as the synced thread (same message id), and one only a webhook has seen.
    for key, message_id, lead, text in (
            ("smartlead_replied_a", "<r1@x>", 1, "Sounds great, can we talk Tuesday at 3pm?"),
            ("smartlead_replied_b", "<r5@x>", 5, "Not interested, thanks.")):
        execute(
            warehouse,
            "insert into landing.webhook_events (event_key, source, connection, platform, "
            "event_type, campaign_external_id, lead_external_id, lead_email, message_id, "
            "text, occurred_at, received_at, segment_id, payload, loaded_at) values "
            "(?, 'smartlead', 'acme', 'smartlead', 'replied', '10', ?, ?, ?, ?, ?, ?, "
            "'000000000001', '{}', ?)",
            (key, str(lead), f"lead{lead}@x.com", message_id, text, WHEN, WHEN, WHEN))


def rows(warehouse: Warehouse) -> dict[str, tuple]:
    found = warehouse.query(
        "select message_id, source, reply_category, method, reused_classification, "
        "classifier_version, cleaned_text, body_hash, explanation, return_date "
        "from analytics.classified_replies order by message_id")
    return {r[0]: r[1:] for r in found}


@pytest.fixture
def settings(tmp_path: Path, warehouse: Warehouse):
    seed(warehouse)
    return settings_for(tmp_path, warehouse, tmp_path / "connections.yaml")


def test_every_reply_once_with_dedup_by_message_id_and_body_hash(settings, warehouse):
    result = run_job(settings, "classify_replies_job")
    meta = materialized(result)["classified_replies"]
    found = rows(warehouse)
    assert set(found) == {"<r1@x>", "<r2@x>", "<r3@x>", "<r4@x>", "<r5@x>"}
    assert found["<r1@x>"][:3] == ("smartlead_history", "meeting_request", "model")
    assert found["<r1@x>"][5] == "Sounds great, can we talk Tuesday at 3pm?"
    assert found["<r5@x>"][:2] == ("webhook", "not_interested")
    # r2 and r3 clean to the same words: classified once, the second reuses it
    assert found["<r2@x>"][6] == found["<r3@x>"][6]
    assert sorted([found["<r2@x>"][3], found["<r3@x>"][3]]) == [False, True]
    assert found["<r4@x>"][1] == "out_of_office"
    assert str(found["<r4@x>"][8]) == "2026-03-17"
    assert (meta["replies_due"], meta["replies_classified"], meta["replies_reused"]) == (5, 4, 1)
    assert meta["held_out_macro_f1"] >= 0.90
    assert json.loads(json.dumps(meta["category_mix"])) == {
        "meeting_request": 1, "not_interested": 1, "out_of_office": 1, "unsubscribe": 2}


def test_a_rerun_classifies_only_new_replies(settings, warehouse):
    run_job(settings, "classify_replies_job")
    before = rows(warehouse)
    meta = materialized(run_job(settings, "classify_replies_job"))["classified_replies"]
    assert meta["replies_due"] == 0
    assert rows(warehouse) == before
    execute(
        warehouse, HISTORY_ROW,
        ("acme", 10, 6, "<r6@x>", "REPLY", WHEN, "Re", "lead6@x.com", "s6",
         "Please remove me from your list."))
    meta = materialized(run_job(settings, "classify_replies_job"))["classified_replies"]
    assert (meta["replies_due"], meta["replies_classified"], meta["replies_reused"]) == (1, 0, 1)


def test_a_new_classifier_version_classifies_everything_again(settings, warehouse):
    run_job(settings, "classify_replies_job")
    execute(warehouse, "update analytics.classified_replies set classifier_version = 'old-1'")
    meta = materialized(run_job(settings, "classify_replies_job"))["classified_replies"]
    assert meta["replies_due"] == 5
    assert {r[4] for r in rows(warehouse).values()} == {meta["classifier_version"]}


def test_reclassify_classifies_every_reply_and_keeps_one_row_each(settings, warehouse):
    run_job(settings, "classify_replies_job")
    config = {"ops": {"classified_replies": {"config": {"reclassify": True}}}}
    meta = materialized(run_job(settings, "classify_replies_job",
                                run_config=config))["classified_replies"]
    # every reply again; identical bodies still share one classification within the run
    assert (meta["replies_due"], meta["replies_classified"]) == (5, 4)
    assert warehouse.query("select count(*) from analytics.classified_replies")[0][0] == 5


def test_the_remote_classifier_is_used_and_its_failure_falls_back(settings, warehouse,
                                                                   monkeypatch):
    key = "remote-key-9a8b7c"
    with classifier_api_process(key) as api:
        monkeypatch.setenv("OUTBOUND_REPLY_CLASSIFIER_API_KEY", key)
        remote = replace(settings, reply_classifier="remote",
                         reply_classifier_url=api.urls["batch"])
        meta = materialized(run_job(remote, "classify_replies_job"))["classified_replies"]
        assert meta["classifier"] == "remote" and meta["fallbacks"] == 0
        assert {r[2] for r in rows(warehouse).values()} == {"remote"}
        httpx.post(api.urls["control"] + "/faults", json={"mode": "error", "count": 100})
        config = {"ops": {"classified_replies": {"config": {"reclassify": True}}}}
        meta = materialized(run_job(remote, "classify_replies_job",
                                    run_config=config))["classified_replies"]
    assert meta["fallbacks"] == 4  # distinct bodies
    assert {r[2] for r in rows(warehouse).values()} <= {"rule", "model"}
    stored = warehouse.query("select explanation_detail from analytics.classified_replies")
    assert all("fallback_reason" in r[0] and key not in r[0] for r in stored)
