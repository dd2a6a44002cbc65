"""The Smartlead simulator over real HTTP: shapes, quirks, rate limits, faults and controls."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from outbound_pipeline.sandbox.faults import FaultConfig, decide
from outbound_pipeline.sandbox.ratelimit import SlidingWindowLimiter, format_wait
from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
from outbound_pipeline.sandbox.world import (
    POSITIVE_CATEGORY_IDS,
    World,
    WorldConfig,
    generate_world,
)

WORLD = WorldConfig(seed=11, n_accounts=2, n_campaigns=8, n_leads=1200, days=60,
                    end_date=date(2026, 1, 15))
SPEED = 20.0
NEW_YEAR = {"start_date": "2025-12-20", "end_date": "2026-01-10"}
CAMPAIGN_ROW_KEYS = {
    "id", "user_id", "created_at", "updated_at", "status", "name", "track_settings",
    "scheduler_cron_value", "min_time_btwn_emails", "max_leads_per_day", "stop_lead_settings",
    "schedule_start_time", "enable_ai_esp_matching", "send_as_plain_text",
    "follow_up_percentage", "unsubscribe_text", "parent_campaign_id", "client_id", "tags",
}
COUNT_KEYS = ("sent_count", "unique_sent_count", "open_count", "unique_open_count",
              "click_count", "unique_click_count", "reply_count", "bounce_count", "block_count",
              "unsubscribed_count", "total_count", "drafted_count")
MAILBOX_KEYS = {
    "id", "from_name", "from_email", "username", "type", "smtp_host", "smtp_port", "imap_host",
    "imap_port", "is_smtp_success", "is_imap_success", "smtp_failure_error",
    "imap_failure_error", "message_per_day", "daily_sent_count", "campaign_count",
    "custom_tracking_domain", "client_id", "is_suspended", "warmup_details", "tags",
    "created_at", "updated_at", "password", "imap_password",
}


class Api:
    """A plain test client for one sandbox; waits out 429s unless asked not to."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.base = sandbox.smartlead_url
        self.keys = [a["api_key"] for a in sandbox.accounts]
        self.client = httpx.Client(timeout=10.0, headers={"User-Agent": "outbound-tests/1.0"})

    def request(self, method: str, path: str, *, key: str | None = None, body: Any = None,
                retry: bool = True, **params: Any) -> httpx.Response:
        params = {"api_key": key or self.keys[0], **params}
        for _ in range(100):
            response = self.client.request(method, self.base + path, params=params, json=body)
            if response.status_code != 429 or not retry:
                return response
            time.sleep(float(response.headers["Retry-After"]))
        raise AssertionError("still rate limited after 100 attempts")

    def get(self, path: str, **params: Any) -> Any:
        response = self.request("GET", path, **params)
        assert response.status_code == 200, response.text
        return response.json() if response.content else None

    def post(self, path: str, body: Any, **params: Any) -> Any:
        response = self.request("POST", path, body=body, **params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(WORLD, speed=SPEED) as process:
        yield process


@pytest.fixture(scope="module")
def world() -> World:
    """The same world the sandbox serves, generated here to know the expected answers."""
    return generate_world(WORLD)


@pytest.fixture(scope="module")
def api(sandbox: SandboxProcess) -> Api:
    return Api(sandbox)


@pytest.fixture(scope="module")
def active(world: World, sandbox: SandboxProcess) -> int:
    """The first account's busiest campaign."""
    name = sandbox.accounts[0]["name"]
    return max(world.campaigns_of(name), key=lambda c: world.campaign_totals[c.id].sent).id


# Campaigns -----------------------------------------------------------------------------------


def test_campaign_list_is_a_bare_array_of_the_accounts_campaigns(
    api: Api, world: World, sandbox: SandboxProcess
) -> None:
    name, client_id = sandbox.accounts[0]["name"], sandbox.accounts[0]["client_id"]
    rows = api.get("/campaigns", include_tags="true")
    assert isinstance(rows, list)
    assert {r["id"] for r in rows} == {c.id for c in world.campaigns_of(name)}
    for row in rows:
        assert set(row) >= CAMPAIGN_ROW_KEYS
        assert row["status"] in {"ACTIVE", "COMPLETED", "PAUSED", "STOPPED", "DRAFTED"}
        assert set(row["scheduler_cron_value"]) == {"tz", "days", "startHour", "endHour"}
        assert row["created_at"].endswith("Z")
    assert len(api.get("/campaigns", client_id=client_id)) == len(rows)
    assert api.get("/campaigns", client_id=sandbox.accounts[1]["client_id"]) == []


def test_missing_campaign_is_200_with_empty_object_or_body(
    api: Api, world: World, sandbox: SandboxProcess
) -> None:
    foreign = world.campaigns_of(sandbox.accounts[1]["name"])[0].id
    bodies = []
    for path in ("/campaigns/999", f"/campaigns/{foreign}", "/campaigns/999/analytics",
                 "/campaigns/999/sequences", "/campaigns/999/leads",
                 "/campaigns/999/email-accounts", "/campaigns/999/statistics",
                 "/campaigns/999/leads/1/message-history"):
        response = api.request("GET", path)
        assert response.status_code == 200
        bodies.append(response.content)
    assert set(bodies) == {b"{}", b""}
    assert bodies.count(b"{}") > bodies.count(b"")


def test_get_campaign_returns_the_row(api: Api, active: int) -> None:
    row = api.get(f"/campaigns/{active}")
    assert row["id"] == active and set(row) >= CAMPAIGN_ROW_KEYS


def test_unknown_key_and_python_requests_are_refused(api: Api) -> None:
    missing = httpx.get(api.base + "/campaigns")
    assert missing.status_code == 401 and missing.json() == {"message": "Invalid API Key"}
    wrong = api.request("GET", "/campaigns", key="slk_nope")
    assert wrong.status_code == 401 and wrong.json() == {"message": "Invalid API Key"}
    blocked = httpx.get(api.base + "/campaigns", params={"api_key": api.keys[0]},
                        headers={"User-Agent": "python-requests/2.32.3"})
    assert blocked.status_code == 403 and "error code: 1010" in blocked.text


def test_analytics_counts_are_strings(api: Api, world: World, active: int) -> None:
    body = api.get(f"/campaigns/{active}/analytics")
    for key in (*COUNT_KEYS, "sequence_count"):
        assert isinstance(body[key], str), key
    totals = world.campaign_totals[active]
    assert int(body["sent_count"]) == totals.sent > 0
    assert int(body["reply_count"]) == totals.replied
    assert int(body["bounce_count"]) == totals.bounced
    assert int(body["sequence_count"]) == len(world.steps[active])
    stats = body["campaign_lead_stats"]
    assert set(stats) == {"total", "notStarted", "inprogress", "completed", "paused",
                          "stopped", "blocked", "interested", "revenue"}
    assert all(isinstance(v, int) for v in stats.values())
    assert stats == world.campaign_stats[active].lead_stats
    assert {"client_name", "client_email", "client_company_name"} <= set(body)


def test_analytics_by_date_window_rules(api: Api, active: int) -> None:
    path = f"/campaigns/{active}/analytics-by-date"
    ok = api.get(path, start_date="2025-12-01", end_date="2025-12-29")
    assert ok["start_date"] == "2025-12-01" and ok["end_date"] == "2025-12-29"
    assert "sequence_count" not in ok and "campaign_lead_stats" not in ok
    for params in ({"start_date": "2025-12-01", "end_date": "2025-12-30"},
                   {"start_date": "2025-12-10", "end_date": "2025-12-01"},
                   {"start_date": "2025-12-1", "end_date": "2025-12-10"},
                   {"start_date": "2025-12-01"}):
        response = api.request("GET", path, **params)
        assert response.status_code == 400 and "message" in response.json()


def _series(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    body = api.get(path, **params)
    assert body["success"] is True and isinstance(body["message"], str)
    return body["data"]["day_wise_stats"]


def _total(rows: list[dict[str, Any]], key: str) -> int:
    return sum(r["email_engagement_metrics"][key] for r in rows)


def test_window_totals_equal_the_sum_of_day_wise_series(api: Api, active: int) -> None:
    window = api.get(f"/campaigns/{active}/analytics-by-date", **NEW_YEAR)
    events = _series(api, "/analytics/day-wise-overall-stats", campaign_ids=active, **NEW_YEAR)
    by_send = _series(api, "/analytics/day-wise-overall-stats-by-sent-time",
                      campaign_ids=active, timezone="America/New_York", **NEW_YEAR)
    assert int(window["sent_count"]) == _total(events, "sent") == _total(by_send, "sent") > 0
    assert int(window["open_count"]) == _total(events, "opened")
    assert int(window["reply_count"]) == _total(events, "replied")
    assert int(window["unsubscribed_count"]) == _total(events, "unsubscribed")
    assert int(window["bounce_count"]) == _total(by_send, "bounced")
    assert _total(events, "bounced") == 0


def test_day_wise_dates_have_no_year_and_cross_new_year(api: Api) -> None:
    rows = _series(api, "/analytics/day-wise-overall-stats", **NEW_YEAR)
    days = [date(2025, 12, 20) + timedelta(days=i) for i in range(22)]
    assert [r["date"] for r in rows] == [d.strftime("%d %b") for d in days]
    assert rows[0]["date"] == "20 Dec" and rows[-1]["date"] == "10 Jan"
    assert [r["day_name"] for r in rows] == [d.strftime("%A") for d in days]
    assert all(set(r["email_engagement_metrics"]) == {"sent", "opened", "replied", "bounced",
                                                     "unsubscribed"} for r in rows)
    assert all(r["email_engagement_metrics"]["bounced"] == 0 for r in rows)
    assert any(r["email_engagement_metrics"]["sent"] == 0 for r in rows), "zero days included"
    by_send = "/analytics/day-wise-overall-stats-by-sent-time"
    assert api.request("GET", by_send, **NEW_YEAR).status_code == 400
    assert api.request("GET", by_send, timezone="Mars/Olympus", **NEW_YEAR).status_code == 400
    too_long = api.request("GET", "/analytics/day-wise-overall-stats",
                           start_date="2025-12-01", end_date="2025-12-30")
    assert too_long.status_code == 400


def test_positive_reply_series(api: Api, world: World, sandbox: SandboxProcess) -> None:
    by_reply = _series(api, "/analytics/day-wise-positive-reply-stats", **NEW_YEAR)
    by_send = _series(api, "/analytics/day-wise-positive-reply-stats-by-sent-time", **NEW_YEAR)
    assert all(set(r["email_engagement_metrics"]) == {"positive_replied"} for r in by_reply)
    name = sandbox.accounts[0]["name"]
    expected = sum(
        1 for r in world.replies.values()
        if world.leads[r.lead_id].account == name and r.category_id in POSITIVE_CATEGORY_IDS
        and date(2025, 12, 20) <= r.time.date() <= date(2026, 1, 10)
    )
    assert _total(by_reply, "positive_replied") == expected
    assert len(by_send) == len(by_reply)


def test_campaign_and_client_filters(api: Api, world: World, sandbox: SandboxProcess) -> None:
    ids = [c.id for c in world.campaigns_of(sandbox.accounts[0]["name"])
           if world.campaign_totals[c.id].sent][:2]
    path = "/analytics/day-wise-overall-stats-by-sent-time"
    params = {"timezone": "UTC", **NEW_YEAR}
    both = _series(api, path, campaign_ids=f"{ids[0]},{ids[1]}", **params)
    first = _series(api, path, campaign_ids=ids[0], **params)
    second = _series(api, path, campaign_ids=ids[1], **params)
    for key in ("sent", "bounced", "replied"):
        assert [r["email_engagement_metrics"][key] for r in both] == [
            a["email_engagement_metrics"][key] + b["email_engagement_metrics"][key]
            for a, b in zip(first, second, strict=True)
        ]
    everything = _series(api, path, **params)
    mine = _series(api, path, client_ids=sandbox.accounts[0]["client_id"], **params)
    assert mine == everything
    many = ",".join(str(i) for i in range(1, 102))
    assert api.request("GET", path, campaign_ids=many, **params).status_code == 400
    clients = ",".join(str(i) for i in range(1, 52))
    assert api.request("GET", path, client_ids=clients, **params).status_code == 400


def test_mailbox_health_metrics(api: Api, world: World, sandbox: SandboxProcess) -> None:
    body = api.get("/analytics/mailbox/name-wise-health-metrics", **NEW_YEAR)
    rows = body["data"]["email_health_metrics"]
    assert body["success"] is True
    sent = {m.from_email: world.window_tally([world.mailbox_days[m.id]], date(2025, 12, 20),
                                             date(2026, 1, 10)).sent
            for m in world.mailboxes_of(sandbox.accounts[0]["name"])}
    # keyed by address, no mailbox id; only mailboxes that sent in the window
    assert {r["from_email"]: int(r["sent"]) for r in rows} == {
        email: count for email, count in sent.items() if count}
    assert 0 < len(rows) <= len(sent)
    for row in rows:
        assert "email_account_id" not in row and "id" not in row
        assert isinstance(row["sent"], str) and isinstance(row["bounced"], str)
        assert re.fullmatch(r"\d+\.\d{2}%", row["bounce_rate"])
        assert float(row["bounce_rate"][:-1]) == pytest.approx(
            100 * int(row["bounced"]) / int(row["sent"]), abs=0.005)
    series = _series(api, "/analytics/day-wise-overall-stats-by-sent-time", timezone="UTC",
                     **NEW_YEAR)
    assert sum(int(r["sent"]) for r in rows) == _total(series, "sent")
    assert sum(int(r["bounced"]) for r in rows) == _total(series, "bounced")
    long = api.request("GET", "/analytics/mailbox/name-wise-health-metrics",
                       start_date="2025-11-01", end_date="2025-12-31")
    assert long.status_code == 400


# Sequences, leads, mailboxes, history, statistics, inbox -------------------------------------


def test_sequences(api: Api, world: World, active: int) -> None:
    steps = api.get(f"/campaigns/{active}/sequences")
    assert isinstance(steps, list) and [s["seq_number"] for s in steps] == list(
        range(1, len(steps) + 1))
    for step in steps:
        assert set(step) >= {"id", "created_at", "updated_at", "email_campaign_id",
                             "seq_number", "subject", "email_body", "seq_delay_details",
                             "sequence_variants"}
        assert "seq_id" not in step and set(step["seq_delay_details"]) == {"delayInDays"}
        for variant in step["sequence_variants"]:
            assert set(variant) == {"id", "subject", "email_body", "variant_label"}
            assert world.variants[variant["id"]].step_id == step["id"]


def test_campaign_leads_paging(api: Api, world: World, active: int) -> None:
    path = f"/campaigns/{active}/leads"
    first = api.get(path, offset=0, limit=100)
    total = int(first["total_leads"])
    assert isinstance(first["total_leads"], str) and total == len(world.campaign_leads[active])
    seen = []
    for offset in range(0, total + 100, 100):
        page = api.get(path, offset=offset, limit=100)
        assert page["offset"] == offset and page["limit"] == 100
        seen += [row["lead"]["id"] for row in page["data"]]
    assert len(seen) == len(set(seen)) == total
    row = first["data"][0]
    assert set(row) == {"campaign_lead_map_id", "lead_category_id", "status", "created_at",
                        "lead"}
    assert set(row["lead"]) >= {"id", "first_name", "last_name", "email", "phone_number",
                                "company_name", "website", "location", "linkedin_profile",
                                "company_url", "custom_fields", "is_unsubscribed",
                                "unsubscribed_client_id_map"}
    over = api.request("GET", path, limit=101)
    assert over.status_code == 400 and "message" in over.json()


def test_lead_by_email(api: Api, world: World, sandbox: SandboxProcess) -> None:
    name = sandbox.accounts[0]["name"]
    lead = next(lead for lead in world.leads.values()
                if lead.account == name and lead.id in world.replies)
    body = api.get("/leads/", email=lead.email.upper())
    assert body["id"] == lead.id
    (data,) = body["lead_campaign_data"]
    assert data["campaign_id"] == lead.campaign_id
    assert data["campaign_lead_map_id"] == lead.map_id
    assert data["lead_category_id"] == lead.category_id
    assert data["last_reply_at"] and data["last_sent_at"] and data["last_activity_at"]
    assert api.request("GET", "/leads", email="nobody@nowhere.test").content in (b"{}", b"")
    foreign = next(lead for lead in world.leads.values() if lead.account != name)
    assert api.request("GET", "/leads/", email=foreign.email).content in (b"{}", b"")


def test_lead_categories(api: Api) -> None:
    categories = api.get("/leads/fetch-categories")
    by_id = {c["id"]: c for c in categories}
    assert by_id[1]["name"] == "Interested" and by_id[2]["name"] == "Meeting Request"
    assert by_id[9]["name"] == "Sender Originated Bounce"
    assert all(set(c) == {"id", "name", "sentiment_type", "created_at"} for c in categories)
    assert any(c["id"] > 10_000 for c in categories)


def test_mailbox_passwords_are_base64_in_the_list_and_plain_per_campaign(
    api: Api, world: World, active: int
) -> None:
    listed = api.get("/email-accounts/", offset=0, limit=100)
    assert isinstance(listed, list) and all(set(m) >= MAILBOX_KEYS for m in listed)
    linked = api.get(f"/campaigns/{active}/email-accounts")
    assert {m["id"] for m in linked} == set(world.campaigns[active].mailbox_ids)
    by_id = {m["id"]: m for m in listed}
    for mailbox in linked:
        plain = mailbox["password"]
        assert plain == world.mailboxes[mailbox["id"]].password
        assert base64.b64decode(by_id[mailbox["id"]]["password"]).decode() == plain
        assert by_id[mailbox["id"]]["password"] != plain
    page = api.get("/email-accounts/", offset=3, limit=2)
    assert [m["id"] for m in page] == [m["id"] for m in listed[3:5]]
    assert api.request("GET", "/email-accounts/", limit=500).status_code == 400


def test_message_history(api: Api, world: World, sandbox: SandboxProcess) -> None:
    name = sandbox.accounts[0]["name"]
    lead_id = next(lid for lid in world.manual_messages if world.leads[lid].account == name)
    lead = world.leads[lead_id]
    history = api.get(f"/campaigns/{lead.campaign_id}/leads/{lead_id}/message-history")
    rows = history["history"]
    sent = [r for r in rows if r["type"] == "SENT" and r["email_seq_number"] is not None]
    replies = [r for r in rows if r["type"] == "REPLY"]
    manual = [r for r in rows if r["type"] == "SENT" and r["email_seq_number"] is None]
    assert len(sent) == len(world.lead_sends[lead_id])
    assert [r["email_seq_number"] for r in sent] == [str(i) for i in range(1, len(sent) + 1)]
    assert len(replies) == 1 and replies[0]["from"] == lead.email
    assert replies[0]["stats_id"] == world.replies[lead_id].stats_id
    assert manual and manual[0]["time"] > replies[0]["time"]
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    for row in rows:
        assert set(row) == {"type", "time", "email_seq_number", "stats_id", "message_id",
                            "subject", "email_body", "from", "to"}
    assert "{{" not in sent[0]["email_body"] and lead.first_name in sent[0]["email_body"]
    other = next(c for c in world.campaigns_of(name) if c.id != lead.campaign_id)
    wrong = api.request("GET", f"/campaigns/{other.id}/leads/{lead_id}/message-history")
    assert wrong.content in (b"{}", b"")


def test_statistics(api: Api, world: World, active: int) -> None:
    path = f"/campaigns/{active}/statistics"
    first = api.get(path, offset=0, limit=100)
    assert isinstance(first["total_stats"], str)
    assert int(first["total_stats"]) == world.campaign_totals[active].sent
    row = first["data"][0]
    assert set(row) >= {"lead_email", "lead_name", "lead_category", "sequence_number",
                        "seq_variant_id", "email_subject", "sent_time", "open_time",
                        "click_time", "reply_time", "stats_id"}
    keys = [(r["sent_time"], r["stats_id"]) for r in first["data"]]
    assert keys == sorted(keys)
    replied = api.get(path, email_status="replied", limit=100)
    assert int(replied["total_stats"]) == world.campaign_totals[active].replied
    assert all(r["reply_time"] for r in replied["data"])
    bounced = api.get(path, email_status="bounced", limit=100)
    assert int(bounced["total_stats"]) == world.campaign_totals[active].bounced
    step_two = api.get(path, email_sequence_number=2, limit=100)
    assert all(r["sequence_number"] == 2 for r in step_two["data"])
    window = api.get(path, sent_time_start_date="2025-12-20", sent_time_end_date="2026-01-10",
                     limit=100)
    by_date = api.get(f"/campaigns/{active}/analytics-by-date", **NEW_YEAR)
    assert window["total_stats"] == by_date["sent_count"]
    assert api.request("GET", path, email_status="sent").status_code == 400
    assert api.request("GET", path, limit=101).status_code == 400


def test_inbox_replies(api: Api, world: World, sandbox: SandboxProcess, active: int) -> None:
    name = sandbox.accounts[0]["name"]
    expected = [r for r in world.replies.values() if world.leads[r.lead_id].account == name]
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = api.post("/master-inbox/inbox-replies", {"offset": offset, "limit": 20})
        assert page["offset"] == offset and page["limit"] == 20
        rows += page["data"]
        if len(page["data"]) < 20:
            break
        offset += 20
    assert len(rows) == len(expected) == len({r["email_lead_id"] for r in rows})
    assert [r["last_reply_time"] for r in rows] == sorted(
        (r["last_reply_time"] for r in rows), reverse=True)
    assert set(rows[0]) == {"email_lead_id", "email_lead_map_id", "email_campaign_id",
                            "email_campaign_name", "lead_email", "lead_first_name",
                            "lead_last_name", "lead_category_id", "last_sent_time",
                            "last_reply_time", "email_stats_id"}
    one = api.post("/master-inbox/inbox-replies",
                   {"offset": 0, "limit": 20, "filters": {"campaignId": active}})
    assert one["data"] and all(r["email_campaign_id"] == active for r in one["data"])
    listed = api.post("/master-inbox/inbox-replies",
                      {"offset": 0, "limit": 20, "filters": {"campaignId": [active]}})
    assert listed["data"] == one["data"]
    recent = api.post("/master-inbox/inbox-replies", {
        "offset": 0, "limit": 20,
        "filters": {"replyTimeBetween": ["2026-01-10T00:00:00Z", "2999-12-31T00:00:00Z"]},
    })
    assert all(r["last_reply_time"] >= "2026-01-10" for r in recent["data"])
    assert len(recent["data"]) < len(rows)
    for bad in ({"offset": 0, "limit": 21}, {"offset": 0, "limit": 0},
                {"offset": -1, "limit": 5}, {"limit": 5, "filters": {"campaignId": "x"}}):
        response = api.request("POST", "/master-inbox/inbox-replies", body=bad)
        assert response.status_code == 400, bad


# Rate limits ---------------------------------------------------------------------------------


def test_sliding_window_limiter_with_a_fake_clock() -> None:
    now = [100.0]
    limiter = SlidingWindowLimiter(3, 2.0, clock=lambda: now[0])
    assert [limiter.hit("k").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.hit("k")
    assert not refused.allowed and refused.retry_after == pytest.approx(2.0)
    assert limiter.hit("other").allowed, "limits are per key"
    now[0] += 1.5
    assert not limiter.hit("k").allowed, "refused requests take no slot"
    now[0] += 0.5
    decision = limiter.hit("k")
    # The three counted requests left the window together; the refused ones never entered it.
    assert decision.allowed and decision.remaining == 2
    assert format_wait(0.04, fractional=True) == "0.040"
    assert format_wait(0.04, fractional=False) == "1"
    assert format_wait(1.2, fractional=False) == "2"


def test_429_with_retry_after_after_eleven_quick_requests() -> None:
    tiny = WorldConfig(seed=3, n_accounts=1, n_campaigns=2, n_leads=40, days=20,
                       end_date=date(2026, 1, 15))
    with SandboxProcess(tiny, speed=1.0) as process:
        api = Api(process)
        statuses = [api.request("GET", "/leads/fetch-categories", retry=False)
                    for _ in range(11)]
        assert [r.status_code for r in statuses[:10]] == [200] * 10
        assert statuses[9].headers["X-RateLimit-Remaining"] == "0"
        limited = statuses[10]
        assert limited.status_code == 429
        retry_after = limited.headers["Retry-After"]
        assert retry_after in {"1", "2"}
        assert limited.headers["X-RateLimit-Limit"] == "10"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert "X-RateLimit-Reset" in limited.headers
        error = limited.json()["error"]
        assert error["code"] == "RATE_LIMIT_EXCEEDED" and error["retry_after"] == int(retry_after)
        for _ in range(3):
            assert api.request("GET", "/campaigns", retry=False).status_code == 429
        time.sleep(float(retry_after) + 0.05)
        after = api.request("GET", "/campaigns", retry=False)
        assert after.status_code == 200
        assert after.headers["X-RateLimit-Remaining"] == "9", "429s must not take slots"


def test_sped_up_sandbox_sends_fractional_retry_after(api: Api) -> None:
    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=10.0) as client:
            return await asyncio.gather(*(
                client.get(api.base + "/leads/fetch-categories", params={"api_key": api.keys[1]})
                for _ in range(30)
            ))

    responses = asyncio.run(burst())
    limited = [r for r in responses if r.status_code == 429]
    assert limited, "30 concurrent requests exceed 10 per 0.1 s"
    assert all(re.fullmatch(r"\d+\.\d{3}", r.headers["Retry-After"]) for r in limited)
    assert all(float(r.headers["Retry-After"]) <= 2.0 / SPEED for r in limited)


# Faults --------------------------------------------------------------------------------------


def test_fault_decisions_are_deterministic() -> None:
    config = FaultConfig(burst_429_every=5, burst_429_length=2, p_5xx=0.3, p_slow=0.2,
                         slow_seconds=1.0, p_truncated=0.2, seed=9)
    first = [decide(config, seq) for seq in range(1, 200)]
    assert first == [decide(config, seq) for seq in range(1, 200)]
    bursts = [seq for seq, d in enumerate(first, start=1) if d.burst_429]
    assert bursts[:4] == [5, 6, 10, 11]
    assert any(d.error_status for d in first) and any(d.truncate for d in first)
    assert {d.error_status for d in first} - {None} <= {500, 502, 503}
    other_seed = [decide(FaultConfig(p_5xx=0.3, seed=10), seq) for seq in range(1, 200)]
    assert other_seed != [decide(FaultConfig(p_5xx=0.3, seed=9), seq) for seq in range(1, 200)]
    with pytest.raises(ValueError):
        FaultConfig.from_dict({"p_5xx": 2})
    with pytest.raises(ValueError):
        FaultConfig.from_dict({"unknown": 1})


@pytest.fixture
def faults(sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    yield sandbox
    sandbox.set_faults(None)


def _paced(api: Api, count: int, path: str = "/leads/fetch-categories") -> list[int]:
    """Requests spaced so the real rate limit never answers."""
    statuses = []
    for _ in range(count):
        statuses.append(api.request("GET", path, retry=False).status_code)
        time.sleep(1.2 * 2.0 / SPEED / 10)
    return statuses


def test_each_fault_kind(api: Api, faults: SandboxProcess, active: int) -> None:
    faults.set_faults(FaultConfig(p_5xx=1.0))
    assert set(_paced(api, 6)) <= {500, 502, 503}

    faults.set_faults(FaultConfig(p_truncated=1.0))
    response = api.request("GET", f"/campaigns/{active}/analytics")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)

    faults.set_faults(FaultConfig(p_slow=1.0, slow_seconds=3.0))
    started = time.perf_counter()
    assert api.request("GET", "/leads/fetch-categories").status_code == 200
    assert time.perf_counter() - started >= 3.0 / SPEED

    config = FaultConfig(burst_429_every=4, burst_429_length=2)
    faults.set_faults(config)
    expected = [429 if decide(config, seq).burst_429 else 200 for seq in range(1, 11)]
    assert _paced(api, 10) == expected
    assert expected.count(429) == 4

    faults.set_faults(FaultConfig(repeat_page_once=True))
    path = f"/campaigns/{active}/leads"
    first = api.get(path, offset=0, limit=10)["data"]
    repeated = api.get(path, offset=10, limit=10)
    assert repeated["offset"] == 10 and repeated["data"] == first
    assert api.get(path, offset=10, limit=10)["data"] != first

    faults.set_faults(None)
    current = httpx.get(faults.control_url + "/faults").json()
    assert current == FaultConfig().to_dict()
    bad = httpx.post(faults.control_url + "/faults", json={"p_5xx": "often"})
    assert bad.status_code == 400


def test_unavailable_endpoints_for_one_account(api: Api, faults: SandboxProcess, active: int,
                                              world: World) -> None:
    first, second = (a["name"] for a in faults.accounts[:2])
    faults.set_faults(FaultConfig(unavailable_routes=("/analytics/", "/campaigns/{id}/analytics"),
                                  unavailable_accounts=(first,)))
    for path, params in ((f"/campaigns/{active}/analytics", {}),
                         (f"/campaigns/{active}/analytics-by-date", NEW_YEAR),
                         ("/analytics/day-wise-overall-stats", NEW_YEAR),
                         ("/analytics/mailbox/name-wise-health-metrics", NEW_YEAR)):
        refused = api.request("GET", path, **params)
        assert refused.status_code == 403, path
        assert "plan does not include" in refused.json()["message"]
    assert api.get(f"/campaigns/{active}/sequences")  # the rest still answers
    theirs = world.campaigns_of(second)[0].id
    assert api.request("GET", f"/campaigns/{theirs}/analytics", key=api.keys[1]).status_code \
        == 200

    faults.set_faults(FaultConfig(unavailable_routes=("/analytics/mailbox/",),
                                  unavailable_status=404))
    missing = api.request("GET", "/analytics/mailbox/name-wise-health-metrics", **NEW_YEAR)
    assert missing.status_code == 404 and "Cannot GET" in missing.json()["message"]
    assert api.request("GET", "/analytics/day-wise-overall-stats", **NEW_YEAR).status_code == 200
    shown = httpx.get(faults.control_url + "/faults").json()
    assert shown["unavailable_routes"] == ["/analytics/mailbox/"]
    assert shown["unavailable_status"] == 404
    bad = httpx.post(faults.control_url + "/faults", json={"unavailable_status": 500})
    assert bad.status_code == 400


def test_answers_without_optional_fields(api: Api, faults: SandboxProcess, active: int) -> None:
    faults.set_faults(FaultConfig(omit_optional_fields=True))
    analytics = api.get(f"/campaigns/{active}/analytics")
    window = api.get(f"/campaigns/{active}/analytics-by-date", **NEW_YEAR)
    for body in (analytics, window):
        assert int(body["sent_count"]) > 0 and "reply_count" in body
        assert not {"unique_open_count", "unsubscribed_count", "open_count"} & set(body)
    mailbox = api.get("/email-accounts/")[0]
    assert "warmup_details" not in mailbox and "from_email" in mailbox
    health = api.get("/analytics/mailbox/name-wise-health-metrics", **NEW_YEAR)
    rows = health["data"]["email_health_metrics"]
    assert rows and all("opened" not in r and "sent" in r for r in rows)
    series = _series(api, "/analytics/day-wise-overall-stats", **NEW_YEAR)
    assert all(set(r["email_engagement_metrics"]) == {"sent", "replied", "bounced"}
               for r in series)
    faults.set_faults(None)
    assert "unique_open_count" in api.get(f"/campaigns/{active}/analytics")


# Controls ------------------------------------------------------------------------------------


def test_truth_and_health(sandbox: SandboxProcess, world: World) -> None:
    assert httpx.get(sandbox.control_url + "/health").json()["status"] == "ok"
    truth = sandbox.truth
    assert truth["planted"] == world.planted
    assert {"subject_feature", "bouncing_mailbox", "decaying_variant"} <= set(truth["planted"])
    assert [a["name"] for a in sandbox.accounts] == [a.name for a in world.accounts]
    assert truth["config"]["end_date"] == "2026-01-15"


def test_request_log(api: Api, sandbox: SandboxProcess, active: int) -> None:
    sandbox.reset_requests()
    api.get(f"/campaigns/{active}/analytics")
    api.get("/analytics/day-wise-overall-stats", campaign_ids=active, **NEW_YEAR)
    api.get("/leads/fetch-categories")
    api.request("GET", "/campaigns", key="bad")
    log = [r for r in sandbox.requests() if r["status"] != 429]
    assert [r["route"] for r in log] == ["/campaigns/{id}/analytics",
                                         "/analytics/day-wise-overall-stats",
                                         "/leads/fetch-categories", "/campaigns"]
    assert [r["campaign_id"] for r in log] == [active, active, None, None]
    assert [r["status"] for r in log] == [200, 200, 200, 401]
    assert log[0]["account"] == sandbox.accounts[0]["name"] and log[-1]["account"] is None
    assert all(set(r) == {"seq", "method", "route", "campaign_id", "status", "account"}
               for r in log)
    assert log[0]["seq"] == 1
    dump = json.dumps(sandbox.requests())
    assert not any(key in dump for key in api.keys)


def test_connections_file(tmp_path: Path, sandbox: SandboxProcess) -> None:
    path = tmp_path / "connections.yaml"
    env = write_connections_file(path, sandbox.accounts, sandbox.smartlead_url, SPEED)
    text = path.read_text()
    assert text.startswith("# Sandbox connections: generated by `outbound sandbox`.\n")
    data = yaml.safe_load(text)
    names = [a["name"] for a in sandbox.accounts]
    assert [c["name"] for c in data["connections"]] == names
    for connection, account in zip(data["connections"], sandbox.accounts, strict=True):
        assert connection["platform"] == "smartlead"
        assert connection["base_url"] == sandbox.smartlead_url
        assert connection["rate_limit"] == {"requests": 10, "per_seconds": 2.0 / SPEED}
        assert env[connection["api_key_env"]] == account["api_key"]
    assert set(env) == {f"SMARTLEAD_API_KEY_{n.upper()}" for n in names}


def test_add_activity_changes_analytics(api: Api, sandbox: SandboxProcess, active: int) -> None:
    before = api.get(f"/campaigns/{active}/analytics")
    result = sandbox.add_activity(active, sends=6, replies=2)
    after = api.get(f"/campaigns/{active}/analytics")
    assert int(after["sent_count"]) == int(before["sent_count"]) + 6
    assert int(after["reply_count"]) == int(before["reply_count"]) + 2
    day = result["at"][:10]
    series = _series(api, "/analytics/day-wise-overall-stats", campaign_ids=active,
                     start_date=day, end_date=day)
    assert series[0]["email_engagement_metrics"]["sent"] >= 6
    newest = api.post("/master-inbox/inbox-replies", {"offset": 0, "limit": 2})["data"]
    assert [r["last_reply_time"] for r in newest] == [result["at"]] * 2
    refused = httpx.post(sandbox.control_url + "/activity",
                         json={"campaign_id": active, "sends": 0, "replies": 100_000})
    assert refused.status_code == 400
