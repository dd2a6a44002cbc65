"""`outbound dev` as the README says to start it: the environment's ``outbound`` entry point,
from a shell whose PATH does not hold the virtualenv, until the Dagster UI has loaded the code
location; then the whole process group is stopped and nothing is left running."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from outbound_pipeline.executables import ExecutableNotFoundError, environment_executable
from outbound_pipeline.settings import PROJECT_ROOT

PLAIN_PATH = "/usr/local/bin:/usr/bin:/bin"
LOAD_TIMEOUT = 300.0
"""A failure guard only: the location loads in seconds on an idle machine."""
STOP_TIMEOUT = 30.0
WORKSPACE_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _user_environment(tmp_path: Path) -> dict[str, str]:
    """The test's environment without the virtualenv on PATH and without the project's or
    Dagster's settings, plus its own Dagster home, data folder and DuckDB warehouse."""
    env = {key: value for key, value in os.environ.items()
           if key == "OUTBOUND_TIME_SHIFT"
           or not key.startswith(("OUTBOUND_", "DAGSTER_", "VIRTUAL_ENV"))}
    env.update(PATH=PLAIN_PATH, DAGSTER_HOME=str(tmp_path / "dagster_home"),
               OUTBOUND_DATA_DIR=str(tmp_path / "data"),
               OUTBOUND_WAREHOUSE_URL=f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    return env


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (this test's own Dagster home)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours
            continue
        if marker.encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _stop_group(process: subprocess.Popen, marker: str) -> list[int]:
    """SIGTERM to the whole process group, SIGKILL if it lingers; the processes left after."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None and not _processes_with(marker):
                return []
            time.sleep(0.5)
    process.wait(timeout=STOP_TIMEOUT)
    return _processes_with(marker)


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """``.venv/bin/outbound dev -- --port N`` in its own session; stopped afterwards."""
    env = _user_environment(tmp_path)
    port = _free_port()
    log = tmp_path / "dev.log"
    outbound = Path(sys.executable).parent / "outbound"
    with log.open("wb") as out:
        process = subprocess.Popen([str(outbound), "dev", "--", "--port", str(port)],
                                   cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}/graphql", process, log
    finally:
        left = _stop_group(process, f"DAGSTER_HOME={env['DAGSTER_HOME']}")
        assert not left, f"processes left running after outbound dev stopped: {left}"


def _location_entries(url: str) -> list[dict] | None:
    try:
        answer = httpx.post(url, json={"query": WORKSPACE_QUERY}, timeout=10)
    except httpx.HTTPError:  # the webserver is not listening yet
        return None
    if answer.status_code != 200:
        return None
    workspace = (answer.json().get("data") or {}).get("workspaceOrError") or {}
    return workspace.get("locationEntries")


def test_outbound_dev_loads_the_code_location_without_the_virtualenv_on_path(dev_server):
    url, process, log = dev_server
    deadline = time.monotonic() + LOAD_TIMEOUT
    entry = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"outbound dev exited with {process.returncode}:\n"
                        f"{log.read_text()[-3000:]}")
        entries = _location_entries(url) or []
        entry = next((e for e in entries if e["name"] == "outbound_pipeline"), None)
        if entry and entry["locationOrLoadError"]:
            loaded = entry["locationOrLoadError"]
            if loaded["__typename"] == "PythonError":
                pytest.fail(f"the code location failed to load: {loaded['message']}\n"
                            f"{log.read_text()[-3000:]}")
            if entry["loadStatus"] == "LOADED":
                break
        time.sleep(1.0)
    else:
        pytest.fail(f"the code location did not load in {LOAD_TIMEOUT:.0f} s (last answer "
                    f"{entry}):\n{log.read_text()[-3000:]}")
    assert entry["loadStatus"] == "LOADED"
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"


def test_environment_executable_prefers_the_one_beside_python(monkeypatch):
    monkeypatch.setenv("PATH", PLAIN_PATH)
    assert environment_executable("dbt") == str(Path(sys.executable).parent / "dbt")
    assert environment_executable("dagster") == str(Path(sys.executable).parent / "dagster")


def test_environment_executable_names_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExecutableNotFoundError) as raised:
        environment_executable("no-such-outbound-tool")
    message = str(raised.value)
    assert str(Path(sys.executable).parent / "no-such-outbound-tool") in message
    assert str(tmp_path) in message


def test_environment_executable_falls_back_to_path(monkeypatch, tmp_path):
    tool = tmp_path / "outbound-path-only-tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert environment_executable(tool.name) == str(tool)
