"""Runs whose process is gone: marked failed, their concurrency pool slots freed.

A run executes in processes on one machine (an ``outbound`` command, ``dagster job execute``,
a run worker of ``dagster dev``), and Dagster records their ids in the run's events:
"Executing steps in process (pid: N)", "Started process for run (pid: N)", a step worker's
"Executing step ... in subprocess" (pid in its metadata). When those processes are killed
(``kill -9``, a crash, a reboot) nothing reports the end of the run: it stays STARTED and keeps
its slots in the concurrency pools, and every later run that needs the pool waits for ever
("Step blocked by limit for pool duckdb_writer").

:func:`recover_dead_runs`, called by every ``outbound`` command before it launches a run (and
by ``outbound runs recover``), finds the runs of this machine none of whose recorded processes
is still running, marks them failed (canceled if they were being canceled) with a message
naming the processes, frees their slots, and says so on stderr. It also frees the slots a run
that already ended still holds (e.g. one marked failed by ``dagster dev`` when its worker died).

A run counts as this machine's when the instance keeps its runs in local SQLite storage (the
project's default instance), or when an ``outbound`` command on this host launched it (tag
``outbound/host``). Runs of other machines are left to the daemon's run monitoring.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

HOST_TAG = "outbound/host"
"""Run tag: the host whose ``outbound`` command launched the run."""
PID_START_SLACK = 2.0
"""Seconds a process may seem to have started after its pid was recorded (the boot time in
/proc/stat is whole seconds) and still be the recorded process rather than a reuse of its id."""
LOCAL_RUN_STORAGES = {"SqliteRunStorage", "InMemoryRunStorage"}
"""Run storages only processes of this machine write to."""


@dataclass(frozen=True)
class RecoveredRun:
    """A run found without a live process: what it was and what was done."""

    run_id: str
    job_name: str
    status: str
    """Its status when found: STARTING, STARTED or CANCELING, or a finished status."""
    new_status: str
    """FAILURE, CANCELED, or its unchanged finished status."""
    pids: tuple[int, ...]
    freed: tuple[tuple[str, str], ...]
    """(pool, step key) of every slot freed."""
    dequeued: tuple[tuple[str, str], ...] = ()
    """(pool, step key) of every step taken out of a pool's queue."""

    def describe(self) -> str:
        processes = ", ".join(str(p) for p in self.pids) or "none recorded"
        if self.new_status == self.status:
            what = f"had ended ({self.status}) but was still in a pool"
        else:
            what = f"was {self.status} but its processes are gone; marked {self.new_status}"
        text = (f"run {self.run_id} of {self.job_name} {what} (pid {processes}); freed pool "
                f"slots: {_steps(self.freed) or 'none held'}")
        if self.dequeued:
            text += f"; out of the pool queue: {_steps(self.dequeued)}"
        return text


def _steps(steps: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{pool} (step {step})" for pool, step in steps)


@dataclass
class Recovery:
    """What one pass found."""

    recovered: list[RecoveredRun] = field(default_factory=list)
    alive: int = 0
    """Runs in progress here left alone: a process of theirs still runs, or none is recorded
    yet (a run records its process before it takes a pool slot)."""
    elsewhere: int = 0
    """Runs in progress that this machine cannot judge (another host), left to the daemon."""


def run_tags() -> dict[str, str]:
    """Tags of a run an ``outbound`` command launches: the host, so a later command on the
    same host can tell a dead run from one running on another machine."""
    return {HOST_TAG: socket.gethostname()}


# ---------------------------------------------------------------------------------------------
# processes


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def process_state(pid: int) -> tuple[str, float | None] | None:
    """(state letter, start in seconds since the epoch) of a process, from Linux's /proc:
    ``X`` for no such process, ``Z`` for a zombie. None where there is no /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ("X", None) if Path("/proc/self/stat").exists() else None
    except OSError:
        return None
    # "pid (comm) state ppid ... starttime(22nd field) ..."; comm may hold spaces and ")".
    fields = text[text.rindex(")") + 2:].split()
    boot = _boot_time()
    started = None if boot is None else boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return fields[0], started


def process_alive(pid: int, recorded_at: float) -> bool:
    """Whether the process ``pid``, recorded at ``recorded_at`` (seconds since the epoch, as
    Dagster stamps its events), still runs on this machine. With /proc (Linux) a zombie counts
    as gone, and so does a process started after the record (its id was reused)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    stat = process_state(pid)
    if stat is None:
        return True
    state, started = stat
    if state in ("Z", "X"):
        return False
    return started is None or started <= recorded_at + PID_START_SLACK


def recorded_processes(instance: Any, run_id: str) -> list[tuple[int, float]]:
    """(pid, recorded at) of every process the run's events name: the run's own process and
    each step worker."""
    import dagster as dg

    found: dict[int, float] = {}
    events = instance.all_logs(run_id, of_type={dg.DagsterEventType.ENGINE_EVENT,
                                                dg.DagsterEventType.STEP_WORKER_STARTED})
    for entry in events:
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        value = (getattr(data, "metadata", None) or {}).get("pid")
        text = str(getattr(value, "value", value) or "")
        if text.isdigit():
            found.setdefault(int(text), entry.timestamp)
    return sorted(found.items())


def _judged_here(instance: Any, tags: dict[str, str]) -> bool:
    host = tags.get(HOST_TAG)
    if host is not None:
        return host == socket.gethostname()
    return type(instance.run_storage).__name__ in LOCAL_RUN_STORAGES


# ---------------------------------------------------------------------------------------------
# recovery


def _pool_use(instance: Any) -> dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
    """Run id -> ((pool, step key) of each slot it holds, of each step of it in a pool's
    queue). A dead run's queued step would be handed the next free slot and never use it."""
    storage = instance.event_log_storage
    if not getattr(storage, "supports_global_concurrency_limits", False):
        return {}
    use: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
    for pool, info in storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).items():
        for slot in info.claimed_slots:
            use.setdefault(slot.run_id, ([], []))[0].append((pool, slot.step_key))
        for step in info.pending_steps:
            if (pool, step.step_key) not in use.get(step.run_id, ([], []))[0]:
                use.setdefault(step.run_id, ([], []))[1].append((pool, step.step_key))
    return use


def _end_run(instance: Any, run: Any, pids: list[int]) -> str:
    """Marks a run whose processes are gone as failed (canceled when it was being canceled);
    the message lands in the run's event log. Returns the new status."""
    import dagster as dg

    listed = ", ".join(str(p) for p in pids) or "none recorded"
    message = (f"The run's processes (pid {listed}) are no longer running on "
               f"{socket.gethostname()}: the run was killed or crashed without reporting its "
               "end. Marked as ended by outbound, which freed its concurrency pool slots.")
    instance.report_engine_event(message, run)
    if run.status == dg.DagsterRunStatus.CANCELING:
        instance.report_run_canceled(run, message)
        return "CANCELED"
    instance.report_run_failed(run, message)
    return "FAILURE"


def recover_dead_runs(instance: Any, out: TextIO | None = None) -> Recovery:
    """Ends the runs of this machine whose processes are all gone and frees their pool slots
    (and those still held by runs that already ended); one line per run on ``out`` (stderr
    by default)."""
    import dagster as dg

    out = out if out is not None else sys.stderr
    in_progress = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                   dg.DagsterRunStatus.CANCELING]
    use = _pool_use(instance)
    records = list(instance.get_run_records(filters=dg.RunsFilter(statuses=in_progress)))
    known = {r.dagster_run.run_id for r in records}
    if set(use) - known:
        records += instance.get_run_records(filters=dg.RunsFilter(
            run_ids=sorted(set(use) - known)))
    recovery = Recovery()
    for record in records:
        run = record.dagster_run
        ended = run.status not in in_progress
        if not _judged_here(instance, dict(run.tags)):
            recovery.elsewhere += not ended
            continue
        processes = recorded_processes(instance, run.run_id)
        if any(process_alive(pid, at) for pid, at in processes) or not (processes or ended):
            # Alive, or in progress with no process recorded yet (it holds no slot then).
            recovery.alive += not ended
            continue
        done = _recover(instance, run, [pid for pid, _ in processes],
                        use.get(run.run_id, ([], [])))
        if done is not None:
            recovery.recovered.append(done)
            print(f"outbound: {done.describe()}", file=out, flush=True)
    return recovery


def _recover(instance: Any, run: Any, pids: list[int],
             pools: tuple[list[tuple[str, str]], list[tuple[str, str]]]) -> RecoveredRun | None:
    """Ends ``run`` unless it ended meanwhile (another command recovered it), then frees its
    slots and takes its steps out of the pools' queues."""
    status = run.status.value
    current = instance.get_run_by_id(run.run_id)
    if current is None or current.status != run.status:
        return None
    new_status = status if run.is_finished else _end_run(instance, run, pids)
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return RecoveredRun(run.run_id, run.job_name, status, new_status, tuple(pids),
                        tuple(pools[0]), tuple(pools[1]))


def recover_in_home() -> Recovery:
    """:func:`recover_dead_runs` on the instance of ``DAGSTER_HOME``."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        return recover_dead_runs(instance)


# ---------------------------------------------------------------------------------------------
# outbound runs recover


def add_arguments(commands: Any) -> None:
    p = commands.add_parser("runs", help="Dagster runs on this machine's instance")
    sub = p.add_subparsers(dest="runs_command", required=True)
    sub.add_parser(
        "recover", help="end runs whose process is gone and free their pool slots",
    ).set_defaults(func=recover)


def recover(args: argparse.Namespace) -> int:
    from outbound_pipeline.cli import ensure_dagster_home
    from outbound_pipeline.settings import load_settings

    home = ensure_dagster_home(load_settings(), recover=False)
    recovery = recover_in_home()
    print(f"Dagster home: {home}\n{_summary(recovery)}")
    return 0


def _summary(recovery: Recovery) -> str:
    count = len(recovery.recovered)
    parts = [f"{count} run{'' if count == 1 else 's'} recovered",
             f"{recovery.alive} in progress here, left running"]
    if recovery.elsewhere:
        parts.append(f"{recovery.elsewhere} in progress on other machines (left to the daemon's "
                     "run monitoring)")
    return "; ".join(parts)
