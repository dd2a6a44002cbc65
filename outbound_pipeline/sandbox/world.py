"""The seeded sandbox world that every platform simulator serves.

``generate_world(WorldConfig(...))`` builds agencies' client accounts, their mailboxes,
campaigns with A/B-tested sequences, leads, every email sent, opens, clicks, bounces,
unsubscribes and replies with realistic text. The same config always gives the same world.

Three facts are planted so analytics can be checked against a known answer (``World.planted``):

- subject lines phrased as a question truly reply more (``QUESTION_LIFT``),
- one mailbox truly bounces far more than the others,
- one variant's reply rate truly decays week by week after its first send.

Times are timezone-aware UTC. Days run from ``config.days`` days before the end date to the day
before it, plus the end date itself until 09:00 UTC ("this morning").
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from outbound_pipeline import clock
from outbound_pipeline.copy_text import html_to_text
from outbound_pipeline.sandbox.replies import (
    Person,
    ReplyText,
    SentEmail,
    choose_kind,
    choose_language,
    compose_reply,
)

# Lead statuses as Smartlead reports them; STARTED means enrolled but not yet emailed.
STARTED = "STARTED"
INPROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"
PAUSED = "PAUSED"
STOPPED = "STOPPED"
BLOCKED = "BLOCKED"

CAMPAIGN_STATUSES = ("ACTIVE", "COMPLETED", "PAUSED", "STOPPED", "DRAFTED")

DEFAULT_CATEGORIES: tuple[tuple[int, str, str | None], ...] = (
    (1, "Interested", "positive"),
    (2, "Meeting Request", "positive"),
    (3, "Not Interested", "negative"),
    (4, "Do Not Contact", "negative"),
    (5, "Information Request", None),
    (6, "Out Of Office", None),
    (7, "Wrong Person", None),
    (8, "Uncategorizable by AI", None),
    (9, "Sender Originated Bounce", "negative"),
)
POSITIVE_CATEGORY_IDS = frozenset({1, 2})
BOUNCE_CATEGORY_ID = 9

BASE_REPLY_RATE = 0.028
"""Reply probability of a delivered email before the campaign, step and copy effects."""
QUESTION_LIFT = 1.8
BOUNCING_MAILBOX_RATE = 0.15
DECAY_WEEKLY_FACTOR = 0.9
DECAY_INITIAL_LIFT = 5.0
DECAY_CAMPAIGN_WEIGHT = 24.0
"""The decaying campaign's least share of the leads, relative to a typical campaign's 1."""

_STEP_REPLY_FACTOR = (1.25, 0.9, 0.75, 0.6)
_OPEN_RATE = 0.44
_CLICK_RATE = 0.14
_UNSUBSCRIBE_RATE = 0.004
_MORNING_CUTOFF_HOURS = 9

_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_LABEL}\.)+[A-Za-z]{{2,63}}")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")


def is_valid_email(value: Any) -> bool:
    """A syntactically valid address: ``local@domain.tld``, no spaces, no empty dot parts."""
    if not isinstance(value, str) or len(value) > 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return (len(local) <= 64 and _LOCAL_PART.fullmatch(local) is not None
            and _DOMAIN.fullmatch(domain) is not None)


def is_valid_domain(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 253 and _DOMAIN.fullmatch(value) is not None


def email_key(email: str) -> str:
    """How the world indexes and compares addresses: trimmed and lower-cased."""
    return email.strip().lower()


@dataclass(frozen=True)
class WorldConfig:
    """What world to generate. ``end_date=None`` means today (UTC).

    ``fresh_accounts`` adds accounts that were only just set up, after the ``n_accounts``
    regular ones: mailboxes and one active campaign with a sequence and enrolled leads that has
    not sent an email yet (so no statistics, replies or mailbox health). ``n_accounts=0`` with
    fresh accounts is a world of new accounts only (``n_campaigns`` and ``n_leads`` unused).
    """

    seed: int = 7
    n_accounts: int = 3
    n_campaigns: int = 60
    n_leads: int = 30_000
    days: int = 365
    end_date: date | None = None
    fresh_accounts: int = 0

    def resolved(self) -> WorldConfig:
        """This config with ``end_date`` fixed (the only place the clock is read)."""
        if self.end_date is not None:
            return self
        return replace(self, end_date=clock.now().date())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        return data


# Entities ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tag:
    id: int
    name: str
    color: str


@dataclass(frozen=True, slots=True)
class Account:
    """One Smartlead API key; an agency has one per client."""

    name: str
    api_key: str
    user_id: int
    client_id: int
    client_name: str
    client_email: str
    client_company: str
    product: str
    sending_domains: tuple[str, ...]


@dataclass(slots=True)
class Mailbox:
    """A sending email account."""

    id: int
    account: str
    user_id: int
    client_id: int
    from_name: str
    from_email: str
    type: str
    smtp_host: str
    smtp_port: int
    imap_host: str
    imap_port: int
    message_per_day: int
    warmup_status: str
    warmup_reputation: str | int
    warmup_spam_count: int
    warmup_sent_count: int
    password: str
    tags: tuple[Tag, ...]
    created_at: datetime
    updated_at: datetime
    custom_tracking_domain: str | None
    is_smtp_success: bool
    is_imap_success: bool
    imap_failure_error: str | None
    bounce_rate: float

    @property
    def domain(self) -> str:
        return self.from_email.rsplit("@", 1)[1]


@dataclass(frozen=True, slots=True)
class Variant:
    """One A/B variant of a sequence step."""

    id: int
    step_id: int
    campaign_id: int
    seq_number: int
    label: str
    subject: str
    body: str

    @property
    def is_question(self) -> bool:
        return self.subject.rstrip().endswith("?")


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a campaign's sequence; its first variant doubles as the step's own copy."""

    id: int
    campaign_id: int
    seq_number: int
    delay_days: int
    created_at: datetime
    updated_at: datetime
    variants: tuple[Variant, ...]


@dataclass(slots=True)
class Campaign:
    id: int
    account: str
    user_id: int
    client_id: int
    name: str
    status: str
    created_at: datetime
    updated_at: datetime
    start_date: date | None
    timezone: str
    utc_offset: int
    """Hours from UTC of ``timezone`` (standard time; the sandbox ignores DST)."""
    schedule_days: tuple[int, ...]
    start_hour: int
    end_hour: int
    min_time_btwn_emails: int
    max_leads_per_day: int
    schedule_start_time: datetime | None
    enable_ai_esp_matching: bool
    send_as_plain_text: bool
    follow_up_percentage: int
    unsubscribe_text: str
    track_settings: tuple[str, ...]
    tags: tuple[Tag, ...]
    mailbox_ids: tuple[int, ...]
    parent_campaign_id: int | None
    quality: float

    @property
    def tracks_opens(self) -> bool:
        return "DONT_EMAIL_OPEN" not in self.track_settings

    @property
    def tracks_clicks(self) -> bool:
        return "DONT_LINK_CLICK" not in self.track_settings


@dataclass(slots=True)
class Lead:
    """A lead in exactly one campaign (``map_id`` is its campaign_lead_map_id)."""

    id: int
    map_id: int
    campaign_id: int
    account: str
    mailbox_id: int
    first_name: str
    last_name: str
    email: str
    phone_number: str
    company_name: str
    website: str
    location: str
    country: str
    linkedin_profile: str
    company_url: str
    custom_fields: dict[str, str]
    created_at: datetime
    status: str = STARTED
    category_id: int | None = None
    is_unsubscribed: bool = False


@dataclass(slots=True)
class Send:
    """One email sent by the sequence, with what happened to it."""

    stats_id: str
    message_id: str
    lead_id: int
    campaign_id: int
    mailbox_id: int
    seq_number: int
    step_id: int
    variant_id: int
    sent_time: datetime
    open_time: datetime | None = None
    click_time: datetime | None = None
    reply_time: datetime | None = None
    unsubscribe_time: datetime | None = None
    bounced: bool = False

    @property
    def unsubscribed(self) -> bool:
        return self.unsubscribe_time is not None


@dataclass(frozen=True, slots=True)
class Reply:
    """A lead's reply to one of the sequence's emails."""

    lead_id: int
    campaign_id: int
    stats_id: str
    """The replied email's stats_id."""
    message_id: str
    time: datetime
    category_id: int
    content: ReplyText


@dataclass(frozen=True, slots=True)
class ManualMessage:
    """A message the sender wrote by hand from the inbox after a reply."""

    lead_id: int
    campaign_id: int
    mailbox_id: int
    stats_id: str
    message_id: str
    time: datetime
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    sentiment_type: str | None
    created_at: datetime


@dataclass(slots=True)
class DayTally:
    """Counts for one campaign or mailbox on one UTC day.

    The first group is counted on the day the event happened (sent and bounced on the send day);
    the ``sent_*`` group counts the same events on the day the email was sent.
    """

    sent: int = 0
    bounced: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    unsubscribed: int = 0
    positive: int = 0
    sent_opened: int = 0
    sent_clicked: int = 0
    sent_replied: int = 0
    sent_unsubscribed: int = 0
    sent_positive: int = 0

    def add(self, other: DayTally) -> None:
        for name in DayTally.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class CampaignStats:
    """Whole-campaign figures that are not sums of days."""

    unique_sent: int = 0
    unique_opened: int = 0
    unique_clicked: int = 0
    lead_stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LeadPushSettings:
    """The ``settings`` of Smartlead's ``POST /campaigns/{id}/leads`` (every flag off by default).

    The world keeps no community bounce list, so ``ignore_community_bounce_list`` changes nothing.
    """

    ignore_global_block_list: bool = False
    ignore_unsubscribe_list: bool = False
    ignore_community_bounce_list: bool = False
    ignore_duplicate_leads_in_other_campaign: bool = False


@dataclass(slots=True)
class LeadPushResult:
    """What one push did: every pushed lead lands in exactly one of these."""

    added: list[Lead] = field(default_factory=list)
    already_added_to_campaign: int = 0
    duplicates: int = 0
    invalid_emails: list[str] = field(default_factory=list)
    unsubscribed: list[str] = field(default_factory=list)
    blocked: int = 0


LEAD_TEXT_FIELDS = ("first_name", "last_name", "phone_number", "company_name", "website",
                    "location", "linkedin_profile", "company_url")
"""Lead fields a push may set besides ``email`` and ``custom_fields``."""


# The world ---------------------------------------------------------------------------------------


class World:
    """Everything the simulators serve, plus derived views kept in step with the raw data."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config.resolved()
        assert self.config.end_date is not None
        self.end_date: date = self.config.end_date
        self.first_day: date = self.end_date - timedelta(days=self.config.days)
        self.cutoff: datetime = datetime(
            self.end_date.year, self.end_date.month, self.end_date.day,
            _MORNING_CUTOFF_HOURS, tzinfo=UTC,
        )
        """No event happens at or after this instant (09:00 UTC on the end date)."""
        self.clock: datetime = self.cutoff
        """Time of the latest activity added with ``add_activity`` (the world's "now")."""

        self.accounts: list[Account] = []
        self.categories: list[Category] = []
        self.mailboxes: dict[int, Mailbox] = {}
        self.campaigns: dict[int, Campaign] = {}
        self.steps: dict[int, tuple[Step, ...]] = {}
        self.variants: dict[int, Variant] = {}
        self.leads: dict[int, Lead] = {}
        self.sends: list[Send] = []
        self.replies: dict[int, Reply] = {}
        self.manual_messages: dict[int, list[ManualMessage]] = {}
        self.planted: dict[str, Any] = {}

        # indexes
        self.account_by_key: dict[str, Account] = {}
        self.account_by_name: dict[str, Account] = {}
        self.campaign_leads: dict[int, list[Lead]] = {}
        self.campaign_sends: dict[int, list[Send]] = {}
        self.lead_sends: dict[int, list[Send]] = {}
        self.lead_by_email: dict[str, Lead] = {}
        """Lower-cased address -> the first lead created with it."""
        self.leads_by_email: dict[str, list[Lead]] = {}
        """Lower-cased address -> every lead with it (pushes can put one address in several
        campaigns), in creation order."""
        self.category_by_id: dict[int, Category] = {}
        self.mailbox_campaigns: dict[int, list[int]] = {}
        """Mailbox id -> ids of the campaigns sending from it."""
        self.kind_categories: dict[str, int] = {}
        """Reply kind (see ``replies.REPLY_KINDS``) -> lead category id in this world."""

        # the global block list (lower-cased), kept by the sandbox's control API
        self.blocked_emails: set[str] = set()
        self.blocked_domains: set[str] = set()

        # derived views
        self.campaign_days: dict[int, dict[date, DayTally]] = {}
        self.campaign_totals: dict[int, DayTally] = {}
        self.campaign_stats: dict[int, CampaignStats] = {}
        self.mailbox_days: dict[int, dict[date, DayTally]] = {}

        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        """Told what each ``add_activity`` created, once the world has moved, in creation order:
        ``("sent", {send, lead})`` per email, then per reply ``("replied", {reply, send, lead})``,
        ``("category_changed", {lead, reply, send, old_category_id})`` and, when the reply
        unsubscribed the lead, ``("unsubscribed", {lead, reply, send})``."""

        self._companies: list[_Company] = []
        self._next_ids: dict[str, int] = dict(_ID_BASES)
        self._id_rng = random.Random(f"{self.config.seed}/ids")
        self._activity_calls = 0

    # lookups

    def campaigns_of(self, account: str) -> list[Campaign]:
        return [c for c in self.campaigns.values() if c.account == account]

    def mailboxes_of(self, account: str) -> list[Mailbox]:
        return [m for m in self.mailboxes.values() if m.account == account]

    def leads_with_email(self, email: str, account: str | None = None) -> list[Lead]:
        """Every lead with this address (case-insensitive), optionally of one account only."""
        leads = self.leads_by_email.get(email_key(email), [])
        return [lead for lead in leads if account is None or lead.account == account]

    def is_blocked(self, email: str) -> bool:
        """True when the address or its domain is on the global block list."""
        key = email_key(email)
        return key in self.blocked_emails or key.rsplit("@", 1)[-1] in self.blocked_domains

    def is_positive(self, category_id: int | None) -> bool:
        return category_id in POSITIVE_CATEGORY_IDS

    def sends_between(self, campaign_id: int, start: datetime, end: datetime) -> list[Send]:
        """The campaign's emails sent in ``[start, end)``, in send order."""
        sends = self.campaign_sends.get(campaign_id, [])
        lo = bisect.bisect_left(sends, start, key=_send_time)
        hi = bisect.bisect_left(sends, end, key=_send_time)
        return sends[lo:hi]

    def subject_of(self, send: Send) -> str:
        """The subject the lead saw: follow-ups without their own subject reply in thread."""
        lead = self.leads[send.lead_id]
        mailbox = self.mailboxes[send.mailbox_id]
        subject = self.variants[send.variant_id].subject
        if subject:
            return render(subject, lead, mailbox)
        first = self.lead_sends[send.lead_id][0]
        return "Re: " + render(self.variants[first.variant_id].subject, lead, mailbox)

    def body_of(self, send: Send) -> str:
        """The HTML body the lead received."""
        lead = self.leads[send.lead_id]
        return render(self.variants[send.variant_id].body, lead, self.mailboxes[send.mailbox_id])

    def fingerprint(self) -> str:
        """A digest of the raw data; equal worlds have equal fingerprints."""
        digest = hashlib.sha256()
        for chunk in self._fingerprint_parts():
            digest.update(chunk.encode())
        return digest.hexdigest()

    def _fingerprint_parts(self) -> Iterator[str]:
        yield repr([(a.name, a.api_key, a.client_id) for a in self.accounts])
        yield repr([(c.id, c.status, c.name, c.mailbox_ids) for c in self.campaigns.values()])
        for steps in self.steps.values():
            yield repr([(v.id, v.subject, v.body) for s in steps for v in s.variants])
        for lead in self.leads.values():
            yield f"{lead.id}|{lead.email}|{lead.status}|{lead.category_id}|{lead.mailbox_id}"
        for s in self.sends:
            yield (f"{s.stats_id}|{s.lead_id}|{s.variant_id}|{s.sent_time}|{s.open_time}|"
                   f"{s.click_time}|{s.reply_time}|{s.unsubscribe_time}|{s.bounced}")
        for reply in self.replies.values():
            yield f"{reply.lead_id}|{reply.category_id}|{reply.content.text}"

    # moving the world

    def add_activity(self, campaign_id: int, sends: int, replies: int, at: datetime) -> None:
        """Adds ``sends`` emails and ``replies`` replies in one campaign at time ``at``.

        Sends go to leads that are part-way through the sequence first, then to new leads.
        Replies come from leads that were emailed at or before ``at`` and have not replied,
        bounced or unsubscribed, most recently emailed first. Raises ``ValueError`` (and
        changes nothing) when the campaign is missing or drafted or too few leads can reply.
        """
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise ValueError(f"no campaign {campaign_id}")
        if campaign.status == "DRAFTED":
            raise ValueError(f"campaign {campaign_id} is drafted and sends nothing")
        if sends < 0 or replies < 0:
            raise ValueError("sends and replies must be >= 0")
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        steps = self.steps[campaign_id]
        rng = random.Random(f"{self.config.seed}/activity/{self._activity_calls}")

        def open_to_more(lead: Lead) -> bool:
            history = self.lead_sends.get(lead.id, [])
            return (lead.status in (STARTED, INPROGRESS) and len(history) < len(steps)
                    and (not history or history[-1].sent_time <= at))

        leads = self.campaign_leads[campaign_id]
        targets = [lead for lead in leads if open_to_more(lead)][:sends]
        target_ids = {lead.id for lead in targets}
        repliers = [lead for lead in leads
                    if lead.id not in target_ids and self._can_reply(lead, at)]
        repliers.sort(key=lambda lead: self.lead_sends[lead.id][-1].sent_time, reverse=True)
        new_leads = sends - len(targets)
        able = sends + len(repliers)
        if replies > able:
            raise ValueError(f"campaign {campaign_id} has only {able} leads able to reply")
        self._activity_calls += 1
        created: list[tuple[str, dict[str, Any]]] = []

        emailed: list[Lead] = list(targets)
        for _ in range(new_leads):
            emailed.append(self._new_lead(campaign, rng, at - timedelta(minutes=5)))
        for lead in emailed:
            history = self.lead_sends.setdefault(lead.id, [])
            step = steps[len(history)]
            variant = rng.choice(step.variants)
            send = self._new_send(rng, lead, step, variant, at)
            lead.status = COMPLETED if send.seq_number == len(steps) else INPROGRESS
            self._tally(send, 1)
            created.append(("sent", {"send": send, "lead": lead}))

        # Leads emailed just now are the freshest candidates to answer.
        for lead in (emailed + repliers)[:replies]:
            send = self.lead_sends[lead.id][-1]
            self._tally(send, -1)
            kind = choose_kind(rng)
            old_category_id, was_unsubscribed = lead.category_id, lead.is_unsubscribed
            reply = self._record_reply(rng, lead, send, at, kind)
            self._tally(send, 1)
            facts: dict[str, Any] = {"reply": reply, "send": send, "lead": lead}
            created.append(("replied", facts))
            created.append(("category_changed", {**facts, "old_category_id": old_category_id}))
            if lead.is_unsubscribed and not was_unsubscribed:
                created.append(("unsubscribed", dict(facts)))

        campaign.updated_at = max(campaign.updated_at, at)
        self.clock = max(self.clock, at)
        self._refresh_campaign(campaign_id)
        for name, data in created:
            for listener in self.listeners:
                listener(name, data)

    def block(self, emails: Iterable[str] = (), domains: Iterable[str] = ()) -> None:
        """Adds addresses and domains (``"acme.com"`` or ``"@acme.com"``) to the global block
        list. Raises ``ValueError`` (and changes nothing) when an entry is malformed."""
        emails, domains = list(emails), list(domains)
        if not all(isinstance(entry, str) for entry in [*emails, *domains]):
            raise ValueError("block list entries must be strings")
        new_emails = {email_key(e) for e in emails}
        new_domains = {email_key(d).removeprefix("@") for d in domains}
        for email in sorted(new_emails):
            if not is_valid_email(email):
                raise ValueError(f"not a valid email address: {email!r}")
        for domain in sorted(new_domains):
            if not is_valid_domain(domain):
                raise ValueError(f"not a valid domain: {domain!r}")
        self.blocked_emails |= new_emails
        self.blocked_domains |= new_domains

    def add_leads(self, campaign_id: int, leads: Sequence[Mapping[str, Any]],
                  settings: LeadPushSettings, at: datetime) -> LeadPushResult:
        """Smartlead's lead upload: adds ``leads`` to one campaign, created at ``at``.

        Each lead is checked in this order and counted once: a missing or malformed email is
        invalid; an address already in this campaign is left alone (pushing twice is
        harmless); then, unless the matching setting says to ignore it, an address the
        campaign's account has unsubscribed, an address or domain on the global block list, and
        an address in another campaign of the same account are skipped. Everything else
        becomes a new lead (new id and campaign_lead_map_id, status STARTED, no sends).
        Addresses compare case-insensitively; a repeat inside one push counts as already added.
        Raises ``ValueError`` (and changes nothing) when the campaign is missing.
        """
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise ValueError(f"no campaign {campaign_id}")
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        result = LeadPushResult()
        for data in leads:
            raw = data.get("email")
            email = raw.strip() if isinstance(raw, str) else ""
            if not is_valid_email(email):
                result.invalid_emails.append(raw if isinstance(raw, str) else "")
                continue
            known = self.leads_with_email(email, campaign.account)
            if any(lead.campaign_id == campaign.id for lead in known):
                result.already_added_to_campaign += 1
            elif not settings.ignore_unsubscribe_list and any(
                lead.is_unsubscribed for lead in known
            ):
                result.unsubscribed.append(email)
            elif not settings.ignore_global_block_list and self.is_blocked(email):
                result.blocked += 1
            elif known and not settings.ignore_duplicate_leads_in_other_campaign:
                result.duplicates += 1
            else:
                result.added.append(self._pushed_lead(campaign, email, data, at))
        if result.added:
            self.clock = max(self.clock, at)
            self._refresh_campaign(campaign.id)
        return result

    def _pushed_lead(self, campaign: Campaign, email: str, data: Mapping[str, Any],
                     created_at: datetime) -> Lead:
        def text(name: str) -> str:
            value = data.get(name)
            return "" if value is None else str(value).strip()

        custom = data.get("custom_fields")
        custom_fields = {
            str(k): "" if v is None else str(v)
            for k, v in (custom.items() if isinstance(custom, Mapping) else ())
        }
        location = text("location")
        country = location.rsplit(",", 1)[-1].strip()
        enrolled = self.campaign_leads.setdefault(campaign.id, [])
        mailbox_ids = campaign.mailbox_ids
        lead = Lead(
            id=self._next_id("lead"),
            map_id=self._next_id("lead_map"),
            campaign_id=campaign.id,
            account=campaign.account,
            mailbox_id=mailbox_ids[len(enrolled) % len(mailbox_ids)] if mailbox_ids else 0,
            first_name=text("first_name"),
            last_name=text("last_name"),
            email=email,
            phone_number=text("phone_number"),
            company_name=text("company_name"),
            website=text("website"),
            location=location,
            country=country if country in _CITIES else "",
            linkedin_profile=text("linkedin_profile"),
            company_url=text("company_url"),
            custom_fields=custom_fields,
            created_at=created_at,
        )
        self._index_lead(lead)
        return lead

    def _index_lead(self, lead: Lead) -> None:
        key = email_key(lead.email)
        self.leads[lead.id] = lead
        self.lead_by_email.setdefault(key, lead)
        self.leads_by_email.setdefault(key, []).append(lead)
        self.campaign_leads.setdefault(lead.campaign_id, []).append(lead)

    def _can_reply(self, lead: Lead, at: datetime) -> bool:
        history = self.lead_sends.get(lead.id)
        if not history or lead.id in self.replies or lead.is_unsubscribed:
            return False
        last = history[-1]
        return not last.bounced and last.sent_time <= at

    # building blocks shared by generation and add_activity

    def _next_id(self, kind: str) -> int:
        value = self._next_ids[kind] + self._id_rng.randint(1, 3)
        self._next_ids[kind] = value
        return value

    def _new_lead(self, campaign: Campaign, rng: random.Random, created_at: datetime) -> Lead:
        company = rng.choice(self._companies)
        pool = _NAME_POOLS.get(company.country, _NAME_POOLS["United States"])
        if rng.random() < 0.25:
            pool = _NAME_POOLS["United States"]
        first, last = rng.choice(pool[0]), rng.choice(pool[1])
        email = self._unique_email(rng, first, last, company.domain)
        mailbox_id = rng.choice(campaign.mailbox_ids)
        linkedin = ""
        if rng.random() < 0.8:
            handle = f"{_ascii(first)}-{_ascii(last)}"
            if rng.random() < 0.6:
                handle += f"-{rng.getrandbits(24):06x}"
            linkedin = f"https://www.linkedin.com/in/{handle}"
        title = rng.choice(_TITLES)
        lead = Lead(
            id=self._next_id("lead"),
            map_id=self._next_id("lead_map"),
            campaign_id=campaign.id,
            account=campaign.account,
            mailbox_id=mailbox_id,
            first_name=first,
            last_name=last,
            email=email,
            phone_number=_phone(rng, company.country) if rng.random() < 0.75 else "",
            company_name=company.name,
            website=company.website,
            location=company.location,
            country=company.country,
            linkedin_profile=linkedin,
            company_url=f"https://{company.domain}",
            custom_fields={
                "title": title,
                "industry": company.industry,
                "employees": company.employees,
            },
            created_at=created_at,
        )
        self._index_lead(lead)
        return lead

    def _unique_email(self, rng: random.Random, first: str, last: str, domain: str) -> str:
        f, ln = _ascii(first), _ascii(last)
        local = rng.choice((f"{f}.{ln}", f"{f}.{ln}", f, f"{f[0]}{ln}", f"{f}{ln[0]}", f"{f}_{ln}"))
        email = f"{local}@{domain}"
        n = 1
        while email in self.lead_by_email:
            n += 1
            email = f"{local}{n}@{domain}"
        return email

    def _new_send(self, rng: random.Random, lead: Lead, step: Step, variant: Variant,
                  when: datetime) -> Send:
        stats_id = _uuid(rng)
        mailbox = self.mailboxes[lead.mailbox_id]
        send = Send(
            stats_id=stats_id,
            message_id=f"<{stats_id}@{mailbox.domain}>",
            lead_id=lead.id,
            campaign_id=lead.campaign_id,
            mailbox_id=lead.mailbox_id,
            seq_number=step.seq_number,
            step_id=step.id,
            variant_id=variant.id,
            sent_time=when,
        )
        self.sends.append(send)
        self.lead_sends.setdefault(lead.id, []).append(send)
        bisect.insort(self.campaign_sends.setdefault(lead.campaign_id, []), send, key=_send_order)
        return send

    def _record_reply(self, rng: random.Random, lead: Lead, send: Send, when: datetime,
                      kind: str) -> Reply:
        mailbox = self.mailboxes[send.mailbox_id]
        account = self.account_by_name[lead.account]
        content = compose_reply(
            rng,
            kind=kind,
            language=choose_language(rng, lead.country),
            lead=Person(lead.first_name, lead.last_name, lead.email,
                        lead.custom_fields.get("title", ""), lead.company_name,
                        lead.phone_number),
            sent=SentEmail(mailbox.from_name, mailbox.from_email, self.subject_of(send),
                           html_to_text(self.body_of(send)), send.sent_time),
            reply_time=when,
            topic=account.product,
        )
        send.reply_time = when
        category_id = self.kind_categories[kind]
        reply = Reply(
            lead_id=lead.id,
            campaign_id=lead.campaign_id,
            stats_id=send.stats_id,
            message_id=f"<{_uuid(rng).replace('-', '')[:24]}@{lead.email.split('@')[1]}>",
            time=when,
            category_id=category_id,
            content=content,
        )
        self.replies[lead.id] = reply
        lead.category_id = category_id
        lead.status = STOPPED
        if kind == "unsubscribe":
            lead.is_unsubscribed = True
        return reply

    # derived views

    def _build_views(self) -> None:
        self.campaign_days = {cid: {} for cid in self.campaigns}
        self.campaign_totals = {cid: DayTally() for cid in self.campaigns}
        self.mailbox_days = {mid: {} for mid in self.mailboxes}
        self.mailbox_campaigns = {mid: [] for mid in self.mailboxes}
        for campaign in self.campaigns.values():
            for mid in campaign.mailbox_ids:
                self.mailbox_campaigns[mid].append(campaign.id)
        for send in self.sends:
            self._tally(send, 1)
        for cid in self.campaigns:
            self.campaign_sends.setdefault(cid, [])
            self.campaign_leads.setdefault(cid, [])
            self._refresh_campaign(cid)

    def _tally(self, send: Send, sign: int) -> None:
        """Adds (``sign=1``) or removes (``-1``) one email's events in every derived view."""
        cdays = self.campaign_days[send.campaign_id]
        mdays = self.mailbox_days[send.mailbox_id]
        total = self.campaign_totals[send.campaign_id]
        positive = send.reply_time is not None and self.is_positive(
            self.leads[send.lead_id].category_id
        )
        sent_day = send.sent_time.date()
        for days in (cdays, mdays):
            t = _day(days, sent_day)
            t.sent += sign
            t.bounced += sign * send.bounced
            t.sent_opened += sign * (send.open_time is not None)
            t.sent_clicked += sign * (send.click_time is not None)
            t.sent_replied += sign * (send.reply_time is not None)
            t.sent_unsubscribed += sign * (send.unsubscribe_time is not None)
            t.sent_positive += sign * positive
            if send.open_time is not None:
                _day(days, send.open_time.date()).opened += sign
            if send.click_time is not None:
                _day(days, send.click_time.date()).clicked += sign
            if send.reply_time is not None:
                reply_day = _day(days, send.reply_time.date())
                reply_day.replied += sign
                reply_day.positive += sign * positive
            if send.unsubscribe_time is not None:
                _day(days, send.unsubscribe_time.date()).unsubscribed += sign
        # Over a campaign's whole life the event-date and send-date counts are the same.
        opened = sign * (send.open_time is not None)
        clicked = sign * (send.click_time is not None)
        replied = sign * (send.reply_time is not None)
        unsubscribed = sign * (send.unsubscribe_time is not None)
        total.sent += sign
        total.bounced += sign * send.bounced
        total.opened += opened
        total.sent_opened += opened
        total.clicked += clicked
        total.sent_clicked += clicked
        total.replied += replied
        total.sent_replied += replied
        total.unsubscribed += unsubscribed
        total.sent_unsubscribed += unsubscribed
        total.positive += sign * positive
        total.sent_positive += sign * positive

    def _refresh_campaign(self, campaign_id: int) -> None:
        sends = self.campaign_sends[campaign_id]
        stats = CampaignStats(
            unique_sent=len({s.lead_id for s in sends}),
            unique_opened=len({s.lead_id for s in sends if s.open_time is not None}),
            unique_clicked=len({s.lead_id for s in sends if s.click_time is not None}),
            lead_stats=lead_stats(self.campaign_leads[campaign_id]),
        )
        self.campaign_stats[campaign_id] = stats

    def window_tally(self, days: Iterable[dict[date, DayTally]], start: date,
                     end: date) -> DayTally:
        """The sum of several day maps over ``[start, end]``."""
        total = DayTally()
        span = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        for day_map in days:
            for d in span:
                tally = day_map.get(d)
                if tally is not None:
                    total.add(tally)
        return total


def lead_stats(leads: Iterable[Lead]) -> dict[str, int]:
    """Smartlead's ``campaign_lead_stats`` for a campaign's leads."""
    stats = {"total": 0, "notStarted": 0, "inprogress": 0, "completed": 0, "paused": 0,
             "stopped": 0, "blocked": 0, "interested": 0, "revenue": 0}
    key = {STARTED: "notStarted", INPROGRESS: "inprogress", COMPLETED: "completed",
           PAUSED: "paused", STOPPED: "stopped", BLOCKED: "blocked"}
    for lead in leads:
        stats["total"] += 1
        stats[key[lead.status]] += 1
        if lead.category_id in POSITIVE_CATEGORY_IDS:
            stats["interested"] += 1
    return stats


def _day(days: dict[date, DayTally], d: date) -> DayTally:
    tally = days.get(d)
    if tally is None:
        tally = days[d] = DayTally()
    return tally


def _send_time(send: Send) -> datetime:
    return send.sent_time


def _send_order(send: Send) -> tuple[datetime, str]:
    return (send.sent_time, send.stats_id)


# Rendering --------------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def render(template: str, lead: Lead, mailbox: Mailbox) -> str:
    """Fills ``{{variable}}`` personalization and the sender's first name."""
    values = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company_name": lead.company_name,
        "email": lead.email,
        "website": lead.website,
        "location": lead.location,
        **lead.custom_fields,
    }
    text = _VARIABLE.sub(lambda m: values.get(m.group(1), ""), template)
    return text.replace("%sender-firstname%", mailbox.from_name.split()[0])


def iso(value: datetime | None) -> str | None:
    """Smartlead's timestamp format: ``2026-01-14T15:04:05.123Z``."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# Generation -------------------------------------------------------------------------------------


def generate_world(config: WorldConfig) -> World:
    """Builds the world for ``config``; identical configs give identical worlds."""
    world = World(config)
    _Builder(world).run()
    world._build_views()
    return world


_ID_BASES = {
    "user": 41_000,
    "client": 8_200,
    "tag": 61_000,
    "mailbox": 1_104_000,
    "campaign": 1_530_000,
    "step": 2_170_000,
    "variant": 3_240_000,
    "lead": 121_400_000,
    "lead_map": 1_812_000_000,
}


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    domain: str
    website: str
    industry: str
    employees: str
    location: str
    country: str


@dataclass(frozen=True, slots=True)
class _Client:
    account: str
    company: str
    product: str
    pain: str
    proof: str
    link: str
    metric: str


class _Builder:
    """Fills an empty ``World`` deterministically from its config's seed."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.cfg = world.config
        self.rng = random.Random(self.cfg.seed)
        self.horizon = self.cfg.days + 45
        day0 = world.first_day
        self.dates = [day0 + timedelta(days=i) for i in range(self.horizon)]
        self.midnights = [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in self.dates]
        self.weights = [_day_weight(d) for d in self.dates]
        self.used_domains: set[str] = set()
        self.clients: dict[str, _Client] = {}
        self.windows: dict[int, tuple[int, int, datetime]] = {}
        """Campaign id -> (first enrolment day, last enrolment day, no sends from)."""

    def run(self) -> None:
        self._categories()
        self._companies()
        if self.cfg.n_accounts:
            self._regular_accounts()
        self._fresh_accounts()

    def _regular_accounts(self) -> None:
        for index in range(self.cfg.n_accounts):
            self._account(index)
        campaigns = self._campaigns()
        decaying = campaigns[0]  # always an active campaign of the first account
        for campaign in campaigns:
            self._sequence(campaign, decaying_campaign=campaign is decaying)
        self._enroll(campaigns, decaying)
        bouncing = self._choose_bouncing(decaying)
        decaying_variant = self.w.steps[decaying.id][0].variants[0]
        for campaign in campaigns:
            self._walk(campaign, decaying_variant)
        self._manual_follow_ups()
        self._finish(campaigns)
        first_decay_send = min(
            (s.sent_time for s in self.w.campaign_sends[decaying.id]
             if s.variant_id == decaying_variant.id),
            default=None,
        )
        self.w.planted.update({
            "subject_feature": {
                "feature": "subject_is_question",
                "lift": QUESTION_LIFT,
                "definition": "the variant's subject ends with '?'",
            },
            "bouncing_mailbox": {
                "email_account_id": bouncing.id,
                "from_email": bouncing.from_email,
                "account": bouncing.account,
                "bounce_rate": BOUNCING_MAILBOX_RATE,
            },
            "decaying_variant": {
                "campaign_id": decaying.id,
                "variant_id": decaying_variant.id,
                "account": decaying.account,
                "weekly_factor": DECAY_WEEKLY_FACTOR,
                "initial_lift": DECAY_INITIAL_LIFT,
                "first_send": iso(first_decay_send),
            },
        })

    def _fresh_accounts(self) -> None:
        """Accounts set up but not sending yet, each with one active campaign starting the day
        after the world's end. Drawn from their own random stream, so adding them leaves the
        regular accounts exactly as they were."""
        if not self.cfg.fresh_accounts:
            return
        self.rng = rng = random.Random(f"{self.cfg.seed}/fresh")
        w = self.w
        for number in range(self.cfg.fresh_accounts):
            self._account(self.cfg.n_accounts + number)
            account = w.accounts[-1]
            campaign = self._campaign(account, "ACTIVE", [], decaying=False)
            starts = w.end_date + timedelta(days=1)
            campaign.start_date = starts
            campaign.schedule_start_time = datetime(starts.year, starts.month, starts.day,
                                                    tzinfo=UTC)
            campaign.created_at = campaign.updated_at = w.cutoff - timedelta(
                hours=rng.randint(3, 48))
            self._sequence(campaign, decaying_campaign=False)
            for _ in range(rng.randint(15, 40)):
                w._new_lead(campaign, rng, campaign.created_at + timedelta(minutes=30))

    # categories and companies

    def _categories(self) -> None:
        created = datetime(2022, 3, 14, 10, 0, tzinfo=UTC)
        cats = [Category(i, name, sentiment, created) for i, name, sentiment in DEFAULT_CATEGORIES]
        base = self.rng.randrange(40_000, 90_000)
        custom_created = datetime.combine(self.w.first_day, datetime.min.time(), UTC)
        not_now = Category(base, "Not Now", None, custom_created)
        cats.append(not_now)
        kinds = {
            "interested": 1, "meeting_request": 2, "not_interested": 3, "unsubscribe": 4,
            "question": 5, "out_of_office": 6, "referral": 7, "neutral": 8,
            "not_now": not_now.id,
        }
        if self.rng.random() < 0.5:
            referral = Category(base + self.rng.randint(5, 60), "Referral", None, custom_created)
            cats.append(referral)
            kinds["referral"] = referral.id
        self.w.categories = cats
        self.w.category_by_id = {c.id: c for c in cats}
        self.w.kind_categories = kinds

    def _companies(self) -> None:
        rng = self.rng
        count = max(30, self.cfg.n_leads // 6)
        countries = [c for c, _ in _COUNTRY_WEIGHTS]
        country_weights = [w for _, w in _COUNTRY_WEIGHTS]
        seen_names: set[str] = set()
        companies: list[_Company] = []
        attempts = 0
        while len(companies) < count and attempts < count * 20:
            attempts += 1
            head, tail = rng.choice(_NAME_HEADS), rng.choice(_NAME_TAILS)
            suffix, industry = rng.choice(_COMPANY_SUFFIXES)
            stem = head + tail
            name = f"{stem.capitalize()} {suffix}"
            if name in seen_names:
                continue
            country = rng.choices(countries, country_weights)[0]
            tld = _TLDS.get(country, ".com") if rng.random() < 0.5 else rng.choice(
                (".com", ".com", ".com", ".io", ".co", ".ai"))
            domain = f"{stem}{tld}"
            if domain in self.used_domains:
                domain = f"{stem}{_ascii(suffix)}{tld}"
            if domain in self.used_domains:
                continue
            seen_names.add(name)
            self.used_domains.add(domain)
            city, region = rng.choice(_CITIES[country])
            location = f"{city}, {region}, {country}" if region else f"{city}, {country}"
            website = rng.choice((f"https://www.{domain}", f"https://{domain}", f"www.{domain}"))
            companies.append(_Company(
                name=name, domain=domain, website=website, industry=industry,
                employees=rng.choice(_EMPLOYEE_BANDS), location=location, country=country,
            ))
        self.w._companies = companies

    # accounts and mailboxes

    def _account(self, index: int) -> None:
        rng, w = self.rng, self.w
        profile = _CLIENT_PROFILES[index % len(_CLIENT_PROFILES)]
        name = profile[0] if index < len(_CLIENT_PROFILES) else f"{profile[0]}_{index}"
        client = _Client(name, *profile[1:])
        self.clients[name] = client
        stem = name.replace("_", "")
        domain_pool = [f"try{stem}.com", f"{stem}-mail.com", f"get{stem}.io", f"{stem}hq.co"]
        rng.shuffle(domain_pool)
        domains = tuple(domain_pool[: rng.randint(2, 3)])
        contact_first = rng.choice(_NAME_POOLS["United States"][0])
        account = Account(
            name=name,
            api_key=f"slk_sandbox_{name}_{rng.getrandbits(64):016x}",
            user_id=w._next_id("user"),
            client_id=w._next_id("client"),
            client_name=f"{contact_first} {rng.choice(_NAME_POOLS['United States'][1])}",
            client_email=f"{_ascii(contact_first)}@{client.link.split('/')[2]}",
            client_company=client.company,
            product=client.product,
            sending_domains=domains,
        )
        w.accounts.append(account)
        w.account_by_key[account.api_key] = account
        w.account_by_name[name] = account
        tag_names = ("Primary", "Warmup pool", "New domain", "Outlook", "Google", "Reserve")
        tags = tuple(
            Tag(w._next_id("tag"), tag, rng.choice(_TAG_COLORS)) for tag in tag_names
        )
        for _ in range(rng.randint(9, 11)):
            self._mailbox(account, tags)

    def _mailbox(self, account: Account, tags: tuple[Tag, ...]) -> None:
        rng, w = self.rng, self.w
        first = rng.choice(_NAME_POOLS["United States"][0])
        last = rng.choice(_NAME_POOLS["United States"][1])
        domain = rng.choice(account.sending_domains)
        local = rng.choice((f"{_ascii(first)}", f"{_ascii(first)}.{_ascii(last)}",
                            f"{_ascii(first)}{_ascii(last)[0]}"))
        from_email = f"{local}@{domain}"
        while any(m.from_email == from_email for m in w.mailboxes.values()):
            from_email = f"{local}{rng.randint(2, 9)}@{domain}"
        kind = rng.choices(("GMAIL", "OUTLOOK", "SMTP"), (5, 3, 2))[0]
        smtp_host, smtp_port, imap_host, imap_port = {
            "GMAIL": ("smtp.gmail.com", 465, "imap.gmail.com", 993),
            "OUTLOOK": ("smtp.office365.com", 587, "outlook.office365.com", 993),
            "SMTP": (f"mail.{domain}", 465, f"mail.{domain}", 993),
        }[kind]
        created = self.midnights[0] - timedelta(days=rng.randint(20, 200),
                                                minutes=rng.randint(0, 1440))
        reputation: str | int = f"{rng.randint(92, 100)}%"
        if rng.random() < 0.25:
            reputation = rng.randint(90, 100)
        imap_ok = rng.random() > 0.06
        mailbox = Mailbox(
            id=w._next_id("mailbox"),
            account=account.name,
            user_id=account.user_id,
            client_id=account.client_id,
            from_name=f"{first} {last}",
            from_email=from_email,
            type=kind,
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            imap_host=imap_host,
            imap_port=imap_port,
            message_per_day=rng.choice((20, 25, 30, 40, 50)),
            warmup_status="ACTIVE" if rng.random() < 0.85 else "INACTIVE",
            warmup_reputation=reputation,
            warmup_spam_count=rng.randint(0, 6),
            warmup_sent_count=rng.randint(300, 4000),
            password="".join(rng.choice(_PASSWORD_CHARS) for _ in range(16)),
            tags=tuple(rng.sample(tags, rng.randint(0, 2))),
            created_at=created,
            updated_at=created + timedelta(days=rng.randint(1, 15)),
            custom_tracking_domain=f"track.{domain}" if rng.random() < 0.4 else None,
            is_smtp_success=True,
            is_imap_success=imap_ok,
            imap_failure_error=None if imap_ok else "IMAP authentication failed",
            bounce_rate=rng.uniform(0.006, 0.018),
        )
        w.mailboxes[mailbox.id] = mailbox

    # campaigns

    def _campaigns(self) -> list[Campaign]:
        rng, w = self.rng, self.w
        n = self.cfg.n_campaigns
        counts = {"COMPLETED": round(n * 0.33), "PAUSED": round(n * 0.1),
                  "STOPPED": round(n * 0.07), "DRAFTED": round(n * 0.1)}
        counts["ACTIVE"] = max(1, n - sum(counts.values()))
        statuses = [s for s, k in counts.items() for _ in range(k)]
        rng.shuffle(statuses)
        statuses = statuses[:n]
        # Every account gets a campaign, and the first account an active one: the decaying
        # variant lives there.
        owners = [w.accounts[i] if i < len(w.accounts) else rng.choice(w.accounts)
                  for i in range(n)]
        if "ACTIVE" not in statuses[:1]:
            j = statuses.index("ACTIVE") if "ACTIVE" in statuses else 0
            statuses[0], statuses[j] = "ACTIVE", statuses[0]
        campaigns: list[Campaign] = []
        for i, (owner, status) in enumerate(zip(owners, statuses, strict=True)):
            campaigns.append(self._campaign(owner, status, campaigns, decaying=i == 0))
        return campaigns

    def _campaign(
        self, account: Account, status: str, earlier: list[Campaign], *, decaying: bool
    ) -> Campaign:
        rng, w, days = self.rng, self.w, self.cfg.days
        window = self._window(status, decaying)
        start_day = None if window is None else window[0]
        if start_day is None:
            created = self.midnights[_span(rng, days - 30, days - 1)]
        else:
            created = self.midnights[start_day] - timedelta(days=rng.randint(1, 10))
        created += timedelta(minutes=rng.randint(8 * 60, 18 * 60))
        created = min(created, w.cutoff - timedelta(hours=2))
        tz, offset = rng.choice(_TIMEZONES)
        start_hour = rng.choice((7, 8, 9, 9, 10))
        mailboxes = [m.id for m in w.mailboxes.values() if m.account == account.name]
        linked = tuple(sorted(rng.sample(mailboxes, min(len(mailboxes), rng.randint(2, 4)))))
        client = self.clients[account.name]
        track: tuple[str, ...] = ()
        roll = rng.random()
        if roll < 0.1:
            track = ("DONT_EMAIL_OPEN",)
        elif roll < 0.25:
            track = ("DONT_LINK_CLICK",)
        same_account = [c for c in earlier if c.account == account.name]
        parent = rng.choice(same_account).id if same_account and rng.random() < 0.05 else None
        theme = rng.choice(_THEMES) if parent is None else "Re-engage"
        name = (f"{client.company.split()[0]} | {rng.choice(_PERSONAS)} | {theme} "
                f"{created.strftime('%b %Y')}")
        if rng.random() < 0.2:
            name += f" v{rng.randint(2, 4)}"
        campaign = Campaign(
            id=w._next_id("campaign"),
            account=account.name,
            user_id=account.user_id,
            client_id=account.client_id,
            name=name,
            status=status,
            created_at=created,
            updated_at=created,
            start_date=None if start_day is None else self.dates[start_day],
            timezone=tz,
            utc_offset=offset,
            schedule_days=(1, 2, 3, 4, 5) if rng.random() < 0.85 else (1, 2, 3, 4, 5, 6),
            start_hour=start_hour,
            end_hour=start_hour + rng.choice((6, 8, 8, 9)),
            min_time_btwn_emails=rng.choice((5, 10, 15, 20)),
            max_leads_per_day=rng.choice((20, 30, 50, 100, 200)),
            schedule_start_time=None if start_day is None else self.midnights[start_day],
            enable_ai_esp_matching=rng.random() < 0.3,
            send_as_plain_text=rng.random() < 0.2,
            follow_up_percentage=100,
            unsubscribe_text=rng.choice(("", "", "Not interested? Just reply and let me know.")),
            track_settings=track,
            tags=tuple(rng.sample(_CAMPAIGN_TAGS, rng.randint(0, 2))),
            mailbox_ids=linked,
            parent_campaign_id=parent,
            quality=rng.uniform(0.85, 1.15),
        )
        w.campaigns[campaign.id] = campaign
        if window is not None:
            self.windows[campaign.id] = window
        return campaign

    def _window(self, status: str, decaying: bool) -> tuple[int, int, datetime] | None:
        """When a campaign enrols leads (first and last day) and from when it sends nothing.

        Day numbers count from the world's first day; the end date is day ``days``. Drafted
        campaigns have no window.
        """
        rng, days, cutoff = self.rng, self.cfg.days, self.w.cutoff
        if status == "DRAFTED":
            return None
        if decaying:
            lo, hi, stop = max(0, days - 140), days, cutoff
        elif status == "ACTIVE":
            lo = max(0, days - rng.randint(14, max(14, min(days, 200))))
            hi, stop = days + rng.randint(0, 30), cutoff
        elif status == "COMPLETED":
            lo = _span(rng, 0, days - 50)
            hi, stop = min(lo + rng.randint(20, 90), max(lo, days - 30)), cutoff
        else:
            lo = _span(rng, 0, days - 20)
            hi = lo + rng.randint(20, 120)
            pause_day = max(lo, min(lo + rng.randint(10, max(10, hi - lo)), days - 1))
            stop = self.midnights[pause_day] + timedelta(hours=12)
        return lo, min(hi, self.horizon - 1), stop

    def _sequence(self, campaign: Campaign, *, decaying_campaign: bool) -> None:
        rng, w = self.rng, self.w
        client = self.clients[campaign.account]
        n_steps = 3 if decaying_campaign else rng.choices((2, 3, 4), (3, 4, 3))[0]
        steps: list[Step] = []
        for seq in range(1, n_steps + 1):
            n_variants = rng.choices((1, 2, 3), (4, 4, 2))[0] if seq == 1 else rng.choices(
                (1, 2, 3), (7, 3, 1))[0]
            if decaying_campaign and seq == 1:
                n_variants = 2
            step_id = w._next_id("step")
            variants = []
            for v in range(n_variants):
                plain_only = decaying_campaign and seq == 1 and v == 0
                subject, body = _copy(rng, client, seq, plain_only=plain_only)
                variant = Variant(w._next_id("variant"), step_id, campaign.id, seq, "ABC"[v],
                                  subject, body)
                variants.append(variant)
                w.variants[variant.id] = variant
            created = campaign.created_at + timedelta(minutes=rng.randint(5, 120))
            steps.append(Step(
                id=step_id,
                campaign_id=campaign.id,
                seq_number=seq,
                delay_days=0 if seq == 1 else rng.randint(2, 5),
                created_at=created,
                updated_at=created + timedelta(minutes=rng.randint(0, 600)),
                variants=tuple(variants),
            ))
        w.steps[campaign.id] = tuple(steps)

    # leads and their enrolment windows

    def _enroll(self, campaigns: list[Campaign], decaying: Campaign) -> None:
        rng, w = self.rng, self.w
        weights = []
        for c in campaigns:
            weight = rng.lognormvariate(0, 0.6)
            if c.status == "DRAFTED":
                weight *= 0.25
            if c is decaying:
                weight = max(weight, DECAY_CAMPAIGN_WEIGHT)
            weights.append(weight)
        assigned = rng.choices(campaigns, weights, k=self.cfg.n_leads) if campaigns else []
        # Upload times: before the first email, never after "now".
        for campaign in assigned:
            if campaign.status == "DRAFTED":
                created = campaign.created_at + timedelta(hours=rng.randint(1, 200))
            else:
                lo, hi, _ = self.windows[campaign.id]
                created = self.midnights[lo] - timedelta(hours=rng.randint(1, 72))
            w._new_lead(campaign, rng, min(created, w.cutoff - timedelta(hours=1)))

    def _choose_bouncing(self, decaying: Campaign) -> Mailbox:
        w = self.w
        load: dict[int, float] = dict.fromkeys(w.mailboxes, 0.0)
        for c in w.campaigns.values():
            if c.status == "DRAFTED":
                continue
            for lead in w.campaign_leads.get(c.id, []):
                load[lead.mailbox_id] += 1
        avoid = set(decaying.mailbox_ids)
        ranked = sorted(load, key=lambda mid: (mid in avoid, -load[mid], mid))
        mailbox = w.mailboxes[ranked[0]]
        mailbox.bounce_rate = BOUNCING_MAILBOX_RATE
        mailbox.warmup_reputation = f"{self.rng.randint(68, 79)}%"
        mailbox.warmup_spam_count = self.rng.randint(25, 60)
        return mailbox

    # the sequence walk: every email, open, click, bounce, unsubscribe and reply

    def _walk(self, campaign: Campaign, decaying_variant: Variant) -> None:
        if campaign.status == "DRAFTED":
            return
        rng, w = self.rng, self.w
        rand = rng.random
        steps = w.steps[campaign.id]
        lo, hi, stop = self.windows[campaign.id]
        cutoff = w.cutoff
        weights, midnights, horizon = self.weights, self.midnights, self.horizon
        window_seconds = (campaign.end_hour - campaign.start_hour) * 3600
        start_seconds = (campaign.start_hour - campaign.utc_offset) * 3600
        decay_anchor = midnights[lo]
        tracks_opens, tracks_clicks = campaign.tracks_opens, campaign.tracks_clicks
        base = BASE_REPLY_RATE * campaign.quality
        for lead in w.campaign_leads.get(campaign.id, []):
            mailbox = w.mailboxes[lead.mailbox_id]
            day = lo
            for _ in range(30):
                day = rng.randint(lo, hi)
                if rand() < weights[day]:
                    break
            outcome = None
            for step in steps:
                if step.seq_number > 1:
                    day += step.delay_days
                    pushes = 0
                    while day < horizon - 1 and rand() > weights[day] and pushes < 14:
                        day += 1
                        pushes += 1
                if day >= horizon:
                    break
                sent = midnights[day] + timedelta(
                    seconds=start_seconds + rand() * window_seconds,
                    milliseconds=rng.randrange(1000),
                )
                if sent >= stop or sent >= cutoff:
                    break
                variant = step.variants[rng.randrange(len(step.variants))]
                send = w._new_send(rng, lead, step, variant, sent)
                if rand() < mailbox.bounce_rate:
                    send.bounced = True
                    outcome = "bounced"
                    break
                if variant.id == decaying_variant.id:
                    weeks = (sent - decay_anchor).days // 7
                    p_reply = BASE_REPLY_RATE * DECAY_INITIAL_LIFT * DECAY_WEEKLY_FACTOR**weeks
                else:
                    p_reply = base * _STEP_REPLY_FACTOR[min(step.seq_number, 4) - 1]
                    if variant.is_question:
                        p_reply *= QUESTION_LIFT
                replied = rand() < p_reply
                if tracks_opens and (rand() < _OPEN_RATE or (replied and rand() < 0.85)):
                    opened = sent + timedelta(minutes=min(rng.expovariate(1 / 240), 4000) + 1)
                    if opened < cutoff:
                        send.open_time = opened
                        if tracks_clicks and "<a " in variant.body and rand() < _CLICK_RATE:
                            clicked = opened + timedelta(seconds=rng.randint(5, 900))
                            if clicked < cutoff:
                                send.click_time = clicked
                if replied:
                    kind = choose_kind(rng)
                    if kind == "out_of_office":
                        delay = timedelta(seconds=rng.randint(20, 1200))
                    else:
                        hours = min(rng.lognormvariate(math.log(3), 1.0), 36)
                        delay = timedelta(hours=hours, minutes=rng.randint(2, 30))
                    at = sent + delay
                    if send.open_time is not None and send.open_time > at:
                        send.open_time = sent + (at - sent) * rand()
                    if at < cutoff:
                        w._record_reply(rng, lead, send, at, kind)
                        outcome = "replied"
                        break
                    # The reply lands after "now": not visible yet, and the next step is later.
                elif rand() < _UNSUBSCRIBE_RATE:
                    at = sent + timedelta(minutes=rng.randint(1, 2000))
                    if at < cutoff:
                        send.unsubscribe_time = at
                        outcome = "unsubscribed"
                        break
            history = w.lead_sends.get(lead.id, [])
            if outcome == "bounced":
                lead.status = BLOCKED
                lead.category_id = BOUNCE_CATEGORY_ID
            elif outcome == "unsubscribed":
                lead.status = STOPPED
                lead.is_unsubscribed = True
            elif outcome == "replied":
                pass  # _record_reply already stopped the lead
            elif len(history) == len(steps):
                lead.status = COMPLETED
            elif campaign.status in (PAUSED, STOPPED):
                lead.status = campaign.status
            else:
                lead.status = INPROGRESS if history else STARTED

    def _manual_follow_ups(self) -> None:
        rng, w = self.rng, self.w
        warm = {"interested", "meeting_request", "question", "referral"}
        for reply in list(w.replies.values()):
            if reply.content.kind not in warm or rng.random() > 0.21:
                continue
            at = reply.time + timedelta(minutes=rng.randint(15, 2880))
            if at >= w.cutoff:
                continue
            lead = w.leads[reply.lead_id]
            send = w.lead_sends[lead.id][-1]
            mailbox = w.mailboxes[send.mailbox_id]
            body = rng.choice(_MANUAL_REPLIES).format(
                first=lead.first_name, me=mailbox.from_name.split()[0],
                link=f"https://cal.com/{_ascii(mailbox.from_name.split()[0])}/intro",
            )
            stats_id = _uuid(rng)
            message = ManualMessage(
                lead_id=lead.id,
                campaign_id=lead.campaign_id,
                mailbox_id=mailbox.id,
                stats_id=stats_id,
                message_id=f"<{stats_id}@{mailbox.domain}>",
                time=at,
                subject=reply.content.subject if reply.content.subject.lower().startswith(
                    "re") else f"Re: {w.subject_of(send)}",
                body=body,
            )
            w.manual_messages.setdefault(lead.id, []).append(message)

    def _finish(self, campaigns: list[Campaign]) -> None:
        w = self.w
        for c in campaigns:
            leads = w.campaign_leads.get(c.id, [])
            if c.status == "COMPLETED" and any(
                lead.status in (STARTED, INPROGRESS) for lead in leads
            ):
                # A short world cannot fit the whole sequence: the campaign is still running.
                c.status = "ACTIVE"
            sends = w.campaign_sends.get(c.id)
            last = sends[-1].sent_time if sends else c.created_at
            c.updated_at = max(c.created_at, min(last, w.cutoff))


# Copy -------------------------------------------------------------------------------------------


def _copy(rng: random.Random, client: _Client, seq: int, *, plain_only: bool) -> tuple[str, str]:
    """A subject and HTML body for one variant of step ``seq``."""
    fill = {
        "client": client.company, "product": client.product, "pain": client.pain,
        "proof": client.proof, "link": client.link, "metric": client.metric,
        "client_short": client.company.split()[0],
    }
    if seq == 1:
        question = not plain_only and rng.random() < 0.4
        subject = rng.choice(_SUBJECTS_QUESTION if question else _SUBJECTS_PLAIN)
        paragraphs = [rng.choice(_HOOKS), rng.choice(_VALUE), rng.choice(_CTAS)]
        if rng.random() < 0.4:
            paragraphs.insert(2, rng.choice(_LINKS))
    else:
        roll = rng.random()
        if roll < 0.65:
            subject = ""
        elif roll < 0.7:
            subject = "Should I close your file?"
        else:
            subject = rng.choice(_SUBJECTS_FOLLOW_UP)
        paragraphs = [rng.choice(_FOLLOW_UPS)]
        if rng.random() < 0.3:
            paragraphs.append(rng.choice(_CTAS))
        if rng.random() < 0.2:
            paragraphs.append(rng.choice(_LINKS))
    opener = rng.choice(_OPENERS)
    signoff = rng.choice(_SIGNOFFS)
    parts = [opener, *paragraphs, signoff]
    if rng.random() < 0.5:
        body = "".join(f"<p>{p}</p>" for p in parts)
    else:
        body = "<br><br>".join(f"<div>{p}</div>" if i == 0 else p for i, p in enumerate(parts))
    return subject.format(**fill), body.format(**fill)


# Escape personalization braces for str.format: "{{{{first_name}}}}" renders "{{first_name}}".
_SUBJECTS_PLAIN = (
    "{{{{company_name}}}} + {client_short}",
    "Idea for {{{{company_name}}}}",
    "{metric} at {{{{company_name}}}}",
    "Thoughts on {product}",
    "{{{{first_name}}}} - quick idea",
    "Helping {{{{industry}}}} teams with {product}",
    "Saw {{{{company_name}}}} is hiring",
    "Intro from {client}",
    "A note on {product}",
    "15 minutes, {{{{first_name}}}}",
    "{product} for {{{{company_name}}}}",
    "Cutting {metric}",
)
_SUBJECTS_QUESTION = (
    "Worth a conversation, {{{{first_name}}}}?",
    "Open to a new approach to {product}?",
    "Are {metric} on your radar this quarter?",
    "Still handling {product} in-house?",
    "Who owns {product} at {{{{company_name}}}}?",
    "Quick question about {{{{company_name}}}}?",
    "Are you the right person, {{{{first_name}}}}?",
    "Time for a quick call next week?",
    "Can I send you a 2-minute video?",
    "How are you handling {metric} today?",
    "{{{{first_name}}}}, worth 15 minutes?",
)
_SUBJECTS_FOLLOW_UP = (
    "Following up",
    "One more idea for {{{{company_name}}}}",
    "Closing the loop",
    "Re: {product}",
    "Last note, {{{{first_name}}}}",
)
_OPENERS = ("Hi {{{{first_name}}}},", "Hey {{{{first_name}}}},", "{{{{first_name}}}} -",
            "Hello {{{{first_name}}}},", "Hi {{{{first_name}}}}!")
_HOOKS = (
    "I noticed {{{{company_name}}}} has been growing the team - that's usually when {pain} "
    "starts to hurt.",
    "Most {{{{industry}}}} teams I talk to say {pain} is what slows them down.",
    "Congrats on the recent momentum at {{{{company_name}}}}.",
    "I'll keep this short since you're busy running things at {{{{company_name}}}}.",
    "Reaching out because as {{{{title}}}} you probably own decisions about {product}.",
    "Saw that {{{{company_name}}}} is expanding in {{{{location}}}}.",
)
_VALUE = (
    "{client} helps teams like yours with {product}, without adding headcount.",
    "We built {client} to take {pain} off your plate.",
    "{proof}.",
    "In short: {product} that works out of the box, live in under two weeks.",
)
_CTAS = (
    "Worth a 15-minute call next week?",
    "Open to a quick chat?",
    "Would it be crazy to compare notes for 15 minutes?",
    "If it's not you, who should I speak with?",
    "Is this on your radar this quarter?",
    "Can I send over a short case study?",
)
_LINKS = (
    'Here is a <a href="{link}">2-minute overview</a> if useful.',
    'A few customer stories are <a href="{link}">here</a>.',
)
_FOLLOW_UPS = (
    "Just bumping this to the top of your inbox in case it got buried.",
    "Circling back on my note below - {proof}.",
    "Did you get a chance to look at my last email?",
    "I know {pain} isn't always top of the list, so I'll keep this short: {product} from "
    "{client} pays for itself within a quarter for most teams.",
    "Last note from me. If {product} isn't a priority right now, no worries - just let me "
    "know and I'll stop reaching out.",
    "Thought this might be relevant: {proof}.",
)
_SIGNOFFS = ("Best,<br>%sender-firstname%", "Cheers,<br>%sender-firstname%",
             "Thanks,<br>%sender-firstname%", "%sender-firstname%")
_MANUAL_REPLIES = (
    "<div>Thanks {first}! Here's my calendar, grab any slot that works: "
    '<a href="{link}">{link}</a></div><div><br></div><div>{me}</div>',
    "<div>Great to hear, {first}. I'll send over a short overview and a couple of times for "
    "next week.</div><div><br></div><div>Best,<br>{me}</div>",
    "<div>Hi {first}, good question - short answer is yes. Happy to walk you through it on a "
    "call.</div><div><br></div><div>{me}</div>",
    "<div>Thanks for pointing me in the right direction, {first}. Much appreciated!</div>"
    "<div>{me}</div>",
)

_CLIENT_PROFILES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("northwind", "Northwind Data", "B2B contact data",
     "bounced emails and stale CRM records",
     "Lumos Health cut their bounce rate from 9% to under 2% in six weeks",
     "https://northwinddata.com/customers", "bounce rates"),
    ("acme_growth", "Acme Growth", "outsourced SDR teams",
     "ramping new SDRs for months before they book a meeting",
     "we booked 42 qualified meetings for Fieldline's AEs in their first quarter",
     "https://acmegrowth.io/results", "pipeline costs"),
    ("blue_harbor", "Blue Harbor Finance", "accounts payable automation",
     "invoices living in inboxes and a month-end close that drags",
     "Kestrel Foods now closes their books six days faster",
     "https://blueharbor.finance/stories", "close times"),
    ("summit_labs", "Summit Labs", "security awareness training",
     "phishing clicks that nobody measures",
     "Orbit Logistics cut phishing click rates by 70% in one quarter",
     "https://summitlabs.dev/case-studies", "phishing risks"),
    ("redwood_partners", "Redwood Partners", "fractional CFO services",
     "board decks built from five different spreadsheets",
     "we helped Prism Robotics extend their runway by eight months",
     "https://redwoodpartners.co/work", "cash burn"),
    ("brightpath", "Brightpath HR", "employee onboarding software",
     "new hires waiting a week for laptops and logins",
     "Coralbay Retail got new hires productive in half the time",
     "https://brightpath.hr/customers", "onboarding delays"),
    ("ironclad_media", "Ironclad Media", "B2B video production",
     "product launches that nobody watches",
     "our launch video for Vertex Cloud drove 3x the demo requests of their last launch",
     "https://ironclad.media/portfolio", "launch results"),
    ("lumen_ops", "Lumen Ops", "field service scheduling",
     "technicians driving across town twice a day",
     "Granite Plumbing fits two more jobs per technician per week",
     "https://lumenops.com/customers", "drive times"),
)

_PERSONAS = ("VP Sales US", "RevOps leaders", "Founders <50 FTE", "CFOs mid-market",
             "Heads of Growth", "IT Directors DACH", "Marketing Ops", "HR leaders UK",
             "Ops managers", "SaaS CROs", "Agencies EMEA", "Series A-B founders")
_THEMES = ("Cold intro", "Pain-led", "Case study", "Hiring trigger", "Event follow-up",
           "Competitor swap", "Q-end push", "Warm list")
_TIMEZONES = (("America/New_York", -5), ("America/Chicago", -6), ("America/Los_Angeles", -8),
              ("Europe/London", 0), ("Europe/Berlin", 1))
_TAG_COLORS = ("#F44336", "#2196F3", "#4CAF50", "#FF9800", "#9C27B0", "#607D8B")
_CAMPAIGN_TAGS = (Tag(61_900_001, "Q1 push", "#2196F3"), Tag(61_900_002, "Enterprise", "#9C27B0"),
                  Tag(61_900_003, "SMB", "#4CAF50"), Tag(61_900_004, "Test", "#FF9800"))
_PASSWORD_CHARS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#$%&*+-="
_TITLES = (
    "VP Sales", "Head of Sales", "Sales Director", "CRO", "CEO", "Founder", "Co-Founder", "COO",
    "CFO", "VP Finance", "Controller", "Head of Growth", "VP Marketing", "Demand Gen Manager",
    "RevOps Manager", "Head of Revenue Operations", "IT Director", "CTO", "VP Engineering",
    "Head of People", "HR Director", "Procurement Manager", "Operations Manager",
    "SDR Manager", "Marketing Director", "Managing Director",
)
_EMPLOYEE_BANDS = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000")
_NAME_HEADS = (
    "blue", "north", "bright", "iron", "silver", "red", "green", "clear", "swift", "summit",
    "river", "stone", "cedar", "maple", "harbor", "peak", "atlas", "nova", "lumen", "vertex",
    "echo", "polar", "coral", "granite", "falcon", "orbit", "prism", "pine", "sky", "terra",
    "zen", "bold", "true", "open", "core", "fair", "golden", "quantum", "alpine", "hudson",
)
_NAME_TAILS = (
    "line", "path", "wave", "stone", "field", "bridge", "works", "point", "gate", "light",
    "forge", "stack", "loop", "ridge", "mark", "scale", "craft", "base", "shift", "leaf",
    "spark", "wise", "hub", "sphere", "bay", "crest", "dale", "port", "view", "yard",
)
_COMPANY_SUFFIXES = (
    ("Analytics", "Software"), ("Logistics", "Logistics"), ("Health", "Healthcare"),
    ("Software", "Software"), ("Labs", "Software"), ("Systems", "IT Services"),
    ("Capital", "Financial Services"), ("Foods", "Food & Beverage"), ("Energy", "Energy"),
    ("Robotics", "Manufacturing"), ("Media", "Media"), ("Security", "Cybersecurity"),
    ("Solutions", "IT Services"), ("Partners", "Consulting"), ("Manufacturing", "Manufacturing"),
    ("Insurance", "Insurance"), ("Learning", "Education"), ("Retail", "Retail"),
    ("Bio", "Biotech"), ("Cloud", "Software"), ("AI", "Software"), ("Payments", "Fintech"),
    ("Legal", "Legal"), ("Realty", "Real Estate"), ("Staffing", "Staffing"),
    ("Consulting", "Consulting"), ("Group", "Consulting"), ("Technologies", "Software"),
    ("Networks", "Telecommunications"), ("Marketing", "Marketing"),
)
_COUNTRY_WEIGHTS = (
    ("United States", 55), ("United Kingdom", 10), ("Canada", 5), ("Australia", 3),
    ("Germany", 8), ("Austria", 1), ("France", 5), ("Spain", 4), ("Mexico", 2),
    ("Netherlands", 3), ("Ireland", 2), ("Belgium", 1), ("Switzerland", 1),
)
_TLDS = {"United Kingdom": ".co.uk", "Germany": ".de", "France": ".fr", "Spain": ".es",
         "Netherlands": ".nl", "Ireland": ".ie", "Austria": ".at", "Mexico": ".mx",
         "Belgium": ".be", "Switzerland": ".ch", "Canada": ".ca", "Australia": ".com.au"}
_CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "United States": (("San Francisco", "CA"), ("New York", "NY"), ("Austin", "TX"),
                      ("Chicago", "IL"), ("Boston", "MA"), ("Seattle", "WA"), ("Denver", "CO"),
                      ("Atlanta", "GA"), ("Miami", "FL"), ("Los Angeles", "CA"),
                      ("Raleigh", "NC"), ("Salt Lake City", "UT"), ("Nashville", "TN"),
                      ("Minneapolis", "MN")),
    "United Kingdom": (("London", "England"), ("Manchester", "England"),
                       ("Edinburgh", "Scotland")),
    "Canada": (("Toronto", "ON"), ("Vancouver", "BC"), ("Montreal", "QC")),
    "Australia": (("Sydney", "NSW"), ("Melbourne", "VIC")),
    "Germany": (("Berlin", ""), ("Munich", "Bavaria"), ("Hamburg", ""), ("Cologne", "NRW")),
    "Austria": (("Vienna", ""),),
    "France": (("Paris", "Île-de-France"), ("Lyon", ""), ("Bordeaux", "")),
    "Spain": (("Madrid", ""), ("Barcelona", "Catalonia"), ("Valencia", "")),
    "Mexico": (("Mexico City", "CDMX"), ("Guadalajara", "Jalisco")),
    "Netherlands": (("Amsterdam", ""), ("Rotterdam", "")),
    "Ireland": (("Dublin", ""),),
    "Belgium": (("Brussels", ""),),
    "Switzerland": (("Zurich", ""),),
}
_US_NAMES = (
    ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
     "Elizabeth", "William", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
     "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Ashley", "Andrew", "Emily", "Joshua",
     "Michelle", "Kevin", "Amanda", "Brian", "Melissa", "Ryan", "Stephanie", "Jason", "Rebecca",
     "Eric", "Laura", "Jacob", "Nicole", "Tyler", "Megan", "Aaron", "Hannah", "Adam", "Olivia",
     "Nathan", "Emma", "Samuel", "Grace", "Priya", "Arjun", "Wei", "Mei", "Hiroshi", "Yuki",
     "Carlos", "Lucia", "Ahmed", "Fatima", "Omar", "Leila", "Kwame", "Amara", "Raj", "Ananya",
     "Sean", "Siobhan", "Connor", "Aoife", "Jordan", "Taylor", "Morgan", "Dana"),
    ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
     "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
     "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King",
     "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
     "Roberts", "Carter", "Phillips", "Evans", "Turner", "Patel", "Shah", "Chen", "Wang", "Kim",
     "Nguyen", "Tanaka", "O'Brien", "Murphy", "Kelly", "Sullivan", "Okafor", "Mensah", "Singh",
     "Cohen", "Russo", "Novak", "Kowalski", "Schmidt", "Larsen"),
)
_NAME_POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "United States": _US_NAMES,
    "Germany": (("Lukas", "Anna", "Felix", "Lena", "Jonas", "Marie", "Maximilian", "Laura",
                 "Paul", "Julia", "Tobias", "Katharina", "Stefan", "Sabine", "Jörg", "Jürgen"),
                ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
                 "Becker", "Hoffmann", "Schulz", "Koch", "Richter", "Wolf", "Krüger")),
    "France": (("Pierre", "Camille", "Louis", "Chloé", "Julien", "Manon", "Antoine", "Léa",
                "Nicolas", "Élodie", "Mathieu", "Sophie"),
               ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
                "Durand", "Leroy", "Moreau", "Lefèvre", "Girard")),
    "Spain": (("Carlos", "Lucía", "Javier", "María", "Alejandro", "Carmen", "Pablo", "Laura",
               "Diego", "Sofía", "Miguel", "Elena"),
              ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
               "Pérez", "Gómez", "Ruiz", "Navarro", "Torres")),
}
_NAME_POOLS["Austria"] = _NAME_POOLS["Germany"]
_NAME_POOLS["Switzerland"] = _NAME_POOLS["Germany"]
_NAME_POOLS["Belgium"] = _NAME_POOLS["France"]
_NAME_POOLS["Mexico"] = _NAME_POOLS["Spain"]


def _phone(rng: random.Random, country: str) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(7))
    area = rng.randint(201, 989)
    match country:
        case "United States" | "Canada":
            return rng.choice((f"+1 {area}-{digits[:3]}-{digits[3:]}",
                               f"+1 ({area}) {digits[:3]}-{digits[3:]}",
                               f"{area}.{digits[:3]}.{digits[3:]}"))
        case "United Kingdom":
            return f"+44 20 {digits[:4]} {digits[4:]}{rng.randrange(10)}"
        case "Germany" | "Austria" | "Switzerland":
            return f"+49 {rng.randint(30, 89)} {digits}"
        case "France" | "Belgium":
            return f"+33 {rng.randint(1, 7)} {digits[:2]} {digits[2:4]} {digits[4:6]} 0{digits[6]}"
        case "Spain":
            return f"+34 9{digits[:2]} {digits[2:5]} {digits[5:]}{rng.randrange(10)}"
        case _:
            return f"+{rng.randint(31, 61)} {area} {digits}"


def _day_weight(d: date) -> float:
    """Relative sending volume on a day: weekends about 5%, August and the holidays lower."""
    weight = 1.0 if d.weekday() < 5 else 0.05
    if d.month == 8:
        weight *= 0.6
    if (d.month == 12 and d.day >= 20) or (d.month == 1 and d.day <= 2):
        weight *= 0.35
    return weight


def _span(rng: random.Random, lo: int, hi: int) -> int:
    """A random integer in ``[lo, hi]`` that tolerates an empty range (tiny worlds)."""
    lo = max(lo, 0)
    return rng.randint(lo, max(lo, hi))


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def _ascii(text: str) -> str:
    """Lower-case ASCII letters only (accents folded): for email local parts and handles."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())
