"""A campaign-leads sync killed mid-way resumes where it stopped, without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from outbound_pipeline.defs.ingest.smartlead import LEADS_CHUNK
from outbound_pipeline_tests.conftest import connect_sandbox, start_test_sandbox
from outbound_pipeline_tests.helpers import run_job, settings_for

LEADS_ROUTE = "/campaigns/{id}/leads"
CHILD = """
import sys
from pathlib import Path
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.helpers import run_job, settings_for
tmp, url, connections = sys.argv[1:4]
run_job(settings_for(Path(tmp), Warehouse.from_url(url), Path(connections)),
        "smartlead_campaign_leads_job")
"""


def _lead_campaigns(process) -> list[int]:
    seen: list[int] = []
    for request in process.requests():
        if request["route"] == LEADS_ROUTE and request["campaign_id"] not in seen:
            seen.append(request["campaign_id"])
    return seen


def test_killed_lead_sync_resumes_without_duplicates(duckdb_warehouse, tmp_path, monkeypatch):
    speed = 3.0  # slow enough to stop it mid-way: 15 requests a second
    process = start_test_sandbox(speed=speed, n_campaigns=12, n_leads=2400)
    try:
        env = connect_sandbox(process, tmp_path, monkeypatch, speed=speed)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), duckdb_warehouse.url,
             str(env.connections_path)],
            env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while len(_lead_campaigns(process)) <= LEADS_CHUNK + 1:
            assert child.poll() is None, child.stdout.read().decode()[-3000:]
            assert time.monotonic() < deadline, "the lead sync never reached its second chunk"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        first_chunk = _lead_campaigns(process)[:LEADS_CHUNK]

        process.reset_requests()
        settings = settings_for(tmp_path, duckdb_warehouse, env.connections_path)
        run_job(settings, "smartlead_campaign_leads_job")
        resumed = set(_lead_campaigns(process))
        assert resumed and not resumed & set(first_chunk)

        total, distinct = duckdb_warehouse.query(
            "select count(*), count(distinct (connection, campaign_id, lead_id)) "
            "from raw_smartlead.campaign_leads")[0]
        assert total == distinct == 2400
    finally:
        process.stop()
