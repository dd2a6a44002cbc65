"""The LinkedIn marts on both engines: a hand-made history in the ops tables of the
linkedin_steps job, dbt build, and every number checked against the hand count below. Also: the
marts build (empty) on a warehouse where the job never created its tables."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from outbound_pipeline.linkedin_store import ensure_tables
from outbound_pipeline.settings import DBT_PROJECT_DIR
from outbound_pipeline.warehouse import Warehouse

MARTS = ["linkedin_funnel", "linkedin_campaign_funnel", "linkedin_reply_timing",
         "linkedin_replies_by_step", "linkedin_rate_utilisation"]
SELECT = [*(f"+{mart}" for mart in MARTS), "stg_linkedin__accounts"]

D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
NOW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


# The history, by hand. Campaign camp-a (account acc-1, 3 steps):
#   l1  invite D1 09:00, accepted D1 15:00, step 2 D2 09:00, reply D2 13:00 (after step 2)
#   l2  invite D1 09:10, accepted D2 08:00, step 2 D2 09:10, step 3 D3 09:10, reply D3 19:40
#   l3  invite D1 09:20, accepted D1 10:20, reply D1 12:20 (after the invite only)
#   l4  invite D1 09:30, accepted 01:00 +02:00 on D2 (= D1 23:00 UTC), step 2 D3 09:30
#   l5  invite D1 09:40, never accepted
#   l6  found already connected D2 09:00 (no invite sent), step 2 D3 10:00, reply D3 12:00
#   l7  enrolled, nothing yet
#   l8  failed D1 09:50 (profile without provider id)
#   l9  invite D1 10:00, accepted D1 12:00, step 2 D2 10:00, step 3 D3 11:00, finished
# Campaign camp-b (account acc-2): m1 invite D2 10:00, accepted D3 08:00; m2 invite D2 10:05.
# Campaign camp-c: no leads at all.
PLUS_TWO = timezone(timedelta(hours=2))
EVENTS = [
    # (event_type, campaign, lead, step_number, occurred_at, detail)
    ("invite_sent", "camp-a", "l1", 1, at(D1, 9, 0), None),
    ("connection_accepted", "camp-a", "l1", None, at(D1, 15, 0), "relations"),
    ("message_sent", "camp-a", "l1", 2, at(D2, 9, 0), None),
    ("reply_received", "camp-a", "l1", 2, at(D2, 13, 0), None),
    ("invite_sent", "camp-a", "l2", 1, at(D1, 9, 10), None),
    ("connection_accepted", "camp-a", "l2", None, at(D2, 8, 0), "relations"),
    ("message_sent", "camp-a", "l2", 2, at(D2, 9, 10), None),
    ("message_sent", "camp-a", "l2", 3, at(D3, 9, 10), None),
    ("reply_received", "camp-a", "l2", 3, at(D3, 19, 40), None),
    ("invite_sent", "camp-a", "l3", 1, at(D1, 9, 20), None),
    ("connection_accepted", "camp-a", "l3", None, at(D1, 10, 20), "webhook"),
    ("reply_received", "camp-a", "l3", 1, at(D1, 12, 20), None),
    ("invite_sent", "camp-a", "l4", 1, at(D1, 9, 30), None),
    ("connection_accepted", "camp-a", "l4", None,
     datetime(2026, 3, 3, 1, 0, tzinfo=PLUS_TWO), "relations"),
    ("message_sent", "camp-a", "l4", 2, at(D3, 9, 30), None),
    ("invite_sent", "camp-a", "l5", 1, at(D1, 9, 40), None),
    ("connection_accepted", "camp-a", "l6", None, at(D2, 9, 0), "already connected"),
    ("message_sent", "camp-a", "l6", 2, at(D3, 10, 0), None),
    ("reply_received", "camp-a", "l6", 2, at(D3, 12, 0), None),
    ("lead_failed", "camp-a", "l8", None, at(D1, 9, 50), "the profile has no provider_id"),
    ("invite_sent", "camp-a", "l9", 1, at(D1, 10, 0), None),
    ("connection_accepted", "camp-a", "l9", None, at(D1, 12, 0), "relations"),
    ("message_sent", "camp-a", "l9", 2, at(D2, 10, 0), None),
    ("message_sent", "camp-a", "l9", 3, at(D3, 11, 0), None),
    ("invite_sent", "camp-b", "m1", 1, at(D2, 10, 0), None),
    ("connection_accepted", "camp-b", "m1", None, at(D3, 8, 0), "relations"),
    ("invite_sent", "camp-b", "m2", 1, at(D2, 10, 5), None),
]
LEADS = [
    # (campaign, lead, status, steps_done, invited_at, connected_at, replied_at, reply_step)
    ("camp-a", "l1", "replied", 2, at(D1, 9, 0), at(D1, 15, 0), at(D2, 13, 0), 2),
    ("camp-a", "l2", "replied", 3, at(D1, 9, 10), at(D2, 8, 0), at(D3, 19, 40), 3),
    ("camp-a", "l3", "replied", 1, at(D1, 9, 20), at(D1, 10, 20), at(D1, 12, 20), 1),
    ("camp-a", "l4", "messaging", 2, at(D1, 9, 30), at(D1, 23, 0), None, None),
    ("camp-a", "l5", "invited", 1, at(D1, 9, 40), None, None, None),
    ("camp-a", "l6", "replied", 2, at(D2, 9, 0), at(D2, 9, 0), at(D3, 12, 0), 2),
    ("camp-a", "l7", "pending", 0, None, None, None, None),
    ("camp-a", "l8", "failed", 0, None, None, None, None),
    ("camp-a", "l9", "finished", 3, at(D1, 10, 0), at(D1, 12, 0), None, None),
    ("camp-b", "m1", "connected", 1, at(D2, 10, 0), at(D3, 8, 0), None, None),
    ("camp-b", "m2", "invited", 1, at(D2, 10, 5), None, None, None),
]
ACTIONS = [
    # (campaign, lead, account, step_number, kind, usage_day, status)
    *[("camp-a", lead, "acc-1", 1, "invite", D1, "sent")
      for lead in ("l1", "l2", "l3", "l4", "l5", "l9")],
    ("camp-a", "l7", "acc-1", 1, "invite", D1, "pending"),
    ("camp-a", "l8", "acc-1", 1, "invite", D1, "not_sent"),
    *[("camp-a", lead, "acc-1", 2, "message", D2, "sent") for lead in ("l1", "l2", "l9")],
    *[("camp-a", lead, "acc-1", 2, "message", D3, "sent") for lead in ("l4", "l6")],
    *[("camp-a", lead, "acc-1", 3, "message", D3, "sent") for lead in ("l2", "l9")],
    *[("camp-b", lead, "acc-2", 1, "invite", D2, "sent") for lead in ("m1", "m2")],
]
RATE_USAGE = [
    # (account, usage_day, action, used, daily_limit)
    ("acc-1", D1, "invite", 7, 20),
    ("acc-1", D2, "message", 3, 3),
    ("acc-1", D3, "message", 4, 5),
    ("acc-2", D2, "invite", 2, 10),
    ("acc-2", D3, "message", 0, 0),
]


def load_history(warehouse: Warehouse) -> None:
    ensure_tables(warehouse)
    with warehouse.transaction() as tx:
        for account, invites, messages in (("acc-1", 20, 5), ("acc-2", 10, 0)):
            definition = {"account_id": account, "connection": "unipile_main",
                          "timezone": "Europe/Berlin", "daily_invite_limit": invites,
                          "daily_message_limit": messages}
            tx.execute("insert into ops.linkedin_accounts (account_id, connection, definition, "
                       "updated_at) values (?, ?, ?, ?)",
                       (account, "unipile_main", json.dumps(definition), NOW))
        for campaign, name, client, account, status in (
                ("camp-a", "Founders DACH", "Acme", "acc-1", "active"),
                ("camp-b", "CFOs Nordics", "Globex", "acc-2", "active"),
                ("camp-c", "Draft", None, "acc-1", "paused")):
            tx.execute("insert into ops.linkedin_campaigns (campaign_id, name, client, "
                       "account_id, timezone, status, steps, definition, updated_at) values "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (campaign, name, client, account, "Europe/Berlin", status, 3,
                        json.dumps({"campaign_id": campaign}), NOW))
        for (campaign, lead, status, steps_done, invited_at, connected_at, replied_at,
             reply_step) in LEADS:
            account = "acc-1" if campaign == "camp-a" else "acc-2"
            tx.execute("insert into ops.linkedin_leads (campaign_id, lead_id, account_id, "
                       "first_name, variables, status, steps_done, enrolled_at, invited_at, "
                       "connected_at, replied_at, reply_step, updated_at) values "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (campaign, lead, account, lead.upper(), "{}", status, steps_done,
                        at(D1, 8, 0), invited_at, connected_at, replied_at, reply_step, NOW))
        for event_type, campaign, lead, step, occurred_at, detail in EVENTS:
            account = "acc-1" if campaign == "camp-a" else "acc-2"
            key = step or ("first" if event_type == "reply_received" else "accepted")
            tx.execute("insert into ops.linkedin_events (event_id, event_type, campaign_id, "
                       "lead_id, account_id, step_number, occurred_at, detail, recorded_at) "
                       "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (f"{event_type}:{campaign}:{lead}:{key}", event_type, campaign, lead,
                        account, step, occurred_at, detail, NOW))
        for campaign, lead, account, step, kind, day, status in ACTIONS:
            tx.execute("insert into ops.linkedin_actions (action_id, campaign_id, lead_id, "
                       "account_id, step_number, kind, text, usage_day, status, planned_at, "
                       "created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (f"{campaign}:{lead}:{step}", campaign, lead, account, step, kind,
                        "Hi", day, status, at(day, 9, 0), at(day, 9, 0)))
        for account, day, action, used, limit in RATE_USAGE:
            tx.execute("insert into ops.rate_usage (account_id, usage_day, action, used, "
                       "daily_limit, updated_at) values (?, ?, ?, ?, ?, ?)",
                       (account, day, action, used, limit, NOW))


def dbt_build(warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in warehouse.dbt_env().items():
        monkeypatch.setenv(name, value)
    result = dbtRunner().invoke([
        "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path / "dbt_logs"),
        "--select", *SELECT,
    ])
    assert result.success, result.exception


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    return [tuple(float(v) if isinstance(v, float) else v for v in row)
            for row in warehouse.query(sql)]


def test_linkedin_marts_match_the_hand_count(warehouse, tmp_path, monkeypatch):
    load_history(warehouse)
    dbt_build(warehouse, tmp_path, monkeypatch)

    # Per day: l4's acceptance at 01:00 +02:00 on D2 is D1 in UTC; l8's failure is no activity.
    assert rows(warehouse, """
        select campaign_id, campaign_name, client, account_id, day, invites_sent,
               connections_accepted, leads_messaged, messages_sent, replies,
               cumulative_invites_sent, cumulative_connections_accepted,
               cumulative_leads_messaged, cumulative_replies
        from analytics.linkedin_funnel order by campaign_id, day""") == [
        ("camp-a", "Founders DACH", "Acme", "acc-1", D1, 6, 4, 0, 0, 1, 6, 4, 0, 1),
        ("camp-a", "Founders DACH", "Acme", "acc-1", D2, 0, 2, 3, 3, 1, 6, 6, 3, 2),
        ("camp-a", "Founders DACH", "Acme", "acc-1", D3, 0, 0, 2, 4, 2, 6, 6, 5, 4),
        ("camp-b", "CFOs Nordics", "Globex", "acc-2", D2, 2, 0, 0, 0, 0, 2, 0, 0, 0),
        ("camp-b", "CFOs Nordics", "Globex", "acc-2", D3, 0, 1, 0, 0, 0, 2, 1, 0, 0),
    ]

    # Cohort rates: l6 (already connected, never invited) counts as connected and messaged but
    # not in the acceptance rate; l3 (replied to the invite) is not in the messaged cohort.
    funnel = {r[0]: r[1:] for r in rows(warehouse, """
        select campaign_id, campaign_name, client, account_id, status, leads_enrolled,
               leads_invited, leads_connected, leads_messaged, leads_replied, leads_finished,
               leads_failed, acceptance_rate, reply_rate, reply_rate_of_invited,
               median_hours_to_first_reply
        from analytics.linkedin_campaign_funnel""")}
    assert set(funnel) == {"camp-a", "camp-b", "camp-c"}
    assert funnel["camp-a"][:11] == ("Founders DACH", "Acme", "acc-1", "active",
                                     9, 6, 6, 5, 4, 1, 1)
    assert funnel["camp-a"][11:] == pytest.approx((5 / 6, 3 / 5, 3 / 6, 3.0))
    assert funnel["camp-b"][4:11] == (2, 2, 1, 0, 0, 0, 0)
    assert funnel["camp-b"][11] == pytest.approx(0.5)
    assert funnel["camp-b"][12] is None  # nobody messaged
    assert funnel["camp-b"][13] == 0.0
    assert funnel["camp-b"][14] is None  # no reply
    assert funnel["camp-c"] == ("Draft", None, "acc-1", "paused", 0, 0, 0, 0, 0, 0, 0,
                                None, None, None, None)

    timing = {r[1]: r for r in rows(warehouse, """
        select campaign_id, lead_id, account_id, invited_at, connected_at, first_message_at,
               replied_at, reply_step, replied_after_kind, hours_to_first_reply,
               hours_since_last_step
        from analytics.linkedin_reply_timing""")}
    assert sorted(timing) == ["l1", "l2", "l3", "l6"]
    expected = {
        "l1": (at(D1, 9), at(D1, 15), at(D2, 9), at(D2, 13), 2, "message", 4.0, 4.0),
        "l2": (at(D1, 9, 10), at(D2, 8), at(D2, 9, 10), at(D3, 19, 40), 3, "message",
               34.5, 10.5),
        "l3": (at(D1, 9, 20), at(D1, 10, 20), None, at(D1, 12, 20), 1, "invite", 2.0, 3.0),
        # never invited: invited_at falls back on the lead's own column
        "l6": (at(D2, 9), at(D2, 9), at(D3, 10), at(D3, 12), 2, "message", 2.0, 2.0),
    }
    for lead, (invited, connected, first_message, replied, step, kind, hours,
               since_last) in expected.items():
        row = timing[lead]
        assert row[:3] == ("camp-a", lead, "acc-1")
        assert row[3:9] == (invited, connected, first_message, replied, step, kind), lead
        assert row[9:] == pytest.approx((hours, since_last)), lead

    assert rows(warehouse, """
        select campaign_id, step_number, step_kind, leads_sent, replies, reply_rate,
               share_of_replies
        from analytics.linkedin_replies_by_step order by campaign_id, step_number""") == [
        ("camp-a", 1, "invite", 6, 1, pytest.approx(1 / 6), pytest.approx(0.25)),
        ("camp-a", 2, "message", 5, 2, pytest.approx(0.4), pytest.approx(0.5)),
        ("camp-a", 3, "message", 2, 1, pytest.approx(0.5), pytest.approx(0.25)),
        ("camp-b", 1, "invite", 2, 0, pytest.approx(0.0), None),
    ]

    # acc-1's invites: one pending and one not sent beside the six sent; acc-2 has a zero limit.
    assert rows(warehouse, """
        select account_id, usage_day, action, daily_limit, reserved, sent, utilisation,
               headroom, at_limit
        from analytics.linkedin_rate_utilisation order by account_id, usage_day, action""") == [
        ("acc-1", D1, "invite", 20, 7, 6, pytest.approx(0.3), 13, False),
        ("acc-1", D2, "message", 3, 3, 3, pytest.approx(1.0), 0, True),
        ("acc-1", D3, "message", 5, 4, 4, pytest.approx(0.8), 1, False),
        ("acc-2", D2, "invite", 10, 2, 2, pytest.approx(0.2), 8, False),
        ("acc-2", D3, "message", 0, 0, 0, None, 0, True),
    ]

    assert rows(warehouse, """
        select account_id, timezone, daily_invite_limit, daily_message_limit
        from staging.stg_linkedin__accounts order by account_id""") == [
        ("acc-1", "Europe/Berlin", 20, 5), ("acc-2", "Europe/Berlin", 10, 0)]


def test_linkedin_marts_build_empty_before_the_job_created_its_tables(warehouse, tmp_path,
                                                                     monkeypatch):
    assert not warehouse.table_exists("ops", "linkedin_events")
    dbt_build(warehouse, tmp_path, monkeypatch)
    for mart in MARTS:
        assert warehouse.query(f"select count(*) from analytics.{mart}") == [(0,)], mart
