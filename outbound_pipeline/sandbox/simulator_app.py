"""What every platform simulator's app shares: the Starlette app around a simulator object,
and the JSON body of a control request."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

API_PREFIX = "/api/v1"


class Simulator(Protocol):
    handle: Callable[[Request], Awaitable[Response]]

    async def shutdown(self) -> None: ...


def simulator_app(sim: Simulator, control_routes: list[Route]) -> Starlette:
    """The platform API under ``/api/v1`` (every method to ``sim.handle``) beside the sandbox
    control routes; the app's lifespan shutdown calls ``sim.shutdown()`` (background threads)."""
    api = Route(f"{API_PREFIX}/{{path:path}}", sim.handle,
                methods=["GET", "POST", "PUT", "PATCH", "DELETE"])

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await sim.shutdown()

    app = Starlette(routes=[*control_routes, api], lifespan=lifespan)
    app.state.simulator = sim
    return app


def json_object(raw: bytes, what: str) -> dict[str, Any]:
    """A control request's JSON object body (an empty body is ``{}``)."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise ValueError("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be a JSON object")
    return data
