"""Typed settings read from the environment, in one place.

Nothing reads the environment at import time: call :func:`load_settings` where the values are
needed (definitions loading, a CLI command, a test).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

N = TypeVar("N", int, float)


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the project reads from its environment.

    Attributes:
        data_dir: where embedded state lives (DuckDB file, dlt working folders, sandbox files).
        warehouse_url: ``duckdb:///PATH`` or ``postgresql://...``.
        connections_path: the connections file listing platform accounts.
        history_start: the first day of the daily partitions.
        landing_dir: the webhook landing store (segments the receiver writes, the sensor reads).
        landing_segment_bytes: a landing segment is sealed once it is this large...
        landing_segment_seconds: ...or this old, whichever comes first.
        landing_sensor_seconds: how often the landing sensor looks for sealed segments.
    """

    data_dir: Path
    warehouse_url: str
    connections_path: Path
    history_start: date
    landing_dir: Path
    landing_segment_bytes: int = 8 * 1024 * 1024
    landing_segment_seconds: float = 5.0
    landing_sensor_seconds: int = 15

    @property
    def dlt_pipelines_dir(self) -> Path:
        return self.data_dir / "dlt"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Reads the settings, applying the documented defaults."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("OUTBOUND_DATA_DIR") or PROJECT_ROOT / ".outbound").resolve()
    default_url = f"duckdb:///{data_dir / 'warehouse.duckdb'}"
    warehouse_url = env.get("OUTBOUND_WAREHOUSE_URL") or default_url
    connections_path = Path(
        env.get("OUTBOUND_CONNECTIONS") or PROJECT_ROOT / "connections.yaml"
    ).resolve()
    raw_start = env.get("OUTBOUND_HISTORY_START", "2025-01-01")
    try:
        history_start = date.fromisoformat(raw_start)
    except ValueError:
        raise SettingsError(
            f"OUTBOUND_HISTORY_START must be a date like 2025-01-01, got {raw_start!r}"
        ) from None
    landing_dir = Path(env.get("OUTBOUND_LANDING_DIR") or data_dir / "landing").resolve()
    return Settings(
        data_dir=data_dir,
        warehouse_url=warehouse_url,
        connections_path=connections_path,
        history_start=history_start,
        landing_dir=landing_dir,
        landing_segment_bytes=_number(env, "OUTBOUND_LANDING_SEGMENT_BYTES", 8 * 1024 * 1024,
                                      int, minimum=1024),
        landing_segment_seconds=_number(env, "OUTBOUND_LANDING_SEGMENT_SECONDS", 5.0, float,
                                        minimum=0.05),
        landing_sensor_seconds=_number(env, "OUTBOUND_LANDING_SENSOR_SECONDS", 15, int,
                                       minimum=1),
    )


def _number(env: Mapping[str, str], name: str, default: N, kind: Callable[[str], N], *,
            minimum: float) -> N:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value
