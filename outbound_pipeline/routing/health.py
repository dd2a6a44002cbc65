"""The health gate: may a lead be sent to, and how sure are we?

- RED (the lead is blocked, never pushed): ``invalid_email``, ``disposable_domain``,
  ``bounced_email``, ``unsubscribed``, ``duplicate_active_lead``.
- YELLOW (routed, but worth a look): ``role_address``, ``free_mail_domain``,
  ``domain_bounced_before``, ``missing_fields``. Only given when nothing is RED.
- GREEN: none of these, and no reasons.

A lead gets every reason of its colour, so a blocked lead shows all that is wrong with it. What
the pipeline already knows (bounces, unsubscribes, leads already held or active) comes in a
:class:`HealthContext`. The gate never raises: an address it cannot read is ``invalid_email``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from outbound_pipeline.routing.leads import IntakeLead

Classification = Literal["GREEN", "YELLOW", "RED"]

MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_LENGTH = 64

DISPOSABLE_DOMAINS: frozenset[str] = frozenset({
    # Mailinator and its alternate domains
    "mailinator.com", "mailinator.net", "mailinater.com", "binkmail.com", "bobmail.info",
    "chammy.info", "devnullmail.com", "letthemeatspam.com", "mailismagic.com",
    "mailtothis.com", "notsharingmy.info", "sogetthis.com", "spamherelots.com",
    "suremail.info", "thisisnotmyrealemail.com", "tradermail.info", "veryrealemail.com",
    "zippymail.info",
    # Guerrilla Mail
    "guerrillamail.com", "guerrillamail.net", "guerrillamail.org", "guerrillamail.biz",
    "guerrillamail.de", "guerrillamail.info", "guerrillamailblock.com", "sharklasers.com",
    "grr.la", "pokemail.net", "spam4.me",
    # Yopmail and its alternate domains
    "yopmail.com", "yopmail.fr", "yopmail.net", "cool.fr.nf", "jetable.fr.nf",
    "courriel.fr.nf", "moncourrier.fr.nf", "monemail.fr.nf", "monmail.fr.nf",
    "nospam.ze.tc", "nomail.xl.cx", "mega.zik.dk", "speed.1s.fr",
    # Minute and temp mail services
    "10minutemail.com", "10minutemail.net", "10minutemail.co.uk", "20minutemail.com",
    "temp-mail.org", "temp-mail.io", "tempmail.com", "tempmail.net", "tempmailo.com",
    "tempail.com", "tempr.email", "tempinbox.com", "tmpmail.org", "tmpmail.net",
    "mytemp.email", "mailtemp.info", "mail-temporaire.fr", "emailtemporanea.net",
    "1secmail.com", "1secmail.net", "1secmail.org", "dropmail.me", "10mail.org",
    # Trash and throwaway mail
    "trashmail.com", "trashmail.de", "trashmail.net", "trashmail.me", "trash-mail.com",
    "throwawaymail.com", "wegwerfmail.de", "wegwerfmail.net", "wegwerfmail.org",
    "einrot.com", "byom.de", "discard.email", "discardmail.com", "discardmail.de",
    "dispostable.com", "jetable.org",
    # Others
    "maildrop.cc", "mailnesia.com", "mailcatch.com", "mintemail.com", "getnada.com",
    "nada.email", "getairmail.com", "fakeinbox.com", "fakemail.net", "emailfake.com",
    "emailondeck.com", "mohmal.com", "moakt.com", "burnermail.io", "spamgourmet.com",
    "spambox.us", "spamex.com", "spambog.com", "spambog.de", "spamfree24.org",
    "spamdecoy.net", "mailexpire.com", "mailforspam.com", "incognitomail.org",
    "harakirimail.com", "mailpoof.com", "one-time.email", "inboxkitten.com", "33mail.com",
})

FREE_MAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "ymail.com", "rocketmail.com", "msn.com", "icloud.com",
    "me.com", "mac.com", "web.de", "t-online.de", "freenet.de", "arcor.de", "posteo.de",
    "mail.de", "protonmail.com", "protonmail.ch", "proton.me", "pm.me", "tutanota.com",
    "tutanota.de", "tuta.io", "zohomail.com", "mail.ru", "mail.com", "aim.com", "email.com",
    "orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "sfr.fr", "libero.it",
    "virgilio.it", "seznam.cz", "wp.pl", "o2.pl", "onet.pl", "interia.pl", "bluewin.ch",
    "qq.com", "163.com", "126.com", "naver.com", "rediffmail.com", "btinternet.com",
    "sky.com", "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "bellsouth.net",
    "cox.net", "charter.net", "earthlink.net", "juno.com",
})
# Providers with a domain per country (yahoo.co.uk, hotmail.fr, gmx.net, gmx.at, ...).
FREE_MAIL_FAMILIES: frozenset[str] = frozenset({
    "yahoo", "hotmail", "outlook", "live", "gmx", "aol", "yandex",
})

ROLE_LOCAL_PARTS: frozenset[str] = frozenset({
    "info", "sales", "admin", "administrator", "support", "contact", "contacts", "hello", "hi",
    "office", "team", "marketing", "billing", "accounts", "accounting", "finance", "hr",
    "jobs", "careers", "recruiting", "noreply", "no-reply", "no_reply", "donotreply",
    "do-not-reply", "postmaster", "webmaster", "hostmaster", "abuse", "help", "helpdesk",
    "enquiries", "enquiry", "inquiries", "inquiry", "mail", "media", "press", "pr",
    "privacy", "legal", "security", "service", "services", "customerservice", "newsletter",
    "news", "orders", "kontakt", "buero", "reception", "feedback", "it", "ops",
    "operations", "partners", "partnerships", "root", "all", "everyone", "staff",
})

_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_COUNTRY_SUFFIX = re.compile(r"[a-z]{2,3}(?:\.[a-z]{2})?")


@dataclass(frozen=True)
class Reason:
    code: str
    """Stable snake_case code, for filters and counts."""
    message: str
    """What is wrong, for a person."""


@dataclass(frozen=True)
class Health:
    classification: Classification
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class HealthContext:
    """What the pipeline already knows; every address and domain is compared in lower case.

    ``active_emails`` are the addresses of leads already HELD or ACTIVE.
    """

    bounced_emails: frozenset[str] = field(default_factory=frozenset)
    bounced_domains: frozenset[str] = field(default_factory=frozenset)
    unsubscribed_emails: frozenset[str] = field(default_factory=frozenset)
    active_emails: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("bounced_emails", "bounced_domains", "unsubscribed_emails",
                     "active_emails"):
            values = getattr(self, name) or ()
            object.__setattr__(self, name, frozenset(
                str(value).strip().lower() for value in values if value is not None))


def check_health(lead: IntakeLead, context: HealthContext | None = None) -> Health:
    """GREEN, YELLOW or RED for the lead, with every reason of that colour."""
    context = context or HealthContext()
    address = _address(getattr(lead, "email", None))
    local, _, domain = address.rpartition("@")

    red: list[Reason] = []
    problem = address_problem(address)
    if problem:
        red.append(Reason("invalid_email", f"{address}: {problem}" if address else problem))
    disposable = _listed_domain(domain, DISPOSABLE_DOMAINS)
    if disposable:
        red.append(Reason("disposable_domain", f"{disposable} is a disposable mail domain"))
    if address in context.bounced_emails:
        red.append(Reason("bounced_email", f"{address} has bounced before"))
    if address in context.unsubscribed_emails:
        red.append(Reason("unsubscribed", f"{address} has unsubscribed"))
    if address in context.active_emails:
        red.append(Reason("duplicate_active_lead", f"{address} is already held or active"))
    if red:
        return Health("RED", tuple(red))

    yellow: list[Reason] = []
    if local.split("+", 1)[0] in ROLE_LOCAL_PARTS:
        yellow.append(Reason("role_address", f"{address} is a role address, not a person"))
    if is_free_mail(domain):
        yellow.append(Reason("free_mail_domain", f"{domain} is a free mail provider"))
    if domain in context.bounced_domains:
        yellow.append(Reason("domain_bounced_before",
                             f"addresses at {domain} have bounced before"))
    missing = [name for name in ("first_name", "company", "persona")
               if not _has_text(getattr(lead, name, None))]
    if missing:
        yellow.append(Reason("missing_fields", f"missing {', '.join(missing)}"))
    if yellow:
        return Health("YELLOW", tuple(yellow))
    return Health("GREEN")


def address_problem(address: str) -> str | None:
    """What makes the address unusable, or None when its syntax is sound (one ``@``, a local
    part, a dotted ASCII domain ending in a top-level domain of 2+ letters, sensible lengths)."""
    if not address:
        return "the address is empty"
    if any(ch.isspace() for ch in address):
        return "the address contains spaces"
    if address.count("@") != 1:
        return "the address must contain exactly one @"
    if len(address) > MAX_ADDRESS_LENGTH:
        return f"the address is longer than {MAX_ADDRESS_LENGTH} characters"
    local, _, domain = address.partition("@")
    if not local:
        return "nothing before the @"
    if len(local) > MAX_LOCAL_LENGTH:
        return f"the part before the @ is longer than {MAX_LOCAL_LENGTH} characters"
    if not _LOCAL.fullmatch(local):
        return "the part before the @ has characters or dots that are not allowed"
    if not domain:
        return "nothing after the @"
    labels = domain.split(".")
    if len(labels) < 2:
        return f"the domain {domain} has no top-level domain"
    if not all(_LABEL.fullmatch(label) for label in labels[:-1]):
        return f"the domain {domain} is not a valid domain name"
    if not _TLD.fullmatch(labels[-1]):
        return f"the top-level domain of {domain} must be 2 or more letters"
    return None


def is_free_mail(domain: str) -> bool:
    """Whether the domain belongs to a free mail provider (gmail.com, yahoo.co.uk, gmx.net...)."""
    if domain in FREE_MAIL_DOMAINS:
        return True
    family, _, suffix = domain.partition(".")
    return family in FREE_MAIL_FAMILIES and bool(_COUNTRY_SUFFIX.fullmatch(suffix))


def _listed_domain(domain: str, listed: frozenset[str]) -> str | None:
    """The domain or the parent domain of it that is listed (``a.mailinator.com`` ->
    ``mailinator.com``), or None."""
    labels = domain.split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in listed:
            return candidate
    return None


def _address(value: Any) -> str:
    try:
        return str(value).strip().lower() if value is not None else ""
    except Exception:  # an object whose str() fails is no address either
        return ""


def _has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
