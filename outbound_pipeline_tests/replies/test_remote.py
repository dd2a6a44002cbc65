"""The remote classifier against a local fake of the API (a real HTTP server in a child
process): both API styles, batching, and the embedded fallback on every kind of failure."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from outbound_pipeline.http import RetryPolicy
from outbound_pipeline.replies.classifier import Reply, embedded_classifier
from outbound_pipeline.replies.remote import RemoteClassifier, category_of
from outbound_pipeline.sandbox.classifier_api import classifier_api_process

KEY = "rc-test-key-5f1d2c"
TEXTS = [
    "Sounds great, can we set up a call on Tuesday?",
    "Not interested, thanks.",
    "I'm out of the office until Monday.",
    "Tell me more, send the info please.",
    "Sent from my iPhone",
]


@pytest.fixture(scope="module")
def api() -> Iterator[dict[str, str]]:
    with classifier_api_process(KEY) as server:
        yield server.urls


@pytest.fixture(autouse=True)
def healthy(api):
    httpx.post(api["control"] + "/faults", json={"mode": "ok", "count": 0})


def fault(api, mode: str, count: int, seconds: float = 0.0) -> None:
    httpx.post(api["control"] + "/faults", json={"mode": mode, "count": count,
                                                 "seconds": seconds}).raise_for_status()


def stats(api) -> dict:
    return httpx.get(api["control"] + "/stats").json()


def remote(url: str, style: str = "batch", key: str = KEY, **kw) -> RemoteClassifier:
    return RemoteClassifier(url, key, style=style, fallback=embedded_classifier(),
                            retry=RetryPolicy(max_attempts=2, base_seconds=0.01,
                                              cap_seconds=0.02), requests_per_second=200, **kw)


def replies(texts=TEXTS) -> list[Reply]:
    return [Reply.of_text(t) for t in texts]


def test_batch_style_maps_the_documented_labels_in_one_request(api):
    before = stats(api)["requests"]
    classifier = remote(api["batch"], model="reply-v2")
    results = classifier.classify(replies())
    assert [r.reply_category for r in results] == [
        "meeting_request", "not_interested", "out_of_office", "interested", "neutral"]
    assert [r.method for r in results] == ["remote"] * 4 + ["empty"]
    assert results[0].explanation == {"remote_label": "wants-to-meet"}
    assert results[0].classifier_version.startswith("remote-batch-reply-v2@")
    assert stats(api)["requests"] == before + 1  # four texts, one request
    assert classifier.fallbacks == 0


def test_batches_hold_at_most_32_texts(api):
    before = stats(api)["requests"]
    results = remote(api["batch"]).classify(replies([f"tell me more #{i}" for i in range(70)]))
    assert len(results) == 70
    assert stats(api)["requests"] == before + 3


def test_revreply_style_sends_one_multipart_request_per_reply(api):
    before = stats(api)["requests"]
    results = remote(api["revreply"], style="revreply").classify(replies(TEXTS[:3]))
    assert [r.reply_category for r in results] == [
        "interested", "not_interested", "out_of_office"]
    assert results[0].explanation == {"remote_label": "POSITIVE_REPLY"}
    assert stats(api)["requests"] == before + 3


@pytest.mark.parametrize("mode", ["error", "garbage", "short", "unauthorized"])
def test_a_failing_remote_falls_back_to_the_embedded_classifier(api, mode, caplog):
    fault(api, mode, count=10)
    classifier = remote(api["batch"])
    with caplog.at_level(logging.WARNING):
        results = classifier.classify(replies(TEXTS[:4]))
    assert [r.classifier for r in results] == ["embedded"] * 4
    assert [r.reply_category for r in results] == [
        "meeting_request", "not_interested", "out_of_office", "interested"]
    assert all("fallback_reason" in r.explanation for r in results)
    assert classifier.fallbacks == 4
    assert "remote reply classifier failed" in caplog.text
    assert KEY not in caplog.text
    assert all(KEY not in str(r.as_dict()) for r in results)


def test_a_transient_error_is_retried_through_the_shared_client(api):
    fault(api, "error", count=1)
    classifier = remote(api["batch"])
    results = classifier.classify(replies(TEXTS[:2]))
    assert [r.method for r in results] == ["remote", "remote"]
    assert classifier.client.stats.retries == 1


def test_an_unknown_label_falls_back_for_those_replies_only(api):
    fault(api, "unknown_label", count=1)
    results = remote(api["batch"]).classify(replies(TEXTS[:2]))
    assert [r.classifier for r in results] == ["embedded", "embedded"]
    assert results[0].explanation["fallback_reason"].startswith("unknown remote label")


def test_a_slow_remote_times_out_and_falls_back(api):
    fault(api, "slow", count=5, seconds=2.0)
    results = remote(api["batch"], timeout=0.3).classify(replies(TEXTS[:1]))
    assert results[0].classifier == "embedded"


def test_an_unreachable_remote_falls_back():
    results = remote("http://127.0.0.1:9/v1/classify").classify(replies(TEXTS[:1]))
    assert results[0].classifier == "embedded"


def test_bad_configuration_is_a_clear_error():
    with pytest.raises(ValueError, match="style must be one of"):
        remote("http://127.0.0.1:9/x", style="soap")
    with pytest.raises(ValueError, match="URL must be"):
        remote("ftp://nowhere")


def test_label_mapping():
    assert category_of("OOO") == "out_of_office"
    assert category_of("no-longer-works-here") == "referral"
    assert category_of("Meeting Booked") == "meeting_request"
    assert category_of("NEGATIVE_REPLY") == "not_interested"
    assert category_of("bounced") == "neutral"
    assert category_of("mystery") is None
    assert category_of(None) is None
