"""The webhook receiver: authenticate, check, key and durably land each event; nothing else.

Endpoints (``POST`` unless noted):

========================================  ==========================================================
``/webhooks/smartlead/{connection}``      ``secret_key`` in the body or ``X-Smartlead-Signature``
``/webhooks/replyio/{connection}``        ``X-Webhook-Secret`` header
``/webhooks/lemlist/{connection}``        ``X-Webhook-Secret`` header
``/webhooks/unipile/{connection}/users``  ``X-Unipile-Secret`` (or ``X-Webhook-Secret``) header
``/webhooks/unipile/{connection}/messaging``  same
``/ingest/leads``                         ``X-API-Key`` header
``/ingest/clay``                          ``X-Clay-Signature``: hex HMAC-SHA256 of the body
``GET /health``                           liveness and counters
========================================  ==========================================================

``{connection}`` is a connection name from the connections file; the secret is read from the
connection's ``webhook_secret_env`` variable, else ``OUTBOUND_WEBHOOK_SECRET_<PLATFORM>``.
The answer is 200 only after the event is written and synced to a landing segment. Refusals store
nothing: 401 bad signature or secret, 413 body over 1 MiB, 400 not JSON or JSON nested deeper
than 64 levels, 422 a lead intake body that is not a valid lead list, 404 unknown source, 405 a
method other than ``POST`` on an event path (with ``Allow: POST``), 503 the source's secret is
not configured (the platform retries later) or the event could not be stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from outbound_pipeline import clock
from outbound_pipeline.connections import load_connections
from outbound_pipeline.platforms.smartlead import webhooks as smartlead
from outbound_pipeline.settings import Settings, load_settings
from outbound_pipeline.webhooks import intake
from outbound_pipeline.webhooks.auth import secret_matches, signature_matches
from outbound_pipeline.webhooks.landing import LandingStore, SegmentWriter
from outbound_pipeline.webhooks.sources import PLATFORM_PARSERS, events_of

log = logging.getLogger("outbound_pipeline.webhooks")

MAX_BODY_BYTES = 1024 * 1024
INGEST_KEY_ENV = "OUTBOUND_INGEST_API_KEY"
CLAY_SECRET_ENV = "OUTBOUND_CLAY_WEBHOOK_SECRET"
PLATFORM_SECRET_ENV = "OUTBOUND_WEBHOOK_SECRET_{platform}"
MAX_JSON_DEPTH = 64
"""The deepest nesting of arrays and objects a body may have; payloads nest a few levels."""


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ReceiverConfig:
    """What the receiver needs; :meth:`from_settings` reads it from the environment."""

    landing_dir: Path
    connections: dict[str, frozenset[str]]
    """Platform → the connection names that may post to it."""
    secrets: dict[str, str] = field(repr=False)
    """``<platform>/<connection>``, ``leads`` or ``clay`` → the secret."""
    max_segment_bytes: int = 8 * 1024 * 1024
    max_segment_seconds: float = 5.0
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def from_settings(cls, settings: Settings,
                      environ: Mapping[str, str] | None = None) -> ReceiverConfig:
        env = os.environ if environ is None else environ
        names: dict[str, set[str]] = {}
        secrets: dict[str, str] = {}
        for connection in load_connections(settings.connections_path):
            names.setdefault(connection.platform, set()).add(connection.name)
            variable = connection.webhook_secret_env or PLATFORM_SECRET_ENV.format(
                platform=connection.platform.upper())
            if env.get(variable):
                secrets[f"{connection.platform}/{connection.name}"] = env[variable]
        for key, variable in (("leads", INGEST_KEY_ENV), ("clay", CLAY_SECRET_ENV)):
            if env.get(variable):
                secrets[key] = env[variable]
        return cls(
            landing_dir=settings.landing_dir,
            connections={p: frozenset(n) for p, n in names.items()},
            secrets=secrets,
            max_segment_bytes=settings.landing_segment_bytes,
            max_segment_seconds=settings.landing_segment_seconds,
        )


class DurableAppender:
    """Group commit: requests that arrive while a write is syncing share the next write."""

    def __init__(self, writer: SegmentWriter) -> None:
        self.writer = writer
        self._waiting: list[tuple[bytes, asyncio.Future[None]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._io = asyncio.Lock()

    async def append(self, data: bytes) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((data, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self._io:
                    await asyncio.to_thread(self.writer.append, b"".join(d for d, _ in batch))
            except Exception as exc:  # noqa: BLE001 - every waiter hears about it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def seal_if_due(self) -> str | None:
        async with self._io:
            return await asyncio.to_thread(self.writer.seal_if_due)

    async def close(self) -> None:
        if self._drainer is not None:
            await asyncio.gather(self._drainer, return_exceptions=True)
        async with self._io:
            await asyncio.to_thread(self.writer.seal)


class Receiver:
    def __init__(self, config: ReceiverConfig) -> None:
        self.config = config
        self.store = LandingStore(config.landing_dir)
        self.appender: DurableAppender | None = None
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()

    # lifecycle

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        recovered = await asyncio.to_thread(self.store.recover)
        if recovered:
            log.warning("sealed %d segment(s) left open by a stopped receiver", len(recovered))
        writer = SegmentWriter(self.store, max_bytes=self.config.max_segment_bytes,
                               max_age_seconds=self.config.max_segment_seconds)
        self.appender = DurableAppender(writer)
        sealer = asyncio.create_task(self._seal_periodically())
        try:
            yield
        finally:
            sealer.cancel()
            await asyncio.gather(sealer, return_exceptions=True)
            await self.appender.close()

    async def _seal_periodically(self) -> None:
        assert self.appender is not None
        interval = min(1.0, self.config.max_segment_seconds / 2)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.appender.seal_if_due()
            except Exception:
                log.exception("sealing the landing segment failed; retrying")

    # requests

    async def health(self, request: Request) -> JSONResponse:
        writer = self.appender.writer if self.appender else None
        return JSONResponse({
            "status": "ok",
            "pid": os.getpid(),
            "uptime_seconds": round(time.monotonic() - self.started, 1),
            "landing_dir": str(self.config.landing_dir),
            "open_segment_bytes": writer.open_bytes if writer else 0,
            "segments_sealed": writer.sealed_count if writer else 0,
            "responses": dict(self.counts),
        })

    async def platform_webhook(self, request: Request) -> JSONResponse:
        platform = request.path_params["platform"]
        connection = request.path_params["connection"]
        kind = request.path_params.get("kind")
        source = f"{platform}_{kind}" if kind else platform
        return await self._receive(request, source, platform, connection)

    async def lead_intake(self, request: Request) -> JSONResponse:
        return await self._receive(request, "leads", None, None)

    async def clay_intake(self, request: Request) -> JSONResponse:
        return await self._receive(request, "clay", None, None)

    async def not_found(self, request: Request, exc: Exception) -> JSONResponse:
        return self._refuse(Refusal(404, f"unknown source {request.url.path!r}"))

    async def method_not_allowed(self, request: Request, exc: Exception) -> JSONResponse:
        allow = (getattr(exc, "headers", None) or {}).get("Allow", "POST")
        response = self._refuse(Refusal(405, f"{request.method} is not allowed on "
                                             f"{request.url.path!r}: use {allow}"))
        response.headers["Allow"] = allow
        return response

    async def _receive(self, request: Request, source: str, platform: str | None,
                       connection: str | None) -> JSONResponse:
        try:
            secret = self._secret_for(source, platform, connection)
            body = await self._body(request)
            headers = request.headers
            payload = None
            if source == "clay":
                if not signature_matches(secret, body, headers.get("x-clay-signature")):
                    raise Refusal(401, "bad or missing X-Clay-Signature")
                payload = _json(body)
            elif source == "leads":
                if not secret_matches(secret, headers.get("x-api-key")):
                    raise Refusal(401, "bad or missing X-API-Key")
                payload = _json(body)
            else:
                parser = PLATFORM_PARSERS[source]
                signed = source == "smartlead" and signature_matches(
                    secret, body, headers.get(smartlead.SIGNATURE_HEADER))
                if not signed:
                    payload = _json(body) if source == "smartlead" else None
                    if not parser.authenticate(secret, body, headers, payload):
                        raise Refusal(401, "bad or missing webhook secret")
                payload = _json(body) if payload is None else payload
                if not isinstance(payload, dict):
                    raise Refusal(400, "expected a JSON object")
                payload = parser.redact(payload)
            try:
                events = events_of(source, payload)
            except intake.IntakeError as exc:
                raise Refusal(422, str(exc)) from None
        except Refusal as refusal:
            return self._refuse(refusal, source)

        received_at = clock.now().isoformat()
        keys = []
        lines = []
        for event, part in events:
            key = event.key(part)
            keys.append(key)
            record = {"event_key": key, "source": source, "connection": connection,
                      "received_at": received_at, "payload": part}
            lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        data = ("\n".join(lines) + "\n").encode()
        assert self.appender is not None
        try:
            await self.appender.append(data)
        except Exception:
            log.exception("could not store %d event(s) from %s", len(keys), source)
            return self._refuse(Refusal(503, "could not store the event; retry later"), source)
        self.counts["200"] += 1
        return JSONResponse({"ok": True, "received": len(keys), "event_keys": keys})

    def _secret_for(self, source: str, platform: str | None, connection: str | None) -> str:
        if platform is None:
            secret = self.config.secrets.get(source)
            variable = INGEST_KEY_ENV if source == "leads" else CLAY_SECRET_ENV
        else:
            if connection not in self.config.connections.get(platform, frozenset()):
                raise Refusal(404, f"unknown source: no {platform} connection named "
                                   f"{connection!r} in the connections file")
            secret = self.config.secrets.get(f"{platform}/{connection}")
            variable = f"{PLATFORM_SECRET_ENV.format(platform=platform.upper())} (or the "
            variable += "connection's webhook_secret_env)"
        if not secret:
            raise Refusal(503, f"{source} webhooks are not configured: set {variable}")
        return secret

    async def _body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise Refusal(413, f"body over {limit} bytes")
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refusal(413, f"body over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _refuse(self, refusal: Refusal, source: str | None = None) -> JSONResponse:
        self.counts[str(refusal.status)] += 1
        log.info("refused %s: %d %s", source or "request", refusal.status, refusal.message)
        return JSONResponse({"ok": False, "error": refusal.message}, status_code=refusal.status)


def _json(body: bytes) -> Any:
    too_deep = Refusal(400, f"JSON body nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(body)
    except RecursionError:
        raise too_deep from None
    except ValueError:
        raise Refusal(400, "body is not valid JSON") from None
    # Only a body with that many brackets can be that deep; most are never walked.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _too_deep(value):
        raise too_deep
    return value


def _too_deep(value: Any) -> bool:
    """Whether arrays and objects nest deeper than ``MAX_JSON_DEPTH`` (walked without
    recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def create_app(config: ReceiverConfig) -> Starlette:
    receiver = Receiver(config)
    platforms = "{platform:str}"
    routes = [
        Route("/health", receiver.health, methods=["GET"]),
        Route("/webhooks/unipile/{connection:str}/{kind:str}", _only_kinds(receiver),
              methods=["POST"]),
        Route(f"/webhooks/{platforms}/{{connection:str}}", _only_platforms(receiver),
              methods=["POST"]),
        Route("/ingest/leads", receiver.lead_intake, methods=["POST"]),
        Route("/ingest/clay", receiver.clay_intake, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=receiver.lifespan,
                    exception_handlers={404: receiver.not_found,
                                        405: receiver.method_not_allowed})
    app.state.receiver = receiver
    return app


def _only_platforms(receiver: Receiver) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> JSONResponse:
        if request.path_params["platform"] not in ("smartlead", "replyio", "lemlist"):
            return receiver._refuse(Refusal(404, f"unknown source {request.url.path!r}"))
        return await receiver.platform_webhook(request)

    return endpoint


def _only_kinds(receiver: Receiver) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> JSONResponse:
        if request.path_params["kind"] not in ("users", "messaging"):
            return receiver._refuse(Refusal(404, f"unknown source {request.url.path!r}"))
        request.path_params["platform"] = "unipile"
        return await receiver.platform_webhook(request)

    return endpoint


def app_from_environment() -> Starlette:
    """The factory ``uvicorn --factory`` and ``outbound webhooks serve`` use."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return create_app(ReceiverConfig.from_settings(load_settings()))
