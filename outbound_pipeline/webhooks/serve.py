"""``python -m outbound_pipeline.webhooks.serve``: the receiver as a program.

One worker serves in this process and prints a READY line (see :mod:`outbound_pipeline.serving`)
once it accepts connections; ``--workers N`` hands the socket to uvicorn's process manager,
each worker with its own open landing segment.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from outbound_pipeline.serving import ChildServer, bind, serve

DEFAULT_PORT = 8787


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0 behind a proxy or in a container)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="outbound webhooks serve",
                                description="Receive platform webhooks and land them durably.")
    add_arguments(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    if args.workers > 1:
        import uvicorn

        uvicorn.run("outbound_pipeline.webhooks.app:app_from_environment", factory=True,
                    host=args.host, port=args.port, workers=args.workers, access_log=False,
                    proxy_headers=True, log_level="info")
        return 0
    from outbound_pipeline.webhooks.app import app_from_environment

    app = app_from_environment()
    sock = bind(args.host, args.port)
    url = f"http://{args.host}:{sock.getsockname()[1]}"
    serve(app, sock, {"receiver": url}, exit_with_parent=args.exit_with_parent, lifespan="on")
    return 0


def receiver_process(env: Mapping[str, str]) -> ChildServer:
    """The receiver on a free loopback port in a child process, configured by ``env``."""
    command = [sys.executable, "-m", "outbound_pipeline.webhooks.serve", "--port", "0",
               "--exit-with-parent"]
    return ChildServer(command, "webhook receiver", env=env)


if __name__ == "__main__":
    sys.exit(main())
