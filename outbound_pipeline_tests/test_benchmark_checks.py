"""The checks a benchmark makes before it records a figure: a run that did less than it was
asked raises ``BenchmarkDidNoWork`` instead of timing nothing."""

from __future__ import annotations

import asyncio
import importlib
import json
from pathlib import Path

import pytest

from outbound_pipeline_tests.benchmarks import dbt_build, machine, sync_pacing, webhook_receiver

BENCHMARKS = sorted(p.stem for p in Path(machine.__file__).parent.glob("*.py")
                    if p.stem not in ("__init__", "__main__", "machine"))


def test_check_work_passes_a_run_that_did_what_it_was_asked():
    machine.check_work("lead push", "leads pushed", asked=100, done=100)
    machine.check_work("lead push", "leads pushed", asked=100, done=101)
    machine.check_work("nothing asked", "rows", asked=0, done=0)


def test_check_work_refuses_a_run_that_did_less_and_says_what():
    with pytest.raises(machine.BenchmarkDidNoWork) as raised:
        machine.check_work("lead push on DuckDB", "leads pushed", asked=10_000, done=9_999)
    assert str(raised.value) == ("lead push on DuckDB: 9999 leads pushed done where at least "
                                 "10000 were asked for; no figure is recorded")
    with pytest.raises(machine.BenchmarkDidNoWork):
        machine.check_work("dlt load", "rows loaded", asked=1, done=0)


def test_every_benchmark_module_imports_and_checks_its_work():
    assert len(BENCHMARKS) >= 7
    for name in BENCHMARKS:
        module = importlib.import_module(f"outbound_pipeline_tests.benchmarks.{name}")
        assert "machine.check_work(" in Path(module.__file__).read_text(), name
        assert not name.startswith("test_"), f"pytest would collect the {name} benchmark"


def test_a_sync_missing_campaigns_or_requests_is_refused():
    result = {"approach": "paced", "requests": 72,
              "rows": {"campaigns": 4, "email_statistics": 727}}
    sync_pacing.check_synced(result, campaigns=4, served=72)
    with pytest.raises(machine.BenchmarkDidNoWork, match="paced sync: 3 campaigns"):
        sync_pacing.check_synced({**result, "rows": {"campaigns": 3, "email_statistics": 1}},
                                 campaigns=4, served=72)
    with pytest.raises(machine.BenchmarkDidNoWork, match="email statistics rows"):
        sync_pacing.check_synced({**result, "rows": {"campaigns": 4}}, campaigns=4, served=72)
    with pytest.raises(machine.BenchmarkDidNoWork, match="requests served by the sandbox"):
        sync_pacing.check_synced(result, campaigns=4, served=0)


def _dbt_target(folder: Path, models: dict[str, list[str]], results: dict[str, str]) -> Path:
    """A dbt target folder with the two artifacts the check reads (dbt's own shapes)."""
    folder.mkdir()
    nodes = {f"model.outbound.{name}": {"resource_type": "model", "tags": tags}
             for name, tags in models.items()}
    nodes["test.outbound.not_null_x"] = {"resource_type": "test", "tags": []}
    (folder / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    (folder / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": unique_id, "status": status} for unique_id, status in results.items()]}))
    return folder


def test_a_dbt_build_that_skipped_models_is_refused(tmp_path):
    models = {"campaigns": [], "daily_metrics": ["partitioned"]}
    built = _dbt_target(tmp_path / "built", models, {
        "model.outbound.campaigns": "success", "model.outbound.daily_metrics": "success",
        "test.outbound.not_null_x": "pass"})
    assert dbt_build.check_models_built("full build", built) == 2
    assert dbt_build.check_models_built("one day", built, selected="partitioned") == 2
    skipped = _dbt_target(tmp_path / "skipped", models, {
        "model.outbound.campaigns": "success", "model.outbound.daily_metrics": "skipped"})
    with pytest.raises(machine.BenchmarkDidNoWork, match="full build: 1 models built"):
        dbt_build.check_models_built("full build", skipped)
    nothing = _dbt_target(tmp_path / "nothing", {}, {})
    with pytest.raises(machine.BenchmarkDidNoWork):
        dbt_build.check_models_built("empty project", nothing)


def test_the_open_loop_check_counts_what_the_load_generator_sends(tmp_path):
    """The load generator against the real receiver, briefly: every request that fell due is
    sent, and the check agrees; a generator that sent less is refused."""
    from outbound_pipeline.webhooks.serve import receiver_process

    connections = tmp_path / "connections.yaml"
    connections.write_text(f"connections:\n  - name: {webhook_receiver.BENCH_CONNECTION}\n"
                           "    platform: smartlead\n    api_key_env: SMARTLEAD_API_KEY_BENCH\n")
    env = webhook_receiver._receiver_env(tmp_path / "landing", connections, tmp_path, "s3cret")
    with receiver_process(env) as receiver:
        url = f"{receiver.urls['receiver']}/webhooks/smartlead/{webhook_receiver.BENCH_CONNECTION}"
        result = asyncio.run(webhook_receiver.drive(url, "s3cret", connections=2, warmup=0.2,
                                                    seconds=0.5, rate=40.0))
    assert result["sent"] >= webhook_receiver.offered_requests(40.0, 0.2, 0.5) == 28
    assert result["ok"] == result["sent"]
    webhook_receiver.check_sent("open loop", result)
    with pytest.raises(machine.BenchmarkDidNoWork, match="requests sent"):
        webhook_receiver.check_sent("open loop", {**result, "sent": 27})
    with pytest.raises(machine.BenchmarkDidNoWork, match="events accepted"):
        webhook_receiver.check_sent("closed loop", {**result, "offered_per_s": None,
                                                    "measured_ok": 0})
