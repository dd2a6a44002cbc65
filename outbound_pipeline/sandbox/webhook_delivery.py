"""Delivers webhook payloads to one URL from a background thread, the way platforms do.

Every event goes out after a random delay in ``[0, max_delay_seconds]``, so deliveries arrive
out of order. With probability ``p_duplicate`` the same bytes are delivered once more after a
further random delay, as a platform does when it redelivers. An answer other than 2xx, or no
answer at all, is retried up to ``MAX_RETRIES`` times with exponential backoff (shortened by the
sandbox ``speed``); after that the delivery counts as failed.

Bodies are JSON; ``secret_key`` adds the Smartlead HMAC signature header, and ``headers`` adds
fixed headers to every post (a platform's shared-secret header, for instance).

All randomness comes from ``random.Random(seed)`` and is drawn when an event is emitted, so the
same events emitted in the same order are delayed and duplicated the same way.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Smartlead-Signature"
MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 2.0
TIMEOUT_SECONDS = 5.0
CLOSE_TIMEOUT_SECONDS = 2.0


def signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_seconds(retry: int, speed: float = 1.0) -> float:
    """The wait before retry number ``retry`` (1-based): 0.2 s, 0.4 s, 0.8 s, ... / speed."""
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (retry - 1) / speed)


@dataclass(order=True)
class _Attempt:
    due: float
    order: int
    body: bytes = field(compare=False)
    retry: int = field(default=0, compare=False)
    url: str = field(default="", compare=False)


@dataclass
class _Stats:
    emitted: int = 0
    attempts: int = 0
    delivered: int = 0
    duplicates_sent: int = 0
    retried: int = 0
    failed: int = 0
    pending: int = 0


class WebhookDelivery:
    """Posts JSON bodies to ``url``; ``emit`` never blocks on the network.

    ``secret_key`` (optional) signs each body in the ``X-Smartlead-Signature`` header; without
    it nothing is signed. ``headers`` (optional) go out unchanged with every post. Counters,
    from ``stats()``: ``emitted`` events handed over, ``attempts`` HTTP requests made,
    ``delivered`` 2xx answers (duplicates included), ``duplicates_sent`` redeliveries scheduled,
    ``retried`` attempts after a failure, ``failed`` deliveries given up and ``pending``
    deliveries not yet finished. Once nothing is pending,
    ``delivered + failed == emitted + duplicates_sent``.
    """

    def __init__(
        self,
        url: str,
        *,
        secret_key: str | None = None,
        p_duplicate: float = 0.05,
        max_delay_seconds: float = 0.5,
        speed: float = 1.0,
        seed: int = 0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not 0.0 <= p_duplicate <= 1.0:
            raise ValueError("p_duplicate must be between 0 and 1")
        if max_delay_seconds < 0:
            raise ValueError("max_delay_seconds must be >= 0")
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.url = url
        self.secret_key = secret_key
        self.headers = dict(headers or {})
        self.p_duplicate = p_duplicate
        self.max_delay_seconds = max_delay_seconds
        self.speed = speed
        self._rng = random.Random(seed)
        self._order = itertools.count()
        self._queue: list[_Attempt] = []
        self._stats = _Stats()
        self._closed = False
        self._changed = threading.Condition()
        self._client = httpx.Client(
            timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        )
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
        self._thread.start()

    def emit(self, payload: Mapping[str, Any], url: str | None = None) -> bytes:
        """Schedules the delivery of ``payload`` (and maybe its duplicate) to ``url`` (the
        configured one by default); returns the body."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        url = url or self.url
        with self._changed:
            if self._closed:
                raise RuntimeError("webhook delivery is closed")
            now = time.monotonic()
            delay = self._rng.uniform(0.0, self.max_delay_seconds)
            self._schedule(_Attempt(now + delay, next(self._order), body, url=url))
            self._stats.emitted += 1
            if self._rng.random() < self.p_duplicate:
                again = delay + self._rng.uniform(0.0, self.max_delay_seconds)
                self._schedule(_Attempt(now + again, next(self._order), body, url=url))
                self._stats.duplicates_sent += 1
            self._changed.notify_all()
        return body

    def stats(self) -> dict[str, int]:
        with self._changed:
            return asdict(self._stats)

    def flush(self, timeout: float) -> bool:
        """Waits up to ``timeout`` seconds until nothing is pending; True when nothing is."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._stats.pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return False
                self._changed.wait(remaining)
            return True

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Stops the thread; deliveries still pending are dropped (and stay counted pending)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    # the delivery thread

    def _schedule(self, attempt: _Attempt) -> None:
        heapq.heappush(self._queue, attempt)
        if attempt.retry == 0:
            self._stats.pending += 1

    def _next_due(self) -> _Attempt | None:
        """The next attempt once it is due, or None when closed."""
        with self._changed:
            while not self._closed:
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        self._stats.attempts += 1
                        return heapq.heappop(self._queue)
                    self._changed.wait(wait)
                else:
                    self._changed.wait()
            return None

    def _run(self) -> None:
        try:
            while (attempt := self._next_due()) is not None:
                ok = self._post(attempt.url, attempt.body)
                with self._changed:
                    if ok:
                        self._stats.delivered += 1
                        self._stats.pending -= 1
                    elif attempt.retry < MAX_RETRIES and not self._closed:
                        retry = attempt.retry + 1
                        due = time.monotonic() + backoff_seconds(retry, self.speed)
                        self._schedule(_Attempt(due, next(self._order), attempt.body, retry,
                                                url=attempt.url))
                        self._stats.retried += 1
                    elif attempt.retry >= MAX_RETRIES:
                        self._stats.failed += 1
                        self._stats.pending -= 1
                    self._changed.notify_all()
        finally:
            self._client.close()

    def _post(self, url: str, body: bytes) -> bool:
        headers = {**self.headers, "Content-Type": "application/json"}
        if self.secret_key:
            headers[SIGNATURE_HEADER] = signature(self.secret_key, body)
        try:
            response = self._client.post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL):
            return False
        return 200 <= response.status_code < 300
