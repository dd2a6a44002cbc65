"""Campaigns and accounts: loading the YAML file, every validation rule with its path, and the
dict round trip the job stores in the warehouse."""

from __future__ import annotations

import json
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound_pipeline.linkedin.calendar import WorkingCalendar
from outbound_pipeline.linkedin.campaign import (
    Account,
    Campaign,
    CampaignError,
    CampaignsFile,
    Step,
    account_from_dict,
    account_to_dict,
    campaign_from_dict,
    campaign_to_dict,
    load_campaigns,
)

ACCOUNT = """
accounts:
  - account_id: t5XY4
    connection: linkedin_main
    timezone: Europe/London
"""

EXAMPLE = """
accounts:
  - account_id: t5XY4
    connection: linkedin_main      # a unipile connection in connections.yaml
    timezone: Europe/London
    daily_invite_limit: 20
    daily_message_limit: 80
  - account_id: 12345
    connection: linkedin_second
campaigns:
  - campaign_id: uk-cfo
    name: UK CFO outreach
    client: ProForecast
    account_id: t5XY4
    timezone: Europe/London
    working_hours: {start: "08:30", end: "17:00"}
    workdays: [mon, tue, wed, thu]
    holidays: [2026-12-25, 2026-12-28]
    status: paused
    steps:
      - invite: "Hi {{first_name}}, I work with finance teams at companies like {{company}}."
      - message: "Thanks for connecting, {{first_name}}!"
        delay_days: 0
      - message: "Following up."
        delay_days: 3
  - campaign_id: us_ops
    name: US ops
    account_id: 12345
    timezone: America/New_York
    steps:
      - invite: null
      - message: "Hello {{ first_name | there }}"
        delay_days: 1
"""


def campaign_yaml(steps: str = "", **fields: str) -> str:
    """A file with the account t5XY4 and one campaign; ``fields`` replace or add lines."""
    values = {"campaign_id": "uk-cfo", "name": "UK CFO", "account_id": "t5XY4",
              "timezone": "Europe/London", **fields}
    lines = [f"    {key}: {value}" for key, value in values.items() if value is not None]
    steps = steps or """
      - invite: "Hi {{first_name}}"
      - message: "Thanks!"
        delay_days: 0"""
    return ACCOUNT + "campaigns:\n  - " + "\n".join(lines).lstrip() + "\n    steps:" + steps + "\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(CampaignError) as raised:
        load_campaigns(text, "campaigns.yaml")
    return list(raised.value.problems)


def campaign(**fields) -> Campaign:
    values = {"campaign_id": "uk-cfo", "name": "UK CFO", "account_id": "t5XY4",
              "timezone": "Europe/London",
              "steps": (Step("invite", "Hi {{first_name}}"), Step("message", "Thanks!", 0)),
              **fields}
    return Campaign(**values)


# Loading


def test_the_example_file_is_read_with_every_field():
    file = load_campaigns(EXAMPLE)
    assert file.accounts == (
        Account("t5XY4", "linkedin_main", "Europe/London", 20, 80),
        Account("12345", "linkedin_second", "UTC", 25, 100))
    uk, us = file.campaigns
    assert uk == Campaign(
        campaign_id="uk-cfo", name="UK CFO outreach", client="ProForecast", account_id="t5XY4",
        timezone="Europe/London", working_hours=(time(8, 30), time(17)),
        workdays=frozenset({0, 1, 2, 3}),
        holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}), status="paused",
        steps=(Step("invite", "Hi {{first_name}}, I work with finance teams at companies like "
                              "{{company}}."),
               Step("message", "Thanks for connecting, {{first_name}}!", 0),
               Step("message", "Following up.", 3)))
    assert not uk.is_active
    assert (us.client, us.status, us.working_hours, us.workdays, us.holidays) == (
        None, "active", (time(9), time(17)), frozenset(range(5)), frozenset())
    assert us.steps[0] == Step("invite", None, 0)
    assert file.account_of(us).connection == "linkedin_second"
    assert file.campaign("us_ops") is us


def test_the_campaign_calendar():
    uk = load_campaigns(EXAMPLE).campaigns[0]
    assert uk.calendar == WorkingCalendar("Europe/London", time(8, 30), time(17),
                                          frozenset({0, 1, 2, 3}),
                                          frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
    assert uk.calendar is uk.calendar


@pytest.mark.parametrize("invite", ["null", "{}", '""', "'   '"])
def test_an_invite_without_note(invite):
    (only,) = load_campaigns(campaign_yaml(f"""
      - invite: {invite}
      - message: "Thanks!"
        delay_days: 0""")).campaigns
    assert only.steps[0].text is None


def test_workdays_may_be_full_names_in_any_case():
    (only,) = load_campaigns(campaign_yaml(workdays="[Monday, TUE, sun]")).campaigns
    assert only.workdays == frozenset({0, 1, 6})


def test_an_empty_file_has_nothing():
    assert load_campaigns("") == CampaignsFile((), ())
    assert load_campaigns("accounts: []\ncampaigns:\n") == CampaignsFile((), ())


def test_lookups_of_unknown_ids_name_them():
    file = load_campaigns(EXAMPLE)
    with pytest.raises(KeyError, match="nope"):
        file.account("nope")
    with pytest.raises(KeyError, match="nope"):
        file.campaign("nope")


# Validation: each rule, with its path


def test_the_path_names_the_campaign_the_step_and_the_field():
    problems = problems_of(campaign_yaml("""
      - invite: "Hi"
      - message: "One"
        delay_days: 0
      - message: "Two"
        delay_days: -1"""))
    assert problems == [
        "campaigns[0] (uk-cfo).steps[2].delay_days: must be a whole number >= 0, got -1"]


@pytest.mark.parametrize("steps,expected", [
    ("""
      - message: "Thanks!"
        delay_days: 0""", ["steps[0]: the first step must be the invite"]),
    ("""
      - invite: "Hi"
      - message: "Thanks!"
        delay_days: 0
      - invite: "Again" """, ["steps[2]: only the first step may be an invite"]),
    ("""
      - invite: "Hi" """, ["steps: at least one message step is required after the invite"]),
    (" []", ["steps: at least two steps are required: the invite, then a message"]),
    ("""
      - invite: "Hi"
        delay_days: 2
      - message: "Thanks!"
        delay_days: 0""", ["steps[0].delay_days: must be 0 for the invite"]),
    ("""
      - invite: "Hi"
      - message: "Thanks!"
        delay_days: 1.5""", ["steps[1].delay_days: must be a whole number >= 0, got 1.5"]),
    ("""
      - invite: "Hi"
      - message: "Thanks!"
        delay_days: yes""", ["steps[1].delay_days: must be a whole number >= 0, got True"]),
    ("""
      - invite: "Hi"
      - message: "Thanks!" """, ["steps[1].delay_days: is required for a message"]),
    ("""
      - invite: "Hi"
      - message: null
        delay_days: 0""", ["steps[1].message: must be the message text"]),
    ("""
      - invite: "Hi"
      - message: "  "
        delay_days: 0""", ["steps[1].message: the message text is empty"]),
    ("""
      - invite: "Hi {{ first_name"
      - message: "Thanks {{name}}}}"
        delay_days: 0""", ["steps[0].invite: '{{' at position 3 is never closed",
                           "steps[1].message: '}}' at position 15 has no matching"]),
    ("""
      - invite: {note: hi}
      - message: "Thanks"
        delay_days: 0""", ["steps[0].invite: must be the note text, null or {}"]),
    ("""
      - invite: "Hi"
        message: "Both"
      - message: "Thanks"
        delay_days: 0""", ["steps[0]: a step has exactly one of `invite` or `message`"]),
    ("""
      - invite: "Hi"
      - message: "Thanks"
        delay: 2""", ["steps[1]: unknown key 'delay'",
                      "steps[1].delay_days: is required for a message"]),
    ("""
      - "just text"
      - message: "Thanks"
        delay_days: 0""", ["steps[0]: expected a mapping with `invite` or `message`"]),
])
def test_step_rules(steps, expected):
    problems = problems_of(campaign_yaml(steps))
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(f"campaigns[0] (uk-cfo).{start}"), problem


def test_a_connection_note_over_300_characters_is_refused():
    note = "x" * 301
    problems = problems_of(campaign_yaml(f"""
      - invite: "{note}"
      - message: "Thanks"
        delay_days: 0"""))
    assert problems == ["campaigns[0] (uk-cfo).steps[0].invite: the connection note is at least "
                        "301 characters; LinkedIn allows at most 300"]
    # Placeholders count one character at least: 299 characters and a name are too many.
    assert problems_of(campaign_yaml(f"""
      - invite: "{"x" * 300}{{{{first_name}}}}"
      - message: "Thanks"
        delay_days: 0"""))
    load_campaigns(campaign_yaml(f"""
      - invite: "{"x" * 300}"
      - message: "Thanks"
        delay_days: 0"""))


@pytest.mark.parametrize("fields,expected", [
    ({"campaign_id": "'UK CFO'"}, "campaign_id: must be a slug"),
    ({"campaign_id": "-cfo"}, "campaign_id: must be a slug"),
    ({"name": '" "'}, "name: must be non-empty text"),
    ({"name": None}, "name: is required"),
    ({"timezone": "Europe/Lodnon"}, "timezone: unknown timezone 'Europe/Lodnon'"),
    ({"timezone": None}, "timezone: is required"),
    ({"working_hours": '{start: "17:00", end: "09:00"}'},
     "working_hours: start 17:00 must be before end 09:00"),
    ({"working_hours": '{start: "9am", end: "17:00"}'}, "working_hours.start: must be a time"),
    ({"working_hours": '{start: "09:00"}'}, "working_hours.end: is required"),
    ({"working_hours": '{start: 9:00, end: "17:00"}'},
     'working_hours.start: must be a quoted time such as "09:00"; unquoted, YAML reads 9:00 '
     "as the number 540"),
    ({"workdays": "[]"}, "workdays: at least one workday is required"),
    ({"workdays": "[mon, funday]"}, "workdays[1]: unknown day 'funday'"),
    ({"workdays": "mon"}, "workdays: must be a list"),
    ({"holidays": "[2026-13-01]"}, "holidays[0]: must be a date such as 2026-12-25"),
    ({"holidays": "[2026-12-25 10:00]"}, "holidays[0]: must be a date"),
    ({"status": "running"}, "status: must be 'active' or 'paused'"),
    ({"client": "[a, b]"}, "client: must be non-empty text"),
    ({"colour": "blue"}, ": unknown key 'colour'"),
])
def test_campaign_field_rules(fields, expected):
    problems = problems_of(campaign_yaml(**fields))
    assert len(problems) == 1, problems
    assert problems[0].startswith("campaigns[0]")
    assert expected in problems[0]


def test_a_campaign_must_use_a_declared_account():
    problems = problems_of(campaign_yaml(account_id="other"))
    assert problems == ["campaigns[0] (uk-cfo).account_id: unknown account 'other' "
                        "(declared accounts: t5XY4)"]


@pytest.mark.parametrize("fields,expected", [
    ("daily_invite_limit: 201", "daily_invite_limit: 201 is above the hard maximum of 200: "
                                "LinkedIn restricts accounts that exceed safe daily volumes"),
    ("daily_message_limit: 501", "daily_message_limit: 501 is above the hard maximum of 500"),
    ("daily_invite_limit: -1", "daily_invite_limit: must be a whole number >= 0"),
    ("daily_message_limit: 1.5", "daily_message_limit: must be a whole number >= 0"),
    ("timezone: Mars/Base", "timezone: unknown timezone 'Mars/Base'"),
    ("colour: blue", "accounts[0] (a1): unknown key 'colour'"),
])
def test_account_rules(fields, expected):
    problems = problems_of(f"accounts:\n  - account_id: a1\n    connection: c\n    {fields}\n")
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_limits_at_the_hard_maxima_and_zero_are_allowed():
    assert Account("a", "c", daily_invite_limit=200, daily_message_limit=500)
    assert Account("a", "c", daily_invite_limit=0, daily_message_limit=0)


def test_duplicate_ids_are_refused():
    text = ACCOUNT + """  - account_id: t5XY4
    connection: other
campaigns:
""" + "\n".join(f"""  - campaign_id: uk-cfo
    name: Copy {n}
    account_id: t5XY4
    timezone: UTC
    steps: [{{invite: null}}, {{message: hi, delay_days: 1}}]""" for n in range(2))
    assert problems_of(text) == [
        "accounts[1] (t5XY4).account_id: 't5XY4' is already used by accounts[0] (t5XY4)",
        "campaigns[1] (uk-cfo).campaign_id: 'uk-cfo' is already used by campaigns[0] (uk-cfo)"]


def test_every_problem_is_reported_at_once():
    text = """
accounts:
  - account_id: a1
    daily_invite_limit: 300
campaigns:
  - campaign_id: UK
    name: x
    account_id: nope
    timezone: Nowhere/City
    steps:
      - message: "hi"
        delay_days: -2
oops: 1
"""
    with pytest.raises(CampaignError) as raised:
        load_campaigns(text, "campaigns.yaml")
    assert raised.value.problems == (
        "unknown top-level key 'oops'; expected accounts, campaigns",
        "accounts[0] (a1).connection: is required",
        "accounts[0] (a1).daily_invite_limit: 300 is above the hard maximum of 200: LinkedIn "
        "restricts accounts that exceed safe daily volumes",
        "campaigns[0] (UK).campaign_id: must be a slug of lower-case letters, digits, '-' and "
        "'_', starting with a letter or digit; got 'UK'",
        "campaigns[0] (UK).timezone: unknown timezone 'Nowhere/City': expected an IANA name "
        "such as Europe/London",
        "campaigns[0] (UK).steps[0].delay_days: must be a whole number >= 0, got -2",
        "campaigns[0] (UK).account_id: unknown account 'nope' (declared accounts: a1)",
    )
    assert str(raised.value).startswith("7 problems in campaigns.yaml:\n")


@pytest.mark.parametrize("text,expected", [
    ("accounts: [", "campaigns.yaml is not valid YAML"),
    ("- a\n- b\n", "must be a mapping with `accounts` and `campaigns`"),
    ("accounts: {a: 1}\n", "accounts: must be a list"),
    ("campaigns:\n  - 5\n", "campaigns[0]: expected a mapping, got int"),
])
def test_malformed_files(text, expected):
    with pytest.raises(CampaignError, match=None) as raised:
        load_campaigns(text, "campaigns.yaml")
    assert expected in str(raised.value)


def test_constructing_an_invalid_campaign_or_step_directly_is_refused():
    with pytest.raises(CampaignError, match="steps: at least one message step"):
        campaign(steps=(Step("invite"),))
    with pytest.raises(CampaignError, match="delay_days: must be a whole number"):
        Step("message", "hi", -1)
    with pytest.raises(CampaignError, match="kind: must be 'invite' or 'message'"):
        Step("email", "hi")
    with pytest.raises(CampaignError) as raised:
        campaign(campaign_id="UK", timezone="Nowhere/City", working_hours=(time(17), time(9)))
    assert len(raised.value.problems) == 3


# The dict round trip


def test_campaign_dicts_round_trip_through_json():
    for original in load_campaigns(EXAMPLE).campaigns:
        data = json.loads(json.dumps(campaign_to_dict(original)))
        assert campaign_from_dict(data) == original
    assert campaign_to_dict(load_campaigns(EXAMPLE).campaigns[0]) == {
        "campaign_id": "uk-cfo", "name": "UK CFO outreach", "client": "ProForecast",
        "account_id": "t5XY4", "timezone": "Europe/London",
        "working_hours": {"start": "08:30", "end": "17:00"},
        "workdays": ["mon", "tue", "wed", "thu"], "holidays": ["2026-12-25", "2026-12-28"],
        "status": "paused",
        "steps": [
            {"invite": "Hi {{first_name}}, I work with finance teams at companies like "
                       "{{company}}."},
            {"message": "Thanks for connecting, {{first_name}}!", "delay_days": 0},
            {"message": "Following up.", "delay_days": 3}]}


def test_account_dicts_round_trip():
    account = Account("t5XY4", "linkedin_main", "Europe/London", 20, 80)
    assert account_from_dict(json.loads(json.dumps(account_to_dict(account)))) == account
    assert account_from_dict({"account_id": "a", "connection": "c"}) == Account("a", "c")


def test_dicts_are_validated_with_paths():
    data = campaign_to_dict(campaign())
    data["steps"][1]["delay_days"] = -1
    with pytest.raises(CampaignError) as raised:
        campaign_from_dict(data)
    assert raised.value.problems == (
        "campaign (uk-cfo).steps[1].delay_days: must be a whole number >= 0, got -1",)
    with pytest.raises(CampaignError, match=r"account \(a\).daily_invite_limit"):
        account_from_dict({"account_id": "a", "connection": "c", "daily_invite_limit": 999})


SLUGS = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True)
TEXTS = st.text(alphabet=st.characters(blacklist_characters="{}|", blacklist_categories=("Cs",)),
                min_size=1, max_size=40).filter(lambda text: text.strip() == text and text)


@st.composite
def campaigns(draw: st.DrawFn) -> Campaign:
    opening = draw(st.integers(0, 22 * 60))
    closing = draw(st.integers(opening + 1, 24 * 60 - 1))
    messages = draw(st.lists(st.tuples(TEXTS, st.integers(0, 30)), min_size=1, max_size=4))
    return Campaign(
        campaign_id=draw(SLUGS), name=draw(TEXTS), client=draw(st.none() | TEXTS),
        account_id=draw(TEXTS), timezone=draw(st.sampled_from(["UTC", "Europe/London",
                                                                 "Asia/Kolkata"])),
        working_hours=(time(*divmod(opening, 60)), time(*divmod(closing, 60))),
        workdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        holidays=draw(st.frozensets(st.dates(date(2020, 1, 1), date(2035, 12, 31)),
                                    max_size=5)),
        status=draw(st.sampled_from(["active", "paused"])),
        steps=(Step("invite", draw(st.none() | TEXTS)),
               *(Step("message", text, delay) for text, delay in messages)))


@settings(max_examples=100, deadline=None)
@given(campaigns())
def test_any_valid_campaign_round_trips(original):
    assert campaign_from_dict(json.loads(json.dumps(campaign_to_dict(original)))) == original
