"""Lead intake, routing and pushes against a real warehouse and the Smartlead simulator over
HTTP: statuses and the audit trail, failures that stay HELD and succeed on retry, a crash
between the request and the bookkeeping, and 10,000 leads with none lost or pushed twice."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from outbound_pipeline import clock
from outbound_pipeline.connections import load_connections
from outbound_pipeline.lead_store import (
    AUDIT,
    LEADS,
    import_leads,
    push_due,
    replace_rules,
    reroute_held,
    retry_failed,
    status_counts,
)
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.routing.leads import IntakeLead
from outbound_pipeline.routing.rules import RoutingRule
from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline_tests.conftest import connect_sandbox


class Pushing:
    """The sandbox's first account as a connection, its campaigns, and clients per run."""

    def __init__(self, sandbox, warehouse, tmp_path: Path, monkeypatch) -> None:
        env = connect_sandbox(sandbox, tmp_path, monkeypatch)
        self.sandbox = sandbox
        self.warehouse = warehouse
        self.connection = load_connections(env.connections_path)[0]
        with SmartleadClient.for_connection(self.connection) as client:
            self.campaigns = [str(c["id"]) for c in client.campaigns()]
        self.clients: list[SmartleadClient] = []

    def client_for(self, name: str) -> SmartleadClient:
        """One client for the test, as the job keeps one per connection (one pacer)."""
        assert name == self.connection.name
        if not self.clients:
            self.clients.append(SmartleadClient.for_connection(self.connection))
        return self.clients[0]

    def rules(self, *rules: tuple[str, float, int, int]) -> None:
        """(persona, min_score, campaign index, priority) each."""
        replace_rules(self.warehouse, [
            RoutingRule(id=f"r{i}", connection=self.connection.name, persona=persona,
                        min_score=score, campaign_id=self.campaigns[campaign],
                        priority=priority, position=i)
            for i, (persona, score, campaign, priority) in enumerate(rules)])

    def push(self, **kwargs):
        return push_due(self.warehouse, self.client_for, **kwargs)

    def posts(self) -> int:
        return sum(1 for r in self.sandbox.requests()
                   if r["method"] == "POST" and r["route"].endswith("/leads"))

    def in_smartlead(self, address: str) -> list[str]:
        with SmartleadClient.for_connection(self.connection) as client:
            found = client.lead_by_email(address) or {}
        return [str(c["campaign_id"]) for c in found.get("lead_campaign_data", [])]


@pytest.fixture
def pushing(sandbox, duckdb_warehouse, tmp_path, monkeypatch) -> Pushing:
    return Pushing(sandbox, duckdb_warehouse, tmp_path, monkeypatch)


@pytest.fixture
def pushing_both(sandbox, warehouse, tmp_path, monkeypatch) -> Pushing:
    """On DuckDB and on PostgreSQL."""
    return Pushing(sandbox, warehouse, tmp_path, monkeypatch)


def lead(address: str, persona: str = "VP Sales", score: float | None = 90,
         **kw) -> IntakeLead:
    return IntakeLead(address, first_name="Ana", company="Acme", persona=persona, score=score,
                      source="csv", **kw)


def statuses(warehouse) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in warehouse.query(
        f"select email, status, campaign_id, attempts, last_error from {LEADS}")}


def audit(warehouse, address: str) -> list[tuple[str, str | None, str]]:
    return [tuple(r) for r in warehouse.query(
        f"select a.action, a.from_status, a.to_status from {AUDIT} a join {LEADS} l "
        f"on l.lead_id = a.lead_id where l.email = ? order by a.logged_at, a.action", (address,))]


def test_health_gate_and_routing_decide_each_leads_first_status(pushing_both):
    pushing = pushing_both
    pushing.rules(("VP Sales", 80, 0, 100), ("VP Sales", 50, 1, 90), ("CFO", 0, 2, 10))
    result = import_leads(pushing.warehouse, [
        lead("ana@acme-corp.com", score=95),             # rule 1
        lead("bo@acme-corp.com", score=60),              # rule 2
        lead("cy@acme-corp.com", persona="cfo", score=None),  # rule 3, persona ignoring case
        lead("di@acme-corp.com", persona="Intern"),      # no rule: holding pool
        lead("not-an-address"),                          # RED: invalid
        lead("eve@mailinator.com"),                      # RED: disposable
    ])
    assert (result.new, result.assigned, result.unassigned, result.blocked) == (6, 3, 1, 2)
    found = statuses(pushing.warehouse)
    assert found["ana@acme-corp.com"][:2] == ("HELD", pushing.campaigns[0])
    assert found["bo@acme-corp.com"][:2] == ("HELD", pushing.campaigns[1])
    assert found["cy@acme-corp.com"][:2] == ("HELD", pushing.campaigns[2])
    assert found["di@acme-corp.com"][:2] == ("HELD", None)
    assert found["not-an-address"][0] == found["eve@mailinator.com"][0] == "BLOCKED"
    assert audit(pushing.warehouse, "di@acme-corp.com") == [("unassigned", None, "HELD")]
    assert audit(pushing.warehouse, "eve@mailinator.com") == [("blocked", None, "BLOCKED")]
    reasons = pushing.warehouse.query(
        f"select health_reasons from {LEADS} where email = 'eve@mailinator.com'")[0][0]
    assert "disposable_domain" in reasons
    # importing the same rows again changes nothing; a second lead with an active address
    # is blocked as a duplicate
    again = import_leads(pushing.warehouse, [lead("ana@acme-corp.com", score=95)])
    assert again.new == 0
    dup = import_leads(pushing.warehouse, [lead("ana@acme-corp.com", organization="other")])
    assert dup.blocked == 1


def test_routed_leads_are_pushed_in_batches_of_at_most_100_and_become_active(pushing_both):
    pushing = pushing_both
    pushing.rules(("VP Sales", 0, 0, 1))
    import_leads(pushing.warehouse, [lead(f"p{i}@acme-corp.com") for i in range(250)])
    before = pushing.posts()
    result = pushing.push()
    assert (result.pushed, result.requests) == (250, 3)
    assert pushing.posts() - before == 3
    assert status_counts(pushing.warehouse) == {"ACTIVE": 250}
    assert pushing.in_smartlead("p7@acme-corp.com") == [pushing.campaigns[0]]
    assert audit(pushing.warehouse, "p7@acme-corp.com") == [
        ("assigned", None, "HELD"), ("pushed_to_smartlead", "HELD", "ACTIVE")]
    assert pushing.push().requests == 0  # nothing left to do


def test_smartlead_refusals_fail_with_the_reason(pushing):
    pushing.rules(("VP Sales", 0, 0, 1))
    pushing.sandbox.block_list(domains=["blocked-corp.com"])
    import_leads(pushing.warehouse, [lead("ok@acme-corp.com"), lead("x@blocked-corp.com")])
    pushing.push()
    found = statuses(pushing.warehouse)
    assert found["ok@acme-corp.com"][0] == "ACTIVE"
    assert found["x@blocked-corp.com"][0] == "FAILED"
    assert "refused" in found["x@blocked-corp.com"][3]
    assert [a[0] for a in audit(pushing.warehouse, "x@blocked-corp.com")] == [
        "assigned", "push_failed", "failed"]


def test_a_failed_push_stays_held_and_a_retry_succeeds(pushing):
    pushing.rules(("VP Sales", 0, 0, 1))
    import_leads(pushing.warehouse, [lead(f"r{i}@acme-corp.com") for i in range(5)])
    pushing.sandbox.set_faults(FaultConfig(p_5xx=1.0))
    result = pushing.push()
    assert (result.pushed, result.retry_later) == (0, 5)
    found = statuses(pushing.warehouse)
    assert {v[0] for v in found.values()} == {"HELD"}
    assert all(v[2] == 1 and "server error" in v[3] for v in found.values())
    assert pushing.push().requests == 0  # not due yet: backoff
    pushing.sandbox.set_faults(None)
    later = clock.now() + timedelta(hours=2)
    result = pushing.push(now=later)
    assert result.pushed == 5
    assert status_counts(pushing.warehouse) == {"ACTIVE": 5}
    assert [a[0] for a in audit(pushing.warehouse, "r0@acme-corp.com")] == [
        "assigned", "push_failed", "pushed_to_smartlead"]


def test_retries_end_in_failed_after_the_limit_and_a_manual_retry_reroutes(pushing):
    replace_rules(pushing.warehouse, [RoutingRule(
        id="gone", connection=pushing.connection.name, persona="VP Sales",
        campaign_id="999999999", priority=1)])
    import_leads(pushing.warehouse, [lead("f@acme-corp.com")])
    when = clock.now()
    for _ in range(3):
        pushing.push(now=when, max_attempts=3)
        when += timedelta(days=1)
    found = statuses(pushing.warehouse)["f@acme-corp.com"]
    assert found[:3] == ("FAILED", "999999999", 3)
    assert "404" in found[3] or "not found" in found[3].lower()
    assert [a[0] for a in audit(pushing.warehouse, "f@acme-corp.com")] == [
        "assigned", "push_failed", "push_failed", "push_failed", "failed"]
    pushing.rules(("VP Sales", 0, 0, 1))  # the rule fixed
    assert retry_failed(pushing.warehouse) == 1
    reroute_held(pushing.warehouse)
    pushing.push()
    assert statuses(pushing.warehouse)["f@acme-corp.com"][:2] == ("ACTIVE", pushing.campaigns[0])
    assert [a[0] for a in audit(pushing.warehouse, "f@acme-corp.com")][-3:] == [
        "retried", "assigned", "pushed_to_smartlead"]


def test_while_smartlead_is_down_an_unknown_outcome_is_never_pushed_again(pushing):
    pushing.rules(("VP Sales", 0, 0, 1))
    import_leads(pushing.warehouse, [lead("d@acme-corp.com")])
    pushing.sandbox.set_faults(FaultConfig(p_5xx=1.0))
    when = clock.now()
    before = pushing.posts()
    for _ in range(3):
        pushing.push(now=when)
        when += timedelta(days=1)
    assert pushing.posts() - before == 1  # the lookups fail, so it waits
    assert statuses(pushing.warehouse)["d@acme-corp.com"][0] == "HELD"
    pushing.sandbox.set_faults(None)
    pushing.push(now=when)
    assert statuses(pushing.warehouse)["d@acme-corp.com"][0] == "ACTIVE"


def test_a_crash_between_the_request_and_the_bookkeeping_never_pushes_twice(pushing_both):
    pushing = pushing_both
    pushing.rules(("VP Sales", 0, 0, 1))
    import_leads(pushing.warehouse, [lead(f"c{i}@acme-corp.com") for i in range(30)])

    def crash(batch_id: str) -> None:
        raise KeyboardInterrupt("killed after the request")

    before = pushing.posts()
    with pytest.raises(KeyboardInterrupt):
        pushing.push(after_request=crash)
    assert pushing.posts() - before == 1
    assert status_counts(pushing.warehouse) == {"HELD": 30}
    assert pushing.in_smartlead("c0@acme-corp.com") == [pushing.campaigns[0]]
    result = pushing.push()  # reconciles through GET /leads/?email=, sends nothing again
    assert (result.reconciled, result.requests) == (30, 0)
    assert pushing.posts() - before == 1
    assert status_counts(pushing.warehouse) == {"ACTIVE": 30}


def test_ten_thousand_leads_end_in_one_terminal_state_each_none_lost_none_pushed_twice(
        sandbox, duckdb_warehouse, tmp_path, monkeypatch):
    pushing = Pushing(sandbox, duckdb_warehouse, tmp_path, monkeypatch)
    pushing.rules(("VP Sales", 70, 0, 10), ("VP Sales", 0, 1, 5), ("CFO", 0, 2, 5))
    leads = []
    for i in range(10_000):
        persona = ("VP Sales", "CFO", "Intern")[i % 3] if i % 97 else "VP Sales"
        address = f"lead{i}@mailinator.com" if i % 500 == 0 else f"lead{i}@corp{i % 40}.com"
        leads.append(lead(address, persona=persona, score=i % 100))
    pushing.sandbox.block_list(emails=[f"lead{i}@corp{i % 40}.com" for i in range(1, 400, 97)])
    pushing.sandbox.set_faults(FaultConfig(p_5xx=0.05, seed=3))
    result = import_leads(pushing.warehouse, leads)
    assert result.new == 10_000
    when = clock.now()
    for _ in range(12):
        pushing.push(now=when, max_attempts=10)
        when += timedelta(days=1)
        counts = status_counts(pushing.warehouse)
        due = pushing.warehouse.query(
            f"select count(*) from {LEADS} where status = 'HELD' and campaign_id is not null")
        if not due[0][0]:
            break
    pushing.sandbox.set_faults(None)
    counts = status_counts(pushing.warehouse)
    assert sum(counts.values()) == 10_000
    held_in_pool = pushing.warehouse.query(
        f"select count(*) from {LEADS} where status = 'HELD' and campaign_id is null")[0][0]
    assert counts.get("HELD", 0) == held_in_pool  # only unrouted leads wait
    assert counts["ACTIVE"] > 5_000 and counts["BLOCKED"] >= 20 and counts["FAILED"] > 0
    # Smartlead holds each ACTIVE lead exactly once, in its campaign, and nothing else
    pushed: Counter[tuple[str, str]] = Counter()
    with SmartleadClient.for_connection(pushing.connection) as client:
        for campaign in pushing.campaigns[:3]:
            for page in client.campaign_leads(int(campaign)):
                for row in page:
                    address = row["lead"]["email"]
                    if address.startswith("lead"):
                        pushed[(campaign, address)] += 1
    assert max(pushed.values()) == 1
    active = {(r[1], r[0]) for r in pushing.warehouse.query(
        f"select email, campaign_id from {LEADS} where status = 'ACTIVE'")}
    assert set(pushed) == active
    # every lead's audit trail ends in its status
    last = pushing.warehouse.query(
        f"select l.status, a.to_status from {LEADS} l join {AUDIT} a on a.lead_id = l.lead_id "
        f"where a.logged_at = (select max(logged_at) from {AUDIT} b where b.lead_id = l.lead_id)")
    assert all(status == to_status for status, to_status in last)


def test_push_leads_job_takes_intake_from_the_receiver_and_pushes(
        duckdb_warehouse, sandbox, tmp_path, monkeypatch):
    import dagster as dg
    import httpx

    from outbound_pipeline.cli import run_requests
    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline.defs.events import WEBHOOK_EVENTS
    from outbound_pipeline.webhooks.landing import LandingStore
    from outbound_pipeline.webhooks.serve import receiver_process
    from outbound_pipeline_tests.helpers import settings_for

    pushing = Pushing(sandbox, duckdb_warehouse, tmp_path, monkeypatch)
    env = connect_sandbox(sandbox, tmp_path, monkeypatch)
    rules = tmp_path / "routing_rules.yaml"
    rules.write_text(
        "rules:\n"
        f"  - {{id: vp, connection: {pushing.connection.name}, persona: VP Sales, "
        f"min_score: 50, campaign_id: {pushing.campaigns[0]}, priority: 10}}\n")
    from dataclasses import replace

    settings = replace(settings_for(tmp_path, duckdb_warehouse, env.connections_path),
                       routing_rules_path=rules)
    receiver_env = {"OUTBOUND_CONNECTIONS": str(env.connections_path),
                    "OUTBOUND_LANDING_DIR": str(settings.landing_dir),
                    "OUTBOUND_INGEST_API_KEY": "ingest-key",
                    "OUTBOUND_LANDING_SEGMENT_SECONDS": "0.2"}
    body = {"leads": [{"email": f"in{i}@acme-corp.com", "persona": "vp sales",
                       "lead_score": 40 + i, "first_name": "Jo", "company": "Acme"}
                      for i in range(20)]}
    with receiver_process(receiver_env) as receiver:
        url = receiver.urls["receiver"] + "/ingest/leads"
        refused = httpx.post(url, json={"leads": [{"first_name": "no email"}]},
                             headers={"X-API-Key": "ingest-key"})
        assert refused.status_code == 422 and "email" in refused.text
        accepted = httpx.post(url, json=body, headers={"X-API-Key": "ingest-key"})
        assert accepted.status_code == 200, accepted.text
        store = LandingStore(settings.landing_dir)
        deadline = clock.now() + timedelta(seconds=20)
        while not store.sealed_after(None) and clock.now() < deadline:
            import time

            time.sleep(0.1)

    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()
    tick = defs.resolve_sensor_def("landing_sensor")(
        dg.build_sensor_context(instance=instance, definitions=defs))
    (request,) = tick.run_requests
    # the load alone: the event-driven models need the analytics built, which this test skips
    assert defs.resolve_job_def("landing_job").execute_in_process(
        run_config=request.run_config, instance=instance, tags=request.tags,
        asset_selection=[WEBHOOK_EVENTS]).success
    sensor = defs.resolve_sensor_def("lead_intake_sensor")
    (request,) = run_requests(sensor(dg.build_sensor_context(instance=instance,
                                                             definitions=defs)))
    assert request.run_key.startswith("intake-")
    result = defs.resolve_job_def("push_leads").execute_in_process(instance=instance,
                                                                   tags=request.tags)
    assert result.success
    counts = status_counts(duckdb_warehouse)
    assert counts == {"ACTIVE": 10, "HELD": 10}  # scores 50+ routed; below 50 held
    assert pushing.in_smartlead("in15@acme-corp.com") == [pushing.campaigns[0]]
    stored_rules = duckdb_warehouse.query("select id, persona from ops.routing_rules")
    assert stored_rules == [("vp", "VP Sales")]
    intake = duckdb_warehouse.query(
        f"select lead_data from {LEADS} where email = 'in15@acme-corp.com'")[0][0]
    assert json.loads(intake)["email"] == "in15@acme-corp.com"


def test_a_bad_rules_file_stops_the_run_with_every_problem(duckdb_warehouse, tmp_path):
    from dataclasses import replace

    import dagster as dg

    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline_tests.helpers import settings_for

    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {id: a, persona: '', campaign_id: x, priority: high}\n")
    settings = replace(settings_for(tmp_path, duckdb_warehouse, tmp_path / "c.yaml"),
                       routing_rules_path=rules)
    result = build_definitions(settings).resolve_job_def("push_leads").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    failure = str(result.get_step_failure_events()[0].step_failure_data.error)
    assert "routing rules" in failure and "persona" in failure and "connection" in failure


def test_addresses_that_bounced_or_unsubscribed_in_the_warehouse_are_blocked(warehouse):
    with warehouse.connect() as con:
        con.execute("create schema if not exists analytics")
        con.execute("create table analytics.email_activities (lead_email varchar, "
                    "event_type varchar)")
        con.execute("insert into analytics.email_activities values "
                    "('gone@acme-corp.com', 'bounced'), ('bye@acme-corp.com', 'unsubscribed'), "
                    "('fine@acme-corp.com', 'sent')")
    result = import_leads(warehouse, [lead("gone@acme-corp.com"), lead("bye@acme-corp.com"),
                                      lead("fine@acme-corp.com"), lead("new@acme-corp.com")])
    assert result.blocked == 2
    reasons = dict(warehouse.query(f"select email, health_reasons from {LEADS}"))
    assert "bounced_email" in reasons["gone@acme-corp.com"]
    assert "unsubscribed" in reasons["bye@acme-corp.com"]
    health = dict(warehouse.query(f"select email, health from {LEADS}"))
    assert health["new@acme-corp.com"] == "YELLOW"  # its domain bounced before
    assert health["fine@acme-corp.com"] == "YELLOW"
