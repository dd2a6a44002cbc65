"""Pushing leads into campaigns: the simulator's ``POST /campaigns/{id}/leads`` over real HTTP,
the global block list control, ``GET /leads/?email=`` and ``SmartleadClient.add_leads``."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from outbound_pipeline.connections import Connection, RateLimit
from outbound_pipeline.http import BadResponseError, ClientRequestError, ServerError
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline.sandbox.runner import SandboxProcess
from outbound_pipeline_tests.conftest import TEST_SPEED, start_test_sandbox
from outbound_pipeline_tests.sandbox.test_smartlead_simulator import Api

PUSH_KEYS = {"ok", "upload_count", "total_leads", "already_added_to_campaign", "duplicate_count",
             "invalid_email_count", "invalid_emails", "unsubscribed_leads", "block_count",
             "bounce_count", "lead_import_stopped_count", "is_lead_limit_exhausted"}
CAMPAIGN_DATA_KEYS = {"campaign_id", "campaign_name", "campaign_lead_map_id", "lead_category_id",
                      "last_sent_at", "last_reply_at", "last_activity_at", "client_id"}


@dataclass
class Known:
    """What one account holds, read over HTTP: its campaigns and a few of their leads."""

    target: int
    """The account's smallest campaign: leads are pushed here."""
    other: int
    """Another campaign of the same account."""
    foreign: int
    """A campaign of the second account."""
    plain: dict[str, Any]
    """A lead (the nested ``lead`` object) of another campaign, not unsubscribed."""
    plain_campaign: int
    unsubscribed: dict[str, Any]
    """A lead of another campaign whom the account has unsubscribed."""


def _all_leads(api: Api, campaign_id: int, key: str | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = api.get(f"/campaigns/{campaign_id}/leads", key=key, offset=len(rows), limit=100)
        rows += page["data"]
        if len(page["data"]) < 100:
            return rows


def _known(api: Api) -> Known:
    campaigns = api.get("/campaigns")
    totals = {c["id"]: int(api.get(f"/campaigns/{c['id']}/leads", limit=1)["total_leads"])
              for c in campaigns}
    target = min(totals, key=lambda cid: (totals[cid], cid))
    others = [cid for cid in totals if cid != target]
    plain = unsubscribed = None
    plain_campaign = 0
    for cid in others:
        for row in _all_leads(api, cid):
            lead = row["lead"]
            if lead["is_unsubscribed"] and unsubscribed is None:
                unsubscribed = lead
            if not lead["is_unsubscribed"] and plain is None:
                plain, plain_campaign = lead, cid
    assert plain is not None and unsubscribed is not None, "the test world lacks such leads"
    foreign = api.get("/campaigns", key=api.keys[1])[0]["id"]
    return Known(target, others[0], foreign, plain, plain_campaign, unsubscribed)


def _lead(email: str | None, **fields: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {"first_name": "Ada", "last_name": "Lovelace",
                            "company_name": "Analytical Engines", **fields}
    if email is not None:
        lead["email"] = email
    return lead


def _push(api: Api, campaign_id: int, leads: list[dict[str, Any]],
          settings: dict[str, bool] | None = None, key: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"lead_list": leads}
    if settings is not None:
        body["settings"] = settings
    answer = api.post(f"/campaigns/{campaign_id}/leads", body, key=key)
    assert set(answer) == PUSH_KEYS
    assert answer["ok"] is True and answer["total_leads"] == len(leads)
    assert answer["invalid_email_count"] == len(answer["invalid_emails"])
    assert answer["bounce_count"] == answer["lead_import_stopped_count"] == 0
    assert answer["is_lead_limit_exhausted"] is False
    return answer


def _lead_count(api: Api, campaign_id: int) -> int:
    return int(api.get(f"/campaigns/{campaign_id}/leads", limit=1)["total_leads"])


def _lookup(api: Api, email: str, key: str | None = None) -> dict[str, Any] | None:
    response = api.request("GET", "/leads/", key=key, email=email)
    assert response.status_code == 200, response.text
    body = response.json() if response.content else {}
    return body or None


def _campaign_ids(api: Api, email: str, key: str | None = None) -> list[int]:
    found = _lookup(api, email, key)
    return [] if found is None else [d["campaign_id"] for d in found["lead_campaign_data"]]


def _rejected(api: Api, path: str, *, body: Any = None, content: bytes | None = None) -> str:
    """A 400 from a push; returns its message."""
    for _ in range(100):
        if content is None:
            response = api.request("POST", path, body=body)
        else:
            response = api.client.post(api.base + path, params={"api_key": api.keys[0]},
                                       content=content,
                                       headers={"Content-Type": "application/json"})
        if response.status_code != 429:
            break
        time.sleep(float(response.headers["Retry-After"]))
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert isinstance(message, str) and message
    return message


def _client(process: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> SmartleadClient:
    account = process.accounts[0]
    monkeypatch.setenv("SL_PUSH_TEST_KEY", account["api_key"])
    connection = Connection(account["name"], "smartlead", process.smartlead_url,
                            "SL_PUSH_TEST_KEY", RateLimit(10, 2.0 / TEST_SPEED))
    return SmartleadClient.for_connection(connection)


@pytest.fixture(scope="module")
def shared_known(shared_sandbox: SandboxProcess) -> Known:
    return _known(Api(shared_sandbox))


# Validation ------------------------------------------------------------------------------------


def test_malformed_pushes_are_400s(shared_sandbox: SandboxProcess, shared_known: Known) -> None:
    api = Api(shared_sandbox)
    path = f"/campaigns/{shared_known.target}/leads"
    before = _lead_count(api, shared_known.target)
    assert "not valid JSON" in _rejected(api, path, content=b'{"lead_list": [')
    assert "JSON object" in _rejected(api, path, body=[_lead("a@example.com")])
    assert "lead_list is required" in _rejected(api, path, body={})
    assert "lead_list is required" in _rejected(api, path, content=b"")
    assert "lead_list" in _rejected(api, path, body={"lead_list": "a@example.com"})
    assert "lead_list" in _rejected(api, path, body={"lead_list": {"email": "a@example.com"}})
    assert "at least one lead" in _rejected(api, path, body={"lead_list": []})
    assert "lead_list[1]" in _rejected(api, path, body={
        "lead_list": [_lead("a@example.com"), "b@example.com"]})
    assert "custom_fields" in _rejected(api, path, body={
        "lead_list": [_lead("a@example.com", custom_fields=["x"])]})
    assert "first_name" in _rejected(api, path, body={
        "lead_list": [_lead("a@example.com", first_name={"x": 1})]})
    assert "settings" in _rejected(api, path, body={
        "lead_list": [_lead("a@example.com")], "settings": ["ignore_global_block_list"]})
    assert "settings.ignore_unsubscribe_list" in _rejected(api, path, body={
        "lead_list": [_lead("a@example.com")], "settings": {"ignore_unsubscribe_list": "yes"}})
    assert "ignore_blocklist" in _rejected(api, path, body={
        "lead_list": [_lead("a@example.com")], "settings": {"ignore_blocklist": True}})
    assert _lead_count(api, shared_known.target) == before
    assert _lookup(api, "a@example.com") is None


def test_unknown_or_foreign_campaign_is_404(shared_sandbox: SandboxProcess,
                                            shared_known: Known) -> None:
    api = Api(shared_sandbox)
    body = {"lead_list": [_lead("nobody.new@example.com")]}
    for campaign_id in (999_999_999, shared_known.foreign):
        response = api.request("POST", f"/campaigns/{campaign_id}/leads", body=body)
        assert response.status_code == 404, response.text
        assert response.json()["message"]
    assert _lookup(api, "nobody.new@example.com") is None
    assert _lookup(api, "nobody.new@example.com", key=api.keys[1]) is None


def test_more_than_100_leads_is_400_and_adds_nothing(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    known = _known(api)
    before = _lead_count(api, known.target)
    leads = [_lead(f"bulk{i}@example.com") for i in range(101)]
    message = _rejected(api, f"/campaigns/{known.target}/leads", body={"lead_list": leads})
    assert "at most 100 leads per request" in message
    assert _lead_count(api, known.target) == before
    assert _lookup(api, "bulk0@example.com") is None
    assert _push(api, known.target, leads[:100])["upload_count"] == 100
    assert _lead_count(api, known.target) == before + 100


def test_invalid_emails_are_counted_and_listed(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    known = _known(api)
    before = _lead_count(api, known.target)
    answer = _push(api, known.target, [
        _lead("grace.hopper@example.com"),
        _lead(None),
        _lead("not-an-email"),
        _lead("two words@example.com"),
        _lead("trailing-dot@example."),
        {"email": None},
        {"email": 42},
    ])
    assert answer["upload_count"] == 1
    assert answer["invalid_email_count"] == 6
    assert answer["invalid_emails"] == ["", "not-an-email", "two words@example.com",
                                        "trailing-dot@example.", "", ""]
    assert answer["already_added_to_campaign"] == answer["duplicate_count"] == 0
    assert _lead_count(api, known.target) == before + 1


# Adding leads ------------------------------------------------------------------------------------


def test_a_pushed_lead_is_visible_everywhere_and_pushing_twice_is_harmless(
    sandbox: SandboxProcess,
) -> None:
    api = Api(sandbox)
    known = _known(api)
    before = _lead_count(api, known.target)
    analytics_before = api.get(f"/campaigns/{known.target}/analytics")
    new = _lead("Marie.Curie@Example.com", phone_number="+33 1 23 45 67 89",
                location="Paris, France", website="https://example.com",
                linkedin_profile="https://www.linkedin.com/in/marie-curie",
                company_url="https://example.com", custom_fields={"title": "Physicist"})
    answer = _push(api, known.target, [new])
    assert answer["upload_count"] == 1 and answer["already_added_to_campaign"] == 0

    found = _lookup(api, "marie.curie@example.com")
    assert found is not None
    assert found["email"] == "Marie.Curie@Example.com" and found["first_name"] == "Ada"
    assert found["custom_fields"] == {"title": "Physicist"}
    assert found["is_unsubscribed"] is False
    (data,) = found["lead_campaign_data"]
    assert set(data) == CAMPAIGN_DATA_KEYS
    assert data["campaign_id"] == known.target
    assert data["last_sent_at"] is None and data["last_reply_at"] is None
    assert data["last_activity_at"] is None and data["lead_category_id"] is None

    assert _lead_count(api, known.target) == before + 1
    rows = [r for r in _all_leads(api, known.target)
            if r["lead"]["email"] == "Marie.Curie@Example.com"]
    (row,) = rows
    assert row["lead"]["id"] == found["id"]
    assert row["campaign_lead_map_id"] == data["campaign_lead_map_id"]
    assert row["status"] == "STARTED" and row["created_at"].endswith("Z")
    assert row["lead"]["location"] == "Paris, France"
    history = api.get(f"/campaigns/{known.target}/leads/{found['id']}/message-history")
    assert history == {"history": []}
    analytics = api.get(f"/campaigns/{known.target}/analytics")
    assert int(analytics["total_count"]) == int(analytics_before["total_count"]) + 1
    assert (analytics["campaign_lead_stats"]["notStarted"]
            == analytics_before["campaign_lead_stats"]["notStarted"] + 1)

    again = _push(api, known.target, [_lead("marie.curie@example.com", first_name="Other")])
    assert again["upload_count"] == 0 and again["already_added_to_campaign"] == 1
    assert _lead_count(api, known.target) == before + 1
    assert _campaign_ids(api, "MARIE.CURIE@EXAMPLE.COM") == [known.target]
    assert _lookup(api, "marie.curie@example.com")["first_name"] == "Ada"

    twice = _push(api, known.target, [_lead("pierre@example.com"), _lead("Pierre@example.com")])
    assert twice["upload_count"] == 1 and twice["already_added_to_campaign"] == 1
    assert _lead_count(api, known.target) == before + 2


def test_unsubscribed_leads_are_skipped_unless_ignored(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    known = _known(api)
    email = known.unsubscribed["email"]
    before = _lead_count(api, known.target)

    answer = _push(api, known.target, [_lead(email.upper())])
    assert answer["unsubscribed_leads"] == [email.upper()] and answer["upload_count"] == 0
    # Ignoring the unsubscribe list alone still finds the lead in another campaign.
    answer = _push(api, known.target, [_lead(email)], {"ignore_unsubscribe_list": True})
    assert answer["unsubscribed_leads"] == [] and answer["duplicate_count"] == 1
    assert answer["upload_count"] == 0
    assert known.target not in _campaign_ids(api, email)

    answer = _push(api, known.target, [_lead(email)], {
        "ignore_unsubscribe_list": True, "ignore_duplicate_leads_in_other_campaign": True})
    assert answer["upload_count"] == 1 and answer["unsubscribed_leads"] == []
    assert known.target in _campaign_ids(api, email)
    assert _lead_count(api, known.target) == before + 1


def test_the_global_block_list_is_respected_unless_ignored(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    known = _known(api)
    assert sandbox.block_list() == {"emails": [], "domains": []}
    listed = sandbox.block_list(emails=["Blocked.Person@Example.com"], domains=["@Spam-Co.io"])
    assert listed == {"emails": ["blocked.person@example.com"], "domains": ["spam-co.io"]}
    assert httpx.get(sandbox.control_url + "/block-list").json() == listed
    for bad in ({"emails": "a@example.com"}, {"emails": ["not an email"]},
                {"domains": ["no domain"]}, {"domains": [1]}, {"blocked": ["a@example.com"]}):
        response = httpx.post(sandbox.control_url + "/block-list", json=bad)
        assert response.status_code == 400 and response.json()["message"], bad
    assert sandbox.block_list() == listed

    leads = [_lead("blocked.person@example.com"), _lead("anyone@SPAM-CO.io"),
             _lead("someone@sub.spam-co.io"), _lead("fine@example.com")]
    answer = _push(api, known.target, leads)
    assert answer["block_count"] == 2 and answer["upload_count"] == 2
    assert _lookup(api, "anyone@spam-co.io") is None
    assert _lookup(api, "someone@sub.spam-co.io") is not None

    answer = _push(api, known.target, leads, {"ignore_global_block_list": True})
    assert answer["block_count"] == 0 and answer["upload_count"] == 2
    assert answer["already_added_to_campaign"] == 2
    assert _campaign_ids(api, "anyone@spam-co.io") == [known.target]

    # Existing leads become unpushable too, in any account.
    plain = known.plain["email"]
    sandbox.block_list(emails=[plain])
    answer = _push(api, known.foreign, [_lead(plain)], key=api.keys[1])
    assert answer["block_count"] == 1 and answer["upload_count"] == 0


def test_a_lead_of_another_campaign_is_a_duplicate_unless_ignored(
    sandbox: SandboxProcess,
) -> None:
    api = Api(sandbox)
    known = _known(api)
    email = known.plain["email"]
    assert _campaign_ids(api, email) == [known.plain_campaign]

    answer = _push(api, known.target, [_lead(email)])
    assert answer["duplicate_count"] == 1 and answer["upload_count"] == 0
    assert _campaign_ids(api, email) == [known.plain_campaign]

    answer = _push(api, known.target, [_lead(email)],
                   {"ignore_duplicate_leads_in_other_campaign": True})
    assert answer["duplicate_count"] == 0 and answer["upload_count"] == 1
    found = _lookup(api, email)
    assert found["id"] == known.plain["id"], "the oldest lead speaks for the address"
    data = found["lead_campaign_data"]
    assert [d["campaign_id"] for d in data] == [known.plain_campaign, known.target]
    assert all(set(d) == CAMPAIGN_DATA_KEYS for d in data)
    assert data[0]["campaign_lead_map_id"] != data[1]["campaign_lead_map_id"]

    # Another account's campaigns do not count, and each account sees only its own.
    answer = _push(api, known.foreign, [_lead(email)], key=api.keys[1])
    assert answer["upload_count"] == 1 and answer["duplicate_count"] == 0
    assert _campaign_ids(api, email, key=api.keys[1]) == [known.foreign]
    assert _campaign_ids(api, email) == [known.plain_campaign, known.target]


def test_lead_lookup_needs_an_email(shared_sandbox: SandboxProcess) -> None:
    api = Api(shared_sandbox)
    for params in ({}, {"email": ""}):
        response = api.request("GET", "/leads/", **params)
        assert response.status_code == 400 and response.json()["message"]


def test_concurrent_pushes_of_one_address_add_it_once(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    known = _known(api)
    before = _lead_count(api, known.target)
    url = f"{api.base}/campaigns/{known.target}/leads"

    async def push(client: httpx.AsyncClient, i: int) -> dict[str, Any]:
        payload = {"lead_list": [_lead("race@example.com"), _lead(f"race{i}@example.com")]}
        while True:
            response = await client.post(url, params={"api_key": api.keys[0]}, json=payload)
            if response.status_code != 429:
                assert response.status_code == 200, response.text
                return response.json()
            await asyncio.sleep(float(response.headers["Retry-After"]))

    async def run() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=10.0,
                                     headers={"User-Agent": "outbound-tests/1.0"}) as client:
            return await asyncio.gather(*(push(client, i) for i in range(20)))

    answers = asyncio.run(run())
    assert sum(a["upload_count"] for a in answers) == 21
    assert sum(a["already_added_to_campaign"] for a in answers) == 19
    assert _lead_count(api, known.target) == before + 21
    assert _campaign_ids(api, "race@example.com") == [known.target]


def test_the_push_route_is_rate_limited_and_logged_like_the_others() -> None:
    process = start_test_sandbox(speed=1.0, n_campaigns=3, n_leads=60)
    try:
        api = Api(process)
        campaign_id = api.get("/campaigns")[0]["id"]
        time.sleep(2.1)
        process.reset_requests()
        statuses = [api.request("POST", f"/campaigns/{campaign_id}/leads", retry=False,
                                body={"lead_list": [_lead(f"rl{i}@example.com")]})
                    for i in range(11)]
        assert [r.status_code for r in statuses] == [200] * 10 + [429]
        assert statuses[9].headers["X-RateLimit-Remaining"] == "0"
        assert statuses[10].json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        assert statuses[10].headers["Retry-After"] in {"1", "2"}
        log = process.requests()
        assert [(r["method"], r["route"], r["campaign_id"], r["status"]) for r in log] == (
            [("POST", "/campaigns/{id}/leads", campaign_id, 200)] * 10
            + [("POST", "/campaigns/{id}/leads", campaign_id, 429)]
        )
        assert all(r["account"] == process.accounts[0]["name"] for r in log)
        assert _lookup(api, "rl10@example.com") is None
    finally:
        process.stop()


# The client --------------------------------------------------------------------------------------


def test_client_add_leads_and_lead_by_email(sandbox: SandboxProcess,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    api = Api(sandbox)
    known = _known(api)
    sandbox.reset_requests()
    with _client(sandbox, monkeypatch) as client:
        with pytest.raises(ValueError, match="at most 100"):
            client.add_leads(known.target, [_lead(f"c{i}@example.com") for i in range(101)])
        with pytest.raises(ValueError, match="at least one"):
            client.add_leads(known.target, [])
        with pytest.raises(ValueError, match="ignore_blocklist"):
            client.add_leads(known.target, [_lead("c0@example.com")], {"ignore_blocklist": True})
        assert client.stats.requests == 0 and sandbox.requests() == []

        leads = [_lead(f"c{i}@example.com") for i in range(3)] + [_lead("bad")]
        first = client.add_leads(known.target, leads)
        assert first["upload_count"] == 3 and first["invalid_emails"] == ["bad"]
        assert first["total_leads"] == 4 and isinstance(first["block_count"], int)
        second = client.add_leads(known.target, leads[:2] + [_lead(known.plain["email"])],
                                  {"ignore_duplicate_leads_in_other_campaign": False})
        assert second["upload_count"] == 0
        assert second["already_added_to_campaign"] == 2 and second["duplicate_count"] == 1
        with pytest.raises(ClientRequestError) as err:
            client.add_leads(known.foreign, [_lead("c9@example.com")])
        assert err.value.status == 404 and api.keys[0] not in str(err.value)

        found = client.lead_by_email("C1@example.com")
        assert found is not None and found["email"] == "c1@example.com"
        assert [d["campaign_id"] for d in found["lead_campaign_data"]] == [known.target]
        assert client.lead_by_email("c9@example.com") is None
        assert client.stats.requests == 5 + client.stats.rate_limited

    pushes = [r for r in sandbox.requests() if r["method"] == "POST" and r["status"] != 429]
    assert [(r["route"], r["campaign_id"], r["status"]) for r in pushes] == [
        ("/campaigns/{id}/leads", known.target, 200),
        ("/campaigns/{id}/leads", known.target, 200),
        ("/campaigns/{id}/leads", known.foreign, 404),
    ]


def test_client_retries_a_429_but_never_a_push_that_may_have_landed(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = Api(sandbox)
    known = _known(api)
    with _client(sandbox, monkeypatch) as client:
        # Request 2 after the faults take effect is a 429: the server did not act, so retry.
        sandbox.set_faults(FaultConfig(burst_429_every=2, burst_429_length=1))
        time.sleep(0.05)  # the earlier requests leave the real rate-limit window
        sandbox.reset_requests()
        assert client.lead_by_email("r429@example.com") is None
        answer = client.add_leads(known.target, [_lead("r429@example.com")])
        assert answer["upload_count"] == 1 and client.stats.rate_limited == 1
        posts = [r["status"] for r in sandbox.requests() if r["method"] == "POST"]
        assert posts == [429, 200]

        # A 5xx is not retried; here the server failed before acting.
        sandbox.set_faults(FaultConfig(p_5xx=1.0))
        requests_before = client.stats.requests
        with pytest.raises(ServerError, match="non-idempotent"):
            client.add_leads(known.target, [_lead("r5xx@example.com")])
        assert client.stats.requests == requests_before + 1

        # A truncated answer is not retried either: the push did land.
        sandbox.set_faults(FaultConfig(p_truncated=1.0))
        requests_before = client.stats.requests
        with pytest.raises(BadResponseError):
            client.add_leads(known.target, [_lead("cut@example.com")])
        assert client.stats.requests == requests_before + 1

        sandbox.set_faults(None)
        assert client.lead_by_email("r5xx@example.com") is None
        assert client.lead_by_email("cut@example.com") is not None
        # Pushing again after an unclear failure is safe: the lead is not added twice.
        again = client.add_leads(known.target, [_lead("cut@example.com")])
        assert again["upload_count"] == 0 and again["already_added_to_campaign"] == 1
    assert [r["email"] for r in (_lookup(api, "r429@example.com"),
                                 _lookup(api, "cut@example.com"))] == [
        "r429@example.com", "cut@example.com"]
    assert sum(1 for r in _all_leads(api, known.target)
               if r["lead"]["email"] == "cut@example.com") == 1
