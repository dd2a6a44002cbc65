"""The dbt project builds on both engines over what the Smartlead source loaded."""

from __future__ import annotations

from dbt.cli.main import dbtRunner

from outbound_pipeline.settings import DBT_PROJECT_DIR
from outbound_pipeline_tests.conftest import connect_sandbox
from outbound_pipeline_tests.helpers import run_job, settings_for, sync_config


def test_dbt_builds_staging_over_raw_smartlead(warehouse, shared_sandbox, tmp_path,
                                               monkeypatch):
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    run_job(settings_for(tmp_path, warehouse, env.connections_path), "smartlead_sync_job",
            run_config=sync_config())
    for name, value in warehouse.dbt_env().items():
        monkeypatch.setenv(name, value)
    result = dbtRunner().invoke([
        "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path / "dbt_logs"),
    ])
    assert result.success, result.exception
    raw = warehouse.query("select count(*), sum(sent_count) from raw_smartlead.campaigns")
    staged = warehouse.query(
        "select count(*), sum(total_sent) from staging.stg_smartlead__campaigns")
    assert staged == raw and raw[0][0] > 0
