"""Runs the platform simulators in a child process on loopback ports.

As a program::

    python -m outbound_pipeline.sandbox.runner --seed 7 --campaigns 60 --leads 30000 \\
        --days 365 [--end-date YYYY-MM-DD] [--fresh-accounts N] --speed 1 [--port 0] \\
        [--faults JSON] [--linkedin-prospects 600]

generates the world, serves it (Smartlead at the root, Unipile under ``/unipile``), and prints one
line once connections are accepted (:mod:`outbound_pipeline.serving`)::

    READY {"smartlead": "http://127.0.0.1:PORT/api/v1", "control": "http://127.0.0.1:PORT/_sandbox",
           "unipile": "http://127.0.0.1:PORT/unipile/api/v1",
           "unipile_control": "http://127.0.0.1:PORT/unipile/_sandbox"}

``SandboxProcess`` starts that program from Python (tests, the CLI) and wraps its control API.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline.sandbox.world import WorldConfig
from outbound_pipeline.serving import ChildServer, bind, serve

CONTROL_TIMEOUT_SECONDS = 30.0
DEFAULT_LINKEDIN_PROSPECTS = 600
RATE_LIMIT_REQUESTS = 10
RATE_LIMIT_SECONDS = 2.0


# The child process ------------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = WorldConfig()
    p = argparse.ArgumentParser(prog="python -m outbound_pipeline.sandbox.runner",
                                description="Serve the sandbox platform simulators.")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--accounts", type=int, default=defaults.n_accounts)
    p.add_argument("--campaigns", type=int, default=defaults.n_campaigns)
    p.add_argument("--leads", type=int, default=defaults.n_leads)
    p.add_argument("--days", type=int, default=defaults.days)
    p.add_argument("--end-date", type=date.fromisoformat, default=None)
    p.add_argument("--fresh-accounts", type=int, default=defaults.fresh_accounts,
                   help="accounts set up but not sending yet (one campaign, no email sent)")
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--faults", type=str, default=None, help="FaultConfig as JSON")
    p.add_argument("--linkedin-prospects", type=int, default=DEFAULT_LINKEDIN_PROSPECTS,
                   help="how many leads the Unipile simulator turns into LinkedIn prospects")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="stop when stdin closes (the parent went away, however it died)")
    return p.parse_args(argv)


def build_app(smartlead_app: Starlette, unipile_app: Starlette) -> Starlette:
    """Unipile under ``/unipile``, Smartlead everywhere else.

    A mounted app's own lifespan does not run, so this app's lifespan enters both: shutting
    down stops the Smartlead ticker and the webhook delivery threads of both simulators.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for child in (smartlead_app, unipile_app):
                await stack.enter_async_context(child.router.lifespan_context(child))
            yield

    return Starlette(routes=[Mount("/unipile", unipile_app), Mount("/", smartlead_app)],
                     lifespan=lifespan)


def main(argv: list[str] | None = None) -> int:
    """Generates the world and serves the simulators until SIGINT/SIGTERM."""
    from outbound_pipeline.platforms.smartlead.simulator import create_app
    from outbound_pipeline.platforms.unipile.simulator import create_app as create_unipile_app
    from outbound_pipeline.sandbox.world import generate_world

    args = _parse_args(argv)
    config = WorldConfig(seed=args.seed, n_accounts=args.accounts, n_campaigns=args.campaigns,
                         n_leads=args.leads, days=args.days, end_date=args.end_date,
                         fresh_accounts=args.fresh_accounts)
    faults = FaultConfig.from_dict(json.loads(args.faults)) if args.faults else None
    world = generate_world(config)
    app = build_app(
        create_app(world, speed=args.speed, faults=faults),
        create_unipile_app(world, speed=args.speed, n_prospects=args.linkedin_prospects),
    )

    sock = bind("127.0.0.1", args.port)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    urls = {"smartlead": f"{base}/api/v1", "control": f"{base}/_sandbox",
            "unipile": f"{base}/unipile/api/v1", "unipile_control": f"{base}/unipile/_sandbox"}
    # The lifespan's shutdown stops the ticker and the webhook delivery threads.
    serve(app, sock, urls, exit_with_parent=args.exit_with_parent, lifespan="on")
    return 0


# The parent side --------------------------------------------------------------------------------


class SandboxProcess:
    """The simulators in a child process, with helpers for the control API.

    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, config: WorldConfig, speed: float = 1.0,
                 faults: FaultConfig | None = None,
                 linkedin_prospects: int = DEFAULT_LINKEDIN_PROSPECTS) -> None:
        self.config = config
        self.speed = speed
        self.faults = faults
        self.linkedin_prospects = linkedin_prospects
        self._server: ChildServer | None = None
        self._urls: dict[str, str] | None = None
        self._truth: dict[str, Any] | None = None
        self._unipile_truth: dict[str, Any] | None = None
        self._client: httpx.Client | None = None

    def command(self) -> list[str]:
        c = self.config
        cmd = [sys.executable, "-m", "outbound_pipeline.sandbox.runner",
               "--seed", str(c.seed), "--accounts", str(c.n_accounts),
               "--campaigns", str(c.n_campaigns), "--leads", str(c.n_leads),
               "--days", str(c.days), "--speed", repr(float(self.speed)), "--port", "0",
               "--linkedin-prospects", str(self.linkedin_prospects), "--exit-with-parent"]
        if c.end_date is not None:
            cmd += ["--end-date", c.end_date.isoformat()]
        if c.fresh_accounts:
            cmd += ["--fresh-accounts", str(c.fresh_accounts)]
        if self.faults is not None:
            cmd += ["--faults", json.dumps(asdict(self.faults))]
        return cmd

    def start(self) -> SandboxProcess:
        """Spawns the child and waits for its READY line."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        server = ChildServer(self.command(), "sandbox")
        server.start()
        self._server = server
        self._urls = server.urls
        self._client = httpx.Client(timeout=CONTROL_TIMEOUT_SECONDS)
        return self

    def stop(self) -> None:
        """Terminates the child (SIGTERM, then SIGKILL after a grace period)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # addresses and truth

    @property
    def urls(self) -> dict[str, str]:
        """Base URL per platform plus ``control``."""
        if self._urls is None:
            raise RuntimeError("sandbox not started")
        return dict(self._urls)

    @property
    def smartlead_url(self) -> str:
        return self.urls["smartlead"]

    @property
    def control_url(self) -> str:
        return self.urls["control"]

    @property
    def truth(self) -> dict[str, Any]:
        """Planted facts, accounts and the world config, as served by ``/_sandbox/truth``."""
        if self._truth is None:
            self._truth = self._control("GET", "/truth")
        return self._truth

    @property
    def accounts(self) -> list[dict[str, Any]]:
        """One dict per account: ``name``, ``api_key``, ``client_id``."""
        return list(self.truth["accounts"])

    # control helpers

    def _control(self, method: str, path: str, body: Any = None,
                 timeout: float | None = None, base: str | None = None) -> Any:
        if self._client is None:
            raise RuntimeError("sandbox not started")
        response = self._client.request(method, (base or self.control_url) + path, json=body,
                                        timeout=timeout or CONTROL_TIMEOUT_SECONDS)
        if response.status_code >= 400:
            raise RuntimeError(f"sandbox control {method} {path} failed: "
                               f"{response.status_code} {response.text}")
        return response.json()

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replaces the injected faults (``None`` clears them); no restart needed."""
        self._control("POST", "/faults", asdict(faults) if faults is not None else {})

    def requests(self) -> list[dict[str, Any]]:
        """Every API request since start or the last reset (never with API keys)."""
        return list(self._control("GET", "/requests")["requests"])

    def reset_requests(self) -> None:
        self._control("POST", "/requests/reset")

    def add_activity(self, campaign_id: int, sends: int, replies: int,
                     at: datetime | None = None) -> dict[str, Any]:
        """Moves the world: new sends and replies in one campaign."""
        body: dict[str, Any] = {"campaign_id": campaign_id, "sends": sends, "replies": replies}
        if at is not None:
            body["at"] = at.isoformat()
        return self._control("POST", "/activity", body)

    def configure_webhooks(self, url: str, secret_key: str | None = None,
                           **options: Any) -> dict[str, Any]:
        """Delivers Smartlead webhooks for every later change of the world to ``url``.

        ``options``: ``sign`` (the HMAC header; default true when there is a secret),
        ``p_duplicate``, ``max_delay_seconds``, ``deprecated_share``, ``seed``. Returns the
        settings (without the secret) and the delivery counters.
        """
        body: dict[str, Any] = {"url": url, "secret_key": secret_key, **options}
        return self._control("POST", "/webhooks", body)

    def disable_webhooks(self) -> dict[str, Any]:
        """Stops delivering; deliveries still pending are dropped."""
        return self._control("POST", "/webhooks", {"url": None})

    def webhook_stats(self) -> dict[str, Any]:
        """The webhook settings (without the secret) and counters: ``stats`` holds emitted,
        attempts, delivered, duplicates_sent, retried, failed and pending."""
        return self._control("GET", "/webhooks")

    def flush_webhooks(self, timeout: float = 30.0) -> dict[str, Any]:
        """Waits up to ``timeout`` seconds for pending deliveries; ``flushed`` says whether
        none is left, ``all_delivered`` whether none failed either."""
        return self._control("POST", "/webhooks/flush", {"timeout": timeout},
                             timeout=timeout + CONTROL_TIMEOUT_SECONDS)

    def start_ticker(self, every_seconds: float, sends: int, replies: int) -> dict[str, Any]:
        """Adds ``sends`` and ``replies`` to a random campaign every ``every_seconds`` (real
        seconds, not scaled by speed) until ``stop_ticker``."""
        body = {"every_seconds": every_seconds, "sends": sends, "replies": replies}
        return self._control("POST", "/ticker", body)

    def stop_ticker(self) -> dict[str, Any]:
        return self._control("POST", "/ticker", {"every_seconds": None})

    def block_list(self, emails: list[str] | None = None,
                   domains: list[str] | None = None) -> dict[str, list[str]]:
        """Adds addresses and domains to the world's global block list (when any are given)
        and returns the whole list as ``{"emails": [...], "domains": [...]}``."""
        if not emails and not domains:
            return self._control("GET", "/block-list")
        return self._control("POST", "/block-list",
                             {"emails": list(emails or []), "domains": list(domains or [])})


    # Unipile (LinkedIn)

    @property
    def unipile_url(self) -> str:
        """The Unipile API base (``.../unipile/api/v1``); send the key as ``X-API-KEY``."""
        return self.urls["unipile"]

    @property
    def unipile_control_url(self) -> str:
        return self.urls["unipile_control"]

    def _unipile(self, method: str, path: str, body: Any = None,
                 timeout: float | None = None) -> Any:
        return self._control(method, path, body, timeout, base=self.unipile_control_url)

    def unipile_truth(self) -> dict[str, Any]:
        """``api_key``, ``accounts`` (id, name, provider_id, public_identifier), ``prospects``
        (provider_id, member_id, public_identifier, names, company, headline, location,
        country, email), ``speed`` and ``rate_limit``. Fetched once: its ``clock`` is the clock
        of that first call (see ``unipile_clock``)."""
        if self._unipile_truth is None:
            self._unipile_truth = self._unipile("GET", "/truth")
        return self._unipile_truth

    def unipile_clock(self, now: datetime | None = None) -> datetime:
        """Moves the simulated clock to ``now`` (timezone-aware, never backwards) when given,
        letting everything due by then happen; returns the clock."""
        if now is None:
            answer = self._unipile("GET", "/clock")
        else:
            if now.tzinfo is None:
                raise ValueError("now must be timezone-aware")
            answer = self._unipile("POST", "/clock", {"now": now.isoformat()})
        return datetime.fromisoformat(answer["now"].replace("Z", "+00:00"))

    def unipile_webhooks(self, users_url: str | None, messaging_url: str | None,
                         secret: str | None = None, **options: Any) -> dict[str, Any]:
        """Delivers ``new_relation`` to ``users_url`` and ``message_received`` to
        ``messaging_url`` (None leaves a source off; both None stop webhooks), with
        ``X-Unipile-Secret: secret`` when a secret is given. ``options``: ``p_duplicate``,
        ``max_delay_seconds``, ``seed``. Returns the settings (without the secret) and the
        counters per source."""
        body = {"users_url": users_url, "messaging_url": messaging_url, "secret": secret,
                **options}
        return self._unipile("POST", "/webhooks", body)

    def unipile_webhook_stats(self) -> dict[str, Any]:
        """The webhook settings (without the secret) and ``stats`` per source."""
        return self._unipile("GET", "/webhooks")

    def unipile_flush_webhooks(self, timeout: float = 30.0) -> dict[str, Any]:
        """Waits up to ``timeout`` seconds for pending deliveries; ``flushed`` says whether
        none is left, ``all_delivered`` whether none failed either."""
        return self._unipile("POST", "/webhooks/flush", {"timeout": timeout},
                             timeout=timeout + CONTROL_TIMEOUT_SECONDS)

    def unipile_outcomes(self) -> list[dict[str, Any]]:
        """Ground truth per invited (account_id, provider_id): ``invited_at``, ``accepted_at``,
        ``new_relation_webhook_at``, ``relation_visible_public_identifier``, ``chat_id``,
        ``messages_received`` and ``replies`` (message_id, chat_id, at, kind, language,
        after_message_number; 0 answers the invitation note)."""
        return list(self._unipile("GET", "/outcomes")["outcomes"])

    def unipile_sent(self) -> list[dict[str, Any]]:
        """Every invitation and message the API accepted: ``kind`` ("invite" or "message"),
        ``account_id``, ``provider_id``, ``at`` (simulated), ``text`` and the ids."""
        return list(self._unipile("GET", "/sent")["sent"])

    def unipile_limits(self, invites: int | None = None,
                       messages: int | None = None) -> dict[str, int]:
        """Sets the daily caps per account (when given); returns both caps."""
        body = {k: v for k, v in (("invites", invites), ("messages", messages)) if v is not None}
        if not body:
            return self._unipile("GET", "/limits")
        return self._unipile("POST", "/limits", body)

    def unipile_requests(self) -> list[dict[str, Any]]:
        """Every Unipile API request since start or the last reset (method, path, route,
        status; never the key)."""
        return list(self._unipile("GET", "/requests")["requests"])

    def unipile_reset_requests(self) -> None:
        self._unipile("POST", "/requests/reset")


def env_var_for(account_name: str) -> str:
    """The environment variable holding one sandbox account's Smartlead key."""
    return "SMARTLEAD_API_KEY_" + re.sub(r"[^A-Z0-9]+", "_", account_name.upper()).strip("_")


UNIPILE_CONNECTION = "linkedin"
UNIPILE_KEY_ENV = "UNIPILE_API_KEY_SANDBOX"
UNIPILE_RATE_LIMIT_SECONDS = 1.0


def write_connections_file(path: str | Path, accounts: list[dict[str, Any]], smartlead_url: str,
                           speed: float, unipile: tuple[str, str] | None = None
                           ) -> dict[str, str]:
    """Writes a connections file for the sandbox accounts; returns the env vars to export.

    ``unipile``: the simulator's ``(base_url, api_key)``, written as connection ``linkedin``.
    """
    per_seconds = RATE_LIMIT_SECONDS / speed
    lines = ["# Sandbox connections: generated by `outbound sandbox`.", "connections:"]
    env: dict[str, str] = {}
    for account in accounts:
        name = account["name"]
        var = env_var_for(name)
        env[var] = account["api_key"]
        lines += [
            f"  - name: {name}            # account name",
            "    platform: smartlead",
            f"    base_url: {smartlead_url}",
            f"    api_key_env: {var}",
            f"    rate_limit: {{requests: {RATE_LIMIT_REQUESTS}, per_seconds: {per_seconds:g}}}"
            "   # 2 s / speed",
        ]
    if unipile is not None:
        base_url, key = unipile
        env[UNIPILE_KEY_ENV] = key
        lines += [
            f"  - name: {UNIPILE_CONNECTION}            # the Unipile workspace (LinkedIn)",
            "    platform: unipile",
            f"    base_url: {base_url}",
            f"    api_key_env: {UNIPILE_KEY_ENV}",
            f"    rate_limit: {{requests: {RATE_LIMIT_REQUESTS}, "
            f"per_seconds: {UNIPILE_RATE_LIMIT_SECONDS / speed:g}}}   # 1 s / speed",
        ]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    return env


if __name__ == "__main__":
    sys.exit(main())
