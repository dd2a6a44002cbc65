"""deploy/dagster.yaml: an instance on dagster-postgres run, event and schedule storage, with
run monitoring."""

from __future__ import annotations

import dagster as dg

from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.conftest import connect_sandbox
from outbound_pipeline_tests.helpers import deploy_instance_home, run_job, settings_for


def test_materializes_on_a_postgres_backed_instance(postgres_url, shared_sandbox, tmp_path,
                                                    monkeypatch):
    home = deploy_instance_home(postgres_url, tmp_path, monkeypatch)
    env = connect_sandbox(shared_sandbox, tmp_path, monkeypatch)
    # The warehouse itself is the same Postgres database, as in production.
    warehouse = Warehouse.from_url(postgres_url)
    settings = settings_for(tmp_path, warehouse, env.connections_path)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        # Run monitoring on, without resume attempts the default run launcher cannot make.
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert instance.global_op_concurrency_default_limit == 1
        result = run_job(settings, "smartlead_sync_job", instance=instance)
        assert result.success
        key = dg.AssetKey(["raw", "smartlead", "campaigns"])
        assert instance.get_latest_materialization_event(key) is not None

    runs = warehouse.query("select count(*) from runs")[0][0]
    events = warehouse.query(
        "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
    assert runs == 1 and events[0][0] >= 8
