"""The seeded world: determinism, invariants, derived views and planted ground truth."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from outbound_pipeline import clock
from outbound_pipeline.sandbox.world import (
    BLOCKED,
    COMPLETED,
    DECAY_WEEKLY_FACTOR,
    POSITIVE_CATEGORY_IDS,
    STARTED,
    STOPPED,
    DayTally,
    World,
    WorldConfig,
    generate_world,
)

SMALL = WorldConfig(seed=5, n_accounts=2, n_campaigns=10, n_leads=2500, days=120,
                    end_date=date(2026, 1, 15))
DEFAULT = WorldConfig(end_date=date(2026, 1, 15))


@pytest.fixture(scope="module")
def small() -> World:
    return generate_world(SMALL)


@pytest.fixture(scope="module")
def default_world() -> tuple[World, float]:
    started = time.perf_counter()
    world = generate_world(DEFAULT)
    return world, time.perf_counter() - started


def test_default_world_generates_within_budget(default_world: tuple[World, float]) -> None:
    world, seconds = default_world
    assert seconds < 8.0
    assert len(world.leads) == 30_000
    sends_per_lead = len(world.sends) / len(world.leads)
    assert 1.9 <= sends_per_lead <= 2.6


def test_same_config_gives_the_same_world(small: World) -> None:
    again = generate_world(SMALL)
    assert again.fingerprint() == small.fingerprint()
    assert [a.api_key for a in again.accounts] == [a.api_key for a in small.accounts]
    assert again.planted == small.planted


def test_another_seed_gives_another_world(small: World) -> None:
    other = generate_world(replace(SMALL, seed=SMALL.seed + 1))
    assert other.fingerprint() != small.fingerprint()


def test_fresh_accounts_have_a_campaign_that_never_sent(small: World) -> None:
    world = generate_world(replace(SMALL, fresh_accounts=2))
    assert [a.name for a in world.accounts[:2]] == [a.name for a in small.accounts]
    assert world.fingerprint() != small.fingerprint()
    assert {c.id: c.name for c in small.campaigns.values()} == {
        c.id: c.name for c in world.campaigns.values() if c.id in small.campaigns}
    assert len(world.sends) == len(small.sends)  # the regular accounts are as they were
    fresh = world.accounts[2:]
    assert len(fresh) == 2 and len({a.name for a in world.accounts}) == 4
    for account in fresh:
        [campaign] = world.campaigns_of(account.name)
        assert campaign.status == "ACTIVE" and campaign.start_date > world.end_date
        assert world.steps[campaign.id] and world.campaign_leads[campaign.id]
        assert world.campaign_totals[campaign.id].sent == 0
        assert not world.campaign_sends[campaign.id]
        assert world.campaign_stats[campaign.id].lead_stats["notStarted"] == len(
            world.campaign_leads[campaign.id])
        assert world.mailboxes_of(account.name)
        assert all(not world.mailbox_days[m.id] for m in world.mailboxes_of(account.name))

    only = generate_world(WorldConfig(seed=5, n_accounts=0, n_campaigns=0, n_leads=0, days=30,
                                      end_date=date(2026, 1, 15), fresh_accounts=1))
    assert len(only.accounts) == 1 and len(only.campaigns) == 1
    assert not only.sends and not only.replies and only.planted == {}


def test_end_date_defaults_to_today_utc() -> None:
    world = generate_world(WorldConfig(n_accounts=1, n_campaigns=3, n_leads=60, days=20))
    assert world.end_date == clock.now().date()
    assert all(s.sent_time < world.cutoff for s in world.sends)


def test_counts_and_catalogue(small: World) -> None:
    assert len(small.accounts) == 2
    assert len({a.api_key for a in small.accounts}) == 2
    assert len(small.campaigns) == 10
    assert len(small.leads) == 2500
    for account in small.accounts:
        assert account.api_key.startswith(f"slk_sandbox_{account.name}_")
        assert 9 <= len(small.mailboxes_of(account.name)) <= 11
        assert 2 <= len({m.domain for m in small.mailboxes_of(account.name)}) <= 3
    for campaign in small.campaigns.values():
        assert 2 <= len(campaign.mailbox_ids) <= 4
        assert all(small.mailboxes[m].account == campaign.account for m in campaign.mailbox_ids)
        steps = small.steps[campaign.id]
        assert [s.seq_number for s in steps] == list(range(1, len(steps) + 1))
        assert 2 <= len(steps) <= 4
        for step in steps:
            assert 1 <= len(step.variants) <= 3
            assert [v.label for v in step.variants] == list("ABC"[: len(step.variants)])
            if step.seq_number > 1:
                assert 2 <= step.delay_days <= 5
    ids = (
        [c.id for c in small.campaigns.values()] + list(small.mailboxes) + list(small.leads)
        + [lead.map_id for lead in small.leads.values()] + list(small.variants)
        + [s.id for steps in small.steps.values() for s in steps]
        + [a.user_id for a in small.accounts] + [a.client_id for a in small.accounts]
    )
    assert len(ids) == len(set(ids))
    assert len({s.stats_id for s in small.sends}) == len(small.sends)
    assert {c.id for c in small.categories} >= set(range(1, 10))
    assert any(c.id > 10_000 and c.name == "Not Now" for c in small.categories)


def test_copy_looks_like_cold_email(small: World) -> None:
    variants = list(small.variants.values())
    first = [v for v in variants if v.seq_number == 1]
    assert any("{{first_name}}" in v.body for v in variants)
    assert any("{{company_name}}" in v.subject for v in variants)
    assert all("<p>" in v.body or "<br>" in v.body for v in variants)
    assert any("<a href=" in v.body for v in variants)
    assert any(v.subject == "" for v in variants if v.seq_number > 1)
    assert all(v.subject for v in first)


def test_sends_follow_each_lead_through_its_sequence(small: World) -> None:
    campaign_of_lead = {}
    for cid, leads in small.campaign_leads.items():
        for lead in leads:
            assert lead.id not in campaign_of_lead, "a lead belongs to one campaign"
            campaign_of_lead[lead.id] = cid
    assert len(campaign_of_lead) == len(small.leads)
    assert len({lead.email for lead in small.leads.values()}) == len(small.leads)
    first_moment = datetime(SMALL.end_date.year, 1, 1, tzinfo=UTC) - timedelta(days=200)

    for lead in small.leads.values():
        campaign = small.campaigns[lead.campaign_id]
        steps = small.steps[campaign.id]
        sends = small.lead_sends.get(lead.id, [])
        if campaign.status == "DRAFTED":
            assert not sends and lead.status == STARTED
        assert [s.seq_number for s in sends] == list(range(1, len(sends) + 1))
        for earlier, later in zip(sends, sends[1:], strict=False):
            assert earlier.sent_time < later.sent_time
        for s in sends:
            step = steps[s.seq_number - 1]
            assert s.step_id == step.id and s.variant_id in {v.id for v in step.variants}
            assert s.campaign_id == campaign.id and s.mailbox_id in campaign.mailbox_ids
            assert first_moment < s.sent_time < small.cutoff
            for event in (s.open_time, s.click_time, s.reply_time, s.unsubscribe_time):
                assert event is None or s.sent_time <= event < small.cutoff
            if s.click_time is not None:
                assert s.open_time is not None
        stoppers = [s for s in sends if s.bounced or s.reply_time or s.unsubscribe_time]
        assert len(stoppers) <= 1
        if stoppers:
            assert stoppers[0] is sends[-1], "a bounce, reply or unsubscribe stops the lead"
        last = sends[-1] if sends else None
        if last is not None and last.bounced:
            assert lead.status == BLOCKED and lead.category_id == 9
        elif last is not None and last.reply_time is not None:
            assert lead.status == STOPPED and lead.id in small.replies
            assert lead.category_id == small.replies[lead.id].category_id
        else:
            assert lead.category_id is None
            if lead.status == COMPLETED:
                assert len(sends) == len(steps)


def test_weekends_and_holidays_are_quiet(default_world: tuple[World, float]) -> None:
    world, _ = default_world
    by_day = Counter(s.sent_time.date() for s in world.sends)
    weekdays = [n for d, n in by_day.items() if d.weekday() < 5]
    weekends = [by_day.get(d, 0) for d in _days(world) if d.weekday() >= 5]
    assert sum(weekends) / len(weekends) < 0.1 * sum(weekdays) / len(weekdays)
    august = [by_day.get(d, 0) for d in _days(world) if d.month == 8 and d.weekday() < 5]
    october = [by_day.get(d, 0) for d in _days(world) if d.month == 10 and d.weekday() < 5]
    assert sum(august) / len(august) < sum(october) / len(october)


def test_rates_are_realistic(default_world: tuple[World, float]) -> None:
    world, _ = default_world
    delivered = [s for s in world.sends if not s.bounced]
    bounce_rate = 1 - len(delivered) / len(world.sends)
    reply_rate = sum(s.reply_time is not None for s in delivered) / len(delivered)
    open_rate = sum(s.open_time is not None for s in delivered) / len(delivered)
    assert 0.015 <= bounce_rate <= 0.03
    assert 0.025 <= reply_rate <= 0.045
    assert 0.3 <= open_rate <= 0.5


def test_replies_are_varied_and_categorised(default_world: tuple[World, float]) -> None:
    world, _ = default_world
    replies = list(world.replies.values())
    kinds = Counter(r.content.kind for r in replies)
    assert set(kinds) == set(world.kind_categories)
    for reply in replies:
        assert reply.category_id == world.kind_categories[reply.content.kind]
        assert world.leads[reply.lead_id].category_id == reply.category_id
    languages = Counter(r.content.language for r in replies)
    assert 0.07 <= 1 - languages["en"] / len(replies) <= 0.18
    assert {"de", "fr", "es"} <= set(languages)
    texts = [r.content.text for r in replies]
    assert len(set(texts)) > 0.9 * len(texts)
    assert sum(" wrote:" in t for t in texts) > 0.3 * len(texts)
    assert any("schrieb" in t for t in texts) and any("a écrit" in t for t in texts)
    assert any("From: " in t and "Sent: " in t for t in texts)
    ooo = [r for r in replies if r.content.kind == "out_of_office"]
    assert all(r.content.return_date and r.content.return_date > r.time.date() for r in ooo)
    referrals = [r for r in replies if r.content.kind == "referral"]
    assert referrals
    for referral in referrals:
        assert referral.content.referred_name and referral.content.referred_email
        assert referral.content.referred_name.split()[0] in referral.content.text
    manual = [m for messages in world.manual_messages.values() for m in messages]
    assert 0.05 * len(replies) <= len(manual) <= 0.16 * len(replies)
    assert all(m.time > world.replies[m.lead_id].time for m in manual)


def test_derived_views_add_up(small: World) -> None:
    for cid, campaign in small.campaigns.items():
        days = small.campaign_days[cid]
        summed = DayTally()
        for tally in days.values():
            summed.add(tally)
        totals = small.campaign_totals[cid]
        sends = small.campaign_sends[cid]
        assert summed == totals
        assert totals.sent == len(sends)
        assert totals.bounced == sum(s.bounced for s in sends)
        assert totals.replied == totals.sent_replied == sum(s.reply_time is not None
                                                             for s in sends)
        positive = {lead.id for lead in small.campaign_leads[cid]
                    if lead.id in small.replies and lead.category_id in POSITIVE_CATEGORY_IDS}
        assert totals.positive == totals.sent_positive == len(positive)
        for day, tally in days.items():
            assert tally.sent == sum(1 for s in sends if s.sent_time.date() == day)
            assert tally.replied == sum(1 for s in sends
                                        if s.reply_time and s.reply_time.date() == day)
        stats = small.campaign_stats[cid].lead_stats
        assert stats["total"] == len(small.campaign_leads[cid])
        assert stats["total"] == sum(stats[k] for k in (
            "notStarted", "inprogress", "completed", "paused", "stopped", "blocked"))
        assert stats["blocked"] == totals.bounced
        if campaign.status == "DRAFTED":
            assert totals.sent == 0 and stats["notStarted"] == stats["total"]
        assert sends == sorted(sends, key=lambda s: (s.sent_time, s.stats_id))


def test_planted_question_subjects_reply_more(default_world: tuple[World, float]) -> None:
    world, _ = default_world
    truth = world.planted["subject_feature"]
    assert (truth["feature"], truth["lift"]) == ("subject_is_question", 1.8)
    decaying = world.planted["decaying_variant"]["variant_id"]
    first_steps = [v for v in world.variants.values() if v.seq_number == 1]
    share = sum(v.is_question for v in first_steps) / len(first_steps)
    assert 0.25 <= share <= 0.5
    outcome: dict[bool, list[int]] = {True: [0, 0], False: [0, 0]}
    for s in world.sends:
        if s.seq_number == 1 and not s.bounced and s.variant_id != decaying:
            counts = outcome[world.variants[s.variant_id].is_question]
            counts[0] += 1
            counts[1] += s.reply_time is not None
    question = outcome[True][1] / outcome[True][0]
    other = outcome[False][1] / outcome[False][0]
    assert 1.45 <= question / other <= 2.2


def test_planted_bouncing_mailbox(default_world: tuple[World, float]) -> None:
    world, _ = default_world
    truth = world.planted["bouncing_mailbox"]
    mailbox = world.mailboxes[truth["email_account_id"]]
    assert mailbox.from_email == truth["from_email"] and truth["bounce_rate"] == 0.15
    per_mailbox: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for s in world.sends:
        per_mailbox[s.mailbox_id][0] += 1
        per_mailbox[s.mailbox_id][1] += s.bounced
    sent, bounced = per_mailbox.pop(mailbox.id)
    assert sent > 1000 and 0.12 <= bounced / sent <= 0.18
    assert all(b / n < 0.04 for n, b in per_mailbox.values() if n >= 300)


def test_planted_decaying_variant(default_world: tuple[World, float]) -> None:
    world, _ = default_world
    truth = world.planted["decaying_variant"]
    variant = world.variants[truth["variant_id"]]
    assert variant.campaign_id == truth["campaign_id"]
    assert truth["weekly_factor"] == DECAY_WEEKLY_FACTOR
    sends = [s for s in world.campaign_sends[variant.campaign_id]
             if s.variant_id == variant.id and not s.bounced]
    first = sends[0].sent_time
    weeks: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for s in sends:
        week = (s.sent_time - first).days // 7
        weeks[week][0] += 1
        weeks[week][1] += s.reply_time is not None
    assert max(weeks) >= 10, "the variant sends for at least ten weeks"

    def rate(span: range) -> float:
        return sum(weeks[w][1] for w in span) / max(1, sum(weeks[w][0] for w in span))

    early, middle, late = rate(range(0, 4)), rate(range(4, 8)), rate(range(8, 12))
    assert early > middle > late
    assert early > 2 * late


def test_add_activity_moves_the_world_and_every_view() -> None:
    world = generate_world(SMALL)
    campaign = next(c for c in world.campaigns.values() if c.status == "ACTIVE")
    drafted = next((c for c in world.campaigns.values() if c.status == "DRAFTED"), None)
    before = world.fingerprint()
    with pytest.raises(ValueError):
        world.add_activity(campaign.id, sends=0, replies=10_000, at=world.cutoff)
    if drafted is not None:
        with pytest.raises(ValueError):
            world.add_activity(drafted.id, sends=1, replies=0, at=world.cutoff)
    assert world.fingerprint() == before, "a refused change changes nothing"

    totals = world.campaign_totals[campaign.id]
    sent, replied, leads = totals.sent, totals.replied, len(world.campaign_leads[campaign.id])
    at = world.cutoff + timedelta(hours=2)
    world.add_activity(campaign.id, sends=7, replies=3, at=at)
    totals = world.campaign_totals[campaign.id]
    assert (totals.sent, totals.replied) == (sent + 7, replied + 3)
    day = world.campaign_days[campaign.id][at.date()]
    assert day.sent >= 7 and day.replied >= 3
    assert world.clock == at
    stats = world.campaign_stats[campaign.id].lead_stats
    assert stats["total"] == len(world.campaign_leads[campaign.id]) >= leads
    sends = world.campaign_sends[campaign.id]
    assert sends == sorted(sends, key=lambda s: (s.sent_time, s.stats_id))
    assert len({s.stats_id for s in world.sends}) == len(world.sends)
    new_replies = [r for r in world.replies.values() if r.time == at]
    assert len(new_replies) == 3
    for reply in new_replies:
        lead = world.leads[reply.lead_id]
        assert lead.status == STOPPED and world.lead_sends[lead.id][-1].reply_time == at

    # Enough sends beyond the in-progress leads create new leads.
    world.add_activity(campaign.id, sends=len(world.campaign_leads[campaign.id]), replies=0,
                       at=at + timedelta(hours=1))
    assert len(world.campaign_leads[campaign.id]) > stats["total"]


def _days(world: World) -> list[date]:
    return [world.first_day + timedelta(days=i) for i in range(world.config.days)]
