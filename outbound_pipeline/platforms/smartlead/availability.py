"""Endpoints a Smartlead account cannot use, found during one run.

A plan without the analytics API answers 403 on the analytics routes; an endpoint the API does
not serve to an account answers 404. Such an answer is not a failure of the whole sync: the
source records it here, skips what depends on that endpoint for that connection, and loads
everything else. The Dagster assets then report it on the tables it affected (asset check,
materialization metadata), naming the endpoint and the status. Messages come from
:class:`~outbound_pipeline.http.PlatformError`, which redacts the key.

Each record belongs to a *scope*: a raw table's name, or one of the shared fetches several
tables depend on (:data:`CAMPAIGN_LIST`, :data:`CAMPAIGN_ANALYTICS`, :data:`MAILBOX_LIST`).
:data:`DEPENDS_ON` says which shared fetches each table needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from outbound_pipeline.http import PlatformError

UNAVAILABLE_STATUSES = frozenset({403, 404})
"""Answers that mean "this account cannot use this endpoint" rather than "try again"."""

CAMPAIGN_LIST = "campaign list"
CAMPAIGN_ANALYTICS = "campaign analytics"
MAILBOX_LIST = "mailbox list"

DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "campaigns": (CAMPAIGN_LIST, CAMPAIGN_ANALYTICS),
    "sequence_variants": (CAMPAIGN_LIST,),
    "campaign_email_accounts": (CAMPAIGN_LIST,),
    "email_statistics": (CAMPAIGN_LIST,),
    "message_history": (CAMPAIGN_LIST,),
    "email_accounts": (MAILBOX_LIST,),
    "mailbox_health": (MAILBOX_LIST,),
    "campaign_daily_stats": (CAMPAIGN_LIST,),
    "campaign_window_totals": (CAMPAIGN_LIST,),
    "enrollment_snapshots": (CAMPAIGN_LIST, CAMPAIGN_ANALYTICS),
    "campaign_leads": (CAMPAIGN_LIST,),
}
"""The shared fetches each raw table needs besides its own endpoints."""

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")
T = TypeVar("T")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the account cannot use the endpoint (403 or 404)."""
    return isinstance(error, PlatformError) and error.status in UNAVAILABLE_STATUSES


def endpoint_name(method: str, path: str) -> str:
    """``GET campaigns/{id}/analytics`` for ``GET campaigns/1530004/analytics``."""
    return f"{method} {_ID_SEGMENT.sub('/{id}', '/' + path.lstrip('/')).lstrip('/')}".strip()


@dataclass(frozen=True)
class UnavailableEndpoint:
    """One endpoint refused to one connection."""

    connection: str
    endpoint: str
    status: int
    message: str
    """The redacted error, as :class:`PlatformError` words it."""

    def describe(self) -> str:
        return f"{self.endpoint} -> HTTP {self.status} (connection {self.connection!r})"


class Availability:
    """What was refused during one run, per scope and connection."""

    def __init__(self) -> None:
        self._found: dict[str, dict[tuple[str, str], UnavailableEndpoint]] = {}

    def record(self, scope: str, connection: str, error: PlatformError) -> None:
        found = UnavailableEndpoint(connection, endpoint_name(error.method, error.path),
                                    int(error.status or 0), str(error))
        self._found.setdefault(scope, {}).setdefault((connection, found.endpoint), found)

    def blocked(self, scope: str, connection: str) -> bool:
        """Whether ``connection`` was refused an endpoint of ``scope`` in this run."""
        return any(key[0] == connection for key in self._found.get(scope, {}))

    @contextmanager
    def guard(self, connection: str, scope: str) -> Iterator[None]:
        """Records a 403/404 raised inside the block under ``scope`` and ends the block;
        every other error propagates."""
        try:
            yield
        except PlatformError as exc:
            if not is_unavailable(exc):
                raise
            self.record(scope, connection, exc)

    def attempt(self, connection: str, scope: str, fetch: Callable[..., T], *args: Any,
                **kwargs: Any) -> T | None:
        """``fetch(*args, **kwargs)``, or None (recorded under ``scope``) when it answered
        403/404."""
        with self.guard(connection, scope):
            return fetch(*args, **kwargs)
        return None

    def for_table(self, table: str) -> list[UnavailableEndpoint]:
        """Everything refused that ``table`` needed: its own endpoints and its shared fetches."""
        return self.in_scopes((table, *DEPENDS_ON.get(table, ())))

    def in_scopes(self, scopes: Iterable[str]) -> list[UnavailableEndpoint]:
        result: dict[tuple[str, str], UnavailableEndpoint] = {}
        for scope in scopes:
            for key, found in self._found.get(scope, {}).items():
                result.setdefault(key, found)
        return sorted(result.values(), key=lambda f: (f.connection, f.endpoint))

    def __bool__(self) -> bool:
        return any(self._found.values())
