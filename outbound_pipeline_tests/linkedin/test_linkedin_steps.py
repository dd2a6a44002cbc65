"""LinkedIn sequences end to end against the Unipile simulator over HTTP and a real warehouse.

The simulator's own record (``/_sandbox/sent``, ``/_sandbox/outcomes``) is the judge: what it
received is checked against working hours, weekends and daily limits in the campaign's
timezone, and against the replies it knows were written. Seed 004's failures are regression
tests: relations without a public identifier, messages without ``is_sender``, and a messaging
webhook pointed at the wrong place, so only polling sees the replies.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from outbound_pipeline.connections import load_connections
from outbound_pipeline.linkedin.campaign import load_campaigns
from outbound_pipeline.linkedin_run import detect, send_due
from outbound_pipeline.linkedin_store import (
    LEADS,
    MESSAGES,
    RATE_USAGE,
    enrol_leads,
    save_campaigns,
    status_counts,
)
from outbound_pipeline.platforms.unipile.client import UnipileClient
from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
from outbound_pipeline.sandbox.world import WorldConfig
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline.webhooks.landing import LandingStore
from outbound_pipeline.webhooks.load import load_segments
from outbound_pipeline.webhooks.serve import receiver_process

LONDON = ZoneInfo("Europe/London")
WORLD = WorldConfig(seed=5, n_accounts=1, n_campaigns=4, n_leads=600, days=30,
                    end_date=date(2026, 11, 20))
SPEED = 50.0
MONDAY = date(2026, 11, 23)
# Leads are enrolled on the Friday evening before the timeline starts, whatever today's date is.
ENROLLED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)

CAMPAIGNS = """
accounts:
  - account_id: {account}
    connection: linkedin
    timezone: Europe/London
    daily_invite_limit: {invites}
    daily_message_limit: {messages}
campaigns:
  - campaign_id: cfo
    name: CFO outreach
    client: Acme
    account_id: {account}
    timezone: Europe/London
    working_hours: {{start: "09:00", end: "17:00"}}
    steps:
      - invite: "Hi {{{{first_name}}}}, glad to connect with people at {{{{company}}}}."
      - message: "Thanks for connecting, {{{{first_name}}}}!"
        delay_days: 0
      - message: "{{{{first_name}}}}, a quick idea for {{{{company}}}}: worth a call?"
        delay_days: 2
      - message: "Last note, {{{{first_name}}}}."
        delay_days: 3
"""


class LinkedIn:
    """A sandbox, its Unipile connection, one campaign and its enrolled prospects."""

    def __init__(self, sandbox: SandboxProcess, warehouse: Warehouse, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch, *, leads: int, invites: int = 10,
                 messages: int = 12, by: str = "linkedin_url") -> None:
        self.sandbox = sandbox
        self.warehouse = warehouse
        truth = sandbox.unipile_truth()
        self.account = truth["accounts"][0]["id"]
        keys = write_connections_file(tmp_path / "connections.yaml", [], sandbox.smartlead_url,
                                      SPEED, unipile=(sandbox.unipile_url, truth["api_key"]))
        for name, value in keys.items():
            monkeypatch.setenv(name, value)
        self.connection = load_connections(tmp_path / "connections.yaml")[0]
        file = load_campaigns(CAMPAIGNS.format(account=self.account, invites=invites,
                                               messages=messages))
        save_campaigns(warehouse, file)
        self.prospects = truth["prospects"][:leads]
        rows = []
        for p in self.prospects:
            row = {"first_name": p["first_name"], "last_name": p["last_name"],
                   "company": p["company"]}
            if by == "linkedin_url":
                row["linkedin_url"] = f"https://www.linkedin.com/in/{p['public_identifier']}/"
            else:
                row[by] = p[by]
            rows.append(row)
        result = enrol_leads(warehouse, "cfo", rows, now=ENROLLED)
        assert result.enrolled == leads and not result.refused
        self._client: UnipileClient | None = None

    def client_for(self, name: str) -> UnipileClient:
        assert name == "linkedin"
        if self._client is None:
            self._client = UnipileClient.for_connection(self.connection)
        return self._client

    def tick(self, at: datetime, *, poll: bool = True, before=None):
        self.sandbox.unipile_clock(at)
        if before is not None:
            before()
        found = detect(self.warehouse, self.client_for, at, poll=poll)
        sent = send_due(self.warehouse, self.client_for, at)
        return found, sent

    def workdays(self, days: int, times=((9, 5), (11, 5), (13, 5), (15, 5), (16, 55)),
                 start: date = MONDAY, weekends: bool = True, poll: bool = True,
                 before=None) -> None:
        day = start
        for _ in range(days):
            for hour, minute in times:
                if day.weekday() < 5 or weekends:
                    self.tick(datetime(day.year, day.month, day.day, hour, minute,
                                       tzinfo=LONDON).astimezone(UTC), poll=poll,
                              before=before)
            day += timedelta(days=1)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


@pytest.fixture
def unipile_sandbox():
    process = SandboxProcess(WORLD, speed=SPEED, linkedin_prospects=60)
    process.start()
    yield process
    process.stop()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_sequences_follow_hours_limits_and_stop_on_reply(unipile_sandbox, duckdb_warehouse,
                                                         tmp_path, monkeypatch):
    li = LinkedIn(unipile_sandbox, duckdb_warehouse, tmp_path, monkeypatch, leads=40,
                  invites=10, messages=12)
    try:
        li.workdays(12)  # Mon 23 Nov .. Fri 4 Dec, weekend ticks included
    finally:
        li.close()
    sent = unipile_sandbox.unipile_sent()
    assert Counter(s["kind"] for s in sent)["invite"] == 40
    per_day: Counter[tuple[date, str]] = Counter()
    for item in sent:
        local = _at(item["at"]).astimezone(LONDON)
        assert local.weekday() < 5, f"sent on a weekend: {item}"
        assert 9 <= local.hour < 17, f"sent out of hours: {item}"
        per_day[(local.date(), item["kind"])] += 1
    assert max(n for (_, kind), n in per_day.items() if kind == "invite") == 10
    assert all(n <= 12 for (_, kind), n in per_day.items() if kind == "message")

    outcomes = {o["provider_id"]: o for o in unipile_sandbox.unipile_outcomes()}
    first_reply = {pid: min(_at(r["at"]) for r in o["replies"])
                   for pid, o in outcomes.items() if o["replies"]}
    assert first_reply, "the world should have written some replies"
    for item in sent:
        if item["kind"] == "message" and item["provider_id"] in first_reply:
            assert _at(item["at"]) < first_reply[item["provider_id"]], \
                f"a message went out after the lead replied: {item}"

    leads = {r[0]: r for r in duckdb_warehouse.query(
        f"select provider_id, status, connected_at, replied_at, reply_message_id from {LEADS}")}
    accepted = {pid for pid, o in outcomes.items() if o["accepted_at"]}
    assert {pid for pid, r in leads.items() if r[2] is not None} == accepted | set(first_reply)
    assert {pid for pid, r in leads.items() if r[3] is not None} == set(first_reply)
    assert {pid for pid, r in leads.items() if r[1] == "REPLIED"} == set(first_reply)
    # relations without a public identifier were matched too (seed 004)
    hidden = {pid for pid, o in outcomes.items()
              if o["accepted_at"] and not o["relation_visible_public_identifier"]}
    assert hidden and all(leads[pid][2] is not None for pid in hidden)

    # messages without is_sender: every direction right, no own message taken for a reply
    reply_ids = {r["message_id"] for o in outcomes.values() for r in o["replies"]}
    inbound = {r[0] for r in duckdb_warehouse.query(
        f"select message_id from {MESSAGES} where direction = 'inbound'")}
    outbound = {r[0] for r in duckdb_warehouse.query(
        f"select message_id from {MESSAGES} where direction = 'outbound'")}
    assert inbound == reply_ids
    assert outbound == {s["message_id"] for s in sent if s["kind"] == "message"}

    # replies flow into classified_replies, one row each, with the world's kind mostly agreed
    from outbound_pipeline.replies.classifier import embedded_classifier
    from outbound_pipeline.reply_store import classify_due

    classifier = embedded_classifier()
    classify_due(duckdb_warehouse, classifier, [classifier.version])
    classified = dict(duckdb_warehouse.query(
        "select message_id, reply_category from analytics.classified_replies "
        "where platform = 'unipile' and source = 'linkedin'"))
    assert set(classified) == reply_ids

    usage = duckdb_warehouse.query(f"select usage_day, action, used, daily_limit from "
                                   f"{RATE_USAGE} order by 1, 2")
    assert all(used <= limit for _, _, used, limit in usage)
    recorded = Counter((d, a) for d, a, _, _ in usage for _ in range(1))
    assert recorded  # one row per day and action used
    for (day, kind), n in per_day.items():
        used = {(d, a): u for d, a, u, _ in usage}[(day, kind)]
        assert used == n


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_two_runs_at_once_never_exceed_the_daily_limit(engine, unipile_sandbox, tmp_path,
                                                       monkeypatch, request):
    url = (f"duckdb:///{tmp_path / 'w.duckdb'}" if engine == "duckdb"
           else request.getfixturevalue("postgres_url"))
    warehouse = Warehouse.from_url(url)
    li = LinkedIn(unipile_sandbox, warehouse, tmp_path, monkeypatch, leads=30, invites=7,
                  by="provider_id")
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    unipile_sandbox.unipile_clock(at)
    results, errors = [], []

    def run() -> None:
        clients: dict[str, UnipileClient] = {}

        def client_for(name: str) -> UnipileClient:
            clients.setdefault(name, UnipileClient.for_connection(li.connection))
            return clients[name]

        try:
            results.append(send_due(warehouse, client_for, at))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            for c in clients.values():
                c.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    invites = [s for s in unipile_sandbox.unipile_sent() if s["kind"] == "invite"]
    assert len(invites) == 7
    assert len({s["provider_id"] for s in invites}) == 7
    assert sum(r.invites_sent for r in results) == 7
    assert warehouse.query(f"select used from {RATE_USAGE} where action = 'invite'") == [(7,)]
    # a restart the same day sends nothing more
    later = at + timedelta(hours=3)
    li.tick(later)
    li.close()
    assert len([s for s in unipile_sandbox.unipile_sent() if s["kind"] == "invite"]) == 7


def test_relation_without_public_identifier_is_resolved_by_member_id(
        unipile_sandbox, warehouse, tmp_path, monkeypatch):
    duckdb_warehouse = warehouse  # both engines
    li = LinkedIn(unipile_sandbox, duckdb_warehouse, tmp_path, monkeypatch, leads=30,
                  invites=30)
    try:
        li.tick(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
        # a lead known only by provider id (e.g. enrolled from another tool)
        with duckdb_warehouse.transaction() as tx:
            tx.execute(f"update {LEADS} set member_id = null, public_identifier = null")
        found, _ = li.tick(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))
    finally:
        li.close()
    outcomes = unipile_sandbox.unipile_outcomes()
    accepted = {o["provider_id"] for o in outcomes if o["accepted_at"]}
    hidden = {o["provider_id"] for o in outcomes
              if o["accepted_at"] and not o["relation_visible_public_identifier"]}
    assert hidden, "the world should hide some public identifiers"
    connected = {r[0] for r in duckdb_warehouse.query(
        f"select provider_id from {LEADS} where connected_at is not null")}
    assert connected == accepted
    assert found.profile_lookups >= len(hidden)

    # and on to the replies, on this engine too
    try:
        li.tick(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
        li.tick(datetime(2026, 12, 4, 16, 0, tzinfo=UTC))
    finally:
        li.close()
    written = {o["provider_id"] for o in unipile_sandbox.unipile_outcomes() if o["replies"]}
    replied = {r[0] for r in duckdb_warehouse.query(
        f"select provider_id from {LEADS} where replied_at is not null and status = 'REPLIED'")}
    assert written and replied == written


def test_misrouted_messaging_webhook_only_polling_sees_replies(
        unipile_sandbox, duckdb_warehouse, tmp_path, monkeypatch):
    li = LinkedIn(unipile_sandbox, duckdb_warehouse, tmp_path, monkeypatch, leads=30,
                  invites=30, messages=60)
    landing = tmp_path / "landing"
    env = {"OUTBOUND_CONNECTIONS": str(tmp_path / "connections.yaml"),
           "OUTBOUND_LANDING_DIR": str(landing), "OUTBOUND_DATA_DIR": str(tmp_path / "data"),
           "OUTBOUND_WEBHOOK_SECRET_UNIPILE": "s3cret", "OUTBOUND_LANDING_SEGMENT_SECONDS": "0.2"}
    store = LandingStore(landing)

    def land() -> None:
        unipile_sandbox.unipile_flush_webhooks(timeout=30)
        time.sleep(0.5)  # the open segment seals after 0.2 s
        httpx.get(receiver.urls["receiver"] + "/health")
        load_segments(duckdb_warehouse, store,
                      [s.segment_id for s in store.sealed_after(None)])

    try:
        with receiver_process(env) as receiver:
            base = receiver.urls["receiver"]
            # seed 004: the messaging webhook pointed at the users endpoint of another path
            unipile_sandbox.unipile_webhooks(f"{base}/webhooks/unipile/linkedin/users",
                                             f"{base}/webhooks/unipile/nowhere/messaging",
                                             secret="s3cret", p_duplicate=0.2,
                                             max_delay_seconds=0.05)
            li.workdays(5, times=((9, 30), (14, 0)), weekends=False, poll=False, before=land)
            land()
            stale, _ = li.tick(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), poll=False)
            replied = duckdb_warehouse.query(
                f"select count(*) from {LEADS} where replied_at is not null")[0][0]
            outcomes = unipile_sandbox.unipile_outcomes()
            written = {o["provider_id"] for o in outcomes if o["replies"]}
            assert written and replied == 0
            found, _ = li.tick(datetime(2026, 11, 30, 9, 5, tzinfo=UTC))
            assert found.replies > 0
            replied_ids = {r[0] for r in duckdb_warehouse.query(
                f"select provider_id from {LEADS} where replied_at is not null")}
            assert replied_ids == written

            # fixed: webhooks alone now carry new replies and acceptances, own messages too
            unipile_sandbox.unipile_webhooks(f"{base}/webhooks/unipile/linkedin/users",
                                             f"{base}/webhooks/unipile/linkedin/messaging",
                                             secret="s3cret", p_duplicate=0.2,
                                             max_delay_seconds=0.05)
            li.workdays(4, times=((9, 30), (14, 0)), start=date(2026, 11, 30),
                        weekends=False, poll=False, before=land)
            before = set(replied_ids)
            end = datetime(2026, 12, 3, 16, 59, tzinfo=UTC)
            unipile_sandbox.unipile_clock(end)
            land()
            webhook_only, _ = li.tick(end, poll=False)
    finally:
        li.close()
    outcomes = unipile_sandbox.unipile_outcomes()
    written = {o["provider_id"] for o in outcomes if o["replies"]}
    replied_ids = {r[0] for r in duckdb_warehouse.query(
        f"select provider_id from {LEADS} where replied_at is not null")}
    assert replied_ids == written and written - before
    via = Counter(r[0] for r in duckdb_warehouse.query(
        f"select seen_via from {MESSAGES} where direction = 'inbound'"))
    assert via["webhook"] > 0
    assert stale.replies == 0
    counts = status_counts(duckdb_warehouse)["cfo"]
    assert counts.get("REPLIED", 0) == len(written)


def test_bad_leads_are_refused_or_failed_clearly_and_never_sent(unipile_sandbox, warehouse,
                                                                tmp_path, monkeypatch):
    duckdb_warehouse = warehouse  # both engines
    li = LinkedIn(unipile_sandbox, duckdb_warehouse, tmp_path, monkeypatch, leads=2)
    spare = unipile_sandbox.unipile_truth()["prospects"][2]
    result = enrol_leads(duckdb_warehouse, "cfo", [
        {"first_name": "No", "company": "Identifier"},
        {"linkedin_url": "https://example.com/jane", "first_name": "Bad", "company": "Url"},
        {"provider_id": spare["provider_id"], "first_name": spare["first_name"]},  # no company
        {"provider_id": li.prospects[0]["provider_id"], "first_name": "Again",
         "company": "Twice"},
    ], now=ENROLLED)
    # the last row is the first prospect again, by another identifier: only the profile
    # lookup at invitation time can tell
    assert result.enrolled == 2 and result.already_enrolled == 0
    assert [r.split(":")[0] for r in result.refused] == ["row 1", "row 2"]
    again = enrol_leads(duckdb_warehouse, "cfo", [{"provider_id": spare["provider_id"]}],
                        now=ENROLLED)
    assert again.already_enrolled == 1 and again.enrolled == 0
    assert "linkedin_url" in result.refused[0] and "linkedin.com/in/" in result.refused[1]
    with pytest.raises(ValueError, match="no LinkedIn campaign 'nope'"):
        enrol_leads(duckdb_warehouse, "nope", [])
    try:
        _, sent = li.tick(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    finally:
        li.close()
    assert sent.invites_sent == 2 and sent.failed == 2
    (status, error), = duckdb_warehouse.query(
        f"select status, last_error from {LEADS} where provider_id = ?", (spare["provider_id"],))
    assert status == "FAILED" and "'company' is missing" in error
    assert spare["provider_id"] not in {s["provider_id"] for s in unipile_sandbox.unipile_sent()}
    events = duckdb_warehouse.query("select event_type, count(*) from ops.linkedin_events "
                                    "group by 1 order by 1")
    assert events == [("invite_sent", 2), ("lead_failed", 2)]
    first = li.prospects[0]
    twins = duckdb_warehouse.query(f"select status, last_error from {LEADS} where "
                                   "lead_id in (?, ?) order by status",
                                   (first["provider_id"], first["public_identifier"]))
    assert [t[0] for t in twins] == ["FAILED", "INVITED"]
    assert "the same person" in twins[0][1]
    invited = [s["provider_id"] for s in unipile_sandbox.unipile_sent()]
    assert sorted(invited) == sorted(p["provider_id"] for p in li.prospects)
