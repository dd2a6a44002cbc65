"""Routing rules: loading and validating them, and resolving the rule for a lead (seed 001)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from outbound_pipeline.routing.leads import IntakeLead
from outbound_pipeline.routing.rules import (
    RoutingRule,
    RoutingRulesError,
    load_rules,
    resolve,
    rules_from_rows,
)

SEED_RULES = """
rules:
  - id: vp-enterprise
    organization: acme
    connection: acme_smartlead
    persona: VP Sales
    min_score: 80
    campaign_id: 123456
    priority: 100
  - id: vp-standard
    organization: acme
    connection: acme_smartlead
    persona: VP Sales
    min_score: 60
    campaign_id: "123457"
    priority: 90
  - id: marketing
    organization: acme
    connection: acme_smartlead
    persona: Marketing Manager
    min_score: 70
    campaign_id: 123458
    priority: 80
"""


def lead(persona: str | None = "VP Sales", score: float | None = 85, **fields) -> IntakeLead:
    return IntakeLead("jo@corp.com", persona=persona, score=score,
                      organization=fields.pop("organization", "acme"), **fields)


def rule(id: str, priority: int, position: int, **fields) -> RoutingRule:
    values = {"organization": "acme", "connection": "acme_smartlead", "persona": "VP Sales",
              "campaign_id": f"c-{id}", **fields}
    return RoutingRule(id=id, priority=priority, position=position, **values)


def routed(lead: IntakeLead, rules: list[RoutingRule]) -> str | None:
    match = resolve(lead, rules)
    return match.id if match else None


def test_load_rules_reads_every_field():
    rules = load_rules(SEED_RULES)
    assert rules[0] == RoutingRule(
        id="vp-enterprise", organization="acme", connection="acme_smartlead",
        persona="VP Sales", min_score=80.0, campaign_id="123456", priority=100, position=0)
    assert [(r.id, r.campaign_id, r.position) for r in rules] == [
        ("vp-enterprise", "123456", 0), ("vp-standard", "123457", 1), ("marketing", "123458", 2)]


def test_defaults_for_organization_and_min_score():
    (only,) = load_rules(
        "rules:\n- {id: a, connection: c, persona: CTO, campaign_id: 1, priority: 5}\n")
    assert (only.organization, only.min_score) == ("default", 0.0)


def test_an_empty_rules_list_is_allowed():
    assert load_rules("rules: []\n") == []
    assert load_rules("rules:\n") == []


@pytest.mark.parametrize("persona,score,expected", [
    ("VP Sales", 85, "vp-enterprise"),
    ("VP Sales", 80, "vp-enterprise"),      # at min_score
    ("VP Sales", 79.9, "vp-standard"),      # just below: the next rule
    ("VP Sales", 60, "vp-standard"),
    ("VP Sales", 59, None),                 # below every VP rule: holding pool
    ("Marketing Manager", 95, "marketing"),
    ("  vp sales ", 90, "vp-enterprise"),   # case and surrounding spaces do not matter
    ("VP SALES", 61, "vp-standard"),
    ("VP  Sales", 90, None),                # otherwise exact
    ("VP Sales EMEA", 90, None),
    ("CTO", 99, None),
    (None, 99, None),
])
def test_seed_example_routing(persona, score, expected):
    assert routed(lead(persona, score), load_rules(SEED_RULES)) == expected


def test_highest_priority_first_whatever_the_order():
    rules = [rule("low", 10, 0), rule("high", 50, 1), rule("mid", 30, 2)]
    assert routed(lead(), rules) == "high"


def test_ties_in_priority_go_to_the_rule_listed_first():
    rules = [rule("second", 10, 1), rule("first", 10, 0), rule("third", 10, 2)]
    assert routed(lead(), rules) == "first"
    loaded = load_rules(
        "rules:\n"
        "- {id: b, connection: c, persona: VP Sales, campaign_id: 2, priority: 10}\n"
        "- {id: a, connection: c, persona: VP Sales, campaign_id: 1, priority: 10}\n")
    assert resolve(lead(organization="default"), loaded).id == "b"


def test_a_lead_without_score_matches_only_rules_without_minimum():
    rules = [rule("scored", 100, 0, min_score=1), rule("open", 10, 1, min_score=0)]
    assert routed(lead(score=None), rules) == "open"
    assert routed(lead(score=None), rules[:1]) is None
    assert routed(lead(score=0), rules) == "open"


def test_only_rules_of_the_lead_organization():
    rules = [rule("other-org", 100, 0, organization="globex"), rule("acme", 1, 1)]
    assert routed(lead(), rules) == "acme"
    assert routed(lead(organization="globex"), rules) == "other-org"
    assert routed(lead(organization="initech"), rules) is None


def test_no_rules_means_the_holding_pool():
    assert resolve(lead(), []) is None


def test_every_problem_is_reported_at_once():
    text = """
extra: 1
rules:
  - id: vp
    connection: acme_smartlead
    persona: VP Sales
    min_score: -5
    campaign_id: 123
    priority: high
    campaign: 9
  - id: vp
    organization: ""
    connection: 7
    persona: "  "
    campaign_id: 0
  - id: 12
    connection: c
    persona: CTO
    min_score: "80"
    campaign_id: true
    priority: 1
  - just a string
"""
    with pytest.raises(RoutingRulesError) as raised:
        load_rules(text)
    assert raised.value.problems == (
        "unknown top-level key 'extra'",
        "rules[0] ('vp'): unknown field 'campaign'",
        "rules[0] ('vp'): min_score must not be negative, got -5",
        "rules[0] ('vp'): priority must be a whole number, got 'high'",
        "rules[1] ('vp'): id is already used by rules[0]",
        "rules[1] ('vp'): connection must be text, got 7",
        "rules[1] ('vp'): persona is empty",
        "rules[1] ('vp'): organization is empty",
        "rules[1] ('vp'): campaign_id must be positive, got 0",
        "rules[1] ('vp'): priority is required",
        "rules[2]: id must be text, got 12",
        "rules[2]: min_score must be a number, got '80'",
        "rules[2]: campaign_id must be text or a whole number, got True",
        "rules[3]: expected a mapping, got str",
    )
    assert str(raised.value).startswith("14 problems in the routing rules:\n")


@pytest.mark.parametrize("text,message", [
    ("rules: [", "not valid YAML"),
    ("", "a mapping with a `rules` list"),
    ("- id: a\n", "a mapping with a `rules` list"),
    ("rules: {id: a}\n", "`rules` must be a list"),
    ("rules:\n- {connection: c, persona: p, campaign_id: 1, priority: 1}\n",
     r"rules\[0\]: id is required"),
])
def test_documents_that_are_not_rules(text, message):
    with pytest.raises(RoutingRulesError, match=message):
        load_rules(text)


def test_rules_from_rows_validate_the_same_and_keep_positions():
    rows = [
        {"id": "b", "organization": "acme", "connection": "c", "persona": "CTO",
         "min_score": Decimal("50"), "campaign_id": "2", "priority": 5, "position": 1},
        {"id": "a", "organization": "acme", "connection": "c", "persona": "CTO",
         "min_score": None, "campaign_id": 1, "priority": 5, "position": 0},
    ]
    rules = rules_from_rows(rows)
    assert [(r.id, r.position, r.min_score, r.campaign_id) for r in rules] == [
        ("a", 0, 0.0, "1"), ("b", 1, 50.0, "2")]
    with pytest.raises(RoutingRulesError, match=r"rules\[0\] \('a'\): unknown field 'note'"):
        rules_from_rows([{**rows[1], "note": "x"}])
