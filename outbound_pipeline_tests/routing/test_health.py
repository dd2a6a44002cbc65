"""The health gate: each reason on its own, RED before YELLOW, GREEN with no reasons."""

from __future__ import annotations

import pytest

from outbound_pipeline.routing.health import (
    DISPOSABLE_DOMAINS,
    Health,
    HealthContext,
    check_health,
)
from outbound_pipeline.routing.leads import IntakeLead


def lead(email: str = "jane.smith@tech.io", **fields) -> IntakeLead:
    complete = {"first_name": "Jane", "company": "Tech Inc", "persona": "VP Sales"}
    return IntakeLead(email, **{**complete, **fields})


def codes(health: Health) -> list[str]:
    return [reason.code for reason in health.reasons]


def test_a_complete_lead_at_a_company_domain_is_green():
    assert check_health(lead(), HealthContext()) == Health("GREEN", ())


@pytest.mark.parametrize("address", [
    "", "jane", "jane@", "@tech.io", "jane@@tech.io", "jane@tech@io", "jane smith@tech.io",
    "jane@tech", "jane@tech.c", "jane@tech.c0m", "jane@-tech.io", "jane@tech..io",
    ".jane@tech.io", "jane..smith@tech.io", "jane.@tech.io", "ja(ne)@tech.io",
    "a" * 65 + "@tech.io", "jane@" + "a" * 250 + ".io",
])
def test_invalid_addresses_are_red(address):
    health = check_health(lead(address), HealthContext())
    assert health.classification == "RED"
    assert codes(health)[0] == "invalid_email"


@pytest.mark.parametrize("address", [
    "jane@tech.io", "jane.smith+promo@mail.tech.co.uk", "o'brien@firm.ie",
    "j_s-1@a-b.museum", "jane@xn--mnchen-3ya.de", "jane@tech.xn--p1ai",
])
def test_sound_addresses_are_valid(address):
    assert "invalid_email" not in codes(check_health(lead(address), HealthContext()))


def test_the_invalid_reason_says_what_is_wrong():
    (reason,) = check_health(lead("jane@tech"), HealthContext()).reasons
    assert reason.message == "jane@tech: the domain tech has no top-level domain"


@pytest.mark.parametrize("address", [
    "x@mailinator.com", "x@yopmail.fr", "x@guerrillamail.com", "x@10minutemail.com",
    "x@inbox.mailinator.com", "x@a.b.trashmail.de",
])
def test_disposable_domains_and_their_subdomains_are_red(address):
    health = check_health(lead(address), HealthContext())
    assert (health.classification, codes(health)) == ("RED", ["disposable_domain"])


def test_the_disposable_list_is_substantial_and_lower_case():
    assert len(DISPOSABLE_DOMAINS) >= 60
    assert all(domain == domain.lower() and "." in domain for domain in DISPOSABLE_DOMAINS)


def test_not_disposable_just_because_a_name_ends_alike():
    assert check_health(lead("x@notmailinator.com.example.org"), HealthContext()) \
        .classification == "GREEN"


@pytest.mark.parametrize("context,code", [
    (HealthContext(bounced_emails=frozenset({"jane.smith@tech.io"})), "bounced_email"),
    (HealthContext(unsubscribed_emails=frozenset({"jane.smith@tech.io"})), "unsubscribed"),
    (HealthContext(active_emails=frozenset({"jane.smith@tech.io"})), "duplicate_active_lead"),
])
def test_what_the_pipeline_knows_makes_red(context, code):
    health = check_health(lead(), context)
    assert (health.classification, codes(health)) == ("RED", [code])


def test_context_is_compared_in_lower_case():
    context = HealthContext(bounced_emails=frozenset({" Jane.Smith@Tech.IO"}))
    assert codes(check_health(lead("JANE.SMITH@tech.io"), context)) == ["bounced_email"]


def test_red_lists_every_red_reason_and_no_yellow():
    context = HealthContext(unsubscribed_emails=frozenset({"info@mailinator.com"}),
                            active_emails=frozenset({"info@mailinator.com"}))
    health = check_health(lead("info@mailinator.com", first_name=None), context)
    assert (health.classification, codes(health)) == (
        "RED", ["disposable_domain", "unsubscribed", "duplicate_active_lead"])


@pytest.mark.parametrize("address", [
    "info@tech.io", "sales@tech.io", "no-reply@tech.io", "noreply@tech.io", "HR@tech.io",
    "support+eu@tech.io", "postmaster@tech.io",
])
def test_role_addresses_are_yellow(address):
    health = check_health(lead(address), HealthContext())
    assert (health.classification, codes(health)) == ("YELLOW", ["role_address"])


@pytest.mark.parametrize("address", [
    "jane@gmail.com", "jane@yahoo.com", "jane@yahoo.co.uk", "jane@hotmail.fr",
    "jane@outlook.com", "jane@gmx.de", "jane@gmx.net", "jane@web.de", "jane@icloud.com",
])
def test_free_mail_is_yellow(address):
    health = check_health(lead(address), HealthContext())
    assert (health.classification, codes(health)) == ("YELLOW", ["free_mail_domain"])


def test_a_company_domain_that_starts_like_a_provider_is_not_free_mail():
    assert check_health(lead("jane@yahoo.tech-partners.com"), HealthContext()) \
        .classification == "GREEN"


def test_a_domain_that_bounced_before_is_yellow():
    context = HealthContext(bounced_domains=frozenset({"tech.io"}))
    health = check_health(lead(), context)
    assert (health.classification, codes(health)) == ("YELLOW", ["domain_bounced_before"])


def test_missing_fields_are_yellow_and_named():
    health = check_health(lead(first_name=None, company="  ", persona=None), HealthContext())
    assert health.classification == "YELLOW"
    (reason,) = health.reasons
    assert (reason.code, reason.message) == (
        "missing_fields", "missing first_name, company, persona")


def test_yellow_lists_every_yellow_reason():
    context = HealthContext(bounced_domains=frozenset({"gmail.com"}))
    health = check_health(lead("info@gmail.com", persona=None), context)
    assert codes(health) == [
        "role_address", "free_mail_domain", "domain_bounced_before", "missing_fields"]


def test_odd_input_does_not_raise():
    odd = IntakeLead("x@y.io")
    object.__setattr__(odd, "email", None)
    object.__setattr__(odd, "first_name", 5)
    assert codes(check_health(odd, HealthContext())) == ["invalid_email"]
    assert check_health(lead("@@@"), HealthContext()).classification == "RED"
    assert check_health(lead("ünïcødé@tech.io"), HealthContext()).classification == "RED"
