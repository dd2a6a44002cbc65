"""Landing segments → landing.webhook_events: merge on the event key, each segment once, a
killed load re-run without duplicates, and a sensor that neither skips nor repeats."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg

from outbound_pipeline import clock
from outbound_pipeline.definitions import build_definitions
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline.webhooks.landing import LandingStore, SegmentWriter
from outbound_pipeline.webhooks.load import load_segments
from outbound_pipeline.webhooks.sources import events_of
from outbound_pipeline_tests.helpers import settings_for
from outbound_pipeline_tests.webhooks import payloads


def landed_line(payload: dict, source: str = "smartlead") -> bytes:
    event, part = events_of(source, payload)[0]
    record = {"event_key": event.key(part), "source": source, "connection": "acme",
              "received_at": clock.now().isoformat(), "payload": part}
    return (json.dumps(record) + "\n").encode()


def write_segment(store: LandingStore, payloads_: list[dict]) -> str:
    writer = SegmentWriter(store, max_bytes=1 << 40, max_age_seconds=3600)
    writer.append(b"".join(landed_line(p) for p in payloads_))
    segment_id = writer.seal()
    assert segment_id is not None
    return segment_id


def sent(n: int) -> dict:
    return payloads.smartlead("EMAIL_SENT", stats_id=f"st-{n}")


def count(warehouse: Warehouse, sql: str) -> int:
    return warehouse.query(sql)[0][0]


def test_redeliveries_and_replays_keep_one_row(warehouse, tmp_path):
    store = LandingStore(tmp_path / "landing")
    first = write_segment(store, [sent(1), sent(2), sent(1)])  # a redelivery in one segment
    second = write_segment(store, [sent(2), sent(3)])  # and one across segments
    result = load_segments(warehouse, store, [first, second])
    assert (result.events_read, result.new_events, result.duplicates) == (5, 3, 2)
    assert count(warehouse, "select count(*) from landing.webhook_events") == 3

    again = load_segments(warehouse, store, [first, second])
    assert again.segments_skipped == [first, second] and again.events_read == 0

    replay = load_segments(warehouse, store, [first, second], reload=True)
    assert replay.new_events == 0
    assert count(warehouse, "select count(*) from landing.webhook_events") == 3
    assert warehouse.query("select segment_id, events, new_events from landing.loaded_segments "
                           "order by segment_id") == [(first, 3, 0), (second, 2, 0)]


def test_every_documented_shape_loads_into_the_same_columns(warehouse, tmp_path):
    store = LandingStore(tmp_path / "landing")
    writer = SegmentWriter(store, max_bytes=1 << 40, max_age_seconds=3600)
    writer.append(landed_line(payloads.smartlead("EMAIL_REPLY", stats_id="a"))
                  + landed_line(payloads.smartlead("EMAIL_REPLY", stats_id="b", deprecated=True))
                  + landed_line(payloads.replyio(dotted=True), "replyio")
                  + landed_line(payloads.lemlist("emailReplied"), "lemlist"))
    load_segments(warehouse, store, [writer.seal()])
    rows = warehouse.query(
        "select platform, event_type, lead_email, message_id, text, occurred_at "
        "from landing.webhook_events order by platform, email_external_id")
    assert [r[:3] for r in rows] == [
        ("lemlist", "replied", "bo@initech.com"), ("replyio", "replied", "pat@globex.com"),
        ("smartlead", "replied", "lead@acme.com"), ("smartlead", "replied", "lead@acme.com")]
    assert rows[2][3:] == rows[3][3:]  # current and deprecated Smartlead shapes agree
    assert rows[2][4] == "Sounds good, call me Tuesday"


def test_a_load_killed_mid_segment_is_rerun_without_duplicates(warehouse, tmp_path):
    store = LandingStore(tmp_path / "landing")
    big = write_segment(store, [sent(n) for n in range(30_000)])
    small = write_segment(store, [sent(n) for n in range(29_990, 30_010)])
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from outbound_pipeline.warehouse import Warehouse
        from outbound_pipeline.webhooks.landing import LandingStore
        from outbound_pipeline.webhooks.load import load_segments
        def announce(segment_id):
            print("merging", segment_id, flush=True)
        load_segments(Warehouse.from_url({warehouse.url!r}),
                      LandingStore(Path({str(store.root)!r})), [{big!r}, {small!r}],
                      before_segment=announce)
        print("done", flush=True)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == f"merging {big}"
    child.kill()  # inside the first segment's transaction
    child.wait()

    loaded = warehouse.query("select count(*) from landing.webhook_events") if \
        warehouse.table_exists("landing", "webhook_events") else [(0,)]
    assert loaded[0][0] in (0, 30_000)  # all of the segment or nothing, never part

    result = load_segments(warehouse, store, [big, small])
    assert count(warehouse, "select count(*) from landing.webhook_events") == 30_010
    assert count(warehouse, "select count(distinct event_key) from landing.webhook_events") \
        == 30_010
    assert count(warehouse, "select count(*) from landing.loaded_segments") == 2
    assert result.new_events + loaded[0][0] == 30_010


def test_sensor_restart_neither_skips_nor_repeats_a_segment(tmp_path, duckdb_warehouse):
    settings = settings_for(tmp_path, duckdb_warehouse, tmp_path / "connections.yaml")
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_sensor")
    job = defs.resolve_job_def("landing_job")
    instance = dg.DagsterInstance.ephemeral()
    store = LandingStore(settings.landing_dir)

    def tick(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
        # A fresh context per tick, as after a daemon restart: only the cursor carries over.
        context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                          definitions=defs)
        return sensor(context)

    def run(request: dg.RunRequest) -> dict:
        result = job.execute_in_process(
            run_config=request.run_config, instance=instance, tags=request.tags,
            asset_selection=[dg.AssetKey(["landing", "webhook_events"])])
        (materialization,) = result.asset_materializations_for_node("landing__webhook_events")
        return {k: v.value for k, v in materialization.metadata.items()}

    assert isinstance(tick(None), dg.SkipReason)
    one = write_segment(store, [sent(1), sent(2)])
    two = write_segment(store, [sent(3)])
    first = tick(None)
    assert [r.run_key for r in first.run_requests] == [f"landing-{one}..{two}"]
    assert first.cursor == two
    stats = run(first.run_requests[0])
    assert (stats["segments_loaded"], stats["new_events"]) == (2, 3)

    restarted = tick(first.cursor)
    assert isinstance(restarted, dg.SkipReason)  # nothing is handed out twice

    three = write_segment(store, [sent(3), sent(4)])
    second = tick(first.cursor)
    assert [r.run_key for r in second.run_requests] == [f"landing-{three}"]
    assert run(second.run_requests[0])["new_events"] == 1

    # A daemon that died after launching a run but before saving the cursor asks again from the
    # old cursor: the segments already loaded are skipped, none is loaded twice.
    replayed = tick(first.cursor)
    stats = run(replayed.run_requests[0])
    assert (stats["segments_loaded"], stats["segments_skipped"]) == (0, 1)
    ledger = duckdb_warehouse.query(
        "select segment_id, count(*) from landing.loaded_segments group by segment_id "
        "order by segment_id")
    assert ledger == [(one, 1), (two, 1), (three, 1)]
    assert count(duckdb_warehouse, "select count(*) from landing.webhook_events") == 4


def test_recovery_cuts_a_torn_line_and_seals(tmp_path):
    store = LandingStore(tmp_path / "landing").ensure()
    orphan = store.open_dir / "host-1-dead.jsonl"
    orphan.write_bytes(landed_line(sent(1)) + landed_line(sent(2))[:25])  # died mid-write
    (store.open_dir / "host-2-empty.jsonl").write_bytes(b"")
    (sealed,) = store.recover()
    assert [r["payload"]["stats_id"] for r in store.read(sealed)] == ["st-1"]
    assert not list(store.open_dir.glob("*.jsonl"))


def test_a_live_writers_segment_is_left_alone(tmp_path):
    store = LandingStore(tmp_path / "landing")
    writer = SegmentWriter(store, max_bytes=1 << 40, max_age_seconds=3600)
    writer.append(landed_line(sent(1)))
    assert store.recover() == []
    assert writer.seal() is not None
    assert Path(store.sealed_dir / "000000000001.jsonl").exists()
