"""A stand-in for a remote reply-classification API, served on loopback.

It speaks both styles of ``docs/platform-apis.md``: the batch API (``POST /v1/classify``,
``{model, input: [<= 32 texts]}`` -> ``{output: [{label, confidence}]}``) and the RevReply
style (``POST /v1/response/classify``, multipart ``email_body`` -> ``{data:
{classification}}``). Both want ``Authorization: Bearer <key>``. Its labels come from a few
keywords: it is a protocol double for the remote classifier's client and fallback, not a
classifier to measure.

Faults for tests (``POST /_sandbox/faults``, ``{"mode": ..., "count": n}``; ``count`` answers
get the fault, then it heals): ``error`` (HTTP 500), ``garbage`` (a 200 that is not JSON),
``short`` (fewer outputs than inputs), ``unknown_label``, ``unauthorized`` (401), ``slow``
(waits ``seconds`` before answering). ``GET /_sandbox/stats`` counts requests and texts.

As a program: ``python -m outbound_pipeline.sandbox.classifier_api --api-key KEY [--port 0]``
prints ``READY {"batch": url, "revreply": url, "control": url}``.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import email.policy
import re
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from outbound_pipeline.serving import ChildServer, bind, serve

MAX_INPUTS = 32
_KEYWORDS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), batch, revreply) for pattern, batch, revreply in (
        (r"delivery|undeliverable|mailer-daemon", "bounced", "NEUTRAL_REPLY"),
        (r"out of (the )?office|vacation|abwesend|absent", "OOO", "OUT_OF_OFFICE"),
        (r"unsubscribe|remove me", "not-interested", "UNSUBSCRIBE"),
        (r"no longer (works|with)|left the company", "no-longer-works-here", "NEUTRAL_REPLY"),
        (r"not interested|no thanks|kein interesse", "not-interested", "NEGATIVE_REPLY"),
        (r"\b(call|meet|meeting|demo|calendar)\b", "wants-to-meet", "POSITIVE_REPLY"),
        (r"interest|tell me more|send", "interested", "POSITIVE_REPLY"),
    )
)


@dataclass
class _State:
    api_key: str
    mode: str = "ok"
    remaining: int = 0
    seconds: float = 0.0
    requests: int = 0
    texts: int = 0
    by_mode: dict[str, int] = field(default_factory=dict)

    def fault(self) -> str:
        if self.remaining > 0:
            self.remaining -= 1
            self.by_mode[self.mode] = self.by_mode.get(self.mode, 0) + 1
            return self.mode
        return "ok"


def _label(text: str, style: str) -> str:
    for pattern, batch, revreply in _KEYWORDS:
        if pattern.search(text):
            return batch if style == "batch" else revreply
    return "other" if style == "batch" else "NEUTRAL_REPLY"


def _multipart_field(body: bytes, content_type: str, name: str) -> str | None:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            payload = part.get_payload(decode=True)
            return payload.decode(part.get_content_charset() or "utf-8") if payload else ""
    return None


def create_app(api_key: str) -> Starlette:
    state = _State(api_key=api_key)

    async def _guard(request: Request) -> tuple[str, Response | None]:
        state.requests += 1
        mode = state.fault()
        if mode == "slow":
            await asyncio.sleep(state.seconds)
        if mode == "unauthorized" or request.headers.get("authorization") != f"Bearer {api_key}":
            return mode, JSONResponse({"error": "invalid API key"}, status_code=401)
        if mode == "error":
            return mode, JSONResponse({"error": "internal error"}, status_code=500)
        if mode == "garbage":
            return mode, PlainTextResponse("<html>upstream timeout</html>", status_code=200)
        return mode, None

    async def batch(request: Request) -> Response:
        mode, refusal = await _guard(request)
        if refusal is not None:
            return refusal
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "body must be JSON"}, status_code=400)
        texts = body.get("input") if isinstance(body, dict) else None
        if (not isinstance(texts, list) or not texts or len(texts) > MAX_INPUTS
                or not all(isinstance(t, str) for t in texts)):
            return JSONResponse({"error": f"input must be 1..{MAX_INPUTS} strings"},
                                status_code=400)
        state.texts += len(texts)
        output = [{"label": "mystery" if mode == "unknown_label" else _label(t, "batch"),
                   "confidence": 0.9} for t in texts]
        if mode == "short":
            output = output[:-1]
        return JSONResponse({"model": body.get("model") or "default", "output": output})

    async def revreply(request: Request) -> Response:
        mode, refusal = await _guard(request)
        if refusal is not None:
            return refusal
        text = _multipart_field(await request.body(), request.headers.get("content-type", ""),
                                "email_body")
        if text is None:
            return JSONResponse({"error": "multipart field email_body is required"},
                                status_code=400)
        state.texts += 1
        label = "MYSTERY" if mode == "unknown_label" else _label(text, "revreply")
        return JSONResponse({"data": {"classification": label}})

    async def faults(request: Request) -> Response:
        body = await request.json()
        state.mode = str(body.get("mode", "ok"))
        state.remaining = int(body.get("count", 0))
        state.seconds = float(body.get("seconds", 0.0))
        return JSONResponse({"mode": state.mode, "count": state.remaining})

    async def stats(request: Request) -> Response:
        return JSONResponse({"requests": state.requests, "texts": state.texts,
                             "faults": state.by_mode})

    return Starlette(routes=[
        Route("/v1/classify", batch, methods=["POST"]),
        Route("/v1/response/classify", revreply, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["POST"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m outbound_pipeline.sandbox.classifier_api")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--exit-with-parent", action="store_true")
    args = parser.parse_args(argv)
    sock = bind(args.host, args.port)
    base = f"http://{args.host}:{sock.getsockname()[1]}"
    serve(create_app(args.api_key), sock,
          {"batch": f"{base}/v1/classify", "revreply": f"{base}/v1/response/classify",
           "control": f"{base}/_sandbox"},
          exit_with_parent=args.exit_with_parent)
    return 0


def classifier_api_process(api_key: str) -> ChildServer:
    """The fake API as a child process (call ``start()``; ``urls`` after)."""
    import sys

    return ChildServer([sys.executable, "-m", "outbound_pipeline.sandbox.classifier_api",
                        "--api-key", api_key, "--exit-with-parent"], "classifier-api")


if __name__ == "__main__":
    raise SystemExit(main())
