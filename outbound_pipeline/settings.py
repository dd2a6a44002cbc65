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
REPLY_CLASSIFIERS = ("embedded", "remote")
REPLY_CLASSIFIER_STYLES = ("batch", "revreply")
REPLY_CLASSIFIER_KEY_VARIABLE = "OUTBOUND_REPLY_CLASSIFIER_API_KEY"


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
        reply_classifier: ``embedded`` (default, no network) or ``remote``.
        reply_classifier_url: the remote classifier's endpoint (``remote`` only).
        reply_classifier_style: ``batch`` (``{model, input}``) or ``revreply`` (multipart).
        reply_classifier_model: the ``model`` a ``batch`` request names, if any.
        Its key is read from ``OUTBOUND_REPLY_CLASSIFIER_API_KEY`` when the classifier is built,
        never kept here.
        routing_rules_path: the routing rules file loaded into ``ops.routing_rules`` by each
            ``push_leads`` run (when it exists).
        linkedin_campaigns_path: the LinkedIn accounts and campaigns file loaded into ``ops`` by
            each ``linkedin_steps`` run (when it exists).
    """

    data_dir: Path
    warehouse_url: str
    connections_path: Path
    history_start: date
    landing_dir: Path
    landing_segment_bytes: int = 8 * 1024 * 1024
    landing_segment_seconds: float = 5.0
    landing_sensor_seconds: int = 15
    reply_classifier: str = "embedded"
    reply_classifier_url: str | None = None
    reply_classifier_style: str = "batch"
    reply_classifier_model: str | None = None
    routing_rules_path: Path = PROJECT_ROOT / "routing_rules.yaml"
    linkedin_campaigns_path: Path = PROJECT_ROOT / "linkedin_campaigns.yaml"

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
    classifier = (env.get("OUTBOUND_REPLY_CLASSIFIER") or "embedded").strip().lower()
    if classifier not in REPLY_CLASSIFIERS:
        raise SettingsError(f"OUTBOUND_REPLY_CLASSIFIER must be one of "
                            f"{', '.join(REPLY_CLASSIFIERS)}, got {classifier!r}")
    classifier_url = env.get("OUTBOUND_REPLY_CLASSIFIER_URL") or None
    if classifier == "remote" and not classifier_url:
        raise SettingsError("OUTBOUND_REPLY_CLASSIFIER=remote needs OUTBOUND_REPLY_CLASSIFIER_URL "
                            "(the endpoint, e.g. https://api.example.com/v1/classify)")
    style = (env.get("OUTBOUND_REPLY_CLASSIFIER_STYLE") or "batch").strip().lower()
    if style not in REPLY_CLASSIFIER_STYLES:
        raise SettingsError(f"OUTBOUND_REPLY_CLASSIFIER_STYLE must be one of "
                            f"{', '.join(REPLY_CLASSIFIER_STYLES)}, got {style!r}")
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
        reply_classifier=classifier,
        reply_classifier_url=classifier_url,
        reply_classifier_style=style,
        reply_classifier_model=env.get("OUTBOUND_REPLY_CLASSIFIER_MODEL") or None,
        routing_rules_path=Path(env.get("OUTBOUND_ROUTING_RULES")
                                or PROJECT_ROOT / "routing_rules.yaml").resolve(),
        linkedin_campaigns_path=Path(env.get("OUTBOUND_LINKEDIN_CAMPAIGNS")
                                     or PROJECT_ROOT / "linkedin_campaigns.yaml").resolve(),
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
