"""One ``linkedin_steps`` run that invites 200 leads through Unipile at the limit (10 requests
per second per key).

Each invitation costs two requests (the profile lookup that resolves a lead enrolled by its
LinkedIn URL, then the invitation), so 200 invitations are 400 requests plus the run's polling
(accounts, messages, relations): the limit alone needs about 40 s, the bound. The run is measured
against it on each warehouse, and beside the same sends with a fixed delay before every request
(the pacing the shared client replaces), measured on a sample and extrapolated. Then a second
run two working days later, when accepted invitations and replies have come in, times the
detection (webhook-free: polling and the relations list) and the first messages.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from outbound_pipeline.connections import load_connections
from outbound_pipeline.http import RetryPolicy
from outbound_pipeline.linkedin.campaign import load_campaigns
from outbound_pipeline.linkedin_run import detect, send_due
from outbound_pipeline.linkedin_store import enrol_leads, save_campaigns
from outbound_pipeline.platforms.unipile.client import UnipileClient
from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
from outbound_pipeline.sandbox.world import WorldConfig
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.benchmarks import machine

LEADS = 200
PER_SECOND = 10
FIXED_DELAY_SECONDS = 0.15
FIXED_SAMPLE = 40
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ENROLLED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # the Friday before, whatever today is
CAMPAIGNS = """
accounts:
  - {{account_id: {account}, connection: linkedin, timezone: Europe/London,
     daily_invite_limit: 200, daily_message_limit: 500}}
campaigns:
  - campaign_id: bench
    name: Benchmark
    account_id: {account}
    timezone: Europe/London
    steps:
      - invite: "Hi {{{{first_name}}}}, glad to connect."
      - message: "Thanks for connecting, {{{{first_name}}}}!"
        delay_days: 0
"""


class FixedDelay:
    """A pacer that waits the same time before every request, whatever the window holds."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.window = 1.0
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        time.sleep(self.seconds)
        self.waited_seconds += self.seconds

    def block_for(self, seconds: float) -> None:
        time.sleep(seconds)


def _setup(sandbox: SandboxProcess, folder: Path, url: str, leads: int):
    truth = sandbox.unipile_truth()
    sandbox.unipile_limits(invites=1000, messages=1000)  # the account's limit is the test here
    keys = write_connections_file(folder / "connections.yaml", [], sandbox.smartlead_url, 1.0,
                                  unipile=(sandbox.unipile_url, truth["api_key"]))
    os.environ.update(keys)
    connection = load_connections(folder / "connections.yaml")[0]
    warehouse = Warehouse.from_url(url)
    save_campaigns(warehouse, load_campaigns(CAMPAIGNS.format(
        account=truth["accounts"][0]["id"])))
    enrol_leads(warehouse, "bench", [
        {"linkedin_url": f"https://www.linkedin.com/in/{p['public_identifier']}/",
         "first_name": p["first_name"]} for p in truth["prospects"][:leads]], now=ENROLLED)
    return connection, warehouse


def measure(workdir: Path, engines: dict[str, str]) -> dict[str, Any]:
    """``engines``: name -> warehouse URL (each gets a fresh sandbox at speed 1)."""
    world = WorldConfig(n_accounts=1, n_campaigns=4, n_leads=LEADS * 2, days=30,
                        end_date=date(2026, 11, 20))
    results: dict[str, Any] = {"when": machine.today(), "machine": machine.describe(),
                               "runs": []}
    for engine, url in engines.items():
        folder = workdir / f"linkedin-{engine}"
        folder.mkdir()
        with SandboxProcess(world, speed=1.0, linkedin_prospects=LEADS) as sandbox:
            connection, warehouse = _setup(sandbox, folder, url, LEADS)
            time.sleep(1.1)  # a fresh rate-limit window
            print(f"  linkedin_steps: {LEADS} invitations on {engine} at the real limit …",
                  flush=True)
            with UnipileClient.for_connection(connection) as client:
                sandbox.unipile_clock(MONDAY)
                started = time.perf_counter()
                found = detect(warehouse, lambda _: client, MONDAY)
                sent = send_due(warehouse, lambda _: client, MONDAY)
                first_seconds = time.perf_counter() - started
                first_requests = client.stats.requests
                rate_limited = client.stats.rate_limited
                sandbox.unipile_clock(WEDNESDAY)
                time.sleep(1.1)
                before = client.stats.requests
                started = time.perf_counter()
                later = detect(warehouse, lambda _: client, WEDNESDAY)
                messages = send_due(warehouse, lambda _: client, WEDNESDAY)
                second_seconds = time.perf_counter() - started
                second_requests = client.stats.requests - before
                rate_limited += client.stats.rate_limited
            machine.check_work(engine, "invitations", asked=LEADS, done=sent.invites_sent)
            machine.check_work(engine, "first messages", asked=1, done=messages.messages_sent)
            results["runs"].append({
                "engine": engine, "invites": sent.invites_sent,
                "requests": first_requests, "rate_limited": rate_limited,
                "seconds": round(first_seconds, 2),
                "bound": round(first_requests / PER_SECOND, 2),
                "ratio": round(first_seconds / (first_requests / PER_SECOND), 3),
                "messages_seen": found.messages_seen,
                "second_seconds": round(second_seconds, 2), "second_requests": second_requests,
                "connections": later.connections, "replies": later.replies,
                "first_messages": messages.messages_sent,
            })
    # the same sends, a fixed delay before every request, on a sample
    folder = workdir / "linkedin-fixed"
    folder.mkdir()
    with SandboxProcess(world, speed=1.0, linkedin_prospects=FIXED_SAMPLE) as sandbox:
        connection, warehouse = _setup(sandbox, folder,
                                       f"duckdb:///{folder / 'fixed.duckdb'}", FIXED_SAMPLE)
        client = UnipileClient(connection=connection.name, base_url=connection.base_url,
                               api_key=connection.api_key(),
                               limiter=FixedDelay(FIXED_DELAY_SECONDS),  # type: ignore[arg-type]
                               retry=RetryPolicy())
        with client:
            sandbox.unipile_clock(MONDAY)
            started = time.perf_counter()
            detect(warehouse, lambda _: client, MONDAY)
            fixed_sent = send_due(warehouse, lambda _: client, MONDAY)
            fixed_seconds = time.perf_counter() - started
            machine.check_work("fixed delay", "invitations", asked=FIXED_SAMPLE,
                       done=fixed_sent.invites_sent)
            fixed_requests = client.stats.requests
    per_request = fixed_seconds / fixed_requests
    results["fixed"] = {"delay": FIXED_DELAY_SECONDS, "sample": FIXED_SAMPLE,
                        "seconds": round(fixed_seconds, 2), "requests": fixed_requests,
                        "extrapolated": round(per_request * results["runs"][0]["requests"], 1)}
    return results


def render(results: dict[str, Any]) -> str:
    fixed = results["fixed"]
    lines = [
        f"## LinkedIn steps through Unipile ({results['when']})",
        "",
        f"Machine: {results['machine']}. Unipile simulator at speed 1: 10 requests per second "
        f"per key. One `linkedin_steps` run (detection, then sends) that invites {LEADS} leads "
        "enrolled by LinkedIn URL: a profile lookup and an invitation each, plus the run's "
        "polling. The bound is the run's requests at 10 per second.",
        "",
        "| warehouse | invitations | requests | 429s | wall time | bound | ÷ bound "
        f"| fixed {fixed['delay'] * 1000:.0f} ms before each request, extrapolated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        lines.append(
            f"| {run['engine']} | {run['invites']} | {run['requests']} | "
            f"{run['rate_limited']} | {run['seconds']:.1f} s | {run['bound']:.1f} s | "
            f"**{run['ratio']:.2f}** | {fixed['extrapolated']:.0f} s ({fixed['requests']} "
            f"requests took {fixed['seconds']:.1f} s) |")
    lines += ["", "Two working days later (the simulator's clock moved on), the next run:", "",
              "| warehouse | wall time | requests | acceptances found | replies found "
              "| first messages sent |",
              "|---|---|---|---|---|---|"]
    for run in results["runs"]:
        lines.append(f"| {run['engine']} | {run['second_seconds']:.1f} s | "
                     f"{run['second_requests']} | {run['connections']} | {run['replies']} | "
                     f"{run['first_messages']} |")
    lines.append("")
    return "\n".join(lines)
