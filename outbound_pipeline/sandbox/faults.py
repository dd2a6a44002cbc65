"""Fault injection for the simulators: configuration and deterministic per-request decisions.

A decision depends only on the configuration's seed and the request's sequence number (counted
from when the configuration took effect), so a failing run can be replayed exactly.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

ERROR_STATUSES = (500, 502, 503)
UNAVAILABLE_STATUSES = (403, 404)


@dataclass(frozen=True)
class FaultConfig:
    """Which faults to inject.

    - ``burst_429_every``/``burst_429_length``: from request ``every`` on, every ``every``-th
      request starts a burst of ``length`` consecutive 429s (0 disables).
    - ``p_5xx``: probability of a 500/502/503.
    - ``p_slow``/``slow_seconds``: probability of a delay before answering (divided by the
      simulator's speed).
    - ``p_truncated``: probability that a 200 JSON body is cut mid-way.
    - ``repeat_page_once``: the first request with ``offset > 0`` on each paged route gets the
      previous page's content.
    - ``unavailable_routes``/``unavailable_status``/``unavailable_accounts``: every request to a
      route whose template starts with one of ``unavailable_routes`` (e.g. ``/analytics/`` and
      ``/campaigns/{id}/analytics`` for a plan without the analytics API) is answered
      ``unavailable_status`` (403 or 404), for the accounts named in ``unavailable_accounts``
      (every account when empty).
    - ``omit_optional_fields``: answers leave out the fields the platform does not always send
      (which ones is the simulator's business, e.g. open and unsubscribe counts).
    """

    burst_429_every: int = 0
    burst_429_length: int = 3
    p_5xx: float = 0.0
    p_slow: float = 0.0
    slow_seconds: float = 0.0
    p_truncated: float = 0.0
    repeat_page_once: bool = False
    unavailable_routes: tuple[str, ...] = ()
    unavailable_status: int = 403
    unavailable_accounts: tuple[str, ...] = ()
    omit_optional_fields: bool = False
    seed: int = 1

    def __post_init__(self) -> None:
        if self.burst_429_every < 0 or self.burst_429_length < 1:
            raise ValueError("burst_429_every must be >= 0 and burst_429_length >= 1")
        if self.burst_429_every and self.burst_429_length >= self.burst_429_every:
            # Otherwise every request after the first burst would be refused forever.
            raise ValueError("burst_429_length must be smaller than burst_429_every")
        for name in ("p_5xx", "p_slow", "p_truncated"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must be >= 0")
        if self.unavailable_status not in UNAVAILABLE_STATUSES:
            raise ValueError(f"unavailable_status must be one of {UNAVAILABLE_STATUSES}")
        for name in ("unavailable_routes", "unavailable_accounts"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) and v
                                                       for v in value):
                raise ValueError(f"{name} must be a list of non-empty strings")

    def unavailable(self, route: str, account: str) -> int | None:
        """The status that refuses this request to ``route`` (a route template) from
        ``account``, or None when the route is available to it."""
        if self.unavailable_accounts and account not in self.unavailable_accounts:
            return None
        if any(route.startswith(prefix) for prefix in self.unavailable_routes):
            return self.unavailable_status
        return None

    @property
    def active(self) -> bool:
        """Whether any fault can be injected at all."""
        return bool(
            self.burst_429_every or self.p_5xx or (self.p_slow and self.slow_seconds)
            or self.p_truncated or self.repeat_page_once
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the string tuples become lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Builds a config from JSON; unknown keys and wrong types raise ``ValueError``."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            kind = known[name]
            if kind == "tuple[str, ...]":
                if not isinstance(value, list | tuple):
                    raise ValueError(f"{name} must be a list of strings")
                values[name] = tuple(value)
            elif kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
                values[name] = value
            elif kind == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"{name} must be an integer")
                values[name] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{name} must be a number")
                values[name] = float(value)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do to one request."""

    burst_429: bool = False
    error_status: int | None = None
    slow_seconds: float = 0.0
    truncate: bool = False


NO_FAULT = FaultDecision()


def decide(config: FaultConfig, seq: int) -> FaultDecision:
    """The faults for the ``seq``-th request (1-based) since ``config`` took effect."""
    if not config.active:
        return NO_FAULT
    every = config.burst_429_every
    if every and seq >= every and seq % every < config.burst_429_length:
        return FaultDecision(burst_429=True)
    # A fixed number of draws per request keeps each decision independent of the others'
    # probabilities: raising p_5xx does not reshuffle which requests are slow.
    rng = random.Random(f"{config.seed}/{seq}")
    u_error, u_status, u_slow, u_truncate = (rng.random() for _ in range(4))
    error = None
    if u_error < config.p_5xx:
        error = ERROR_STATUSES[int(u_status * len(ERROR_STATUSES))]
    slow = config.slow_seconds if u_slow < config.p_slow else 0.0
    truncate = error is None and u_truncate < config.p_truncated
    return FaultDecision(error_status=error, slow_seconds=slow, truncate=truncate)
