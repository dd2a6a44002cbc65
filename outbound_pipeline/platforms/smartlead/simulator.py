"""A Smartlead API simulator over the sandbox world.

Serves the read endpoints of ``docs/platform-apis.md`` (Smartlead) under ``/api/v1`` with the
real API's quirks: ``?api_key=`` authentication, bare arrays, counts as strings, HTTP 200 with
``{}`` (now and then an empty body) for a missing campaign or lead, year-less "DD MMM" day labels,
a CDN that refuses the python-requests User-Agent, and a per-key sliding-window rate limit with
429 + ``Retry-After``. Faults can be injected per run through ``/_sandbox/faults``, including
endpoints an account's plan does not include (403/404) and answers without their optional fields
(``simulator_shapes``). The mailbox health answer is keyed by ``from_email`` with no mailbox id,
and lists only mailboxes that sent in the window.

Date windows (``analytics-by-date`` and every ``/analytics/...`` route) may cover at most 29
calendar days, both ends included: ``end_date - start_date <= 28``. A longer window, a start after
the end or a malformed date is a 400 ``{"message": ...}``. The stricter reading of "about one
month" is the one a client tested here can rely on against the real API.

Counts on the day-wise routes are UTC days; ``timezone`` is validated but the days stay UTC.

``POST /campaigns/{id}/leads`` is the one route that changes the world: it adds leads with the
real upload's checks (at most 100 leads a call, invalid addresses, leads already in the campaign,
in another campaign of the account, unsubscribed, or on the global block list that
``/_sandbox/block-list`` manages). A missing or foreign campaign is a 404 there, not ``{}``.

Once ``/_sandbox/webhooks`` names a receiver, every change ``/_sandbox/activity`` (or the
``/_sandbox/ticker``) makes to the world is delivered there as Smartlead webhooks (see
``simulator_webhooks``).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from outbound_pipeline import clock
from outbound_pipeline.platforms.smartlead.simulator_shapes import omit_optional, unavailable
from outbound_pipeline.platforms.smartlead.simulator_webhooks import (
    SmartleadWebhooks,
    WebhookSettings,
)
from outbound_pipeline.sandbox.faults import FaultConfig, decide
from outbound_pipeline.sandbox.ratelimit import RateDecision, SlidingWindowLimiter, format_wait
from outbound_pipeline.sandbox.simulator_app import API_PREFIX, json_object, simulator_app
from outbound_pipeline.sandbox.world import (
    LEAD_TEXT_FIELDS,
    Account,
    Campaign,
    DayTally,
    Lead,
    LeadPushSettings,
    Mailbox,
    Send,
    World,
    iso,
)

CONTROL_PREFIX = "/_sandbox"
RATE_LIMIT_REQUESTS = 10
RATE_LIMIT_SECONDS = 2.0
MAX_WINDOW_DAYS = 29
MAX_PAGE_SIZE = 100
MAX_INBOX_PAGE_SIZE = 20
MAX_LEADS_PER_PUSH = 100
PUSH_SETTINGS = ("ignore_global_block_list", "ignore_unsubscribe_list",
                 "ignore_community_bounce_list", "ignore_duplicate_leads_in_other_campaign")
MAX_CAMPAIGN_FILTER = 100
MAX_CLIENT_FILTER = 50
EMAIL_STATUSES = ("opened", "clicked", "replied", "unsubscribed", "bounced")
WEBHOOK_ID_BASE = 70_001
DEFAULT_FLUSH_SECONDS = 30.0
MAX_FLUSH_SECONDS = 600.0
MIN_TICK_SECONDS = 0.01
MAX_TICK_SECONDS = 86_400.0

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ApiError(Exception):
    """A client error answered as ``{"message": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Missing:
    """Marks "campaign or lead not found": answered 200 with ``{}`` or an empty body."""


MISSING = _Missing()


@dataclass
class _Call:
    """One authenticated API request, as handlers see it."""

    account: Account
    params: dict[str, str]
    path: dict[str, int]
    body: Any
    route: str
    repeat_page: Callable[[str], bool]

    def page(self, max_limit: int = MAX_PAGE_SIZE) -> tuple[int, int, int]:
        """``(offset, limit, data_offset)``; ``data_offset`` differs only when a repeated page
        is being injected."""
        offset = _int(self.params.get("offset"), "offset", default=0, minimum=0)
        limit = _int(self.params.get("limit"), "limit", default=max_limit, minimum=1,
                     maximum=max_limit)
        data_offset = offset
        if offset > 0 and self.repeat_page(self.route):
            data_offset = max(0, offset - limit)
        return offset, limit, data_offset


@dataclass
class _State:
    """Mutable simulator state shared by the API and the control routes."""

    world: World
    speed: float
    faults: FaultConfig
    limiter: SlidingWindowLimiter
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0
    fault_seq: int = 0
    missing_count: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    repeated_routes: set[str] = field(default_factory=set)

    def next_seq(self) -> tuple[int, int]:
        with self.lock:
            self.seq += 1
            self.fault_seq += 1
            return self.seq, self.fault_seq

    def repeat_page(self, route: str) -> bool:
        """True once per paged route while ``repeat_page_once`` is on."""
        with self.lock:
            if not self.faults.repeat_page_once or route in self.repeated_routes:
                return False
            self.repeated_routes.add(route)
            return True

    def set_faults(self, faults: FaultConfig) -> None:
        with self.lock:
            self.faults = faults
            self.fault_seq = 0
            self.repeated_routes.clear()


@dataclass
class _Ticker:
    """Activity added every ``every_seconds`` (real seconds) by a task on the server's loop."""

    every_seconds: float
    sends: int
    replies: int
    task: asyncio.Task[None] | None = None
    ticks: int = 0
    skipped: int = 0

    @property
    def running(self) -> bool:
        task = self.task
        return task is not None and not task.done() and not task.cancelling()

    def describe(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "every_seconds": self.every_seconds,
            "sends": self.sends,
            "replies": self.replies,
            "ticks": self.ticks,
            "skipped": self.skipped,
        }


Handler = Callable[["SmartleadSimulator", _Call], Any]


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


def _route(method: str, template: str, handler: Handler) -> _Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>\\d+)", template.rstrip("/"))
    return _Route(method, template, re.compile(f"^{regex}/?$"), handler)


class SmartleadSimulator:
    """Request handling; ``create_app`` wraps it in a Starlette app."""

    def __init__(self, world: World, speed: float, faults: FaultConfig | None) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.world = world
        self.state = _State(
            world=world,
            speed=speed,
            faults=faults or FaultConfig(),
            limiter=SlidingWindowLimiter(RATE_LIMIT_REQUESTS, RATE_LIMIT_SECONDS / speed),
        )
        self.webhooks: SmartleadWebhooks | None = None
        self.ticker: _Ticker | None = None
        self._webhook_ids = itertools.count(WEBHOOK_ID_BASE)

    # webhooks and ticker (called on the server's event loop, where every route runs)

    def set_webhooks(self, settings: WebhookSettings | None) -> SmartleadWebhooks | None:
        """Starts delivering to ``settings`` (None stops); returns the replaced deliverer, which
        the caller closes."""
        old, self.webhooks = self.webhooks, None
        if old is not None:
            self.world.listeners.remove(old)
        if settings is not None:
            self.webhooks = SmartleadWebhooks(
                self.world, settings, speed=self.state.speed, webhook_id=next(self._webhook_ids)
            )
            self.world.listeners.append(self.webhooks)
        return old

    def describe_webhooks(self) -> dict[str, Any]:
        if self.webhooks is None:
            return {"enabled": False}
        return self.webhooks.describe()

    def start_ticker(self, every_seconds: float, sends: int, replies: int) -> None:
        """Replaces any running ticker; must be called from the running event loop."""
        self.stop_ticker()
        ticker = _Ticker(every_seconds, sends, replies)
        ticker.task = asyncio.get_running_loop().create_task(self._tick_forever(ticker))
        self.ticker = ticker

    def stop_ticker(self) -> None:
        if self.ticker is not None and self.ticker.task is not None:
            self.ticker.task.cancel()

    async def _tick_forever(self, ticker: _Ticker) -> None:
        rng = random.Random(f"{self.world.config.seed}/ticker")
        while True:
            await asyncio.sleep(ticker.every_seconds)
            self.tick(ticker, rng)

    def tick(self, ticker: _Ticker, rng: random.Random) -> None:
        """One tick: activity in a random campaign that is not drafted, at the world's "now".

        Runs between two awaits on the event loop, like the ``/activity`` route, so no request
        sees the world half-moved.
        """
        world = self.world
        candidates = [c.id for c in world.campaigns.values() if c.status != "DRAFTED"]
        if not candidates:
            ticker.skipped += 1
            return
        at = max(clock.now(), world.clock)
        try:
            world.add_activity(rng.choice(candidates), ticker.sends, ticker.replies, at)
        except ValueError:
            ticker.skipped += 1
        else:
            ticker.ticks += 1

    async def shutdown(self) -> None:
        """Stops the ticker and the webhook thread (pending deliveries are dropped)."""
        self.stop_ticker()
        old = self.set_webhooks(None)
        if old is not None:
            await asyncio.to_thread(old.close)

    # dispatch

    async def handle(self, request: Request) -> Response:
        state = self.state
        seq, fault_seq = state.next_seq()
        path = "/" + request.path_params["path"]
        entry: dict[str, Any] = {"seq": seq, "method": request.method, "route": path,
                                 "campaign_id": None, "status": None, "account": None}
        try:
            response = await self._respond(request, path, fault_seq, entry)
            entry["status"] = response.status_code
            return response
        except Exception:
            entry["status"] = 500
            raise
        finally:
            with state.lock:
                state.requests.append(entry)

    async def _respond(
        self, request: Request, path: str, fault_seq: int, entry: dict[str, Any]
    ) -> Response:
        state = self.state
        route, path_ids = self._match(request.method, path)
        if route is not None:
            entry["route"] = route.template
            entry["campaign_id"] = path_ids.get("id", path_ids.get("cid"))
        if entry["campaign_id"] is None:
            entry["campaign_id"] = _single_campaign(request.query_params.get("campaign_ids"))

        if request.headers.get("user-agent", "").lower().startswith("python-requests"):
            return _cdn_block()
        account = self.world.account_by_key.get(request.query_params.get("api_key", ""))
        if account is None:
            return JSONResponse({"message": "Invalid API Key"}, status_code=401)
        entry["account"] = account.name

        decision = decide(state.faults, fault_seq)
        if decision.burst_429:
            return self._too_many(1.0 / state.speed, None)
        rate = state.limiter.hit(account.api_key)
        if not rate.allowed:
            return self._too_many(rate.retry_after, rate)
        if decision.slow_seconds:
            await asyncio.sleep(decision.slow_seconds / state.speed)
        if decision.error_status is not None:
            return self._with_rate(_server_error(decision.error_status), rate)
        if route is None:
            message = f"Cannot {request.method} {API_PREFIX}{path}"
            return self._with_rate(JSONResponse({"message": message}, status_code=404), rate)
        refused = state.faults.unavailable(route.template, account.name)
        if refused is not None:
            return self._with_rate(unavailable(refused, request.method, path), rate)

        body: Any = None
        if request.method == "POST":
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return self._with_rate(_error(400, "Request body is not valid JSON"), rate)
            if entry["campaign_id"] is None and isinstance(body, dict):
                filters = body.get("filters")
                if isinstance(filters, dict):
                    entry["campaign_id"] = _single_campaign(filters.get("campaignId"))
        call = _Call(account, dict(request.query_params), path_ids, body, route.template,
                     state.repeat_page)
        try:
            payload = route.handler(self, call)
        except ApiError as exc:
            return self._with_rate(_error(exc.status, exc.message), rate)
        if state.faults.omit_optional_fields:
            payload = omit_optional(route.template, payload)
        response = self._missing() if payload is MISSING else JSONResponse(payload)
        if decision.truncate:
            response = _truncated(response)
        return self._with_rate(response, rate)

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, int]]:
        for route in _ROUTES:
            m = route.pattern.match(path)
            if m and route.method == method:
                return route, {k: int(v) for k, v in m.groupdict().items()}
        return None, {}

    def _missing(self) -> Response:
        with self.state.lock:
            self.state.missing_count += 1
            empty = self.state.missing_count % 4 == 0
        if empty:
            return Response(b"", media_type="application/json")
        return JSONResponse({})

    def _fractional(self) -> bool:
        return self.state.speed > 1

    def _too_many(self, wait: float, rate: RateDecision | None) -> Response:
        fractional = self._fractional()
        retry = format_wait(wait, fractional=fractional)
        retry_number: float | int = float(retry) if fractional else int(retry)
        response = JSONResponse(
            {"error": {
                "code": "RATE_LIMIT_EXCEEDED",
                "message": (f"Rate limit exceeded: {RATE_LIMIT_REQUESTS} requests per "
                            f"{RATE_LIMIT_SECONDS / self.state.speed:g} seconds. "
                            f"Retry after {retry} seconds."),
                "retry_after": retry_number,
            }},
            status_code=429,
        )
        response.headers["Retry-After"] = retry
        response.headers["X-RateLimit-Limit"] = str(RATE_LIMIT_REQUESTS)
        response.headers["X-RateLimit-Remaining"] = "0"
        reset = rate.reset_after if rate is not None else wait
        response.headers["X-RateLimit-Reset"] = format_wait(reset, fractional=fractional)
        return response

    def _with_rate(self, response: Response, rate: RateDecision) -> Response:
        response.headers["X-RateLimit-Limit"] = str(rate.limit)
        response.headers["X-RateLimit-Remaining"] = str(rate.remaining)
        response.headers["X-RateLimit-Reset"] = format_wait(
            rate.reset_after, fractional=self._fractional()
        )
        return response

    # lookups

    def _campaign(self, call: _Call, key: str = "id") -> Campaign | None:
        campaign = self.world.campaigns.get(call.path[key])
        if campaign is None or campaign.account != call.account.name:
            return None
        return campaign

    # campaigns

    def list_campaigns(self, call: _Call) -> Any:
        client_id = _optional_int(call.params.get("client_id"), "client_id")
        campaigns = self.world.campaigns_of(call.account.name)
        if client_id is not None:
            campaigns = [c for c in campaigns if c.client_id == client_id]
        return [self._campaign_row(c) for c in campaigns]

    def get_campaign(self, call: _Call) -> Any:
        campaign = self._campaign(call)
        return MISSING if campaign is None else self._campaign_row(campaign)

    def _campaign_row(self, c: Campaign) -> dict[str, Any]:
        return {
            "id": c.id,
            "user_id": c.user_id,
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
            "status": c.status,
            "name": c.name,
            "track_settings": list(c.track_settings),
            "scheduler_cron_value": {
                "tz": c.timezone,
                "days": list(c.schedule_days),
                "startHour": f"{c.start_hour:02d}:00",
                "endHour": f"{c.end_hour:02d}:00",
            },
            "min_time_btwn_emails": c.min_time_btwn_emails,
            "max_leads_per_day": c.max_leads_per_day,
            "stop_lead_settings": "REPLY_TO_AN_EMAIL",
            "schedule_start_time": iso(c.schedule_start_time),
            "enable_ai_esp_matching": c.enable_ai_esp_matching,
            "send_as_plain_text": c.send_as_plain_text,
            "follow_up_percentage": c.follow_up_percentage,
            "unsubscribe_text": c.unsubscribe_text,
            "parent_campaign_id": c.parent_campaign_id,
            "client_id": c.client_id,
            "tags": [{"id": t.id, "name": t.name, "color": t.color} for t in c.tags],
        }

    def _identity(self, c: Campaign) -> dict[str, Any]:
        account = self.world.account_by_name[c.account]
        return {
            "id": c.id,
            "user_id": c.user_id,
            "created_at": iso(c.created_at),
            "status": c.status,
            "name": c.name,
            "client_id": c.client_id,
            "client_name": account.client_name,
            "client_email": account.client_email,
            "client_company_name": account.client_company,
            "parent_campaign_id": c.parent_campaign_id,
            "send_as_plain_text": c.send_as_plain_text,
        }

    def analytics(self, call: _Call) -> Any:
        campaign = self._campaign(call)
        if campaign is None:
            return MISSING
        totals = self.world.campaign_totals[campaign.id]
        stats = self.world.campaign_stats[campaign.id]
        counts = _counts(totals, stats.unique_sent, stats.unique_opened, stats.unique_clicked)
        return {
            **self._identity(campaign),
            **counts,
            "block_count": str(stats.lead_stats["blocked"]),
            "total_count": str(stats.lead_stats["total"]),
            "drafted_count": "0",
            "sequence_count": str(len(self.world.steps[campaign.id])),
            "campaign_lead_stats": dict(stats.lead_stats),
        }

    def analytics_by_date(self, call: _Call) -> Any:
        campaign = self._campaign(call)
        start, end = _window(call.params)
        if campaign is None:
            return MISSING
        totals = self.world.window_tally([self.world.campaign_days[campaign.id]], start, end)
        sends = self.world.campaign_sends[campaign.id]

        def within(value: datetime | None) -> bool:
            return value is not None and start <= value.date() <= end

        unique_sent = len({s.lead_id for s in sends if within(s.sent_time)})
        unique_opened = len({s.lead_id for s in sends if within(s.open_time)})
        unique_clicked = len({s.lead_id for s in sends if within(s.click_time)})
        leads = self.world.campaign_leads[campaign.id]
        return {
            **self._identity(campaign),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            **_counts(totals, unique_sent, unique_opened, unique_clicked),
            "block_count": str(totals.bounced),
            "total_count": str(len(leads)),
            "drafted_count": "0",
        }

    def sequences(self, call: _Call) -> Any:
        campaign = self._campaign(call)
        if campaign is None:
            return MISSING
        return [
            {
                "id": step.id,
                "created_at": iso(step.created_at),
                "updated_at": iso(step.updated_at),
                "email_campaign_id": campaign.id,
                "seq_number": step.seq_number,
                "subject": step.variants[0].subject,
                "email_body": step.variants[0].body,
                "seq_delay_details": {"delayInDays": step.delay_days},
                "sequence_variants": [
                    {"id": v.id, "subject": v.subject, "email_body": v.body,
                     "variant_label": v.label}
                    for v in step.variants
                ],
            }
            for step in self.world.steps[campaign.id]
        ]

    def campaign_leads(self, call: _Call) -> Any:
        campaign = self._campaign(call)
        offset, limit, data_offset = call.page()
        if campaign is None:
            return MISSING
        leads = self.world.campaign_leads[campaign.id]
        return {
            "total_leads": str(len(leads)),
            "offset": offset,
            "limit": limit,
            "data": [
                {
                    "campaign_lead_map_id": lead.map_id,
                    "lead_category_id": lead.category_id,
                    "status": lead.status,
                    "created_at": iso(lead.created_at),
                    "lead": self._lead_fields(lead),
                }
                for lead in leads[data_offset:data_offset + limit]
            ],
        }

    def _lead_fields(self, lead: Lead) -> dict[str, Any]:
        account = self.world.account_by_name[lead.account]
        return {
            "id": lead.id,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "email": lead.email,
            "phone_number": lead.phone_number or None,
            "company_name": lead.company_name,
            "website": lead.website,
            "location": lead.location,
            "linkedin_profile": lead.linkedin_profile or None,
            "company_url": lead.company_url,
            "custom_fields": dict(lead.custom_fields),
            "is_unsubscribed": lead.is_unsubscribed,
            "unsubscribed_client_id_map": (
                {str(account.client_id): True} if lead.is_unsubscribed else {}
            ),
        }

    def campaign_email_accounts(self, call: _Call) -> Any:
        campaign = self._campaign(call)
        if campaign is None:
            return MISSING
        return [self._mailbox(self.world.mailboxes[mid], encode=False)
                for mid in campaign.mailbox_ids]

    def message_history(self, call: _Call) -> Any:
        campaign = self._campaign(call, "cid")
        lead = self.world.leads.get(call.path["lead_id"])
        if campaign is None or lead is None or lead.campaign_id != campaign.id:
            return MISSING
        world = self.world
        rows: list[tuple[datetime, int, dict[str, Any]]] = []
        for send in world.lead_sends.get(lead.id, []):
            mailbox = world.mailboxes[send.mailbox_id]
            rows.append((send.sent_time, 0, {
                "type": "SENT",
                "time": iso(send.sent_time),
                "email_seq_number": str(send.seq_number),
                "stats_id": send.stats_id,
                "message_id": send.message_id,
                "subject": world.subject_of(send),
                "email_body": world.body_of(send),
                "from": mailbox.from_email,
                "to": lead.email,
            }))
        reply = world.replies.get(lead.id)
        if reply is not None:
            replied = next(s for s in world.lead_sends[lead.id] if s.stats_id == reply.stats_id)
            rows.append((reply.time, 1, {
                "type": "REPLY",
                "time": iso(reply.time),
                "email_seq_number": str(replied.seq_number),
                "stats_id": reply.stats_id,
                "message_id": reply.message_id,
                "subject": reply.content.subject,
                "email_body": reply.content.html,
                "from": lead.email,
                "to": world.mailboxes[replied.mailbox_id].from_email,
            }))
        for message in world.manual_messages.get(lead.id, []):
            rows.append((message.time, 2, {
                "type": "SENT",
                "time": iso(message.time),
                "email_seq_number": None,
                "stats_id": message.stats_id,
                "message_id": message.message_id,
                "subject": message.subject,
                "email_body": message.body,
                "from": world.mailboxes[message.mailbox_id].from_email,
                "to": lead.email,
            }))
        rows.sort(key=lambda row: (row[0], row[1]))
        return {"history": [row for _, _, row in rows]}

    def statistics(self, call: _Call) -> Any:
        campaign = self._campaign(call)
        offset, limit, data_offset = call.page()
        seq = _optional_int(call.params.get("email_sequence_number"), "email_sequence_number")
        status = call.params.get("email_status") or None
        if status is not None and status not in EMAIL_STATUSES:
            raise ApiError(400, f"email_status must be one of {', '.join(EMAIL_STATUSES)}")
        since = _bound(call.params.get("sent_time_start_date"), "sent_time_start_date", False)
        until = _bound(call.params.get("sent_time_end_date"), "sent_time_end_date", True)
        if campaign is None:
            return MISSING
        sends: Iterable[Send] = self.world.campaign_sends[campaign.id]
        if since is not None or until is not None:
            sends = self.world.sends_between(
                campaign.id, since or datetime.min.replace(tzinfo=UTC),
                until or datetime.max.replace(tzinfo=UTC),
            )
        rows = [s for s in sends if (seq is None or s.seq_number == seq)
                and (status is None or _has_status(s, status))]
        return {
            "total_stats": str(len(rows)),
            "data": [self._stat_row(s) for s in rows[data_offset:data_offset + limit]],
            "offset": offset,
            "limit": limit,
        }

    def _stat_row(self, s: Send) -> dict[str, Any]:
        lead = self.world.leads[s.lead_id]
        category = self.world.category_by_id.get(lead.category_id or 0)
        return {
            "lead_name": f"{lead.first_name} {lead.last_name}",
            "lead_email": lead.email,
            "lead_category": category.name if category else None,
            "sequence_number": s.seq_number,
            "email_campaign_seq_id": s.step_id,
            "seq_variant_id": s.variant_id,
            "email_subject": self.world.subject_of(s),
            "sent_time": iso(s.sent_time),
            "open_time": iso(s.open_time),
            "click_time": iso(s.click_time),
            "reply_time": iso(s.reply_time),
            "open_count": int(s.open_time is not None),
            "click_count": int(s.click_time is not None),
            "is_unsubscribed": s.unsubscribed,
            "is_bounced": s.bounced,
            "stats_id": s.stats_id,
        }

    # leads and mailboxes

    def categories(self, call: _Call) -> Any:
        return [
            {"id": c.id, "name": c.name, "sentiment_type": c.sentiment_type,
             "created_at": iso(c.created_at)}
            for c in self.world.categories
        ]

    def lead_by_email(self, call: _Call) -> Any:
        email = (call.params.get("email") or "").strip()
        if not email:
            raise ApiError(400, "email is required")
        leads = self.world.leads_with_email(email, call.account.name)
        if not leads:
            return MISSING
        first = min(leads, key=lambda lead: (lead.created_at, lead.id))
        return {
            **self._lead_fields(first),
            "created_at": iso(first.created_at),
            "lead_campaign_data": [self._lead_campaign_data(lead) for lead in leads],
        }

    def _lead_campaign_data(self, lead: Lead) -> dict[str, Any]:
        world = self.world
        campaign = world.campaigns[lead.campaign_id]
        sends = world.lead_sends.get(lead.id, [])
        reply = world.replies.get(lead.id)
        manual = world.manual_messages.get(lead.id, [])
        sent_times = [s.sent_time for s in sends] + [m.time for m in manual]
        activity = sent_times + [t for s in sends for t in (s.open_time, s.click_time) if t]
        if reply is not None:
            activity.append(reply.time)
        return {
            "campaign_id": campaign.id,
            "campaign_name": campaign.name,
            "campaign_lead_map_id": lead.map_id,
            "lead_category_id": lead.category_id,
            "last_sent_at": iso(max(sent_times)) if sent_times else None,
            "last_reply_at": iso(reply.time) if reply else None,
            "last_activity_at": iso(max(activity)) if activity else None,
            "client_id": campaign.client_id,
        }

    def add_leads(self, call: _Call) -> Any:
        """``POST /campaigns/{id}/leads``: the only API route that changes the world."""
        body = call.body
        if not isinstance(body, dict):
            raise ApiError(400, "body must be a JSON object")
        leads = _lead_list(body)
        settings = _push_settings(body.get("settings"))
        campaign = self._campaign(call)
        if campaign is None:
            raise ApiError(404, "Campaign not found")
        world = self.world
        # The check and the insert happen in one step under the state lock (and between two
        # awaits of the event loop), so concurrent pushes of one address add it once.
        with self.state.lock:
            at = max(clock.now(), world.clock)
            result = world.add_leads(campaign.id, leads, settings, at)
        return {
            "ok": True,
            "upload_count": len(result.added),
            "total_leads": len(leads),
            "already_added_to_campaign": result.already_added_to_campaign,
            "duplicate_count": result.duplicates,
            "invalid_email_count": len(result.invalid_emails),
            "invalid_emails": result.invalid_emails,
            "unsubscribed_leads": result.unsubscribed,
            "block_count": result.blocked,
            "bounce_count": 0,
            "lead_import_stopped_count": 0,
            "is_lead_limit_exhausted": False,
        }

    def email_accounts(self, call: _Call) -> Any:
        offset, limit, data_offset = call.page()
        client_id = _optional_int(call.params.get("client_id"), "client_id")
        mailboxes = sorted(self.world.mailboxes_of(call.account.name), key=lambda m: m.id)
        if client_id is not None:
            mailboxes = [m for m in mailboxes if m.client_id == client_id]
        return [self._mailbox(m, encode=True) for m in mailboxes[data_offset:data_offset + limit]]

    def _mailbox(self, m: Mailbox, *, encode: bool) -> dict[str, Any]:
        def secret(value: str) -> str:
            return base64.b64encode(value.encode()).decode() if encode else value

        today = self.world.mailbox_days[m.id].get(self.world.clock.date())
        return {
            "id": m.id,
            "created_at": iso(m.created_at),
            "updated_at": iso(m.updated_at),
            "user_id": m.user_id,
            "from_name": m.from_name,
            "from_email": m.from_email,
            "username": m.from_email,
            "password": secret(m.password),
            "smtp_host": m.smtp_host,
            "smtp_port": m.smtp_port,
            "imap_host": m.imap_host,
            "imap_port": m.imap_port,
            "imap_password": secret(m.password),
            "type": m.type,
            "is_smtp_success": m.is_smtp_success,
            "is_imap_success": m.is_imap_success,
            "smtp_failure_error": None,
            "imap_failure_error": m.imap_failure_error,
            "message_per_day": m.message_per_day,
            "daily_sent_count": today.sent if today else 0,
            "campaign_count": len(self.world.mailbox_campaigns[m.id]),
            "custom_tracking_domain": m.custom_tracking_domain,
            "client_id": m.client_id,
            "is_suspended": False,
            "warmup_details": {
                "status": m.warmup_status,
                "warmup_reputation": m.warmup_reputation,
                "total_spam_count": m.warmup_spam_count,
                "total_sent_count": m.warmup_sent_count,
            },
            "tags": [{"id": t.id, "name": t.name, "color": t.color} for t in m.tags],
        }

    # master inbox

    def inbox_replies(self, call: _Call) -> Any:
        body = call.body
        if not isinstance(body, dict):
            raise ApiError(400, "body must be a JSON object")
        offset = _json_int(body.get("offset", 0), "offset", minimum=0)
        limit = _json_int(body.get("limit", MAX_INBOX_PAGE_SIZE), "limit", minimum=1,
                          maximum=MAX_INBOX_PAGE_SIZE)
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise ApiError(400, "filters must be an object")
        campaign_ids = _campaign_id_filter(filters.get("campaignId"))
        between = _reply_window(filters.get("replyTimeBetween"))
        world = self.world
        replies = []
        for reply in world.replies.values():
            lead = world.leads[reply.lead_id]
            if lead.account != call.account.name:
                continue
            if campaign_ids is not None and reply.campaign_id not in campaign_ids:
                continue
            if between is not None and not between[0] <= reply.time <= between[1]:
                continue
            replies.append(reply)
        replies.sort(key=lambda r: (r.time, r.lead_id), reverse=True)
        data_offset = offset
        if offset > 0 and call.repeat_page(call.route):
            data_offset = max(0, offset - limit)
        rows = []
        for reply in replies[data_offset:data_offset + limit]:
            lead = world.leads[reply.lead_id]
            campaign = world.campaigns[reply.campaign_id]
            sent = [s.sent_time for s in world.lead_sends[lead.id]]
            sent += [m.time for m in world.manual_messages.get(lead.id, [])]
            rows.append({
                "email_lead_id": lead.id,
                "email_lead_map_id": lead.map_id,
                "email_campaign_id": campaign.id,
                "email_campaign_name": campaign.name,
                "lead_email": lead.email,
                "lead_first_name": lead.first_name,
                "lead_last_name": lead.last_name,
                "lead_category_id": lead.category_id,
                "last_sent_time": iso(max(sent)),
                "last_reply_time": iso(reply.time),
                "email_stats_id": reply.stats_id,
            })
        return {"data": rows, "offset": offset, "limit": limit}

    # global analytics

    def _selected(self, call: _Call) -> list[Campaign]:
        campaign_ids = _id_list(call.params.get("campaign_ids"), "campaign_ids",
                                MAX_CAMPAIGN_FILTER)
        client_ids = _id_list(call.params.get("client_ids"), "client_ids", MAX_CLIENT_FILTER)
        campaigns = self.world.campaigns_of(call.account.name)
        if campaign_ids is not None:
            campaigns = [c for c in campaigns if c.id in campaign_ids]
        if client_ids is not None:
            campaigns = [c for c in campaigns if c.client_id in client_ids]
        return campaigns

    def _day_series(self, call: _Call, row: Callable[[DayTally], dict[str, int]],
                    message: str) -> dict[str, Any]:
        start, end = _window(call.params)
        day_maps = [self.world.campaign_days[c.id] for c in self._selected(call)]
        stats = []
        day = start
        while day <= end:
            tally = self.world.window_tally(day_maps, day, day)
            stats.append({
                "date": f"{day.day:02d} {_MONTHS[day.month - 1]}",
                "day_name": _DAY_NAMES[day.weekday()],
                "email_engagement_metrics": row(tally),
            })
            day += timedelta(days=1)
        return {"success": True, "message": message, "data": {"day_wise_stats": stats}}

    def day_wise_overall(self, call: _Call) -> Any:
        return self._day_series(call, lambda t: {
            "sent": t.sent, "opened": t.opened, "replied": t.replied,
            # The event-date series never reports bounces; the sent-time one does.
            "bounced": 0, "unsubscribed": t.unsubscribed,
        }, "Day wise overall stats fetched successfully")

    def day_wise_overall_by_sent(self, call: _Call) -> Any:
        _timezone(call.params.get("timezone"), required=True)
        return self._day_series(call, lambda t: {
            "sent": t.sent, "opened": t.sent_opened, "replied": t.sent_replied,
            "bounced": t.bounced, "unsubscribed": t.sent_unsubscribed,
        }, "Day wise overall stats by sent time fetched successfully")

    def day_wise_positive(self, call: _Call) -> Any:
        return self._day_series(call, lambda t: {"positive_replied": t.positive},
                                "Day wise positive reply stats fetched successfully")

    def day_wise_positive_by_sent(self, call: _Call) -> Any:
        _timezone(call.params.get("timezone"), required=False)
        return self._day_series(call, lambda t: {"positive_replied": t.sent_positive},
                                "Day wise positive reply stats by sent time fetched successfully")

    def mailbox_health(self, call: _Call) -> Any:
        """One item per mailbox that sent in the window, keyed by ``from_email`` with no
        mailbox id (join to the email accounts by address); counts as strings, rates as
        percentage strings."""
        start, end = _window(call.params)
        client_ids = _id_list(call.params.get("client_ids"), "client_ids", MAX_CLIENT_FILTER)
        _id_list(call.params.get("campaign_ids"), "campaign_ids", MAX_CAMPAIGN_FILTER)
        rows = []
        for m in sorted(self.world.mailboxes_of(call.account.name), key=lambda m: m.id):
            if client_ids is not None and m.client_id not in client_ids:
                continue
            t = self.world.window_tally([self.world.mailbox_days[m.id]], start, end)
            if not t.sent:
                continue
            delivered = t.sent - t.bounced
            rows.append({
                "from_email": m.from_email,
                "sent": str(t.sent),
                "opened": str(t.opened),
                "replied": str(t.replied),
                "positive_replied": str(t.positive),
                "bounced": str(t.bounced),
                "unsubscribed": str(t.unsubscribed),
                "open_rate": _percent(t.opened, delivered),
                "reply_rate": _percent(t.replied, delivered),
                "positive_reply_rate": _percent(t.positive, delivered),
                "bounce_rate": _percent(t.bounced, t.sent),
            })
        return {"success": True, "message": "Mailbox health metrics fetched successfully",
                "data": {"email_health_metrics": rows}}


_ROUTES: tuple[_Route, ...] = (
    _route("GET", "/campaigns", SmartleadSimulator.list_campaigns),
    _route("GET", "/campaigns/{id}", SmartleadSimulator.get_campaign),
    _route("GET", "/campaigns/{id}/analytics", SmartleadSimulator.analytics),
    _route("GET", "/campaigns/{id}/analytics-by-date", SmartleadSimulator.analytics_by_date),
    _route("GET", "/campaigns/{id}/sequences", SmartleadSimulator.sequences),
    _route("GET", "/campaigns/{id}/leads", SmartleadSimulator.campaign_leads),
    _route("POST", "/campaigns/{id}/leads", SmartleadSimulator.add_leads),
    _route("GET", "/campaigns/{id}/email-accounts", SmartleadSimulator.campaign_email_accounts),
    _route("GET", "/campaigns/{cid}/leads/{lead_id}/message-history",
           SmartleadSimulator.message_history),
    _route("GET", "/campaigns/{id}/statistics", SmartleadSimulator.statistics),
    _route("GET", "/leads/fetch-categories", SmartleadSimulator.categories),
    _route("GET", "/leads/", SmartleadSimulator.lead_by_email),
    _route("GET", "/email-accounts/", SmartleadSimulator.email_accounts),
    _route("POST", "/master-inbox/inbox-replies", SmartleadSimulator.inbox_replies),
    _route("GET", "/analytics/day-wise-overall-stats", SmartleadSimulator.day_wise_overall),
    _route("GET", "/analytics/day-wise-overall-stats-by-sent-time",
           SmartleadSimulator.day_wise_overall_by_sent),
    _route("GET", "/analytics/day-wise-positive-reply-stats",
           SmartleadSimulator.day_wise_positive),
    _route("GET", "/analytics/day-wise-positive-reply-stats-by-sent-time",
           SmartleadSimulator.day_wise_positive_by_sent),
    _route("GET", "/analytics/mailbox/name-wise-health-metrics",
           SmartleadSimulator.mailbox_health),
)


# Control routes ---------------------------------------------------------------------------------


def _control_routes(sim: SmartleadSimulator) -> list[Route]:
    state = sim.state
    world = sim.world

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "platforms": ["smartlead"]})

    async def truth(request: Request) -> Response:
        return JSONResponse({
            "planted": world.planted,
            "accounts": [{"name": a.name, "api_key": a.api_key, "client_id": a.client_id}
                         for a in world.accounts],
            "config": world.config.to_dict(),
            "speed": state.speed,
        })

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json.loads(await request.body() or b"{}")
                if not isinstance(data, dict):
                    raise ValueError("fault settings must be a JSON object")
                state.set_faults(FaultConfig.from_dict(data))
            except (ValueError, TypeError) as exc:
                return _error(400, str(exc))
        return JSONResponse(state.faults.to_dict())

    async def requests_log(request: Request) -> Response:
        with state.lock:
            entries = list(state.requests)
        return JSONResponse({"requests": entries})

    async def reset_requests(request: Request) -> Response:
        with state.lock:
            state.requests.clear()
            state.seq = 0
        return JSONResponse({"ok": True})

    async def activity(request: Request) -> Response:
        try:
            data = json.loads(await request.body() or b"{}")
            if not isinstance(data, dict):
                raise ValueError("activity must be a JSON object")
            campaign_id = _json_int(data.get("campaign_id"), "campaign_id", minimum=1)
            sends = _json_int(data.get("sends", 0), "sends", minimum=0)
            replies = _json_int(data.get("replies", 0), "replies", minimum=0)
            raw_at = data.get("at")
            at = _parse_instant(raw_at) if raw_at else world.clock + timedelta(minutes=1)
            world.add_activity(campaign_id, sends, replies, at)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except ValueError as exc:
            return _error(400, str(exc))
        return JSONResponse({"ok": True, "campaign_id": campaign_id, "sends": sends,
                             "replies": replies, "at": iso(at)})

    async def webhooks(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json_object(await request.body(), "webhook settings")
                stop = "url" in data and data["url"] is None
                settings = None if stop else WebhookSettings.from_json(data)
            except ValueError as exc:
                return _error(400, str(exc))
            old = sim.set_webhooks(settings)
            if old is not None:
                await asyncio.to_thread(old.close)
        return JSONResponse(sim.describe_webhooks())

    async def flush_webhooks(request: Request) -> Response:
        try:
            data = json_object(await request.body(), "flush options")
            unknown = sorted(set(data) - {"timeout"})
            if unknown:
                raise ValueError(f"unknown flush options: {', '.join(unknown)}")
            timeout = _json_seconds(data.get("timeout", DEFAULT_FLUSH_SECONDS), "timeout",
                                    minimum=0, maximum=MAX_FLUSH_SECONDS)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except ValueError as exc:
            return _error(400, str(exc))
        hooks = sim.webhooks
        if hooks is None:
            return _error(400, "webhooks are not configured")
        flushed = await asyncio.to_thread(hooks.flush, timeout)
        described = hooks.describe()
        return JSONResponse({
            **described,
            "flushed": flushed,
            "all_delivered": flushed and described["stats"]["failed"] == 0,
        })

    async def ticker(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json_object(await request.body(), "ticker settings")
                unknown = sorted(set(data) - {"every_seconds", "sends", "replies"})
                if unknown:
                    raise ValueError(f"unknown ticker settings: {', '.join(unknown)}")
                if "every_seconds" not in data:
                    raise ValueError("every_seconds is required (null stops the ticker)")
                if data["every_seconds"] is None:
                    sim.stop_ticker()
                else:
                    every = _json_seconds(data["every_seconds"], "every_seconds",
                                          minimum=MIN_TICK_SECONDS, maximum=MAX_TICK_SECONDS)
                    sends = _json_int(data.get("sends", 0), "sends", minimum=0)
                    replies = _json_int(data.get("replies", 0), "replies", minimum=0)
                    sim.start_ticker(every, sends, replies)
            except ApiError as exc:
                return _error(exc.status, exc.message)
            except ValueError as exc:
                return _error(400, str(exc))
        return JSONResponse(sim.ticker.describe() if sim.ticker else {"running": False})

    async def block_list(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json_object(await request.body(), "block list entries")
                unknown = sorted(set(data) - {"emails", "domains"})
                if unknown:
                    raise ValueError(f"unknown block list fields: {', '.join(unknown)}")
                emails = _string_list(data.get("emails", []), "emails")
                domains = _string_list(data.get("domains", []), "domains")
                with state.lock:
                    world.block(emails, domains)
            except ValueError as exc:
                return _error(400, str(exc))
        with state.lock:
            listed = {"emails": sorted(world.blocked_emails),
                      "domains": sorted(world.blocked_domains)}
        return JSONResponse(listed)

    p = CONTROL_PREFIX
    return [
        Route(f"{p}/health", health, methods=["GET"]),
        Route(f"{p}/truth", truth, methods=["GET"]),
        Route(f"{p}/faults", faults, methods=["GET", "POST"]),
        Route(f"{p}/requests", requests_log, methods=["GET"]),
        Route(f"{p}/requests/reset", reset_requests, methods=["POST"]),
        Route(f"{p}/activity", activity, methods=["POST"]),
        Route(f"{p}/webhooks", webhooks, methods=["GET", "POST"]),
        Route(f"{p}/webhooks/flush", flush_webhooks, methods=["POST"]),
        Route(f"{p}/ticker", ticker, methods=["GET", "POST"]),
        Route(f"{p}/block-list", block_list, methods=["GET", "POST"]),
    ]


def create_app(world: World, *, speed: float = 1.0, faults: FaultConfig | None = None) -> Starlette:
    """The Smartlead API (``/api/v1``) and sandbox controls (``/_sandbox``) over ``world``.

    ``speed`` shrinks the rate-limit window (2 s / speed) and injected delays alike. The app's
    lifespan shutdown stops the ticker and the webhook delivery thread.
    """
    sim = SmartleadSimulator(world, speed, faults)
    return simulator_app(sim, _control_routes(sim))


# Helpers ----------------------------------------------------------------------------------------


def _counts(t: DayTally, unique_sent: int, unique_opened: int,
            unique_clicked: int) -> dict[str, str]:
    """The count fields both analytics routes share; Smartlead sends them as strings."""
    return {
        "sent_count": str(t.sent),
        "unique_sent_count": str(unique_sent),
        "open_count": str(t.opened),
        "unique_open_count": str(unique_opened),
        "click_count": str(t.clicked),
        "unique_click_count": str(unique_clicked),
        "reply_count": str(t.replied),
        "bounce_count": str(t.bounced),
        "unsubscribed_count": str(t.unsubscribed),
    }


def _percent(part: int, whole: int) -> str:
    """A rate as Smartlead writes it: ``"4.71%"``."""
    return f"{100.0 * part / whole:.2f}%" if whole else "0.00%"


def _has_status(s: Send, status: str) -> bool:
    match status:
        case "opened":
            return s.open_time is not None
        case "clicked":
            return s.click_time is not None
        case "replied":
            return s.reply_time is not None
        case "unsubscribed":
            return s.unsubscribe_time is not None
        case _:
            return s.bounced


def _error(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status)



def _string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of strings")
    return value


def _lead_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    """``lead_list`` of a lead upload, checked as a whole before anything is added."""
    if "lead_list" not in body:
        raise ApiError(400, "lead_list is required")
    leads = body["lead_list"]
    if not isinstance(leads, list):
        raise ApiError(400, "lead_list must be an array of leads")
    if not leads:
        raise ApiError(400, "lead_list must hold at least one lead")
    if len(leads) > MAX_LEADS_PER_PUSH:
        raise ApiError(400, f"lead_list holds {len(leads)} leads: at most "
                            f"{MAX_LEADS_PER_PUSH} leads per request")
    for index, lead in enumerate(leads):
        if not isinstance(lead, dict):
            raise ApiError(400, f"lead_list[{index}] must be an object")
        for name in LEAD_TEXT_FIELDS:
            value = lead.get(name)
            if isinstance(value, bool) or not isinstance(value, str | int | float | None):
                raise ApiError(400, f"lead_list[{index}].{name} must be a string")
        custom = lead.get("custom_fields")
        if custom is not None and not isinstance(custom, dict):
            raise ApiError(400, f"lead_list[{index}].custom_fields must be an object")
    return leads


def _push_settings(value: Any) -> LeadPushSettings:
    """A lead upload's ``settings``: optional, every flag a boolean defaulting to false."""
    if value is None:
        return LeadPushSettings()
    if not isinstance(value, dict):
        raise ApiError(400, "settings must be an object")
    unknown = sorted(set(value) - set(PUSH_SETTINGS))
    if unknown:
        raise ApiError(400, f"unknown settings: {', '.join(unknown)}")
    for name, flag in value.items():
        if not isinstance(flag, bool):
            raise ApiError(400, f"settings.{name} must be true or false")
    return LeadPushSettings(**value)


def _cdn_block() -> Response:
    body = (
        "<!DOCTYPE html><html><head><title>Access denied | server.smartlead.ai used Cloudflare "
        "to restrict access</title></head><body><h1>Error 1010</h1><p>The owner of this website "
        "has banned your access based on your browser's signature.</p>"
        "<p>error code: 1010</p></body></html>"
    )
    return Response(body, status_code=403, media_type="text/html")


def _server_error(status: int) -> Response:
    if status == 500:
        return JSONResponse({"message": "Internal server error", "statusCode": 500},
                            status_code=500)
    title = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable"}[status]
    body = (f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"
            "<hr><center>cloudflare</center></body></html>")
    return Response(body, status_code=status, media_type="text/html")


def _truncated(response: Response) -> Response:
    body = bytes(response.body)
    if response.status_code != 200 or len(body) < 2:
        return response
    cut = body[: len(body) // 2]
    return Response(cut, status_code=200, media_type="application/json")


def _int(raw: str | None, name: str, *, default: int, minimum: int,
         maximum: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ApiError(400, f"{name} must be {bound}")
    return value


def _optional_int(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None


def _json_int(value: Any, name: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} must be an integer")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ApiError(400, f"{name} must be {bound}")
    return value


def _json_seconds(value: Any, name: str, *, minimum: float, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"{name} must be a number of seconds")
    if not minimum <= value <= maximum:
        raise ApiError(400, f"{name} must be between {minimum:g} and {maximum:g} seconds")
    return float(value)


def _id_list(raw: str | None, name: str, maximum: int) -> set[int] | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        ids = {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise ApiError(400, f"{name} must be comma-separated integers") from None
    if len(ids) > maximum:
        raise ApiError(400, f"{name} accepts at most {maximum} ids")
    return ids


def _single_campaign(value: Any) -> int | None:
    """The campaign a request is about when a filter names exactly one (for the request log)."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _campaign_id_filter(value: Any) -> set[int] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ApiError(400, "filters.campaignId must be an integer or a list of integers")
    return set(values)


def _reply_window(value: Any) -> tuple[datetime, datetime] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ApiError(400, "filters.replyTimeBetween must be [start, end]")
    start, end = (_parse_instant(v) for v in value)
    return start, end


def _parse_instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ApiError(400, "timestamps must be ISO 8601 strings")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(400, f"invalid timestamp {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _parse_date(raw: str | None, name: str) -> date:
    if not raw:
        raise ApiError(400, f"{name} is required (YYYY-MM-DD)")
    if not _DATE.match(raw):
        raise ApiError(400, f"{name} must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} is not a valid date") from None


def _window(params: dict[str, str]) -> tuple[date, date]:
    """``start_date``..``end_date``, both included, at most ``MAX_WINDOW_DAYS`` days."""
    start = _parse_date(params.get("start_date"), "start_date")
    end = _parse_date(params.get("end_date"), "end_date")
    if start > end:
        raise ApiError(400, "start_date must not be after end_date")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise ApiError(400, f"Date range cannot exceed {MAX_WINDOW_DAYS} days")
    return start, end


def _bound(raw: str | None, name: str, end_of_day: bool) -> datetime | None:
    """A statistics send-time bound: a date (whole day) or an ISO timestamp."""
    if not raw:
        return None
    if _DATE.match(raw):
        day = _parse_date(raw, name)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start + timedelta(days=1) if end_of_day else start
    return _parse_instant(raw)


def _timezone(raw: str | None, *, required: bool) -> None:
    if not raw:
        if required:
            raise ApiError(400, "timezone is required")
        return
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(400, f"Invalid timezone {raw!r}") from None
