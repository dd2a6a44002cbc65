"""Serving an ASGI app on loopback from a child process, and starting such a child.

The child binds its socket, starts uvicorn and prints one line once connections are accepted::

    READY {"name": "url", ...}

:class:`ChildServer` starts the child, waits for that line and stops (or kills) it. The sandbox
simulators and the webhook receiver both run this way in tests, benchmarks and the demo.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any

from outbound_pipeline import clock

READY_PREFIX = "READY "
START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 5.0


def bind(host: str, port: int) -> socket.socket:
    # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it
    # every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve(app: Any, sock: socket.socket, urls: Mapping[str, str], *, exit_with_parent: bool,
          lifespan: str = "off", **uvicorn_options: Any) -> None:
    """Serves ``app`` on ``sock`` until SIGINT/SIGTERM, printing the READY line once up."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan,
                            **uvicorn_options)
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                await task  # surfaces the startup error
                return
            await asyncio.sleep(0.01)
        sys.stdout.write(READY_PREFIX + json.dumps(dict(urls)) + "\n")
        sys.stdout.flush()
        if exit_with_parent:
            threading.Thread(target=_exit_on_stdin_eof, args=(server,), daemon=True).start()
        await task

    asyncio.run(run())


def _exit_on_stdin_eof(server: Any) -> None:
    # The parent holds our stdin open; EOF means it is gone (even after SIGKILL).
    while sys.stdin.buffer.read(1024):
        pass
    server.should_exit = True


class ChildServer:
    """A server program in a child process; use as a context manager or start()/stop()."""

    def __init__(self, command: list[str], name: str,
                 env: Mapping[str, str] | None = None) -> None:
        self.command = command
        self.name = name
        self.env = env
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._urls: dict[str, str] | None = None

    def start(self) -> ChildServer:
        """Spawns the child and waits for its READY line."""
        if self._process is not None:
            raise RuntimeError(f"{self.name} already started")
        # The child's stderr goes to a file (closed in stop()) so a crash can be reported.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        clock.shift_seconds()  # an OUTBOUND_TIME_SHIFT instant becomes the offset children share
        env = None if self.env is None else {**os.environ, **self.env}
        process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, bufsize=1, env=env,
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
                    f"{self.name} did not report READY within {START_TIMEOUT_SECONDS:.0f} s"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                code = process.wait()
                detail = self.stderr_text()
                self._process = None
                raise RuntimeError(f"{self.name} exited with code {code} before READY:\n{detail}")
            if line.startswith(READY_PREFIX):
                self._urls = json.loads(line[len(READY_PREFIX):])
                return self

    def stop(self) -> None:
        """Terminates the child (SIGTERM, then SIGKILL after a grace period)."""
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

    def kill(self) -> None:
        """``kill -9``: the child gets no chance to clean up."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self.stop()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def urls(self) -> dict[str, str]:
        if self._urls is None:
            raise RuntimeError(f"{self.name} not started")
        return dict(self._urls)

    def stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]

    def __enter__(self) -> ChildServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
