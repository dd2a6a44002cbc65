"""`make bench`: run the benchmarks side by side and record them in docs/benchmarks.md.

1. Full Smartlead sync of the default sandbox world at the real limit (10 requests / 2 s per
   key): the project's paced client beside the seed system's fixed 350 ms delay, in the same run
   (two sandboxes, two processes, concurrently).
2. Rows/s of the largest resource into DuckDB and PostgreSQL, beside a plain insert / COPY of
   the same rows.
3. ``dbt build`` of the analytics layer on the world scaled up.
4. The webhook receiver: accepted events/s and latency with durable landing, and the lag from
   receipt to the warehouse (see ``webhook_receiver``).
5. Reply classification: held-out quality, confusion matrix, replies/s on one core beside the
   remote approaches (see ``replies``).
6. Pushing 10,000 routed leads at the real limit, against the bound and one request per lead
   (see ``lead_push``).
7. A ``linkedin_steps`` run inviting 200 leads through Unipile at the limit, against the bound
   and a fixed delay per request (see ``linkedin_steps``).

Options: --skip-pacing, --skip-load, --skip-dbt, --skip-webhooks, --skip-replies,
--skip-leads, --skip-linkedin, --no-record,
--campaigns/--leads (a smaller world, for a quick look; recorded figures use the default world).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from outbound_pipeline.connections import load_connections
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
from outbound_pipeline.sandbox.world import WorldConfig
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.benchmarks import (
    lead_push,
    linkedin_steps,
    load_speed,
    machine,
    replies,
    sync_pacing,
    webhook_receiver,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
PG_ADMIN_URL = os.environ.get("OUTBOUND_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


def pacing(world: WorldConfig, workdir: Path) -> list[dict]:
    sandboxes, children = [], []
    try:
        for approach in ("paced", "fixed"):
            sandbox = SandboxProcess(world, speed=1.0)
            sandbox.start()
            sandboxes.append(sandbox)
            folder = workdir / approach
            folder.mkdir()
            keys = write_connections_file(folder / "connections.yaml", sandbox.accounts,
                                          sandbox.smartlead_url, 1.0)
            children.append(subprocess.Popen(
                [sys.executable, "-m", "outbound_pipeline_tests.benchmarks.sync_pacing",
                 "--approach", approach, "--connections", str(folder / "connections.yaml"),
                 "--workdir", str(folder)],
                env={**os.environ, **keys}, stdout=subprocess.PIPE, text=True,
            ))
        print("  full sync at the real limit, both approaches concurrently …", flush=True)
        results = []
        for child, sandbox in zip(children, sandboxes, strict=True):
            out, _ = child.communicate()
            if child.returncode:
                raise SystemExit(f"sync benchmark child failed ({child.returncode})")
            result = json.loads(out.strip().splitlines()[-1])
            served = sandbox.requests()
            sync_pacing.check_synced(result, world.n_campaigns, len(served))
            order = [r["account"] for r in served if r["status"] != 429]
            result["bound_seconds"] = round(schedule_bound(
                order, result["limit_requests"], result["limit_seconds"]), 2)
            results.append(result)
        return results
    finally:
        for sandbox in sandboxes:
            sandbox.stop()


def schedule_bound(accounts: list[str], requests: int, per_seconds: float) -> float:
    """The least time a one-at-a-time client needs for this exact sequence of requests when
    each key allows ``requests`` starts in any ``per_seconds`` window: every request starts as
    early as its own key's window allows (greedy earliest start is optimal here)."""
    starts: dict[str, list[float]] = {}
    now = 0.0
    for account in accounts:
        mine = starts.setdefault(account, [])
        if len(mine) >= requests:
            now = max(now, mine[-requests] + per_seconds)
        mine.append(now)
    return now


def load(world: WorldConfig, workdir: Path) -> list[dict]:
    sandbox = SandboxProcess(world, speed=1000.0)
    sandbox.start()
    try:
        keys = write_connections_file(workdir / "fast.yaml", sandbox.accounts,
                                      sandbox.smartlead_url, 1000.0)
        os.environ.update(keys)
        clients = [SmartleadClient.for_connection(c)
                   for c in load_connections(workdir / "fast.yaml")]
        tables = load_speed.fetch_statistics(clients)
    finally:
        sandbox.stop()
    rows = sum(t.num_rows for t in tables)
    whole = pa.concat_tables(tables)
    results = []
    duck = Warehouse.from_url(f"duckdb:///{workdir / 'load.duckdb'}")
    results.append(_pair(
        "DuckDB", rows, _median(lambda: load_speed.dlt_load(duck, tables, workdir)),
        "plain CREATE TABLE AS", _median(lambda: load_speed.plain_duckdb(duck, whole))))
    try:
        import psycopg

        name = f"outbound_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as con:
            con.execute(f'create database "{name}"')
        try:
            pg = Warehouse.from_url(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
            results.append(_pair(
                "PostgreSQL", rows, _median(lambda: load_speed.dlt_load(pg, tables, workdir)),
                "plain COPY", _median(lambda: load_speed.plain_postgres_copy(pg, whole))))
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as con:
                con.execute(f'drop database if exists "{name}" with (force)')
    except psycopg.OperationalError as exc:
        print(f"  PostgreSQL not reachable, skipped: {exc}")
    return results


def _median(measure, repeats: int = 3) -> float:
    return statistics.median(measure() for _ in range(repeats))


def _pair(engine: str, rows: int, dlt_seconds: float, plain_name: str,
          plain_seconds: float) -> dict:
    return {"engine": engine, "rows": rows, "dlt_rows_per_s": round(rows / dlt_seconds),
            "plain": plain_name, "plain_rows_per_s": round(rows / plain_seconds),
            "ratio": round(plain_seconds / dlt_seconds, 3)}


def analytics_build(world: WorldConfig, workdir: Path, copies: int) -> list[dict]:
    """The default world through the real jobs (fast sandbox), scaled, then dbt timed."""
    from outbound_pipeline_tests.benchmarks import dbt_build
    from outbound_pipeline_tests.helpers import backfill_tags, run_job, settings_for

    targets = [Warehouse.from_url(f"duckdb:///{workdir / 'dbt_bench.duckdb'}")]
    pg_name = None
    try:
        import psycopg

        pg_name = f"outbound_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as con:
            con.execute(f'create database "{pg_name}"')
        targets.append(Warehouse.from_url(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{pg_name}"))
    except psycopg.OperationalError as exc:
        pg_name = None
        print(f"  PostgreSQL not reachable, dbt on DuckDB only: {exc}")
    results = []
    sandbox = SandboxProcess(world, speed=1000.0)
    sandbox.start()
    try:
        keys = write_connections_file(workdir / "dbt.yaml", sandbox.accounts,
                                      sandbox.smartlead_url, 1000.0)
        os.environ.update(keys)
        end = sandbox.truth["config"]["end_date"]
        last = date.fromisoformat(str(end)[:10]) - timedelta(days=1)
        for warehouse in targets:
            folder = workdir / f"dbt_{warehouse.kind}"
            settings = settings_for(folder, warehouse, workdir / "dbt.yaml")
            print(f"  {warehouse.kind}: syncing the default world …", flush=True)
            run_job(settings, "smartlead_sync_job", with_dbt=True)
            run_job(settings, "smartlead_daily_metrics_job", with_dbt=True,
                    tags=backfill_tags(last - timedelta(days=world.days - 1), last))
            print(f"  {warehouse.kind}: scaling ×{copies} and timing dbt …", flush=True)
            dbt_build.scale(warehouse, copies)
            results.append(dbt_build.measure(warehouse, folder, last))
    finally:
        sandbox.stop()
        if pg_name:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as con:
                con.execute(f'drop database if exists "{pg_name}" with (force)')
    return results


def render(world: WorldConfig, sync: list[dict], loads: list[dict],
           builds: list[dict] | None = None) -> str:
    lines = [f"## Smartlead ingestion: {machine.today()}", "",
             f"Machine: {machine.describe()}.",
             f"World: seed {world.seed}, {world.n_accounts} accounts, {world.n_campaigns} "
             f"campaigns, {world.n_leads:,} leads, {world.days} days.", ""]
    if sync:
        lines += ["Full sync at the real limit (10 requests / 2 s per account key):", "",
                  "| approach | requests | 429s | seconds | bound (s) | bound ÷ seconds | "
                  "requests/s |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for r in sync:
            name = {"paced": "project client (sliding-window pacing)",
                    "fixed": "seed: fixed 350 ms delay"}[r["approach"]]
            lines.append(f"| {name} | {r['requests']:,} | {r['responses_429']} | "
                         f"{r['seconds']:.0f} | {r['bound_seconds']:.0f} | "
                         f"{r['bound_seconds'] / r['seconds']:.3f} | "
                         f"{r['requests_per_s']:.2f} |")
        lines += ["", "*bound*: the least time this exact sequence of requests could take at the "
                  "limit, each request starting as soon as its own account's window allows "
                  "(requests alternate between the accounts, whose windows overlap). "
                  "*bound ÷ seconds* is the share of the limit sustained over the whole run, "
                  "dlt's normalize and load included."]
        lines.append("")
    if loads:
        lines += ["Largest resource (`email_statistics`, upsert on its primary key, median of 3) "
                  "into each warehouse, beside a plain insert of the same rows:", "",
                  "| engine | rows | dlt rows/s | plain | plain rows/s | dlt ÷ plain |",
                  "|---|---:|---:|---|---:|---:|"]
        for r in loads:
            lines.append(f"| {r['engine']} | {r['rows']:,} | {r['dlt_rows_per_s']:,} | "
                         f"{r['plain']} | {r['plain_rows_per_s']:,} | {r['ratio']:.3f} |")
        lines.append("")
    if builds:
        lines += ["`dbt build` of the analytics layer (models and tests, full refresh) on the "
                  "world scaled by copying every raw table under new connection names, and the "
                  "incremental `daily_metrics` rebuild of one day:", "",
                  "| engine | email_statistics rows | email_activities rows | full build (s) | "
                  "one day (s) |", "|---|---:|---:|---:|---:|"]
        for r in builds:
            lines.append(f"| {r['engine']} | {r['email_statistics']:,} | "
                         f"{r['email_activities']:,} | {r['full_build_s']} | {r['one_day_s']} |")
        lines.append("")
    return "\n".join(lines)


def render_webhooks(results: dict) -> str:
    put, lag = results["throughput"], results["lag"]
    closed, offered = put["closed"], put["open"]
    lines = [f"## Webhook receiver: {machine.today()}", "",
             f"Machine: {machine.describe()}.",
             f"Receiver: one worker, landing folder on {put['filesystem']}, each answer sent "
             "after its event is written and fdatasync'ed (group commit). Load: a separate "
             f"process with {closed['connections']} keep-alive HTTP/1.1 connections posting "
             f"signed Smartlead `EMAIL_SENT` payloads ({closed['body_bytes']:,} bytes, each a new "
             f"event), after a {closed['warmup_s']:g} s warm-up:", "",
             "| load | seconds | accepted events/s | p50 ms | p95 ms | p99 ms | max ms | "
             "errors | receiver CPU | generator CPU | other CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in (("closed loop: the next request as soon as the answer is back", closed),
                    (f"open loop: {offered['offered_per_s']:,.0f} events/s offered, latency "
                     "from when each request was due", offered)):
        errors = sum(r["non_200"].values()) + r["transport_errors"]
        cpu = " | ".join("—" if r.get(k) is None else f"{r[k]:.2f}"
                         for k in ("receiver_cpu", "generator_cpu", "other_cpu"))
        lines.append(f"| {name} | {r['seconds']:g} | {r['accepted_per_s']:,.0f} | "
                     f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                     f"{r['max_ms']:.1f} | {errors} | {cpu} |")
    verdict = "equal" if put["durable"] else "**not equal**"
    lines += ["", "*errors*: answers other than 200 and failed connections over the whole run; "
              "*CPU*: cores busy over the whole run (1.00 = one core all along) in the receiver, "
              "the load generator and every other process on the machine.",
              "",
              f"Durability: after a graceful stop, {put['sealed_events']:,} events in "
              f"{put['segments']} sealed segments ({put['distinct_keys']:,} distinct event keys, "
              f"{put['left_open']} left in an open segment) against {put['ok']:,} answers 200 "
              f"(the receiver counted {put['receiver_200']:,}): {verdict}.", "",
              f"Receive-to-warehouse lag: {lag['rate']:g} events/s for {lag['seconds']:g} s, "
              f"sensor every {lag['interval']} s, segments sealed at "
              f"{lag['segment_seconds']:g} s old. The benchmark plays the daemon: it evaluates "
              "the real `landing_sensor` on that interval and executes each requested "
              "`landing_job` run in process (the load, then the event-driven dbt models) on a "
              f"warehouse holding a synced sandbox world of {lag['world_leads']:,} leads. "
              f"{lag['runs']} runs of {lag['run_s']['median']:.1f} s median, "
              f"{lag['run_s']['max']:.1f} s max (load step {lag['load_step_s']['median']:.1f} s, "
              f"dbt step {lag['dbt_step_s']['median']:.1f} s median), {lag['failed_runs']} "
              f"failed; {lag['skipped_in_flight']} of {lag['ticks']} ticks fell while a run was "
              f"in flight; {lag['loaded']:,} of {lag['sent_ok']:,} events loaded.", "",
              "| from receipt to | p50 s | p99 s | max s |", "|---|---:|---:|---:|"]
    for name, key in (("its row in `landing.webhook_events` (`loaded_at - received_at`)",
                       "load_lag_s"),
                      ("the end of the run that loaded it (event-driven models rebuilt)",
                       "model_lag_s")):
        r = lag[key]
        lines.append(f"| {name} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} |")
    throughput_met = (closed["accepted_per_s"] >= 2000 and offered["p99_ms"] < 50
                      and offered["accepted_per_s"] >= 0.99 * offered["offered_per_s"])
    lag_met = (lag["model_lag_s"]["max"] <= 60 and lag["loaded"] == lag["sent_ok"]
               and not lag["failed_runs"])
    lines += ["", f"A fresh interpreter takes {lag['cold_start_s']:.1f} s to import and build the "
              "definitions: the least an out-of-process run (the daemon's run launcher) adds "
              "before its first step. The figures above do not include it.", "",
              f"Goals: ≥ 2,000 events/s with p99 < 50 ms — {_met(throughput_met)} "
              f"({closed['accepted_per_s']:,.0f} events/s at saturation; p99 "
              f"{offered['p99_ms']:.1f} ms at {offered['offered_per_s']:,.0f} events/s offered). "
              f"Receive-to-warehouse lag ≤ 60 s — {_met(lag_met)} (max "
              f"{lag['load_lag_s']['max']:.1f} s into `landing.webhook_events`, "
              f"{lag['model_lag_s']['max']:.1f} s until the models are rebuilt).", ""]
    return "\n".join(lines)


def _met(met: bool) -> str:
    return "met" if met else "**not met**"


def _lead_engines(workdir: Path, name: str = "leads") -> dict[str, str]:
    engines = {"DuckDB": f"duckdb:///{workdir / f'{name}.duckdb'}"}
    try:
        import psycopg

        name = f"outbound_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as con:
            con.execute(f'create database "{name}"')
        engines["PostgreSQL"] = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    except Exception as exc:  # noqa: BLE001 - the benchmark runs without PostgreSQL
        print(f"  PostgreSQL not reachable, {name} on DuckDB only: {exc}")
    return engines


def _drop_databases(urls) -> None:
    import psycopg

    for url in urls:
        if url.startswith("postgresql"):
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as con:
                con.execute(f'drop database if exists "{url.rsplit("/", 1)[1]}" with (force)')


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--skip-pacing", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-dbt", action="store_true")
    parser.add_argument("--skip-webhooks", action="store_true")
    parser.add_argument("--skip-replies", action="store_true")
    parser.add_argument("--skip-leads", action="store_true")
    parser.add_argument("--skip-linkedin", action="store_true")
    parser.add_argument("--copies", type=int, default=50,
                        help="copies of the world for the dbt benchmark")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--campaigns", type=int)
    parser.add_argument("--leads", type=int)
    args = parser.parse_args()
    world = WorldConfig()
    if args.campaigns or args.leads:
        world = WorldConfig(n_campaigns=args.campaigns or world.n_campaigns,
                            n_leads=args.leads or world.n_leads)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="outbound-bench-") as tmp:
        workdir = Path(tmp)
        sync = [] if args.skip_pacing else pacing(world, workdir)
        loads = [] if args.skip_load else load(world, workdir)
        builds = [] if args.skip_dbt else analytics_build(world, workdir, args.copies)
        webhooks = None if args.skip_webhooks else webhook_receiver.measure(workdir)
        pushes = None
        if not args.skip_leads:
            engines = _lead_engines(workdir)
            try:
                pushes = lead_push.measure(workdir, engines)
            finally:
                _drop_databases(engines.values())
        linkedin = None
        if not args.skip_linkedin:
            engines = _lead_engines(workdir, "linkedin")
            try:
                linkedin = linkedin_steps.measure(workdir, engines)
            finally:
                _drop_databases(engines.values())
        # last: it pins this process to one core
        classified = None if args.skip_replies else replies.measure(workdir)
    sections = []
    if sync or loads or builds:
        sections.append(render(world, sync, loads, builds))
    if webhooks:
        sections.append(render_webhooks(webhooks))
    if pushes:
        sections.append(lead_push.render(pushes))
    if linkedin:
        sections.append(linkedin_steps.render(linkedin))
    if classified:
        sections.append(replies.render(classified))
    report = "\n".join(sections)
    print(report)
    print(f"(benchmarks took {time.monotonic() - started:.0f} s)")
    if report and not args.no_record:
        text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
        DOCS.write_text(text.rstrip() + "\n\n" + report)
        print(f"recorded in {DOCS}")


if __name__ == "__main__":
    main()
