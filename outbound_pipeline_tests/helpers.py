"""Running the project's real Dagster jobs against a test warehouse and sandbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from outbound_pipeline.definitions import build_definitions
from outbound_pipeline.settings import Settings
from outbound_pipeline.warehouse import Warehouse


def settings_for(tmp_path: Path, warehouse: Warehouse, connections_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        warehouse_url=warehouse.url,
        connections_path=connections_path,
        history_start=date(2025, 1, 1),
        landing_dir=tmp_path / "data" / "landing",
    )


def run_job(settings: Settings, job: str, *, instance: dg.DagsterInstance | None = None,
            raise_on_error: bool = True, with_dbt: bool = False,
            **kwargs: Any) -> dg.ExecuteInProcessResult:
    """Runs one of the project's jobs. Ingestion tests leave out the job's dbt models unless
    ``with_dbt``: the analytics tests build them, and skipping them keeps the suite fast."""
    defs = build_definitions(settings)
    if not with_dbt and "asset_selection" not in kwargs:
        job_def = defs.resolve_job_def(job)
        raw = [key for key in job_def.asset_layer.selected_asset_keys
               if key.path[0] == "raw"]
        if raw:
            kwargs["asset_selection"] = raw
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=raise_on_error,
        **kwargs,
    )


def sync_config(mode: str = "delta") -> dict:
    return {"ops": {"smartlead_sync": {"config": {"mode": mode}}}}


def backfill_tags(start: date, end: date) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat()}


def materialized(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    found = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        found[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return found


def table_snapshot(warehouse: Warehouse, table: str, order_by: str,
                   exclude: tuple[str, ...] = ("_dlt_load_id", "_dlt_id")) -> list[tuple]:
    """Every row of a raw table (dlt's bookkeeping columns left out), in a stable order."""
    columns = [r[0] for r in warehouse.query(
        "select column_name from information_schema.columns where table_schema = "
        "'raw_smartlead' and table_name = ? order by column_name", (table,))
        if r[0] not in exclude]
    select = ", ".join(f'"{c}"' for c in columns)
    rows = warehouse.query(f"select {select} from raw_smartlead.{table} order by {order_by}")
    return [tuple(str(v) for v in row) for row in rows]


def files_containing(root: Path, secrets: list[str]) -> list[str]:
    """Every file under ``root`` (warehouse file, dlt working folders and traces, Dagster
    storage) that contains one of ``secrets``."""
    needles = [s.encode() for s in secrets if s]
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(needle in data for needle in needles):
                found.append(str(path.relative_to(root)))
    return found


def deploy_instance_home(postgres_url: str, tmp_path: Path, monkeypatch: Any) -> Path:
    """A DAGSTER_HOME holding the production ``deploy/dagster.yaml``, its ``DAGSTER_PG_*``
    variables pointing at ``postgres_url`` (set through ``monkeypatch``); returns the home."""
    import shutil
    from urllib.parse import urlsplit

    parts = urlsplit(postgres_url)
    for name, value in {"DAGSTER_PG_HOST": parts.hostname, "DAGSTER_PG_PORT": str(parts.port),
                        "DAGSTER_PG_USER": parts.username or "postgres",
                        "DAGSTER_PG_PASSWORD": parts.password or "",
                        "DAGSTER_PG_DB": parts.path.strip("/")}.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(Path(__file__).resolve().parent.parent / "deploy" / "dagster.yaml",
                home / "dagster.yaml")
    return home
