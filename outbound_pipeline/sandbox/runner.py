"""Runs the platform simulators in a child process on loopback ports.

As a program::

    python -m outbound_pipeline.sandbox.runner --seed 7 --campaigns 60 --leads 30000 \\
        --days 365 [--end-date YYYY-MM-DD] --speed 1 [--port 0] [--faults JSON]

generates the world, serves it, and prints one line once connections are accepted::

    READY {"smartlead": "http://127.0.0.1:PORT/api/v1", "control": "http://127.0.0.1:PORT/_sandbox"}

``SandboxProcess`` starts that program from Python (tests, the CLI) and wraps its control API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from outbound_pipeline.sandbox.faults import FaultConfig
from outbound_pipeline.sandbox.world import WorldConfig

READY_PREFIX = "READY "
START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 5.0
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
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--faults", type=str, default=None, help="FaultConfig as JSON")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="stop when stdin closes (the parent went away, however it died)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Generates the world and serves the simulators until SIGINT/SIGTERM."""
    import uvicorn

    from outbound_pipeline.platforms.smartlead.simulator import create_app
    from outbound_pipeline.sandbox.world import generate_world

    args = _parse_args(argv)
    config = WorldConfig(seed=args.seed, n_accounts=args.accounts, n_campaigns=args.campaigns,
                         n_leads=args.leads, days=args.days, end_date=args.end_date)
    faults = FaultConfig.from_dict(json.loads(args.faults)) if args.faults else None
    world = generate_world(config)
    app = create_app(world, speed=args.speed, faults=faults)

    # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it
    # every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    urls = {"smartlead": f"{base}/api/v1", "control": f"{base}/_sandbox"}

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           lifespan="off"))

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                await task  # surfaces the startup error
                return
            await asyncio.sleep(0.01)
        sys.stdout.write(READY_PREFIX + json.dumps(urls) + "\n")
        sys.stdout.flush()
        if args.exit_with_parent:
            threading.Thread(target=_exit_on_stdin_eof, args=(server,), daemon=True).start()
        await task

    asyncio.run(serve())
    return 0


def _exit_on_stdin_eof(server: Any) -> None:
    # The parent holds our stdin open; EOF means it is gone (even after SIGKILL).
    while sys.stdin.buffer.read(1024):
        pass
    server.should_exit = True


# The parent side --------------------------------------------------------------------------------


class SandboxProcess:
    """The simulators in a child process, with helpers for the control API.

    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, config: WorldConfig, speed: float = 1.0,
                 faults: FaultConfig | None = None) -> None:
        self.config = config
        self.speed = speed
        self.faults = faults
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._urls: dict[str, str] | None = None
        self._truth: dict[str, Any] | None = None
        self._client: httpx.Client | None = None

    def command(self) -> list[str]:
        c = self.config
        cmd = [sys.executable, "-m", "outbound_pipeline.sandbox.runner",
               "--seed", str(c.seed), "--accounts", str(c.n_accounts),
               "--campaigns", str(c.n_campaigns), "--leads", str(c.n_leads),
               "--days", str(c.days), "--speed", repr(float(self.speed)), "--port", "0",
               "--exit-with-parent"]
        if c.end_date is not None:
            cmd += ["--end-date", c.end_date.isoformat()]
        if self.faults is not None:
            cmd += ["--faults", json.dumps(asdict(self.faults))]
        return cmd

    def start(self) -> SandboxProcess:
        """Spawns the child and waits for its READY line."""
        if self._process is not None:
            raise RuntimeError("sandbox already started")
        # The child's stderr goes to a file (closed in stop()) so a crash can be reported.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        process = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, bufsize=1,
        )
        self._process = process
        lines: queue.Queue[str | None] = queue.Queue()

        def pump(stream: IO[str]) -> None:
            # Keeps reading after READY so the child never blocks on a full pipe.
            for line in stream:
                lines.put(line)
            lines.put(None)

        assert process.stdout is not None
        threading.Thread(target=pump, args=(process.stdout,), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise RuntimeError(
                    f"sandbox did not report READY within {START_TIMEOUT_SECONDS:.0f} s"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                code = process.wait()
                detail = self._stderr_text()
                self._process = None
                raise RuntimeError(f"sandbox exited with code {code} before READY:\n{detail}")
            if line.startswith(READY_PREFIX):
                self._urls = json.loads(line[len(READY_PREFIX):])
                break
        self._client = httpx.Client(timeout=30.0)
        return self

    def stop(self) -> None:
        """Terminates the child (SIGTERM, then SIGKILL after a grace period)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]

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

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        if self._client is None:
            raise RuntimeError("sandbox not started")
        response = self._client.request(method, self.control_url + path, json=body)
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


def env_var_for(account_name: str) -> str:
    """The environment variable holding one sandbox account's Smartlead key."""
    return "SMARTLEAD_API_KEY_" + re.sub(r"[^A-Z0-9]+", "_", account_name.upper()).strip("_")


def write_connections_file(path: str | Path, accounts: list[dict[str, Any]], smartlead_url: str,
                           speed: float) -> dict[str, str]:
    """Writes a connections file for the sandbox accounts; returns the env vars to export."""
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
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    return env


if __name__ == "__main__":
    sys.exit(main())
