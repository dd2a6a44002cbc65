from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from outbound_pipeline.serving import ChildServer
from outbound_pipeline.webhooks.auth import signature
from outbound_pipeline.webhooks.landing import LandingStore
from outbound_pipeline.webhooks.serve import receiver_process

SECRETS = {
    "OUTBOUND_WEBHOOK_SECRET_SMARTLEAD": "sl-secret-123",
    "OUTBOUND_WEBHOOK_SECRET_REPLYIO": "rio-secret-123",
    "OUTBOUND_WEBHOOK_SECRET_LEMLIST": "lem-secret-123",
    "OUTBOUND_WEBHOOK_SECRET_UNIPILE": "uni-secret-123",
    "OUTBOUND_INGEST_API_KEY": "ingest-key-123",
    "OUTBOUND_CLAY_WEBHOOK_SECRET": "clay-secret-123",
}
CONNECTIONS = """connections:
  - {name: acme, platform: smartlead, base_url: "http://127.0.0.1:9/api/v1", api_key_env: K1}
  - {name: acme_replyio, platform: replyio, api_key_env: K2}
  - {name: acme_lemlist, platform: lemlist, api_key_env: K3}
  - {name: acme_linkedin, platform: unipile, base_url: "http://127.0.0.1:9/api/v1", api_key_env: K4}
"""


@dataclass
class Receiver:
    server: ChildServer
    landing: LandingStore
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.server.urls["receiver"]

    def post(self, path: str, body: object | bytes, headers: dict[str, str] | None = None,
             ) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.post(self.url + path, content=content,
                                headers={"content-type": "application/json", **(headers or {})})

    def smartlead(self, payload: dict, sign: bool = True) -> httpx.Response:
        content = json.dumps(payload).encode()
        headers = {"X-Smartlead-Signature": signature(SECRETS[
            "OUTBOUND_WEBHOOK_SECRET_SMARTLEAD"], content)} if sign else {}
        return self.post("/webhooks/smartlead/acme", content, headers)

    def landed(self) -> list[dict]:
        """Every event in sealed and open segments (the raw files, as a reader would)."""
        records = []
        for folder in (self.landing.sealed_dir, self.landing.open_dir):
            for path in sorted(folder.glob("*.jsonl")):
                records += [json.loads(line) for line in path.read_text().splitlines() if line]
        return records


def receiver_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    connections = tmp_path / "connections.yaml"
    connections.write_text(CONNECTIONS)
    return {"OUTBOUND_CONNECTIONS": str(connections),
            "OUTBOUND_LANDING_DIR": str(tmp_path / "landing"),
            "OUTBOUND_DATA_DIR": str(tmp_path / "data"), **SECRETS, **extra}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    env = receiver_env(tmp_path, OUTBOUND_LANDING_SEGMENT_SECONDS="3600")
    with receiver_process(env) as server, httpx.Client(timeout=10) as client:
        yield Receiver(server, LandingStore(tmp_path / "landing"), client)
