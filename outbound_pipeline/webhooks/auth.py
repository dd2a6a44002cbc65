"""Constant-time checks of the secrets webhooks carry."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body keyed with the shared secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header_value: str | None) -> bool:
    """Whether a signature header (hex, optionally ``sha256=``-prefixed) signs ``body``."""
    if not header_value:
        return False
    given = header_value.strip()
    if given.lower().startswith("sha256="):
        given = given[7:]
    return hmac.compare_digest(signature(secret, body), given.lower())


def secret_matches(secret: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(secret.encode(), given.encode())


def header_secret_matches(secret: str, headers: Mapping[str, str], names: tuple[str, ...]) -> bool:
    """Whether any of the header ``names`` carries the shared secret."""
    return any(secret_matches(secret, headers.get(name)) for name in names)
