"""`dbt build` of the analytics layer on a scaled world, on DuckDB and PostgreSQL.

The default sandbox world is synced once (fast sandbox), then every raw table is copied under
new connection names until ``email_activities`` passes the target row count: the same shapes
and distributions, many more rows. Timed: a full ``dbt build`` (models and tests) and the
incremental ``daily_metrics`` rebuild of one day.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import date
from pathlib import Path

from outbound_pipeline.dbt_args import PARTITIONED_TAG
from outbound_pipeline.executables import dbt_executable
from outbound_pipeline.settings import DBT_PROJECT_DIR
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.benchmarks import machine

SCALED_TABLES = ("campaigns", "sequence_variants", "lead_categories", "email_accounts",
                 "campaign_email_accounts", "email_statistics", "mailbox_health",
                 "campaign_daily_stats", "campaign_window_totals", "enrollment_snapshots",
                 "message_history", "campaign_leads")


def scale(warehouse: Warehouse, copies: int) -> None:
    """Adds ``copies - 1`` copies of every raw table, each under its own connection names."""
    for table in SCALED_TABLES:
        if not warehouse.table_exists("raw_smartlead", table):
            continue
        columns = [r[0] for r in warehouse.query(
            "select column_name from information_schema.columns where table_schema = "
            "'raw_smartlead' and table_name = ? order by ordinal_position", (table,))]
        # connection (and dlt's row id, unique on PostgreSQL) get a per-copy suffix
        select = ", ".join(
            f"t.{c} || '_copy' || cast(n as varchar)" if c in ("connection", "_dlt_id")
            else f't."{c}"' for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        before = warehouse.query(f"select count(*) from raw_smartlead.{table}")[0][0]
        with warehouse.connect() as con:
            con.execute(
                f"insert into raw_smartlead.{table} ({names}) select {select} "
                f"from raw_smartlead.{table} t cross join generate_series(1, {copies - 1}) g(n)")
        after = warehouse.query(f"select count(*) from raw_smartlead.{table}")[0][0]
        machine.check_work(f"scaling raw_smartlead.{table}", "rows", asked=before * copies,
                           done=after)


def dbt(warehouse: Warehouse, args: list[str], target: Path) -> float:
    env = {**os.environ, **warehouse.dbt_env()}
    command = [dbt_executable(), *args, "--project-dir",
               str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path",
               str(target), "--log-path", str(target / "logs"), "--quiet"]
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if result.returncode:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def check_models_built(what: str, target: Path, selected: str | None = None) -> int:
    """The models a ``dbt build`` wrote into ``target`` all succeeded: as many as the manifest
    holds (those tagged ``selected`` when given). Returns how many."""
    manifest = json.loads((target / "manifest.json").read_text())
    asked = sum(1 for node in manifest["nodes"].values() if node["resource_type"] == "model"
                and (selected is None or selected in node.get("tags", [])))
    results = json.loads((target / "run_results.json").read_text())["results"]
    done = sum(1 for r in results
               if r["unique_id"].startswith("model.") and r["status"] == "success")
    machine.check_work(what, "models built", asked=max(asked, 1), done=done)
    return done


def measure(warehouse: Warehouse, workdir: Path, last_day: date) -> dict:
    full = dbt(warehouse, ["build", "--full-refresh"], workdir / "target_full")
    check_models_built(f"dbt build on {warehouse.kind}", workdir / "target_full")
    activities, statistics = (
        warehouse.query("select count(*) from analytics.email_activities")[0][0],
        warehouse.query("select count(*) from raw_smartlead.email_statistics")[0][0])
    day = {"start_date": last_day.isoformat(), "end_date": last_day.isoformat()}
    incremental = dbt(warehouse, ["build", "--select", "tag:partitioned", "--vars",
                                  json.dumps(day)], workdir / "target_day")
    check_models_built(f"one-day dbt build on {warehouse.kind}", workdir / "target_day",
                       selected=PARTITIONED_TAG)
    return {"engine": warehouse.kind, "email_activities": activities,
            "email_statistics": statistics, "full_build_s": round(full, 1),
            "one_day_s": round(incremental, 1)}

