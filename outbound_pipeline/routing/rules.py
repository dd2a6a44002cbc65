"""Routing rules: which Smartlead campaign a healthy lead goes to (seed 001).

Rules live in a YAML file (or a table) per organization::

    rules:
      - id: vp-enterprise
        organization: acme          # default: "default"
        connection: acme_smartlead  # the Smartlead connection that owns the campaign
        persona: VP Sales
        min_score: 80               # default: 0
        campaign_id: 123456
        priority: 100

A lead is matched against the rules of its own organization only, highest priority first (rules
of equal priority in the order they are listed). A rule matches when its persona is the lead's
(case-insensitive, surrounding spaces ignored, otherwise exact) and the lead's score is at least
its ``min_score``; a lead without a score matches only rules with ``min_score`` 0. The first
match wins; no match leaves the lead in the holding pool.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from outbound_pipeline.routing.leads import DEFAULT_ORGANIZATION, IntakeLead

_REQUIRED_TEXT = ("id", "connection", "persona")
_RULE_KEYS = ("id", "organization", "connection", "persona", "min_score", "campaign_id",
              "priority")
_ROW_KEYS = (*_RULE_KEYS, "position")


class RoutingRulesError(ValueError):
    """Routing rules that cannot be used; ``problems`` names the rule (index and id) and the
    field of each problem."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


@dataclass(frozen=True, kw_only=True)
class RoutingRule:
    id: str
    organization: str = DEFAULT_ORGANIZATION
    connection: str
    persona: str
    min_score: float = 0.0
    campaign_id: str
    priority: int
    position: int = 0
    """The rule's place in its file (or table), which breaks ties of priority."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "campaign_id", str(self.campaign_id))
        object.__setattr__(self, "min_score", float(self.min_score))

    def matches(self, lead: IntakeLead) -> bool:
        """Whether the lead has this rule's persona and a score of at least its minimum (a lead
        without a score: only when the minimum is 0). The organization is not looked at."""
        persona = _persona(lead.persona)
        if persona is None or persona != _persona(self.persona):
            return False
        if lead.score is None:
            return self.min_score == 0
        return lead.score >= self.min_score


def load_rules(text: str) -> list[RoutingRule]:
    """The rules of a YAML document ``{"rules": [...]}``, in file order.

    Raises :class:`RoutingRulesError` listing every problem at once: invalid YAML, a missing or
    empty required field, a wrong type, a negative ``min_score``, a duplicate id, an unknown key.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RoutingRulesError(f"the routing rules are not valid YAML: {exc}") from None
    if not isinstance(document, Mapping) or "rules" not in document:
        raise RoutingRulesError("the routing rules must be a mapping with a `rules` list")
    problems = [f"unknown top-level key {key!r}" for key in document if key != "rules"]
    entries = document["rules"]
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise RoutingRulesError(f"`rules` must be a list, got {type(entries).__name__}")
    return _validated(entries, _RULE_KEYS, problems)


def rules_from_rows(rows: Sequence[Mapping[str, Any]]) -> list[RoutingRule]:
    """The rules of rows read back from a table (the same fields, plus an optional
    ``position``; without it a row's index is its position), with the same validation as
    :func:`load_rules`."""
    return _validated(list(rows), _ROW_KEYS, [])


def resolve(lead: IntakeLead, rules: Sequence[RoutingRule]) -> RoutingRule | None:
    """The rule that routes the lead: the first match among its organization's rules by
    priority (highest first), then position. None means the holding pool."""
    candidates = [rule for rule in rules if rule.organization == lead.organization]
    candidates.sort(key=lambda rule: (-rule.priority, rule.position))
    return next((rule for rule in candidates if rule.matches(lead)), None)


def _validated(
    entries: list[Any], allowed: tuple[str, ...], problems: list[str]
) -> list[RoutingRule]:
    rules: list[RoutingRule] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.append(f"rules[{index}]: expected a mapping, got {type(entry).__name__}")
            continue
        rule_id = entry.get("id")
        where = f"rules[{index}]"
        if isinstance(rule_id, str) and rule_id.strip():
            rule_id = rule_id.strip()
            where += f" ({rule_id!r})"
            if rule_id in first_index:
                problems.append(f"{where}: id is already used by rules[{first_index[rule_id]}]")
            else:
                first_index[rule_id] = index
        own: list[str] = []
        rule = _rule(entry, index, allowed, own)
        problems.extend(f"{where}: {problem}" for problem in own)
        if rule is not None:
            rules.append(rule)
    if problems:
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        raise RoutingRulesError(
            f"{count} in the routing rules:\n" + "\n".join(problems), problems)
    return sorted(rules, key=lambda rule: rule.position)


def _rule(
    entry: Mapping[str, Any], index: int, allowed: tuple[str, ...], problems: list[str]
) -> RoutingRule | None:
    """The rule of one entry, or None with its problems added (each naming the field)."""
    problems.extend(f"unknown field {key!r}" for key in entry if key not in allowed)
    values: dict[str, Any] = {}
    for name in _REQUIRED_TEXT:
        values[name] = _required_text(entry, name, problems)

    organization = entry.get("organization")
    if organization is None:
        values["organization"] = DEFAULT_ORGANIZATION
    elif not isinstance(organization, str):
        problems.append(f"organization must be text, got {organization!r}")
    elif not organization.strip():
        problems.append("organization is empty")
    else:
        values["organization"] = organization.strip()

    min_score = entry.get("min_score")
    if min_score is None:
        values["min_score"] = 0.0
    elif isinstance(min_score, bool) or not isinstance(min_score, int | float | Decimal):
        problems.append(f"min_score must be a number, got {min_score!r}")
    elif not math.isfinite(min_score):
        problems.append(f"min_score must be a finite number, got {min_score!r}")
    elif min_score < 0:
        problems.append(f"min_score must not be negative, got {min_score!r}")
    else:
        values["min_score"] = float(min_score)

    campaign_id = entry.get("campaign_id")
    if campaign_id is None:
        problems.append("campaign_id is required")
    elif isinstance(campaign_id, bool) or not isinstance(campaign_id, str | int):
        problems.append(f"campaign_id must be text or a whole number, got {campaign_id!r}")
    elif isinstance(campaign_id, int) and campaign_id <= 0:
        problems.append(f"campaign_id must be positive, got {campaign_id!r}")
    elif not str(campaign_id).strip():
        problems.append("campaign_id is empty")
    else:
        values["campaign_id"] = str(campaign_id).strip()

    values["priority"] = _integer(entry, "priority", problems, required=True)
    position = _integer(entry, "position", problems, required=False)
    values["position"] = index if position is None else position

    if problems:
        return None
    return RoutingRule(**values)


def _required_text(entry: Mapping[str, Any], name: str, problems: list[str]) -> str | None:
    value = entry.get(name)
    if value is None:
        problems.append(f"{name} is required")
    elif not isinstance(value, str):
        problems.append(f"{name} must be text, got {value!r}")
    elif not value.strip():
        problems.append(f"{name} is empty")
    else:
        return value.strip()
    return None


def _integer(
    entry: Mapping[str, Any], name: str, problems: list[str], *, required: bool
) -> int | None:
    value = entry.get(name)
    if value is None:
        if required:
            problems.append(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{name} must be a whole number, got {value!r}")
        return None
    return value


def _persona(value: str | None) -> str | None:
    """A persona as compared: trimmed and case-folded; None when empty."""
    if not isinstance(value, str):
        return None
    return value.strip().casefold() or None
