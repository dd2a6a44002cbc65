"""Loading sealed landing segments into ``landing.webhook_events``, exactly once.

Each segment is loaded in its own transaction together with its row in
``landing.loaded_segments``: a run killed mid-segment leaves nothing of that segment, and a
re-run loads it whole. Rows merge on ``event_key`` (first arrival wins), so a redelivered or
replayed event keeps one row. A segment already in the ledger is skipped unless ``reload``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from outbound_pipeline import clock
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline.webhooks.events import EVENT_COLUMNS, Event, timestamp
from outbound_pipeline.webhooks.landing import LandingStore
from outbound_pipeline.webhooks.sources import events_of

log = logging.getLogger(__name__)

SCHEMA = "landing"
TABLE = f"{SCHEMA}.webhook_events"
LEDGER = f"{SCHEMA}.loaded_segments"

_TYPES = {"step_number": "integer", "occurred_at": "timestamp with time zone"}
COLUMNS: tuple[str, ...] = (
    "event_key", "source", "connection", *EVENT_COLUMNS, "received_at", "segment_id", "payload",
)
_DDL = [
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {TABLE} (
        event_key varchar primary key,
        source varchar not null,
        connection varchar,
        {", ".join(f"{c} {_TYPES.get(c, 'varchar')}" for c in EVENT_COLUMNS)},
        received_at timestamp with time zone not null,
        segment_id varchar not null,
        payload varchar not null,
        loaded_at timestamp with time zone not null
    )""",
    f"""create table if not exists {LEDGER} (
        segment_id varchar primary key,
        events integer not null,
        new_events integer not null,
        loaded_at timestamp with time zone not null,
        run_id varchar
    )""",
]


@dataclass
class LoadResult:
    segments_loaded: list[str] = field(default_factory=list)
    segments_skipped: list[str] = field(default_factory=list)
    events_read: int = 0
    new_events: int = 0
    event_types: Counter[str] = field(default_factory=Counter)
    unparsed: int = 0
    max_lag_seconds: float | None = None
    """The longest time from receipt to this load among the new events."""

    @property
    def duplicates(self) -> int:
        return self.events_read - self.new_events


def ensure_tables(warehouse: Warehouse) -> None:
    with warehouse.connect() as con:
        for statement in _DDL:
            con.execute(statement)


def loaded_segment_ids(warehouse: Warehouse, segment_ids: Iterable[str]) -> set[str]:
    ids = list(segment_ids)
    if not ids:
        return set()
    marks = ", ".join("?" for _ in ids)
    rows = warehouse.query(f"select segment_id from {LEDGER} where segment_id in ({marks})", ids)
    return {r[0] for r in rows}


def row_of(record: dict[str, Any], segment_id: str) -> tuple[dict[str, Any], bool]:
    """One landed record as a table row, and whether its payload parsed.

    A payload the parser cannot read still loads (``event_type`` 'unparsed'), with the payload
    kept for a later parser, so nothing the receiver acknowledged is dropped here.
    """
    source = record.get("source") or "unknown"
    payload = record.get("payload")
    parsed = True
    try:
        events = events_of(source, payload)
        event = events[0][0] if events else Event(platform=source, event_type="unparsed")
    except Exception as exc:  # noqa: BLE001 - any parser failure keeps the row
        log.warning("segment %s: event %s did not parse (%s); kept as unparsed",
                    segment_id, record.get("event_key"), type(exc).__name__)
        event = Event(platform=source.split("_")[0], event_type="unparsed")
        parsed = False
    row = {
        "event_key": record["event_key"],
        "source": source,
        "connection": record.get("connection"),
        **event.columns(),
        "received_at": timestamp(record.get("received_at")),
        "segment_id": segment_id,
        "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
    }
    return row, parsed


def load_segments(warehouse: Warehouse, store: LandingStore, segment_ids: list[str], *,
                  run_id: str | None = None, reload: bool = False,
                  before_segment: Callable[[str], None] | None = None) -> LoadResult:
    """Loads the named sealed segments in order; see the module docstring."""
    ensure_tables(warehouse)
    result = LoadResult()
    done = set() if reload else loaded_segment_ids(warehouse, segment_ids)
    for segment_id in segment_ids:
        if segment_id in done:
            result.segments_skipped.append(segment_id)
            continue
        rows: dict[str, dict[str, Any]] = {}
        records = store.read(segment_id)
        for record in records:
            row, parsed = row_of(record, segment_id)
            result.unparsed += not parsed
            rows.setdefault(row["event_key"], row)  # a redelivery inside one segment
        if before_segment is not None:
            before_segment(segment_id)
        loaded_at = clock.now()
        new_keys = _merge(warehouse, list(rows.values()), segment_id, len(records), loaded_at,
                          run_id)
        result.segments_loaded.append(segment_id)
        result.events_read += len(records)
        result.new_events += len(new_keys)
        for key in new_keys:
            row = rows[key]
            result.event_types[f"{row['platform']}.{row['event_type']}"] += 1
            lag = (loaded_at - row["received_at"]).total_seconds()
            result.max_lag_seconds = max(result.max_lag_seconds or 0.0, lag)
    return result


def _merge(warehouse: Warehouse, rows: list[dict[str, Any]], segment_id: str, events: int,
           loaded_at: datetime, run_id: str | None) -> list[str]:
    """Inserts the rows whose key is new and records the segment, in one transaction."""
    import pyarrow as pa

    columns = [*COLUMNS, "loaded_at"]
    table = pa.table({c: [r.get(c, loaded_at) if c == "loaded_at" else r.get(c) for r in rows]
                      for c in columns}, schema=_arrow_schema(columns))
    names = ", ".join(columns)
    with warehouse.connect() as con:
        if warehouse.kind == "duckdb":
            con.execute("begin transaction")
            try:
                con.register("incoming", table)
                existing = {r[0] for r in con.execute(
                    f"select event_key from {TABLE} where event_key in "
                    "(select event_key from incoming)").fetchall()}
                con.execute(f"insert into {TABLE} ({names}) select {names} from incoming "
                            "on conflict (event_key) do nothing")
                con.execute(f"insert into {LEDGER} values (?, ?, ?, ?, ?) "
                            "on conflict (segment_id) do update set events = excluded.events, "
                            "new_events = excluded.new_events, loaded_at = excluded.loaded_at, "
                            "run_id = excluded.run_id",
                            [segment_id, events, len(rows) - len(existing), loaded_at, run_id])
                con.unregister("incoming")
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        else:
            cur = con.cursor()
            cur.execute(f"create temporary table incoming (like {TABLE}) on commit drop")
            with cur.copy(f"copy incoming ({names}) from stdin") as copy:
                for row in table.to_pylist():
                    copy.write_row([row[c] for c in columns])
            cur.execute(f"select event_key from {TABLE} where event_key in "
                        "(select event_key from incoming)")
            existing = {r[0] for r in cur.fetchall()}
            cur.execute(f"insert into {TABLE} ({names}) select {names} from incoming "
                        "on conflict (event_key) do nothing")
            cur.execute(f"insert into {LEDGER} values (%s, %s, %s, %s, %s) "
                        "on conflict (segment_id) do update set events = excluded.events, "
                        "new_events = excluded.new_events, loaded_at = excluded.loaded_at, "
                        "run_id = excluded.run_id",
                        [segment_id, events, len(rows) - len(existing), loaded_at, run_id])
    return [r["event_key"] for r in rows if r["event_key"] not in existing]


def _arrow_schema(columns: list[str]) -> Any:
    import pyarrow as pa

    def kind(name: str) -> Any:
        if name in ("occurred_at", "received_at", "loaded_at"):
            return pa.timestamp("us", tz="UTC")
        if name == "step_number":
            return pa.int64()
        return pa.string()

    return pa.schema([(c, kind(c)) for c in columns])
