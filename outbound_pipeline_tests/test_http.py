"""The pure parts of the shared HTTP plumbing; the request loop is tested against the simulator
in platforms/smartlead/test_client.py."""

from outbound_pipeline.http import (
    PlatformError,
    RateLimiter,
    Redactor,
    paginate,
    parse_retry_after,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_limiter_never_exceeds_the_window_and_keeps_pace():
    clock = FakeClock()
    limiter = RateLimiter(10, 2.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(100):
        limiter.acquire()
        starts.append(clock.now)
    for i in range(10, 100):
        assert starts[i] - starts[i - 10] >= 2.0
    # proactive pacing: 100 requests at 10 per 2 s take 9 windows (18 s) plus the 2 % margin
    assert 18.0 <= starts[-1] <= 18.0 * 1.02 + 1e-6


def test_limiter_block_for_holds_everyone_back():
    clock = FakeClock()
    limiter = RateLimiter(10, 2.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.block_for(5.0)
    limiter.acquire()
    assert clock.now >= 5.0


def test_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.040") == 0.04
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0


def test_redactor_hides_known_keys_and_key_like_params():
    redact = Redactor()
    redact.add("sk_live_abcdef")
    text = redact("GET https://x/api/v1/campaigns?api_key=sk_live_abcdef&offset=0 failed")
    assert "sk_live_abcdef" not in text and "api_key=***" in text
    assert redact("X-API-KEY: zzz999") == "X-API-KEY: ***"
    assert redact("Authorization: Bearer tok123") == "Authorization: Bearer ***"
    assert redact("password=hunter2&x=1") == "password=***&x=1"


def test_platform_error_message_is_redacted():
    redact_key = "slk_sandbox_secret_1234"
    from outbound_pipeline.http import REDACT

    REDACT.add(redact_key)
    err = PlatformError("boom " + redact_key, platform="smartlead", connection="acme",
                        status=500, method="GET", path=f"campaigns?api_key={redact_key}",
                        detail=f"echo {redact_key}")
    assert redact_key not in str(err)
    assert "smartlead connection 'acme': GET campaigns?api_key=***" in str(err)


def _error(message: str) -> PlatformError:
    return PlatformError(message, platform="p", connection="c")


def test_paginate_stops_on_short_page_and_refetches_a_repeated_one():
    data = list(range(250))
    served = {"repeat": True}

    def fetch(offset: int):
        if offset == 100 and served["repeat"]:
            served["repeat"] = False
            return data[0:100]  # a stale repeat of the first page, once
        return data[offset:offset + 100]

    pages = list(paginate(fetch, page_size=100, on_error=_error))
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [x for p in pages for x in p] == data


def test_paginate_fails_on_a_page_that_keeps_repeating_and_is_bounded():
    def stuck(offset: int):
        return list(range(100))

    try:
        list(paginate(stuck, page_size=100, on_error=_error))
    except PlatformError as exc:
        assert "repeats the previous page" in str(exc)
    else:
        raise AssertionError("expected a PaginationError")

    calls = []

    def endless(offset: int):
        calls.append(offset)
        return [offset + i for i in range(10)]

    try:
        list(paginate(endless, page_size=10, max_pages=5, on_error=_error))
    except PlatformError as exc:
        assert "after 5 pages" in str(exc)
    assert len(calls) == 5
