"""Typed settings read from the environment, in one place.

Nothing reads the environment at import time: call :func:`load_settings` where the values are
needed (definitions loading, a CLI command, a test).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


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
    """

    data_dir: Path
    warehouse_url: str
    connections_path: Path
    history_start: date

    @property
    def dlt_pipelines_dir(self) -> Path:
        return self.data_dir / "dlt"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
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
    return Settings(
        data_dir=data_dir,
        warehouse_url=warehouse_url,
        connections_path=connections_path,
        history_start=history_start,
    )
