"""A killed run never blocks the next one.

Real processes on the instance ``outbound`` writes (SQLite storage, one slot per pool, run
monitoring): a run is killed with ``kill -9`` while it holds its pool slot; the next
``outbound`` command marks it failed, frees the slot and says so, and its own run completes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from outbound_pipeline import cli
from outbound_pipeline.cli import (
    EARLIER_LOCAL_DAGSTER_YAMLS,
    LOCAL_DAGSTER_YAML,
    ensure_dagster_home,
)
from outbound_pipeline.defs.resources import pool_for
from outbound_pipeline.run_recovery import (
    HOST_TAG,
    process_alive,
    process_state,
    recover_dead_runs,
    run_tags,
)
from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline.settings import PROJECT_ROOT, load_settings
from outbound_pipeline_tests.conftest import TEST_SPEED, TEST_WORLD, connect_sandbox
from outbound_pipeline_tests.helpers import deploy_instance_home, run_job, settings_for

DAGSTER = str(Path(sys.executable).parent / "dagster")
SLOW_REQUESTS = FaultConfig(p_slow=1.0, slow_seconds=0.25 * TEST_SPEED)
"""Every Smartlead request answered after 0.25 s: a sync takes long enough to be killed
mid-way, whatever the machine's speed."""
IN_PROCESS = "execution:\n  config:\n    in_process: {}\n"
GUARD_SECONDS = 240
"""Failure guards only: how long a step may take before the test calls it stuck."""


def _poll(what: str, check, process: subprocess.Popen | None = None, log: Path | None = None):
    """``check()`` until it returns something truthy; fails after GUARD_SECONDS, or at once
    if ``process`` exits."""
    deadline = time.monotonic() + GUARD_SECONDS
    while True:
        found = check()
        if found:
            return found
        if process is not None and process.poll() is not None:
            pytest.fail(f"the run's process exited before {what}:\n"
                        f"{log.read_text()[-3000:] if log else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _holder(instance: dg.DagsterInstance, pool: str, job: str) -> str | None:
    """The id of a STARTED run of ``job`` that holds a slot of ``pool``."""
    holders = {s.run_id for s in instance.event_log_storage.get_concurrency_info(pool)
               .claimed_slots}
    for run in instance.get_runs(filters=dg.RunsFilter(job_name=job)):
        if run.status == dg.DagsterRunStatus.STARTED and run.run_id in holders:
            return run.run_id
    return None


def _start(command: list[str], log: Path) -> subprocess.Popen:
    """A process in its own group (so the whole group can be killed), output to ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=dict(os.environ), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _kill_group(process: subprocess.Popen) -> None:
    """``kill -9`` of the process and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _command(argv: list[str]) -> int:
    """An ``outbound`` command, its whole path in this process (which has the project
    imported already); fails the test if it does not finish within the guard."""
    outcome: dict[str, object] = {}

    def command() -> None:
        try:
            outcome["code"] = cli.main(argv)
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    worker = threading.Thread(target=command, daemon=True)
    worker.start()
    worker.join(GUARD_SECONDS)
    if worker.is_alive():
        pytest.fail(f"`outbound {' '.join(argv)}` blocked for {GUARD_SECONDS} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return int(outcome["code"])  # type: ignore[arg-type]


def _use_project_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          **variables: str) -> Path:
    """The environment of the commands, and the Dagster home ``outbound`` writes."""
    monkeypatch.setenv("OUTBOUND_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return ensure_dagster_home(load_settings())


def test_a_killed_run_never_blocks_the_next_command(warehouse, sandbox, tmp_path, monkeypatch,
                                                    capsys):
    env = connect_sandbox(sandbox, tmp_path, monkeypatch)
    settings = settings_for(tmp_path, warehouse, env.connections_path)
    pool = pool_for(settings, "smartlead")
    _use_project_instance(tmp_path, monkeypatch, OUTBOUND_WAREHOUSE_URL=warehouse.url,
                          OUTBOUND_CONNECTIONS=str(env.connections_path),
                          OUTBOUND_LANDING_DIR=str(settings.landing_dir),
                          OUTBOUND_ROUTING_RULES=str(tmp_path / "no_rules.yaml"))
    config = tmp_path / "run_config.yaml"
    config.write_text(IN_PROCESS)
    sandbox.set_faults(SLOW_REQUESTS)
    log = tmp_path / "killed_run.log"
    killed = _start([DAGSTER, "job", "execute", "-m", "outbound_pipeline.definitions",
                     "-j", "smartlead_sync_job", "-c", str(config)], log)
    try:
        with dg.DagsterInstance.get() as instance:
            run_id = _poll("the sync to hold its pool slot and call Smartlead", lambda: (
                _holder(instance, pool, "smartlead_sync_job") if sandbox.requests() else None),
                killed, log)
            _kill_group(killed)
            # As the user finds it: the dead run still STARTED, its slot taken.
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
            assert _holder(instance, pool, "smartlead_sync_job") == run_id
        sandbox.set_faults(None)

        assert _command(["leads", "push"]) == 0
        said = [line for line in capsys.readouterr().err.splitlines()
                if line.startswith("outbound: run")]
        assert len(said) == 1, said
        assert run_id in said[0] and "smartlead_sync_job" in said[0]
        assert "marked FAILURE" in said[0] and f"{pool} (step smartlead_sync)" in said[0]

        with dg.DagsterInstance.get() as instance:
            dead = instance.get_run_by_id(run_id)
            assert dead.status == dg.DagsterRunStatus.FAILURE
            [failure] = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert "are no longer running" in failure.message
            [push] = instance.get_runs(filters=dg.RunsFilter(job_name="push_leads"))
            assert push.status == dg.DagsterRunStatus.SUCCESS and HOST_TAG in push.tags
            info = instance.event_log_storage.get_concurrency_info(pool)
            assert info.claimed_slots == [] and info.pending_steps == []
            # The sync again: the killed run's leftovers load nothing twice.
            assert run_job(settings, "smartlead_sync_job", instance=instance).success
    finally:
        if killed.poll() is None:
            _kill_group(killed)

    for table, key in (("campaigns", "connection, campaign_id"),
                       ("sequence_variants", "connection, campaign_id, variant_id"),
                       ("email_statistics", "connection, stats_id"),
                       ("message_history", "connection, lead_id, message_id")):
        rows, distinct = warehouse.query(
            f"select count(*), count(distinct ({key})) from raw_smartlead.{table}")[0]
        assert rows == distinct > 0, table
    assert warehouse.query("select count(*) from raw_smartlead.campaigns")[0][0] == \
        TEST_WORLD["n_campaigns"]


HOLD_SLOT_JOB = """
import time
import dagster as dg

@dg.op(pool="duckdb_writer")
def hold(context):
    time.sleep(600)

@dg.job
def hold_slot():
    hold()
"""


def _step_worker(instance: dg.DagsterInstance, run_id: str) -> int | None:
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_WORKER_STARTED):
        pid = entry.dagster_event.event_specific_data.metadata.get("pid")
        if pid is not None:
            return int(pid.value)
    return None


def test_a_run_whose_step_worker_still_runs_is_left_alone(tmp_path, monkeypatch):
    """``dagster job execute`` runs each step in a worker process that outlives a killed
    parent; while it runs (and may write), the run keeps its slot."""
    _use_project_instance(tmp_path, monkeypatch)
    job_file = tmp_path / "hold_slot.py"
    job_file.write_text(HOLD_SLOT_JOB)
    log = tmp_path / "hold_slot.log"
    parent = _start([DAGSTER, "job", "execute", "-f", str(job_file), "-j", "hold_slot"], log)
    try:
        with dg.DagsterInstance.get() as instance:
            run_id = _poll("the step to hold its slot",
                           lambda: _holder(instance, "duckdb_writer", "hold_slot"), parent, log)
            worker = _poll("the step worker's pid", lambda: _step_worker(instance, run_id))
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait(timeout=30)

            said = io.StringIO()
            recovery = recover_dead_runs(instance, out=said)
            assert recovery.recovered == [] and recovery.alive == 1 and said.getvalue() == ""
            assert _holder(instance, "duckdb_writer", "hold_slot") == run_id

            os.killpg(parent.pid, signal.SIGKILL)  # the step worker and its log tailers
            _poll("the step worker to end", lambda: process_state(worker)[0] in ("Z", "X"))
            done = subprocess.run([sys.executable, "-m", "outbound_pipeline.cli", "runs",
                                   "recover"], cwd=PROJECT_ROOT, env=dict(os.environ),
                                  capture_output=True, text=True, timeout=GUARD_SECONDS)
            assert done.returncode == 0, done.stderr
            assert "1 run recovered" in done.stdout
            assert f"run {run_id} of hold_slot was STARTED" in done.stderr
            assert str(worker) in done.stderr and "duckdb_writer (step hold)" in done.stderr
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
            assert instance.event_log_storage.get_concurrency_info(
                "duckdb_writer").claimed_slots == []
    finally:
        _kill_group(parent)


def _pending(instance: dg.DagsterInstance, pool: str, job: str) -> str | None:
    """The id of a STARTED run of ``job`` with a step waiting for a slot of ``pool``."""
    waiting = {s.run_id for s in instance.event_log_storage.get_concurrency_info(pool)
               .pending_steps if s.assigned_timestamp is None}
    for run in instance.get_runs(filters=dg.RunsFilter(job_name=job)):
        if run.status == dg.DagsterRunStatus.STARTED and run.run_id in waiting:
            return run.run_id
    return None


def test_on_shared_run_storage_only_this_hosts_runs_are_judged(postgres_url, tmp_path,
                                                               monkeypatch):
    """With deploy/dagster.yaml (runs in PostgreSQL, maybe of several machines) a dead-looking
    run is ended only when an ``outbound`` command of this host launched it."""
    home = deploy_instance_home(postgres_url, tmp_path, monkeypatch)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    job_file, config = tmp_path / "hold_slot.py", tmp_path / "run_config.yaml"
    job_file.write_text(HOLD_SLOT_JOB)
    config.write_text(IN_PROCESS)
    command = [DAGSTER, "job", "execute", "-f", str(job_file), "-j", "hold_slot", "-c",
               str(config), "--tags"]
    # Untagged: a run of any machine. Tagged with this host: a run of an `outbound` command.
    other = _start([*command, "{}"], tmp_path / "other.log")
    ours = None
    try:
        with dg.DagsterInstance.get() as instance:
            other_id = _poll("the first run to hold the slot", lambda: _holder(
                instance, "duckdb_writer", "hold_slot"), other, tmp_path / "other.log")
            ours = _start([*command, json.dumps(run_tags())], tmp_path / "ours.log")
            ours_id = _poll("the second run to wait for the slot", lambda: _pending(
                instance, "duckdb_writer", "hold_slot"), ours, tmp_path / "ours.log")
            _kill_group(other)
            _kill_group(ours)

            said = io.StringIO()
            recovery = recover_dead_runs(instance, out=said)
            assert [r.run_id for r in recovery.recovered] == [ours_id]
            assert recovery.elsewhere == 1 and ours_id in said.getvalue()
            assert "out of the pool queue: duckdb_writer (step hold)" in said.getvalue()
            assert instance.get_run_by_id(ours_id).status == dg.DagsterRunStatus.FAILURE
            assert instance.get_run_by_id(other_id).status == dg.DagsterRunStatus.STARTED
            info = instance.event_log_storage.get_concurrency_info("duckdb_writer")
            assert [s.run_id for s in info.claimed_slots] == [other_id]
            assert ours_id not in {s.run_id for s in info.pending_steps}
    finally:
        for process in (other, ours):
            if process is not None and process.poll() is None:
                _kill_group(process)


def test_a_zombie_or_a_reused_pid_is_not_the_recorded_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        _, started = process_state(child.pid)
        assert process_alive(child.pid, recorded_at=started + 1)
        # Recorded a minute before this process began: the id was another process's.
        assert not process_alive(child.pid, recorded_at=started - 60)
        child.kill()
        _poll("the killed child to be a zombie", lambda: process_state(child.pid)[0] == "Z")
        assert not process_alive(child.pid, recorded_at=started + 1)
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid, recorded_at=started + 1)


def test_the_instance_config_gains_run_monitoring_but_a_users_own_file_is_kept(
        tmp_path, monkeypatch, capsys):
    settings = load_settings()
    homes = {name: tmp_path / name for name in ("absent", "older", "edited", "own")}
    for home in homes.values():
        home.mkdir()
    (homes["older"] / "dagster.yaml").write_text(EARLIER_LOCAL_DAGSTER_YAMLS[0])
    edited = EARLIER_LOCAL_DAGSTER_YAMLS[0].replace("default_limit: 1", "default_limit: 2")
    (homes["edited"] / "dagster.yaml").write_text(edited)
    own = "# mine\nconcurrency:\n  pools:\n    default_limit: 3\n"
    (homes["own"] / "dagster.yaml").write_text(own)

    for home in homes.values():
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        assert ensure_dagster_home(settings, recover=False) == home.resolve()

    assert (homes["absent"] / "dagster.yaml").read_text() == LOCAL_DAGSTER_YAML
    assert (homes["older"] / "dagster.yaml").read_text() == LOCAL_DAGSTER_YAML
    assert (homes["edited"] / "dagster.yaml").read_text() == edited
    assert (homes["own"] / "dagster.yaml").read_text() == own
    note = capsys.readouterr().err
    assert str(homes["edited"] / "dagster.yaml") in note and "run_monitoring" in note
    assert str(homes["own"]) not in note

    with dg.DagsterInstance.from_config(str(homes["older"])) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert instance.global_op_concurrency_default_limit == 1
