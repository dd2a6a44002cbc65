"""The Unipile (LinkedIn) simulator over real HTTP: auth, refusals, the simulated clock,
relations, chats, replies, cursor paging and webhooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from outbound_pipeline.platforms.unipile.webhooks import parse
from outbound_pipeline.sandbox.replies import REPLY_KINDS
from outbound_pipeline.sandbox.runner import SandboxProcess
from outbound_pipeline.sandbox.world import WorldConfig

WORLD = WorldConfig(seed=7, n_accounts=1, n_campaigns=4, n_leads=600, days=30,
                    end_date=date(2026, 11, 20))
SPEED = 20.0
PROSPECTS = 60
SECRET = "unipile-sandbox-secret"
FAST_HOOKS = {"p_duplicate": 0.0, "max_delay_seconds": 0.02}
RATE_WINDOW_SECONDS = 1.0 / SPEED
STORY_INVITES = range(0, 40)
"""Prospects account A invites in the story; other tests use prospects 40 and up."""


class Receiver:
    """Webhook endpoints on loopback: ``/users`` and ``/messaging`` answer 200, anything else
    404. Records every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 200 if self.path in ("/users", "/messaging") else 404
                with receiver._lock:
                    receiver.requests.append({
                        "path": self.path, "status": status, "body": json.loads(body),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    })
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def received(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Api:
    """A plain client for the Unipile API; waits out 429s unless asked not to."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.key = sandbox.unipile_truth()["api_key"]
        self.client = httpx.Client(base_url=sandbox.unipile_url, timeout=10.0,
                                   headers={"X-API-KEY": self.key})

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(500):
            response = self.client.request(method, path, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(RATE_WINDOW_SECONDS)
        raise AssertionError(f"{method} {path} stayed rate limited")

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.request("GET", path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item over cursor pages; fails if an item comes twice."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(1000):
            page = self.get(path, **params, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page["cursor"]
            if cursor is None:
                break
        keys = [item.get("id") or item["member_id"] for item in items]
        assert len(keys) == len(set(keys)), f"{path} served an item twice"
        return items

    def invite(self, account_id: str, provider_id: str,
               message: str | None = None) -> httpx.Response:
        body = {"provider_id": provider_id, "account_id": account_id}
        if message is not None:
            body["message"] = message
        return self.request("POST", "/users/invite", json=body)

    def start_chat(self, account_id: str, provider_id: str, text: str) -> httpx.Response:
        form = [("account_id", account_id), ("text", text), ("attendees_ids", provider_id),
                ("linkedin[api]", "classic")]
        return self.request("POST", "/chats", files=[(k, (None, v)) for k, v in form])

    def send(self, chat_id: str, text: str) -> httpx.Response:
        return self.request("POST", f"/chats/{chat_id}/messages", files=[("text", (None, text))])


@dataclass
class Story:
    """Account A invites 40 prospects, messages its new relations twice, and time passes."""

    account: dict[str, Any]
    profile_before: dict[str, Any]
    relations: list[dict[str, Any]]
    started: list[dict[str, Any]]
    second_chat_ids: list[tuple[str, str]]
    mid_clock: datetime
    mid_message_ids: set[str]
    outcomes: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    flush: dict[str, Any]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(WORLD, speed=SPEED, linkedin_prospects=PROSPECTS) as process:
        yield process


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def api(sandbox: SandboxProcess) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.client.close()


@pytest.fixture(scope="module")
def truth(sandbox: SandboxProcess) -> dict[str, Any]:
    return sandbox.unipile_truth()


def prospect(truth: dict[str, Any], index: int) -> dict[str, Any]:
    return truth["prospects"][index]


@pytest.fixture(scope="module")
def story(sandbox: SandboxProcess, api: Api, truth: dict[str, Any],
          receiver: Receiver) -> Story:
    sandbox.unipile_webhooks(receiver.url("/users"), receiver.url("/messaging"), SECRET,
                             **FAST_HOOKS)
    account = truth["accounts"][0]
    a = account["id"]
    for index in STORY_INVITES:
        note = "Hi, I work with sales teams like yours. Happy to connect." if index % 2 else None
        response = api.invite(a, prospect(truth, index)["provider_id"], note)
        assert response.status_code == 201, response.text
        assert response.json()["object"] == "UserInvitationSent"
    profile_before = api.get(f"/users/{prospect(truth, 0)['provider_id']}", account_id=a)

    start = sandbox.unipile_clock()
    sandbox.unipile_clock(start + timedelta(days=12))
    relations = api.all("/users/relations", account_id=a, limit=3)

    started = []
    for relation in relations:
        profile = api.get(f"/users/{relation['member_id']}", account_id=a)
        response = api.start_chat(a, profile["provider_id"],
                                  f"Thanks for connecting, {profile['first_name']}! How do you "
                                  "handle outbound today?")
        assert response.status_code == 201, response.text
        started.append({**response.json(), "provider_id": profile["provider_id"]})

    mid_clock = sandbox.unipile_clock(start + timedelta(days=15))
    mid_message_ids = {m["id"] for m in api.all("/messages", account_id=a, limit=250)}
    second_chat_ids = []
    for index, chat in enumerate(started):
        text = "Following up: would a 15 minute call next week be useful?"
        if index % 2:
            response = api.start_chat(a, chat["provider_id"], text)
            assert response.status_code == 201, response.text
            second_chat_ids.append((chat["chat_id"], response.json()["chat_id"]))
        else:
            response = api.send(chat["chat_id"], text)
            assert response.status_code == 201, response.text
            assert response.json()["object"] == "MessageSent"
            assert response.json()["message_id"]
    sandbox.unipile_clock(start + timedelta(days=19))
    flush = sandbox.unipile_flush_webhooks(timeout=20)
    return Story(
        account=account,
        profile_before=profile_before,
        relations=relations,
        started=started,
        second_chat_ids=second_chat_ids,
        mid_clock=mid_clock,
        mid_message_ids=mid_message_ids,
        outcomes=[o for o in sandbox.unipile_outcomes() if o["account_id"] == a],
        messages=api.all("/messages", account_id=a, limit=7),
        flush=flush,
    )


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# Tests ------------------------------------------------------------------------------------------


def test_requests_need_the_workspace_key(sandbox: SandboxProcess) -> None:
    with httpx.Client(base_url=sandbox.unipile_url, timeout=10.0) as client:
        missing = client.get("/accounts")
        wrong = client.get("/accounts", headers={"X-API-KEY": "not-the-key"})
    assert missing.status_code == 401
    assert missing.json()["type"] == "errors/missing_credentials"
    assert wrong.status_code == 401
    body = wrong.json()
    assert set(body) == {"status", "type", "title", "detail"}
    assert body["status"] == 401 and body["type"] == "errors/invalid_credentials"
    assert all(r["status"] == 401 for r in sandbox.unipile_requests()[-2:])
    assert "not-the-key" not in json.dumps(sandbox.unipile_requests())


def test_accounts_carry_their_own_provider_id(api: Api, truth: dict[str, Any]) -> None:
    listed = api.get("/accounts")
    assert listed["object"] == "AccountList" and listed["cursor"] is None
    assert len(listed["items"]) == len(truth["accounts"]) >= 2
    for expected in truth["accounts"]:
        account = api.get(f"/accounts/{expected['id']}")
        assert account["type"] == "LINKEDIN"
        assert account["connection_params"]["im"]["id"] == expected["provider_id"]
        assert account["sources"] == [{"id": f"{expected['id']}_MESSAGING", "status": "OK"}]
    assert api.request("GET", "/accounts/nope").status_code == 404


def test_an_invitation_shows_on_the_profile(story: Story) -> None:
    profile = story.profile_before
    assert profile["object"] == "UserProfile"
    assert profile["invitation"] == {"type": "SENT", "status": "PENDING"}
    assert profile["is_relationship"] is False
    assert profile["network_distance"] == "SECOND_DEGREE"


def test_accepted_invitations_become_relations(story: Story, api: Api,
                                               truth: dict[str, Any]) -> None:
    accepted = {o["provider_id"]: o for o in story.outcomes if o["accepted_at"]}
    assert 8 <= len(accepted) <= 32
    by_member = {p["member_id"]: p for p in truth["prospects"]}
    assert {by_member[r["member_id"]]["provider_id"] for r in story.relations} == set(accepted)
    created = [r["created_at"] for r in story.relations]
    assert created == sorted(created, reverse=True)

    hidden = [r for r in story.relations if "public_identifier" not in r]
    assert hidden and len(hidden) < len(story.relations)
    for relation in story.relations:
        expected = by_member[relation["member_id"]]
        outcome = accepted[expected["provider_id"]]
        assert relation["created_at"] == int(parse_time(outcome["accepted_at"]).timestamp() * 1000)
        visible = outcome["relation_visible_public_identifier"]
        assert ("public_identifier" in relation) is visible
        assert ("public_profile_url" in relation) is visible
    for relation in hidden:
        profile = api.get(f"/users/{relation['member_id']}", account_id=story.account["id"])
        assert profile["public_identifier"] == by_member[relation["member_id"]]["public_identifier"]
        assert profile["is_relationship"] is True
        assert profile["network_distance"] == "FIRST_DEGREE"
        assert profile["invitation"] is None


def test_invitations_are_refused_like_linkedin_does(story: Story, api: Api,
                                                    truth: dict[str, Any]) -> None:
    b = truth["accounts"][1]["id"]
    first = api.invite(b, prospect(truth, 50)["provider_id"])
    assert first.status_code == 201
    again = api.invite(b, prospect(truth, 50)["provider_id"])
    assert again.status_code == 422
    assert again.json()["type"] == "errors/already_invited_recently"

    related = next(o["provider_id"] for o in story.outcomes if o["accepted_at"])
    assert api.invite(story.account["id"], related).status_code == 422

    long_note = api.invite(b, prospect(truth, 51)["provider_id"], "x" * 301)
    assert long_note.status_code == 400
    assert long_note.json()["type"] == "errors/invalid_parameters"
    assert "300" in long_note.json()["detail"]
    assert api.invite(b, prospect(truth, 51)["provider_id"], "x" * 300).status_code == 201

    assert api.invite(b, "ACoAAnobody").status_code == 404
    assert api.invite("no-such-account", prospect(truth, 51)["provider_id"]).status_code == 404


def test_daily_caps_are_enforced(sandbox: SandboxProcess, story: Story, api: Api,
                                 truth: dict[str, Any]) -> None:
    b = truth["accounts"][1]["id"]
    today = sandbox.unipile_clock().date()
    sent_today = [s for s in sandbox.unipile_sent() if s["account_id"] == b
                  and s["kind"] == "invite" and parse_time(s["at"]).date() == today]
    try:
        assert sandbox.unipile_limits(invites=len(sent_today) + 1, messages=0) == {
            "invites": len(sent_today) + 1, "messages": 0}
        assert api.invite(b, prospect(truth, 52)["provider_id"]).status_code == 201
        refused = api.invite(b, prospect(truth, 53)["provider_id"])
        assert refused.status_code == 422
        assert refused.json()["type"] == "errors/limit_exceeded"
        message = api.send(story.started[0]["chat_id"], "One more thing")
        assert message.status_code == 422
        assert message.json()["type"] == "errors/limit_exceeded"
    finally:
        sandbox.unipile_limits(invites=80, messages=150)
    assert {s["provider_id"] for s in sandbox.unipile_sent()} >= {
        prospect(truth, 52)["provider_id"]}


def test_too_many_requests_get_429_with_retry_after(api: Api) -> None:
    def one(_: int) -> httpx.Response:
        return api.client.get("/accounts")

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(one, range(40)))
    limited = [r for r in responses if r.status_code == 429]
    assert limited, "no request was rate limited"
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["type"] == "errors/too_many_requests"
    assert any(r.status_code == 200 for r in responses)


def test_chats_need_a_multipart_body_and_a_relation(api: Api, truth: dict[str, Any]) -> None:
    a = truth["accounts"][0]["id"]
    stranger = prospect(truth, 55)["provider_id"]
    as_json = api.request("POST", "/chats", json={"account_id": a, "text": "Hi",
                                                   "attendees_ids": [stranger]})
    assert as_json.status_code == 400
    assert as_json.json()["type"] == "errors/invalid_parameters"
    refused = api.start_chat(a, stranger, "Hi there")
    assert refused.status_code == 422
    assert refused.json()["type"] == "errors/not_connected"
    assert api.send("no-such-chat", "Hi").status_code == 404


def test_messages_and_realistic_replies(story: Story, truth: dict[str, Any]) -> None:
    account = story.account
    assert all(s["object"] == "ChatStarted" for s in story.started)
    assert any(s["message_id"] is None for s in story.started)
    assert any(s["message_id"] for s in story.started)
    assert all(first == second for first, second in story.second_chat_ids)

    by_id = {m["id"]: m for m in story.messages}
    own = [m for m in story.messages if m["sender_id"] == account["provider_id"]]
    assert len(own) == 2 * len(story.started)
    assert all(m.get("is_sender", 1) == 1 for m in own)
    assert any("is_sender" not in m for m in story.messages)
    assert sum("is_sender" in m for m in story.messages) > len(story.messages) / 2

    replies = [r for o in story.outcomes for r in o["replies"]]
    assert len(replies) >= 2
    sent_texts = {m["text"] for m in own}
    for outcome in story.outcomes:
        for reply in outcome["replies"]:
            message = by_id[reply["message_id"]]
            assert message["sender_id"] == outcome["provider_id"]
            assert message.get("is_sender", 0) == 0
            assert message["timestamp"] == reply["at"]
            assert reply["kind"] in REPLY_KINDS
            assert len(message["text"]) > 10 and message["text"] not in sent_texts
            assert not any(line.startswith(">") for line in message["text"].splitlines())
            before_mid = parse_time(reply["at"]) <= story.mid_clock
            assert (reply["message_id"] in story.mid_message_ids) is before_mid
    assert any(parse_time(r["at"]) > story.mid_clock for r in replies)


def test_cursor_paging_visits_every_item_once(story: Story, api: Api) -> None:
    a = story.account["id"]
    relations = api.get("/users/relations", account_id=a, limit=1000)
    assert relations["cursor"] is None
    assert [r["member_id"] for r in relations["items"]] == [
        r["member_id"] for r in story.relations]
    chats_one_page = api.get("/chats", account_id=a, limit=250)["items"]
    chats_paged = api.all("/chats", account_id=a, limit=4)
    assert [c["id"] for c in chats_paged] == [c["id"] for c in chats_one_page]
    assert len(chats_paged) >= len(story.started)
    messages_one_page = api.get("/messages", account_id=a, limit=250)["items"]
    assert [m["id"] for m in story.messages] == [m["id"] for m in messages_one_page]
    stamps = [m["timestamp"] for m in story.messages]
    assert stamps == sorted(stamps, reverse=True)
    chat = story.started[0]["chat_id"]
    in_chat = api.all(f"/chats/{chat}/messages", limit=1)
    assert {m["id"] for m in in_chat} == {m["id"] for m in story.messages if m["chat_id"] == chat}
    after = api.all("/messages", account_id=a, after=story.mid_clock.isoformat())
    assert {m["id"] for m in after} == {
        m["id"] for m in story.messages if parse_time(m["timestamp"]) >= story.mid_clock}
    assert api.request("GET", "/chats", params={"account_id": a, "limit": 251}).status_code == 400


def test_webhooks_reach_the_receiver(story: Story, receiver: Receiver) -> None:
    assert story.flush["all_delivered"] is True
    a = story.account
    users = [r for r in receiver.received("/users") if r["body"]["account_id"] == a["id"]]
    messaging = [r for r in receiver.received("/messaging")
                 if r["body"]["account_id"] == a["id"]]
    for request in users + messaging:
        assert request["headers"]["x-unipile-secret"] == SECRET
        assert "x-smartlead-signature" not in request["headers"]

    announced = {o["provider_id"] for o in story.outcomes if o["new_relation_webhook_at"]}
    assert {r["body"]["user_provider_id"] for r in users} == announced
    for request in users:
        body = request["body"]
        assert body["event"] == "new_relation" and body["webhook_name"] == "users"
        assert body["user_public_identifier"]
        assert body["user_profile_url"].endswith(body["user_public_identifier"])

    own = [r["body"] for r in messaging
           if r["body"]["sender"]["attendee_provider_id"] == a["provider_id"]]
    inbound = [r["body"] for r in messaging
               if r["body"]["sender"]["attendee_provider_id"] != a["provider_id"]]
    assert len(own) == 2 * len(story.started)
    replies = {r["message_id"] for o in story.outcomes for r in o["replies"]}
    assert {body["message_id"] for body in inbound} == replies
    for body in own + inbound:
        assert body["event"] == "message_received" and body["account_type"] == "LINKEDIN"
        assert body["webhook_name"] == "messaging"
        assert len(body["attendees"]) == 1
        assert body["attendees"][0]["attendee_provider_id"] != \
            body["sender"]["attendee_provider_id"]
        [event] = parse(body)
        assert event.event_type == "message_received"
        assert event.lead_external_id == body["sender"]["attendee_provider_id"]
        assert event.message_id == body["message_id"]


def test_a_misrouted_messaging_url_fails_while_users_deliveries_succeed(
    sandbox: SandboxProcess, api: Api, truth: dict[str, Any], receiver: Receiver
) -> None:
    b = truth["accounts"][1]["id"]
    sandbox.unipile_webhooks(receiver.url("/users"), receiver.url("/not-here"), SECRET,
                             **FAST_HOOKS)
    try:
        for index in range(40, 50):
            assert api.invite(b, prospect(truth, index)["provider_id"]).status_code == 201
        sandbox.unipile_clock(sandbox.unipile_clock() + timedelta(days=11))
        relation = api.get("/users/relations", account_id=b, limit=1)["items"][0]
        profile = api.get(f"/users/{relation['member_id']}", account_id=b)
        assert api.start_chat(b, profile["provider_id"], "Hello!").status_code == 201
        flushed = sandbox.unipile_flush_webhooks(timeout=20)
        assert flushed["flushed"] is True and flushed["all_delivered"] is False
        stats = flushed["stats"]
        assert stats["users"]["delivered"] >= 1 and stats["users"]["failed"] == 0
        assert stats["messaging"]["failed"] == 1 and stats["messaging"]["delivered"] == 0
        assert receiver.received("/not-here")
    finally:
        sandbox.unipile_webhooks(None, None)
