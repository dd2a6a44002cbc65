"""The Smartlead client against the simulator over HTTP: every quirk, retries and errors."""

from __future__ import annotations

from datetime import date

import pytest

from outbound_pipeline.connections import Connection, RateLimit
from outbound_pipeline.http import AuthenticationError, RetryPolicy, ServerError
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline_tests.conftest import TEST_SPEED, TEST_WORLD, start_test_sandbox


def _client(process, *, key: str | None = None, requests: int = 10,
            per_seconds: float = 2.0 / TEST_SPEED, monkeypatch=None,
            retry: RetryPolicy | None = None) -> SmartleadClient:
    account = process.accounts[0]
    monkeypatch.setenv("SL_TEST_KEY", key or account["api_key"])
    connection = Connection(account["name"], "smartlead", process.smartlead_url, "SL_TEST_KEY",
                            RateLimit(requests, per_seconds))
    return SmartleadClient.for_connection(connection, retry=retry)


def test_quirks_are_parsed(shared_sandbox, monkeypatch):
    with _client(shared_sandbox, monkeypatch=monkeypatch) as client:
        campaigns = client.campaigns()  # a bare array
        assert campaigns and all("id" in c for c in campaigns)
        active = next(c for c in campaigns if c["status"] != "DRAFTED")
        analytics = client.campaign_analytics(active["id"])
        assert isinstance(analytics["sent_count"], str)  # counts arrive as strings
        # a missing campaign is HTTP 200 with {} (or an empty body): the client says None
        assert all(client.campaign_analytics(999_999_999) is None for _ in range(4))
        assert client.sequences(999_999_999) == []
        assert client.lead_by_email("nobody@nowhere.invalid") is None
        categories = client.lead_categories()
        assert {"Interested", "Out Of Office"} <= {c["name"] for c in categories}
        accounts = [a for page in client.email_accounts() for a in page]
        assert accounts and all(a.get("password") for a in accounts)  # base64, dropped later
        end = TEST_WORLD["end_date"]
        days = client.day_wise("event_date", date(end.year - 1, 12, 20), date(end.year, 1, 10),
                               campaign_id=active["id"])
        assert [d.day for d in days][:1] == [date(end.year - 1, 12, 20)]
        assert days[-1].day == date(end.year, 1, 10) and len(days) == 22
        assert all(d.metrics.get("bounced", 0) == 0 for d in days)


def test_wrong_key_is_refused_with_the_platform_message_and_no_key(shared_sandbox,
                                                                    monkeypatch):
    wrong = "slk_wrong_0123456789"
    with _client(shared_sandbox, key=wrong, monkeypatch=monkeypatch) as client, \
            pytest.raises(AuthenticationError) as err:
        client.campaigns()
    text = str(err.value)
    assert "HTTP 401" in text and "Invalid API Key" in text and wrong not in text


def test_429s_are_waited_out_using_retry_after(monkeypatch):
    # A client configured far above the server's limit (10 per 0.2 s here) gets 429s with a
    # Retry-After, waits them out and still gets every answer.
    process = start_test_sandbox(speed=10.0)
    try:
        with _client(process, requests=1000, per_seconds=1.0,
                     monkeypatch=monkeypatch) as client:
            answers = [client.campaigns() for _ in range(40)]
        assert all(a == answers[0] for a in answers)
        assert client.stats.rate_limited > 0
        assert client.stats.requests == 40 + client.stats.rate_limited
    finally:
        process.stop()


def test_truncated_json_and_5xx_are_retried(sandbox, monkeypatch):
    sandbox.set_faults(FaultConfig(p_5xx=0.3, p_truncated=0.3, seed=5))
    with _client(sandbox, monkeypatch=monkeypatch,
                 retry=RetryPolicy(max_attempts=12, base_seconds=0.001)) as client:
        for _ in range(10):
            assert client.campaigns()
        assert client.stats.server_errors > 0 and client.stats.bad_bodies > 0


def test_a_repeated_page_is_refetched_not_duplicated(sandbox, monkeypatch):
    with _client(sandbox, monkeypatch=monkeypatch) as client:
        campaign = max(client.campaigns(),
                       key=lambda c: int(client.campaign_analytics(c["id"])["sent_count"]
                                         if c["status"] != "DRAFTED" else 0))
        clean = [r["stats_id"] for page in client.statistics(campaign["id"]) for r in page]
        sandbox.set_faults(FaultConfig(repeat_page_once=True))
        again = [r["stats_id"] for page in client.statistics(campaign["id"]) for r in page]
    assert len(clean) > 200 and again == clean and len(set(again)) == len(again)


def test_server_errors_give_up_with_a_typed_error(sandbox, monkeypatch):
    sandbox.set_faults(FaultConfig(p_5xx=1.0))
    with _client(sandbox, monkeypatch=monkeypatch,
                 retry=RetryPolicy(max_attempts=3, base_seconds=0.001)) as client, \
            pytest.raises(ServerError, match="gave up after 3 attempts"):
        client.campaigns()


def test_a_non_idempotent_write_is_not_retried_after_a_5xx(sandbox, monkeypatch):
    sandbox.set_faults(FaultConfig(p_5xx=1.0))
    with _client(sandbox, monkeypatch=monkeypatch) as client:
        with pytest.raises(ServerError, match="non-idempotent"):
            client.request("POST", "campaigns/1/leads", json_body={"lead_list": []})
        assert client.stats.requests == 1
