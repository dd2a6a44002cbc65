"""Shared fixtures: real simulators over HTTP, a real DuckDB file, a real PostgreSQL database.

PostgreSQL tests skip with a one-line reason when no server is reachable, unless
``--require-postgres`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from outbound_pipeline.warehouse import Warehouse

PG_ADMIN_URL = os.environ.get(
    "OUTBOUND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

# A small world whose history crosses New Year, fixed so results never depend on today's date.
TEST_WORLD = {"seed": 11, "n_accounts": 2, "n_campaigns": 6, "n_leads": 900, "days": 150,
              "end_date": date(2026, 3, 1)}
TEST_SPEED = 400.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--require-postgres", action="store_true",
                     help="fail (instead of skip) PostgreSQL tests when no server is reachable")


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as con:
            con.execute("select 1")
        return None
    except Exception as exc:  # any reason the server cannot be used
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> str:
    problem = _pg_reachable()
    if problem:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem})"
        if request.config.getoption("--require-postgres"):
            pytest.fail(message)
        pytest.skip(message)
    return PG_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    import psycopg

    name = f"outbound_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as con:
        con.execute(f'create database "{name}"')
    base = postgres_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as con:
        con.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    """The same test on both engines."""
    if request.param == "duckdb":
        return Warehouse.from_url(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    return Warehouse.from_url(request.getfixturevalue("postgres_url"))


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse.from_url(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


# ---------------------------------------------------------------------------------------------
# Sandbox


def start_test_sandbox(speed: float = TEST_SPEED, **overrides):
    from outbound_pipeline.sandbox.runner import SandboxProcess
    from outbound_pipeline.sandbox.world import WorldConfig

    process = SandboxProcess(WorldConfig(**{**TEST_WORLD, **overrides}), speed=speed)
    process.start()
    return process


@pytest.fixture(scope="session")
def shared_sandbox():
    """A read-only sandbox for tests that neither move the world nor inject faults."""
    process = start_test_sandbox()
    yield process
    process.stop()


@pytest.fixture
def sandbox():
    """A private sandbox for tests that change the world or its faults."""
    process = start_test_sandbox()
    yield process
    process.stop()


@dataclass
class SandboxEnv:
    connections_path: Path
    keys: dict[str, str]


def connect_sandbox(process, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    speed: float = TEST_SPEED) -> SandboxEnv:
    """Writes the sandbox's connections file and exports its keys for this test."""
    from outbound_pipeline.sandbox.runner import write_connections_file

    path = tmp_path / "connections.yaml"
    keys = write_connections_file(path, process.accounts, process.smartlead_url, speed)
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    return SandboxEnv(path, keys)
