"""Shared HTTP plumbing for every platform client.

- :class:`RateLimiter` paces requests to the platform's published limit *before* sending, so a
  well-behaved sync sees no 429s and needs no fixed sleeps.
- :class:`ApiClient` retries 429, 5xx, timeouts and truncated bodies with capped exponential
  backoff and jitter, honours ``Retry-After``, and never retries a non-idempotent write once it
  may have reached the server.
- Every secret it is given is redacted from its exceptions and from the ``httpx`` log lines.
- :func:`paginate` bounds paging loops and detects a page the server repeats.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from outbound_pipeline import clock

if TYPE_CHECKING:
    from outbound_pipeline.connections import Connection

USER_AGENT = "outbound-pipeline/0.1 (+https://github.com/outbound-pipeline; httpx)"

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Redaction


_SECRET_PARAMS = re.compile(
    r"(?i)((?:api[_-]?key|apikey|access_token|token|password|secret_key)=)([^&\s\"']+)"
)
_SECRET_HEADERS = re.compile(r"(?i)((?:x-api-key|authorization)\s*[:=]\s*(?:bearer\s+)?)(\S+)")


class Redactor:
    """Replaces known secrets, and anything that looks like a key in a URL, with ``***``."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, "***")
        text = _SECRET_PARAMS.sub(r"\1***", text)
        return _SECRET_HEADERS.sub(r"\1***", text)


REDACT = Redactor()
"""The process-wide redactor: every client registers its key here."""


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = REDACT(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def install_log_redaction() -> None:
    """Redacts secrets from the HTTP libraries' own log lines (httpx logs every URL at INFO)."""
    for name in ("httpx", "httpcore", "dlt", "urllib3"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
            logger.addFilter(_RedactingFilter())
    logging.getLogger("httpx").setLevel(logging.WARNING)


install_log_redaction()

# ---------------------------------------------------------------------------------------------
# Errors


class PlatformError(RuntimeError):
    """A platform request failed for good. The message is redacted and names the platform."""

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        connection: str,
        status: int | None = None,
        method: str = "",
        path: str = "",
        detail: str = "",
    ) -> None:
        self.platform = platform
        self.connection = connection
        self.status = status
        self.method = method
        self.path = REDACT(path)
        self.detail = REDACT(detail)
        where = f"{platform} connection {connection!r}: {method} {self.path}".rstrip(": ")
        status_text = f" -> HTTP {status}" if status is not None else ""
        text = f"{where}{status_text}: {REDACT(message)}"
        if self.detail:
            text += f" (platform said: {self.detail[:300]})"
        super().__init__(text)


class AuthenticationError(PlatformError):
    """The key was refused (401/403). Never retried."""


class RateLimitedError(PlatformError):
    """Still rate limited after every retry."""


class ServerError(PlatformError):
    """5xx or network failure after every retry."""


class ClientRequestError(PlatformError):
    """A 4xx other than 401/403/429: the request itself is wrong."""


class BadResponseError(PlatformError):
    """The body could not be parsed, or does not have the documented shape."""


class PaginationError(PlatformError):
    """A paging loop repeated a page or ran past its bound."""


# ---------------------------------------------------------------------------------------------
# Rate limiting


class RateLimiter:
    """A sliding-window pacer: at most ``requests`` starts in any ``per_seconds`` window.

    A small safety margin widens the window (2 %, at least 10 ms), because the server counts
    arrivals, not departures, and its clock is not ours.
    Thread-safe: one limiter is shared by every thread that uses the same key.
    """

    def __init__(
        self,
        requests: int,
        per_seconds: float,
        *,
        margin: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.requests = requests
        self.window = per_seconds + max(per_seconds * margin, 0.010)
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        """Blocks until a request may start, then records it."""
        while True:
            with self._lock:
                now = self._clock()
                if now < self._blocked_until:
                    wait = self._blocked_until - now
                else:
                    while self._starts and self._starts[0] <= now - self.window:
                        self._starts.popleft()
                    if len(self._starts) < self.requests:
                        self._starts.append(now)
                        return
                    wait = self._starts[0] + self.window - now
            self.waited_seconds += wait
            self._sleep(wait)

    def block_for(self, seconds: float) -> None:
        """Holds every caller back for ``seconds`` (a server's ``Retry-After``)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


# ---------------------------------------------------------------------------------------------
# Client


@dataclass
class RetryPolicy:
    """Capped exponential backoff with full jitter."""

    max_attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))


@dataclass
class RequestStats:
    """What a client did, for Dagster metadata and benchmarks."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    bad_bodies: int = 0
    by_status: Counter[int] = field(default_factory=Counter)

    def as_metadata(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "responses_429": self.rate_limited,
            "retries": self.retries,
            "server_errors": self.server_errors,
        }


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (also fractional) or a date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = clock.timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class ApiClient:
    """Base class for platform clients: pacing, retries, typed errors, redaction.

    Subclasses set ``platform`` and implement :meth:`authenticate` (where the key goes) and may
    override :meth:`error_detail` (how the platform phrases an error).
    """

    platform = "platform"

    def __init__(
        self,
        *,
        connection: str,
        base_url: str,
        api_key: str,
        limiter: RateLimiter,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        seed: int | None = None,
    ) -> None:
        self.connection = connection
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        REDACT.add(api_key)
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self.stats = RequestStats()
        self._rng = random.Random(seed)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )

    @classmethod
    def for_connection(
        cls: type[C],
        connection: Connection,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> C:
        """A client for one configured connection, paced to its rate limit."""
        limit = connection.rate_limit
        return cls(
            connection=connection.name,
            base_url=connection.base_url,
            api_key=connection.api_key(),
            limiter=RateLimiter(limit.requests, limit.per_seconds),
            retry=retry,
            transport=transport,
        )

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(connection={self.connection!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # hooks

    def authenticate(
        self, params: dict[str, Any], headers: dict[str, str]
    ) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def error_detail(self, response: httpx.Response) -> str:
        """The platform's own words from an error response."""
        text = response.text[:500]
        try:
            body = response.json()
        except ValueError:
            return text.strip()
        if isinstance(body, dict):
            for key in ("message", "detail", "error", "title", "errors"):
                if key in body:
                    value = body[key]
                    if isinstance(value, dict):
                        value = value.get("message") or value
                    return str(value)
        return text.strip()

    # the request loop

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        idempotent: bool | None = None,
        expect_json: bool = True,
    ) -> Any:
        """Sends one request with pacing and retries; returns the parsed JSON body.

        An empty body returns ``None``. ``idempotent`` defaults to True for GET/HEAD and False
        otherwise; a non-idempotent request is retried only when the server cannot have acted
        on it (429, or the connection was never made).
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "OPTIONS")
        query: dict[str, Any] = {k: v for k, v in (params or {}).items() if v is not None}
        headers: dict[str, str] = {}
        self.authenticate(query, headers)
        url = f"{self.base_url}/{path.lstrip('/')}"
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            self.stats.requests += 1
            failure: tuple[type[PlatformError], str, int | None, str] | None = None
            wait: float | None = None
            try:
                response = self._http.request(
                    method, url, params=query, json=json_body, data=data, files=files,
                    headers=headers,
                )
            except httpx.ConnectError:
                failure = (ServerError, "could not connect", None, "")
            except httpx.TimeoutException:
                failure = (ServerError, "timed out", None, "")
                if not idempotent:
                    raise self._error(
                        ServerError, "timed out on a non-idempotent request (not retried: it "
                        "may have been applied)", method, path,
                    ) from None
            except httpx.TransportError as exc:
                failure = (ServerError, f"transport error {type(exc).__name__}", None, "")
                if not idempotent:
                    raise self._error(ServerError, "connection broke on a non-idempotent "
                                      "request (not retried)", method, path) from None
            else:
                self.stats.by_status[response.status_code] += 1
                status = response.status_code
                if status == 429:
                    self.stats.rate_limited += 1
                    wait = self._retry_after(response)
                    failure = (RateLimitedError, "rate limited", status,
                               self.error_detail(response))
                elif status == 401:
                    raise self._error(
                        AuthenticationError,
                        "the platform refused the credentials (check the key in "
                        f"environment variable for connection {self.connection!r})",
                        method, path, status, self.error_detail(response),
                    )
                elif status == 403:
                    raise self._error(
                        AuthenticationError,
                        "access denied: the key was refused for this endpoint (the account's "
                        "plan may not include it)",
                        method, path, status, self.error_detail(response),
                    )
                elif status >= 500:
                    self.stats.server_errors += 1
                    failure = (ServerError, "server error", status, self.error_detail(response))
                    if not idempotent:
                        raise self._error(ServerError, "server error on a non-idempotent "
                                          "request (not retried)", method, path, status,
                                          self.error_detail(response))
                elif status >= 400:
                    raise self._error(
                        ClientRequestError, "request rejected", method, path, status,
                        self.error_detail(response),
                    )
                else:
                    parsed = self._parse(response, expect_json)
                    if parsed is not _BAD:
                        return parsed
                    self.stats.bad_bodies += 1
                    failure = (BadResponseError, "response body is not valid JSON", status,
                               response.text[:120])
                    if not idempotent:
                        raise self._error(*failure[:2], method, path, status, failure[3])
            assert failure is not None
            if attempt >= self.retry.max_attempts:
                kind, message, status_code, detail = failure
                raise self._error(
                    kind, f"{message}; gave up after {attempt} attempts", method, path,
                    status_code, detail,
                )
            self.stats.retries += 1
            if wait is None:
                wait = self.retry.backoff(attempt, self._rng)
            else:
                self.limiter.block_for(wait)
                wait = self._rng.uniform(0, 0.05 * max(wait, 0.2))
            log.debug("%s %s: %s, retry %d in %.2fs", self.platform, path, failure[1], attempt,
                      wait)
            time.sleep(wait)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    # helpers

    def _retry_after(self, response: httpx.Response) -> float:
        seconds = parse_retry_after(response.headers.get("Retry-After"))
        if seconds is None:
            try:
                body = response.json()
                seconds = float(body["error"]["retry_after"])
            except (ValueError, KeyError, TypeError):
                seconds = None
        if seconds is None:
            seconds = self.limiter.window
        return min(seconds, self.retry.max_retry_after)

    def _parse(self, response: httpx.Response, expect_json: bool) -> Any:
        body = response.content
        if not body.strip():
            return None
        if not expect_json:
            return response.text
        try:
            return json.loads(body)
        except ValueError:
            return _BAD

    def _error(
        self,
        kind: type[PlatformError],
        message: str,
        method: str,
        path: str,
        status: int | None = None,
        detail: str = "",
    ) -> PlatformError:
        return kind(
            message, platform=self.platform, connection=self.connection, status=status,
            method=method, path=path, detail=detail,
        )


_BAD = object()

C = TypeVar("C", bound=ApiClient)


class ClientPool(Generic[C]):
    """One client per connection for the duration of a run; adds up their request stats."""

    def __init__(self, connections: Sequence[Connection],
                 factory: Callable[[Connection], C]) -> None:
        self.connections = list(connections)
        self._factory = factory
        self._clients: dict[str, C] = {}

    def get(self, connection: Connection) -> C:
        if connection.name not in self._clients:
            self._clients[connection.name] = self._factory(connection)
        return self._clients[connection.name]

    def stats(self) -> RequestStats:
        total = RequestStats()
        for client in self._clients.values():
            total.requests += client.stats.requests
            total.retries += client.stats.retries
            total.rate_limited += client.stats.rate_limited
            total.server_errors += client.stats.server_errors
            total.bad_bodies += client.stats.bad_bodies
            total.by_status.update(client.stats.by_status)
        return total

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

# ---------------------------------------------------------------------------------------------
# Pagination


def page_fingerprint(items: Sequence[Any]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()


def paginate(
    fetch: Callable[[int], Sequence[Any]],
    *,
    page_size: int,
    max_pages: int = 100_000,
    on_error: Callable[[str], PlatformError],
) -> Iterator[Sequence[Any]]:
    """Offset paging: yields pages until a short or empty one.

    ``fetch(offset)`` returns one page. A page identical to the previous one is fetched once
    more (servers and CDNs occasionally serve a stale page); if it repeats again the loop stops
    with an error rather than loading duplicates or looping forever.
    """
    offset = 0
    previous: str | None = None
    for _ in range(max_pages):
        page = fetch(offset)
        if page and previous is not None and page_fingerprint(page) == previous:
            page = fetch(offset)
            if page and page_fingerprint(page) == previous:
                raise on_error(f"the page at offset {offset} repeats the previous page")
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        previous = page_fingerprint(page)
        offset += len(page)
    raise on_error(f"stopped after {max_pages} pages without reaching the end")
