"""Every asset key, check, job and schedule, compared with a committed snapshot, so a rename
is a visible diff. Refresh it deliberately with UPDATE_SNAPSHOTS=1."""

from __future__ import annotations

import json
import os
from pathlib import Path

from outbound_pipeline.definitions import build_definitions
from outbound_pipeline.settings import load_settings

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def describe() -> dict:
    settings = load_settings({"OUTBOUND_WAREHOUSE_URL": "duckdb:///snapshot.duckdb"})
    repo = build_definitions(settings).get_repository_def()
    graph = repo.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "partitioned": node.partitions_def is not None,
            "pools": sorted(node.pools or []),
            "materializable": node.is_materializable,
            "has_description": bool(node.description),
        }
    return {
        "assets": assets,
        "checks": sorted(f"{k.asset_key.to_user_string()}:{k.name}"
                         for k in graph.asset_check_keys),
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "schedules": {s.name: s.cron_schedule for s in
                      sorted(repo.schedule_defs, key=lambda s: s.name)},
    }


def test_definitions_match_snapshot():
    current = describe()
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())


def test_every_asset_has_owner_description_and_warehouse_kind():
    for key, asset in describe()["assets"].items():
        assert asset["owners"] and asset["has_description"], key
        assert "duckdb" in asset["kinds"], key


def test_pools_follow_the_warehouse():
    """One writer pool on DuckDB; a per-platform pool on PostgreSQL."""
    from outbound_pipeline.defs.resources import pool_for

    duck = load_settings({"OUTBOUND_WAREHOUSE_URL": "duckdb:///x.duckdb"})
    pg = load_settings({"OUTBOUND_WAREHOUSE_URL": "postgresql://u@h:5432/db"})
    assert pool_for(duck, "smartlead") == "duckdb_writer"
    assert pool_for(pg, "smartlead") == "smartlead_api"
    # ops/* tables are written by op jobs (linkedin_steps), whose ops take the pool
    assert all(a["pools"] == ["duckdb_writer"] for a in describe()["assets"].values()
               if a["materializable"])


def test_workspace_loads_with_the_dagster_cli(tmp_path):
    """`dagster definitions validate` loads the code location the way the UI does."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(root / "workspace.yaml")],
        cwd=root, capture_output=True, text=True, timeout=180,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path),
             "OUTBOUND_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
