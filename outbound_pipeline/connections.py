"""Platform accounts from the connections file.

A connection is one account on one platform: an agency with a Smartlead account per client lists
each of them. The file holds no secrets, only the name of the environment variable that does.

```yaml
connections:
  - name: northwind                 # unique; stamped on every raw row as `connection`
    platform: smartlead
    base_url: https://server.smartlead.ai/api/v1   # optional: the real API by default
    api_key_env: SMARTLEAD_API_KEY_NORTHWIND
    rate_limit: {requests: 10, per_seconds: 2}      # optional: the platform default
    webhook_secret_env: SMARTLEAD_WEBHOOK_SECRET_NORTHWIND  # optional, see below
```

The webhook receiver accepts ``/webhooks/<platform>/<name>`` for each connection; its shared
secret is read from ``webhook_secret_env`` when set, else from
``OUTBOUND_WEBHOOK_SECRET_<PLATFORM>``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class PlatformDefaults:
    base_url: str | None
    """None: each account has its own address, so ``base_url`` is required."""
    requests: int
    per_seconds: float


PLATFORMS: dict[str, PlatformDefaults] = {
    "smartlead": PlatformDefaults("https://server.smartlead.ai/api/v1", 10, 2.0),
    "replyio": PlatformDefaults("https://api.reply.io", 100, 60.0),
    "lemlist": PlatformDefaults("https://api.lemlist.com/api", 20, 2.0),
    "unipile": PlatformDefaults(None, 10, 1.0),
}

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_FIELDS = {"name", "platform", "base_url", "api_key_env", "rate_limit", "webhook_secret_env"}


class ConnectionsError(ValueError):
    """The connections file is invalid; the message names the file, the entry and the field."""


class MissingSecretError(RuntimeError):
    """The environment variable that should hold a connection's key is not set."""


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.per_seconds


@dataclass(frozen=True)
class Connection:
    name: str
    platform: str
    base_url: str
    api_key_env: str
    rate_limit: RateLimit
    webhook_secret_env: str | None = None

    def api_key(self, environ: Mapping[str, str] | None = None) -> str:
        """The key, read from the environment when it is needed (never stored)."""
        env = os.environ if environ is None else environ
        value = env.get(self.api_key_env, "")
        if not value:
            raise MissingSecretError(
                f"connection {self.name!r} ({self.platform}): environment variable "
                f"{self.api_key_env} is not set"
            )
        return value


def parse_connections(data: Any, source: str) -> list[Connection]:
    """Validates the parsed YAML of a connections file."""

    def fail(where: str, message: str) -> ConnectionsError:
        return ConnectionsError(f"{source}: {where}: {message}")

    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("connections", []), list):
        raise fail("top level", "expected a mapping with a `connections:` list")
    unknown_top = set(data) - {"connections"}
    if unknown_top:
        raise fail("top level", f"unknown key(s) {sorted(unknown_top)}")

    result: list[Connection] = []
    seen: set[str] = set()
    for index, entry in enumerate(data.get("connections") or []):
        where = f"connections[{index}]"
        if not isinstance(entry, dict):
            raise fail(where, "expected a mapping")
        if isinstance(entry.get("name"), str):
            where = f"connections[{index}] ({entry['name']})"
        unknown = set(entry) - _FIELDS
        if unknown:
            raise fail(where, f"unknown field(s) {sorted(unknown)}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise fail(where, "field `name` must be lowercase letters, digits and _ (e.g. acme)")
        if name in seen:
            raise fail(where, f"field `name`: {name!r} is used twice")
        seen.add(name)
        platform = entry.get("platform")
        if platform not in PLATFORMS:
            raise fail(
                where, f"field `platform` must be one of {sorted(PLATFORMS)}, got {platform!r}"
            )
        defaults = PLATFORMS[platform]
        base_url = entry.get("base_url", defaults.base_url)
        if base_url is None:
            raise fail(where, f"field `base_url` is required for {platform} (your account's "
                              "API address)")
        if not isinstance(base_url, str) or not re.match(r"^https?://[^\s/]+", base_url):
            raise fail(where, f"field `base_url` must be an http(s) URL, got {base_url!r}")
        key_env = entry.get("api_key_env")
        if not isinstance(key_env, str) or not _ENV.match(key_env):
            raise fail(
                where,
                "field `api_key_env` must name an environment variable (e.g. SMARTLEAD_API_KEY)",
            )
        secret_env = entry.get("webhook_secret_env")
        if secret_env is not None and not (isinstance(secret_env, str) and _ENV.match(secret_env)):
            raise fail(where, "field `webhook_secret_env` must name an environment variable")
        limit = entry.get("rate_limit") or {}
        if not isinstance(limit, dict) or set(limit) - {"requests", "per_seconds"}:
            raise fail(where, "field `rate_limit` must be {requests: N, per_seconds: S}")
        requests = limit.get("requests", defaults.requests)
        per_seconds = limit.get("per_seconds", defaults.per_seconds)
        if not isinstance(requests, int) or isinstance(requests, bool) or requests < 1:
            raise fail(where, "field `rate_limit.requests` must be a whole number ≥ 1")
        if not isinstance(per_seconds, int | float) or per_seconds <= 0:
            raise fail(where, "field `rate_limit.per_seconds` must be a number > 0")
        result.append(
            Connection(
                name=name,
                platform=platform,
                base_url=base_url.rstrip("/"),
                api_key_env=key_env,
                rate_limit=RateLimit(requests, float(per_seconds)),
                webhook_secret_env=secret_env,
            )
        )
    return result


def load_connections(path: Path) -> list[Connection]:
    """Reads a connections file; a missing file means no connections are configured."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConnectionsError(f"{path}: not valid YAML: {exc}") from None
    return parse_connections(data, str(path))


def for_platform(connections: list[Connection], platform: str) -> list[Connection]:
    return [c for c in connections if c.platform == platform]
