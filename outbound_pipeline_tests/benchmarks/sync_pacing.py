"""One full Smartlead sync of a sandbox world into DuckDB, paced one of two ways.

- ``paced``: the project's client (sliding-window limiter at the configured limit).
- ``fixed``: the seed system's approach, a fixed 350 ms sleep before every request.

Run as a child process by ``python -m outbound_pipeline_tests.benchmarks``; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import dlt

from outbound_pipeline.connections import load_connections
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.platforms.smartlead.source import SmartleadClients, smartlead_source
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.benchmarks import machine

SEED_FIXED_DELAY = 0.350


class FixedDelay:
    """The old approach: sleep a fixed delay between requests, whatever the limit."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.window = delay
        self._last = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            wait = self._last + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()

    def block_for(self, seconds: float) -> None:
        time.sleep(seconds)


def check_synced(result: dict, campaigns: int, served: int) -> None:
    """Before a sync's time is recorded: every campaign of the world landed, with its sent
    emails, and the sandbox served the requests the client counted."""
    what = f"{result['approach']} sync"
    machine.check_work(what, "campaigns", asked=campaigns,
                       done=result["rows"].get("campaigns", 0))
    machine.check_work(what, "email statistics rows", asked=1,
                       done=result["rows"].get("email_statistics", 0))
    machine.check_work(what, "requests served by the sandbox", asked=result["requests"],
                       done=served)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--approach", choices=["paced", "fixed"], required=True)
    parser.add_argument("--connections", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()

    connections = load_connections(args.connections)

    def factory(connection):
        client = SmartleadClient.for_connection(connection)
        if args.approach == "fixed":
            client.limiter = FixedDelay(SEED_FIXED_DELAY)
        return client

    clients = SmartleadClients(connections, factory=factory)
    warehouse = Warehouse.from_url(f"duckdb:///{args.workdir / 'bench.duckdb'}")
    pipeline = dlt.pipeline(pipeline_name=f"bench_{args.approach}",
                            destination=warehouse.dlt_destination(),
                            dataset_name="raw_smartlead", pipelines_dir=str(args.workdir / "dlt"))
    started = time.monotonic()
    pipeline.run(smartlead_source(clients)).raise_on_failed_jobs()
    elapsed = time.monotonic() - started
    stats = clients.stats()
    limit = connections[0].rate_limit
    rows = pipeline.last_trace.last_normalize_info.row_counts
    print(json.dumps({
        "approach": args.approach, "requests": stats.requests, "responses_429": stats.rate_limited,
        "seconds": round(elapsed, 2), "requests_per_s": round(stats.requests / elapsed, 3),
        "limit_requests": limit.requests, "limit_seconds": limit.per_seconds,
        "accounts": len(connections),
        "rows": {k: v for k, v in rows.items() if not k.startswith("_dlt")},
    }))


if __name__ == "__main__":
    main()
