"""The receiver over real HTTP: authentication, refusals, durability, duplicates."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from outbound_pipeline.webhooks.auth import signature
from outbound_pipeline.webhooks.landing import LandingStore
from outbound_pipeline.webhooks.serve import receiver_process
from outbound_pipeline_tests.webhooks import payloads
from outbound_pipeline_tests.webhooks.conftest import SECRETS, receiver_env


def test_every_source_accepts_its_authentication(receiver):
    reply = payloads.smartlead("EMAIL_REPLY")
    assert receiver.smartlead(reply, sign=True).status_code == 200
    with_secret = {**payloads.smartlead("EMAIL_SENT"), "secret_key": SECRETS[
        "OUTBOUND_WEBHOOK_SECRET_SMARTLEAD"]}
    assert receiver.smartlead(with_secret, sign=False).status_code == 200
    assert receiver.post("/webhooks/replyio/acme_replyio", payloads.replyio(),
                         {"X-Webhook-Secret": "rio-secret-123"}).status_code == 200
    assert receiver.post("/webhooks/lemlist/acme_lemlist", payloads.lemlist(),
                         {"X-Webhook-Secret": "lem-secret-123"}).status_code == 200
    assert receiver.post("/webhooks/unipile/acme_linkedin/messaging", payloads.unipile_message(),
                         {"X-Unipile-Secret": "uni-secret-123"}).status_code == 200
    assert receiver.post("/webhooks/unipile/acme_linkedin/users", payloads.unipile_relation(),
                         {"X-Unipile-Secret": "uni-secret-123"}).status_code == 200
    assert receiver.post("/ingest/leads", [{"email": "a@x.com"}, {"email": "b@y.com"}],
                         {"X-API-Key": "ingest-key-123"}).json()["received"] == 2
    clay = json.dumps({"email": "c@z.com", "persona": "VP Sales", "lead_score": 75}).encode()
    assert receiver.post("/ingest/clay", clay, {"X-Clay-Signature": signature(
        "clay-secret-123", clay)}).status_code == 200

    landed = receiver.landed()
    assert [r["source"] for r in landed] == [
        "smartlead", "smartlead", "replyio", "lemlist", "unipile_messaging", "unipile_users",
        "leads", "leads", "clay"]
    # The shared secret is authentication, never data.
    text = json.dumps(landed)
    assert all(secret not in text for secret in SECRETS.values())
    assert all("secret_key" not in r["payload"] for r in landed)
    assert landed[0]["connection"] == "acme" and landed[0]["payload"] == reply


@pytest.mark.parametrize("path, body, headers, status, message", [
    ("/webhooks/smartlead/acme", payloads.smartlead("EMAIL_SENT"), {}, 401, "secret"),
    ("/webhooks/smartlead/acme", {**payloads.smartlead("EMAIL_SENT"), "secret_key": "wrong"},
     {}, 401, "secret"),
    ("/webhooks/smartlead/acme", payloads.smartlead("EMAIL_SENT"),
     {"X-Smartlead-Signature": "00" * 32}, 401, "secret"),
    ("/webhooks/replyio/acme_replyio", payloads.replyio(), {"X-Webhook-Secret": "nope"}, 401,
     "secret"),
    ("/webhooks/unipile/acme_linkedin/messaging", payloads.unipile_message(), {}, 401, "secret"),
    ("/ingest/leads", {"email": "a@x.com"}, {"X-API-Key": "nope"}, 401, "X-API-Key"),
    ("/ingest/clay", {"email": "a@x.com"}, {"X-Clay-Signature": "ab" * 32}, 401, "Clay"),
    ("/webhooks/smartlead/acme", b"{not json", {"X-Smartlead-Signature": signature(
        SECRETS["OUTBOUND_WEBHOOK_SECRET_SMARTLEAD"], b"{not json")}, 400, "JSON"),
    ("/webhooks/replyio/acme_replyio", b"[1, 2]", {"X-Webhook-Secret": "rio-secret-123"}, 400,
     "object"),
    ("/webhooks/smartlead/acme", b"x" * (1024 * 1024 + 1), {}, 413, "over"),
    ("/webhooks/mailchimp/acme", {"a": 1}, {}, 404, "unknown source"),
    ("/webhooks/smartlead/globex", payloads.smartlead("EMAIL_SENT"), {}, 404, "globex"),
    ("/webhooks/unipile/acme_linkedin/calendar", {"a": 1}, {}, 404, "unknown source"),
    ("/elsewhere", {"a": 1}, {}, 404, "unknown source"),
    ("/ingest/leads", {"leads": [{"email": "a@x.com"}, {"name": "no email"}]},
     {"X-API-Key": "ingest-key-123"}, 422, "lead 1: field `email` is required"),
    ("/ingest/leads", {"email": "a@x.com", "lead_score": "high"},
     {"X-API-Key": "ingest-key-123"}, 422, "lead_score"),
    ("/ingest/leads", [], {"X-API-Key": "ingest-key-123"}, 422, "no leads"),
])
def test_refusals_say_why_and_store_nothing(receiver, path, body, headers, status, message):
    response = receiver.post(path, body, headers)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert receiver.landed() == []


DEEP_ARRAYS = b"[" * 100_000
DEEP_OBJECT = json.dumps(json.loads('{"a":' * 100 + "1" + "}" * 100)).encode()
"""Valid JSON the parser reads, nested deeper than the receiver takes."""


@pytest.mark.parametrize("path, body, headers", [
    ("/webhooks/smartlead/acme", DEEP_ARRAYS, {"X-Smartlead-Signature": signature(
        SECRETS["OUTBOUND_WEBHOOK_SECRET_SMARTLEAD"], DEEP_ARRAYS)}),
    ("/webhooks/smartlead/acme", DEEP_ARRAYS, {}),
    ("/webhooks/replyio/acme_replyio", DEEP_ARRAYS, {"X-Webhook-Secret": "rio-secret-123"}),
    ("/webhooks/unipile/acme_linkedin/messaging", DEEP_ARRAYS,
     {"X-Unipile-Secret": "uni-secret-123"}),
    ("/ingest/leads", DEEP_ARRAYS, {"X-API-Key": "ingest-key-123"}),
    ("/ingest/clay", DEEP_ARRAYS, {"X-Clay-Signature": signature("clay-secret-123",
                                                                  DEEP_ARRAYS)}),
    ("/webhooks/smartlead/acme", DEEP_OBJECT, {"X-Smartlead-Signature": signature(
        SECRETS["OUTBOUND_WEBHOOK_SECRET_SMARTLEAD"], DEEP_OBJECT)}),
    ("/ingest/leads", b'{"leads": [{"email": "a@x.com", "extra": ' + DEEP_OBJECT + b"}]}",
     {"X-API-Key": "ingest-key-123"}),
])
def test_a_deeply_nested_body_is_refused_as_bad_json(receiver, path, body, headers):
    response = receiver.post(path, body, headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "JSON body nested deeper than 64 levels"
    assert receiver.landed() == []
    # The receiver is unharmed: it still takes the next event, and never answered 500.
    assert receiver.smartlead(payloads.smartlead("EMAIL_SENT")).status_code == 200
    health = receiver.client.get(receiver.url + "/health").json()
    assert health["responses"] == {"400": 1, "200": 1}


def test_a_payload_nested_to_the_limit_is_taken_and_one_level_more_is_not(receiver):
    nested: object = "deepest"
    for _ in range(63):  # with the payload object itself, 64 levels
        nested = {"a": nested}
    payload = {**payloads.smartlead("EMAIL_SENT"), "extra": nested}
    assert receiver.smartlead(payload).status_code == 200
    assert receiver.landed()[0]["payload"]["extra"] == nested
    deeper = {**payloads.smartlead("EMAIL_REPLY"), "extra": {"a": nested}}
    assert receiver.smartlead(deeper).status_code == 400
    assert len(receiver.landed()) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/webhooks/smartlead/acme", "/webhooks/replyio/acme_replyio",
                                  "/webhooks/unipile/acme_linkedin/users", "/ingest/leads",
                                  "/ingest/clay"])
def test_other_methods_than_post_on_an_event_path_are_refused_with_allow(receiver, method,
                                                                          path):
    response = receiver.client.request(method, receiver.url + path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    assert response.json() == {"ok": False,
                               "error": f"{method} is not allowed on {path!r}: use POST"}
    assert receiver.landed() == []


def test_a_source_without_a_configured_secret_asks_the_platform_to_retry(tmp_path):
    env = receiver_env(tmp_path)
    del env["OUTBOUND_WEBHOOK_SECRET_LEMLIST"]
    with receiver_process(env) as server:
        response = httpx.post(server.urls["receiver"] + "/webhooks/lemlist/acme_lemlist",
                              json=payloads.lemlist(), headers={"X-Webhook-Secret": "x"})
    assert response.status_code == 503
    assert "OUTBOUND_WEBHOOK_SECRET_LEMLIST" in response.json()["error"]
    assert not list((tmp_path / "landing" / "open").glob("*.jsonl"))
    assert not list((tmp_path / "landing" / "sealed").glob("*.jsonl"))


def test_a_redelivery_gets_the_same_event_key(receiver):
    payload = payloads.smartlead("EMAIL_REPLY")
    first = receiver.smartlead(payload).json()["event_keys"]
    again = receiver.smartlead(payload).json()["event_keys"]
    assert first == again
    assert len(receiver.landed()) == 2  # both land; the load keeps one row (test_landing)


def test_health(receiver):
    receiver.smartlead(payloads.smartlead("EMAIL_SENT"))
    health = receiver.client.get(receiver.url + "/health").json()
    assert health["status"] == "ok" and health["responses"]["200"] == 1
    assert health["open_segment_bytes"] > 0


def test_segments_seal_by_age_and_size(tmp_path):
    env = receiver_env(tmp_path, OUTBOUND_LANDING_SEGMENT_SECONDS="0.2",
                       OUTBOUND_LANDING_SEGMENT_BYTES="4096")
    store = LandingStore(tmp_path / "landing")
    with receiver_process(env) as server, httpx.Client() as client:
        url = server.urls["receiver"] + "/webhooks/smartlead/acme"
        body = {**payloads.smartlead("EMAIL_SENT"), "secret_key": "sl-secret-123"}
        for n in range(12):  # ~1.2 kB each: several size-sealed segments
            assert client.post(url, json={**body, "stats_id": f"s{n}"}).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(
                len(store.read(s.segment_id)) for s in store.sealed_after(None)) < 12:
            time.sleep(0.05)
    segments = store.sealed_after(None)
    assert [s.segment_id for s in segments] == [f"{n:012d}" for n in range(1, len(segments) + 1)]
    assert len(segments) >= 3
    assert sorted(r["payload"]["stats_id"] for s in segments for r in store.read(s.segment_id)
                  ) == sorted(f"s{n}" for n in range(12))


def test_kill_9_under_load_loses_no_acknowledged_event(tmp_path):
    env = receiver_env(tmp_path, OUTBOUND_LANDING_SEGMENT_SECONDS="0.3",
                       OUTBOUND_LANDING_SEGMENT_BYTES="65536")
    store = LandingStore(tmp_path / "landing")
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def send(url: str, worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            n = 0
            while not stop.is_set():
                n += 1
                stats_id = f"w{worker}-{n}"
                body = {**payloads.smartlead("EMAIL_SENT", stats_id=stats_id),
                        "secret_key": "sl-secret-123"}
                try:
                    response = client.post(url, json=body)
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    with lock:
                        acknowledged.add(stats_id)

    server = receiver_process(env).start()
    url = server.urls["receiver"] + "/webhooks/smartlead/acme"
    threads = [threading.Thread(target=send, args=(url, w)) for w in range(8)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 300:
        time.sleep(0.01)
    server.kill()  # SIGKILL mid-load
    stop.set()
    for thread in threads:
        thread.join()
    before_restart = set(acknowledged)

    # The next receiver seals what the dead one left open, cutting a torn last line.
    with receiver_process(env):
        pass
    assert not list(store.open_dir.glob("*.jsonl"))
    landed = {r["payload"]["stats_id"] for s in store.sealed_after(None)
              for r in store.read(s.segment_id)}
    assert before_restart <= landed
    assert len(before_restart) >= 300
