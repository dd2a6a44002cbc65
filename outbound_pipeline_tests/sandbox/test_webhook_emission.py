"""The sandbox delivers Smartlead webhooks as its world moves, to a real receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from outbound_pipeline.sandbox.runner import SandboxProcess
from outbound_pipeline.sandbox.webhook_delivery import WebhookDelivery
from outbound_pipeline.sandbox.world import World, WorldConfig, generate_world
from outbound_pipeline_tests.conftest import TEST_WORLD, start_test_sandbox

SECRET = "whsec-sandbox-test-secret"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
FAST = {"max_delay_seconds": 0.05, "p_duplicate": 0.0}
COMMON_FIELDS = {
    "webhook_id",
    "webhook_name",
    "sl_email_lead_id",
    "sl_email_lead_map_id",
    "stats_id",
    "event_type",
    "from_email",
    "to_email",
    "to_name",
    "campaign_id",
    "campaign_name",
    "campaign_status",
    "client_id",
    "app_url",
    "secret_key",
    "description",
    "metadata",
}
EMAIL_FIELDS = COMMON_FIELDS | {"subject", "sequence_number", "sent_message"}


class Receiver:
    """A webhook endpoint on loopback that records every request and can fail the first N."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self._failures_left = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver._record(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/smartlead"

    def reset(self, fail_first: int = 0) -> None:
        with self._lock:
            self.requests.clear()
            self._failures_left = fail_first

    def _record(self, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            status = 500 if self._failures_left > 0 else 200
            self._failures_left = max(0, self._failures_left - 1)
            self.requests.append({"body": body, "headers": headers, "status": status})
            return status

    def accepted(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["status"] == 200]

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.accepted()]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def unreachable_url() -> Iterator[str]:
    """A loopback URL whose port is bound but never listened on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxProcess]:
    process = start_test_sandbox()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def mirror() -> World:
    """The sandbox's world, moved here in step with it (see ``move``) to know what to expect."""
    return generate_world(WorldConfig(**TEST_WORLD))


@pytest.fixture(scope="module")
def campaign_id(mirror: World) -> int:
    live = [c for c in mirror.campaigns.values() if c.status != "DRAFTED"]
    return max(live, key=lambda c: len(mirror.campaign_leads[c.id])).id


@pytest.fixture
def hooks(module_sandbox: SandboxProcess, receiver: Receiver) -> Iterator[SandboxProcess]:
    receiver.reset()
    yield module_sandbox
    module_sandbox.disable_webhooks()


def move(
    sandbox: SandboxProcess, mirror: World, campaign_id: int, sends: int, replies: int
) -> list[tuple[Any, ...]]:
    """Adds activity to the sandbox and the mirror alike; returns the expected events."""
    result = sandbox.add_activity(campaign_id, sends, replies)
    expected: list[tuple[Any, ...]] = []

    def expect(change: str, facts: dict[str, Any]) -> None:
        lead = facts["lead"]
        match change:
            case "sent":
                send = facts["send"]
                expected.append(
                    (
                        "EMAIL_SENT",
                        send.stats_id,
                        send.campaign_id,
                        lead.id,
                        lead.map_id,
                        send.seq_number,
                    )
                )
            case "replied":
                reply = facts["reply"]
                expected.append(("EMAIL_REPLY", reply.stats_id, lead.id, reply.content.text))
            case "category_changed":
                expected.append(
                    (
                        "LEAD_CATEGORY_UPDATED",
                        lead.id,
                        facts["old_category_id"],
                        facts["reply"].category_id,
                    )
                )
            case "unsubscribed":
                expected.append(("LEAD_UNSUBSCRIBED", lead.id))

    mirror.listeners.append(expect)
    try:
        at = datetime.fromisoformat(result["at"].replace("Z", "+00:00"))
        mirror.add_activity(campaign_id, sends, replies, at)
    finally:
        mirror.listeners.remove(expect)
    return expected


def observed(payload: dict[str, Any]) -> tuple[Any, ...]:
    """A received payload in the shape ``move`` expects."""
    match payload["event_type"]:
        case "EMAIL_SENT":
            return (
                "EMAIL_SENT",
                payload["stats_id"],
                payload["campaign_id"],
                payload["sl_email_lead_id"],
                payload["sl_email_lead_map_id"],
                payload["sequence_number"],
            )
        case "EMAIL_REPLY":
            text = (payload.get("reply_message") or {}).get("text") or payload["preview_text"]
            return ("EMAIL_REPLY", payload["stats_id"], payload["sl_email_lead_id"], text)
        case "LEAD_CATEGORY_UPDATED":
            category = payload["lead_category"]
            return (
                "LEAD_CATEGORY_UPDATED",
                payload["lead_id"],
                category["old_id"],
                category["new_id"],
            )
        case _:
            return (payload["event_type"], payload["sl_email_lead_id"])


def flushed(sandbox: SandboxProcess) -> dict[str, Any]:
    result = sandbox.flush_webhooks(timeout=10.0)
    assert result["flushed"], result
    return result


# Through the sandbox ----------------------------------------------------------------------------


def test_every_new_send_and_reply_is_delivered(
    hooks: SandboxProcess, receiver: Receiver, mirror: World, campaign_id: int
) -> None:
    hooks.configure_webhooks(receiver.url, SECRET, **FAST)
    expected = move(hooks, mirror, campaign_id, sends=8, replies=4)
    result = flushed(hooks)

    payloads = receiver.payloads()
    assert sorted(map(observed, payloads), key=repr) == sorted(expected, key=repr)
    kinds = Counter(p["event_type"] for p in payloads)
    assert kinds["EMAIL_SENT"] == 8 and kinds["EMAIL_REPLY"] == 4
    assert kinds["LEAD_CATEGORY_UPDATED"] == 4
    assert result["all_delivered"]
    stats = result["stats"]
    assert stats["emitted"] == stats["delivered"] == len(expected) == len(payloads)
    assert stats["attempts"] == len(receiver.requests) and stats["pending"] == 0

    campaign = mirror.campaigns[campaign_id]
    for payload in payloads:
        lead = mirror.leads[payload["sl_email_lead_id"]]
        assert payload["campaign_id"] == campaign_id and payload["campaign_name"] == campaign.name
        assert payload["to_email"] == lead.email and payload["secret_key"] == SECRET
        assert payload["client_id"] == campaign.client_id
        moment = payload.get("event_timestamp") or payload.get(
            "time_sent", payload.get("time_replied")
        )
        assert moment is not None and TIMESTAMP.match(moment), payload
        assert TIMESTAMP.match(payload["metadata"]["webhook_created_at"])
        if payload["event_type"] in ("EMAIL_SENT", "EMAIL_REPLY", "LEAD_UNSUBSCRIBED"):
            assert set(payload) >= EMAIL_FIELDS, payload["event_type"]
            send = next(s for s in mirror.lead_sends[lead.id] if s.stats_id == payload["stats_id"])
            assert payload["subject"] == mirror.subject_of(send)
            assert payload["sent_message"]["message_id"] == send.message_id
            assert lead.first_name in payload["sent_message"]["text"]
        else:
            assert COMMON_FIELDS | {"lead_id", "lead_category", "lead_data", "history"} <= set(
                payload
            )
            assert payload["lead_data"]["email"] == lead.email
            new_id = payload["lead_category"]["new_id"]
            assert payload["lead_category"]["new_name"] == mirror.category_by_id[new_id].name
            assert [h["type"] for h in payload["history"]][-1] == "REPLY"


def test_duplicates_are_byte_identical_redeliveries(
    hooks: SandboxProcess, receiver: Receiver, mirror: World, campaign_id: int
) -> None:
    hooks.configure_webhooks(receiver.url, SECRET, max_delay_seconds=0.05, p_duplicate=0.5, seed=4)
    expected = move(hooks, mirror, campaign_id, sends=20, replies=0)
    stats = flushed(hooks)["stats"]

    bodies = Counter(r["body"] for r in receiver.accepted())
    assert stats["duplicates_sent"] > 0
    assert len(bodies) == stats["emitted"] == len(expected)
    assert (
        sorted(bodies.values())
        == [1] * (len(bodies) - stats["duplicates_sent"]) + [2] * stats["duplicates_sent"]
    )
    assert stats["delivered"] == stats["emitted"] + stats["duplicates_sent"]


def test_signature_header_is_the_hmac_of_the_raw_body(
    hooks: SandboxProcess, receiver: Receiver, mirror: World, campaign_id: int
) -> None:
    hooks.configure_webhooks(receiver.url, SECRET, **FAST)
    move(hooks, mirror, campaign_id, sends=3, replies=1)
    flushed(hooks)
    signed = receiver.accepted()
    assert signed
    for request in signed:
        digest = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["x-smartlead-signature"] == digest

    receiver.reset()
    hooks.configure_webhooks(receiver.url, SECRET, sign=False, **FAST)
    move(hooks, mirror, campaign_id, sends=2, replies=0)
    flushed(hooks)
    unsigned = receiver.accepted()
    assert unsigned and all("x-smartlead-signature" not in r["headers"] for r in unsigned)
    assert all(json.loads(r["body"])["secret_key"] == SECRET for r in unsigned)


def test_failed_deliveries_are_retried_until_accepted(
    hooks: SandboxProcess, receiver: Receiver, mirror: World, campaign_id: int
) -> None:
    receiver.reset(fail_first=3)
    hooks.configure_webhooks(receiver.url, SECRET, **FAST)
    expected = move(hooks, mirror, campaign_id, sends=2, replies=0)
    result = flushed(hooks)
    stats = result["stats"]
    assert result["all_delivered"]
    assert [r["status"] for r in receiver.requests].count(500) == 3
    assert stats["retried"] == 3 and stats["failed"] == 0
    assert stats["attempts"] == len(expected) + 3 == len(receiver.requests)
    assert sorted(map(observed, receiver.payloads())) == sorted(expected)


def test_some_payloads_use_the_deprecated_fields(
    hooks: SandboxProcess, receiver: Receiver, mirror: World, campaign_id: int
) -> None:
    hooks.configure_webhooks(receiver.url, SECRET, deprecated_share=0.5, seed=2, **FAST)
    move(hooks, mirror, campaign_id, sends=12, replies=12)
    flushed(hooks)
    payloads = receiver.payloads()
    replies = [p for p in payloads if p["event_type"] == "EMAIL_REPLY"]
    old = [p for p in replies if "reply_message" not in p]
    new = [p for p in replies if "reply_message" in p]
    assert old and new
    assert all({"reply_body", "preview_text", "message_id"} <= set(p) for p in old)
    assert not any({"reply_body", "preview_text", "message_id"} & set(p) for p in new)
    assert all(set(p["reply_message"]) == {"message_id", "html", "text", "time"} for p in new)

    emails = [p for p in payloads if p["event_type"] in ("EMAIL_SENT", "EMAIL_REPLY")]
    legacy_time = {"EMAIL_SENT": "time_sent", "EMAIL_REPLY": "time_replied"}
    assert all(legacy_time[p["event_type"]] in p for p in emails)
    without = [p for p in emails if "event_timestamp" not in p]
    assert 0 < len(without) < len(emails)
    for p in emails:
        if "event_timestamp" in p:
            assert p["event_timestamp"] == p[legacy_time[p["event_type"]]]


def test_settings_never_show_the_secret_and_bad_settings_are_400(
    hooks: SandboxProcess, receiver: Receiver, mirror: World, campaign_id: int
) -> None:
    described = hooks.configure_webhooks(receiver.url, SECRET, p_duplicate=0.1)
    shown = httpx.get(hooks.control_url + "/webhooks")
    for text in (json.dumps(described), shown.text, json.dumps(hooks.webhook_stats())):
        assert SECRET not in text
    settings = shown.json()
    assert settings["enabled"] and settings["secret_key_set"] and settings["sign"]
    assert settings["url"] == receiver.url and settings["p_duplicate"] == 0.1
    assert set(settings["stats"]) == {
        "emitted",
        "attempts",
        "delivered",
        "duplicates_sent",
        "retried",
        "failed",
        "pending",
    }

    url = receiver.url
    bad = [
        {},
        {"url": "ftp://example.com/hook"},
        {"url": "not a url"},
        {"url": 42},
        {"url": url, "sign": True},
        {"url": url, "secret_key": ""},
        {"url": url, "secret_key": SECRET, "sign": "yes"},
        {"url": url, "p_duplicate": 1.5},
        {"url": url, "max_delay_seconds": -1},
        {"url": url, "deprecated_share": "0.3"},
        {"url": url, "seed": 1.5},
        {"url": url, "secrte_key": SECRET},
        [url],
    ]
    for body in bad:
        response = httpx.post(hooks.control_url + "/webhooks", json=body)
        assert response.status_code == 400, body
        assert response.json()["message"]
    not_json = httpx.post(hooks.control_url + "/webhooks", content=b"{url")
    assert not_json.status_code == 400
    assert httpx.get(hooks.control_url + "/webhooks").json()["url"] == url

    flush = hooks.control_url + "/webhooks/flush"
    assert httpx.post(flush, json={"timeout": -1}).status_code == 400
    assert httpx.post(flush, json={"timeout": 1, "wait": True}).status_code == 400

    assert hooks.disable_webhooks() == {"enabled": False}
    assert httpx.post(flush, json={"timeout": 1}).status_code == 400
    move(hooks, mirror, campaign_id, sends=2, replies=0)
    hooks.configure_webhooks(receiver.url, SECRET, **FAST)
    assert flushed(hooks)["stats"]["emitted"] == 0


def test_bad_ticker_settings_are_400(module_sandbox: SandboxProcess) -> None:
    ticker = module_sandbox.control_url + "/ticker"
    for body in (
        {},
        {"every_seconds": 0},
        {"every_seconds": "1"},
        {"every_seconds": True},
        {"every_seconds": 1, "sends": -1},
        {"every_seconds": 1, "replies": 0.5},
        {"every_seconds": 1, "often": True},
    ):
        response = httpx.post(ticker, json=body)
        assert response.status_code == 400, body
    assert httpx.get(ticker).json()["running"] is False


def test_ticker_moves_the_world_and_emits(sandbox: SandboxProcess) -> None:
    receiver = Receiver()
    try:
        sandbox.configure_webhooks(receiver.url, SECRET, **FAST)
        end_date = sandbox.truth["config"]["end_date"]
        assert sandbox.start_ticker(0.02, sends=2, replies=1)["running"]
        deadline = time.monotonic() + 10.0
        while httpx.get(sandbox.control_url + "/ticker").json()["ticks"] < 3:
            assert time.monotonic() < deadline, "the ticker did not tick"
            time.sleep(0.02)
        stopped = sandbox.stop_ticker()
        assert stopped["running"] is False and stopped["skipped"] == 0
        ticks = stopped["ticks"]
        flushed(sandbox)
        kinds = Counter(p["event_type"] for p in receiver.payloads())
        assert kinds["EMAIL_SENT"] == 2 * ticks and kinds["EMAIL_REPLY"] == ticks
        assert kinds["LEAD_CATEGORY_UPDATED"] == ticks
        assert sandbox.webhook_stats()["stats"]["emitted"] == sum(kinds.values())
        cutoff = datetime.fromisoformat(f"{end_date}T09:00:00+00:00")
        stamps = [
            p.get("event_timestamp") or p.get("time_sent") or p.get("time_replied")
            for p in receiver.payloads()
        ]
        assert all(datetime.fromisoformat(s) >= cutoff for s in stamps)
    finally:
        receiver.close()


# The delivery on its own ------------------------------------------------------------------------


def test_duplicates_depend_only_on_the_seed(receiver: Receiver) -> None:
    def duplicated(seed: int) -> set[bytes]:
        receiver.reset()
        delivery = WebhookDelivery(receiver.url, p_duplicate=0.3, max_delay_seconds=0.01, seed=seed)
        try:
            for n in range(40):
                delivery.emit({"event_type": "EMAIL_SENT", "n": n})
            assert delivery.flush(10.0)
        finally:
            delivery.close()
        counts = Counter(r["body"] for r in receiver.accepted())
        return {body for body, count in counts.items() if count == 2}

    first = duplicated(7)
    assert first and duplicated(7) == first


def test_a_delivery_that_keeps_failing_is_given_up(receiver: Receiver) -> None:
    receiver.reset(fail_first=100)
    delivery = WebhookDelivery(
        receiver.url, p_duplicate=0.0, max_delay_seconds=0.0, speed=1000.0, secret_key=SECRET
    )
    try:
        delivery.emit({"event_type": "EMAIL_SENT"})
        assert delivery.flush(10.0)
        assert delivery.stats() == {
            "emitted": 1,
            "attempts": 6,
            "delivered": 0,
            "duplicates_sent": 0,
            "retried": 5,
            "failed": 1,
            "pending": 0,
        }
    finally:
        delivery.close()
    assert len(receiver.requests) == 6
    assert len({r["body"] for r in receiver.requests}) == 1


def test_an_unreachable_receiver_counts_as_failed(unreachable_url: str) -> None:
    delivery = WebhookDelivery(
        unreachable_url, max_delay_seconds=0.0, p_duplicate=0.0, speed=1000.0
    )
    try:
        delivery.emit({"event_type": "EMAIL_SENT"})
        assert delivery.flush(10.0)
        stats = delivery.stats()
        assert stats["failed"] == 1 and stats["attempts"] == 6 and stats["delivered"] == 0
    finally:
        delivery.close()


def test_listeners_do_not_change_what_the_world_generates() -> None:
    config = WorldConfig(**TEST_WORLD)
    quiet, heard = generate_world(config), generate_world(config)
    changes: list[str] = []
    unsubscribing: list[bool] = []

    def listen(change: str, facts: dict[str, Any]) -> None:
        changes.append(change)
        if change == "replied":
            unsubscribing.append(facts["reply"].content.kind == "unsubscribe")

    heard.listeners.append(listen)
    campaign = max(
        (c for c in quiet.campaigns.values() if c.status != "DRAFTED"),
        key=lambda c: len(quiet.campaign_leads[c.id]),
    )
    for world in (quiet, heard):
        world.add_activity(campaign.id, sends=10, replies=6, at=world.cutoff)
    assert quiet.fingerprint() == heard.fingerprint()
    assert changes.count("sent") == 10 and changes.count("replied") == 6
    assert changes.count("category_changed") == 6
    assert changes.count("unsubscribed") == sum(unsubscribing)
