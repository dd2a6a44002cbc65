"""Reading intake payloads and CSV files into leads, and the Smartlead shape of a lead."""

from __future__ import annotations

import pytest

from outbound_pipeline.routing.leads import (
    IntakeLead,
    LeadInputError,
    lead_from_payload,
    leads_from_csv,
    to_smartlead,
)


def test_payload_fields_and_aliases():
    lead = lead_from_payload({
        "email": "  Jane.Smith@Tech.io ",
        "first_name": "Jane",
        "last_name": "Smith",
        "company_name": "Tech Inc",
        "title": "Head of Marketing",
        "persona": "Marketing Manager",
        "lead_score": "75",
        "orgId": "acme",
        "linkedin_profile": "https://www.linkedin.com/in/janesmith",
        "phone_number": 4915112345678,
        "website": "tech.io",
        "id": 981,
        "industry": "SaaS",
        "employees": 120,
        "verified": True,
        "tags": ["a", "b"],
        "notes": "",
    }, "clay")
    assert lead == IntakeLead(
        "jane.smith@tech.io",
        first_name="Jane",
        last_name="Smith",
        company="Tech Inc",
        title="Head of Marketing",
        persona="Marketing Manager",
        score=75.0,
        organization="acme",
        source="clay",
        phone="4915112345678",
        website="tech.io",
        linkedin_url="https://www.linkedin.com/in/janesmith",
        custom_fields={"industry": "SaaS", "employees": "120", "verified": "true"},
        external_id="981",
    )


def test_the_first_alias_with_a_value_wins():
    lead = lead_from_payload({
        "email": "a@b.io", "company": "", "company_name": "Named", "score": 40,
        "lead_score": None, "org_id": "org-1", "organization": "  ",
        "external_id": "x-1",
    }, "api")
    assert (lead.company, lead.score, lead.organization, lead.external_id) == (
        "Named", 40.0, "org-1", "x-1")


def test_the_organization_argument_wins_and_default_is_default():
    assert lead_from_payload({"email": "a@b.io", "org_id": "other"}, "api", "acme") \
        .organization == "acme"
    assert lead_from_payload({"email": "a@b.io"}, "api").organization == "default"


def test_nested_custom_fields_are_kept():
    lead = lead_from_payload(
        {"email": "a@b.io", "custom_fields": {"icebreaker": "Saw your talk", "n": 3}}, "api")
    assert lead.custom_fields == {"icebreaker": "Saw your talk", "n": "3"}


@pytest.mark.parametrize("payload,message", [
    ({"first_name": "Jo"}, "email is missing"),
    ({"email": "   "}, "email is empty"),
    ({"email": 42}, "email must be text"),
    ({"email": "a@b.io", "lead_score": "high"}, "lead_score is not a number: 'high'"),
    ({"email": "a@b.io", "score": True}, "score is not a number"),
    ({"email": "a@b.io", "score": "nan"}, "score is not a number"),
    ({"email": "a@b.io", "persona": ["VP"]}, "persona must be text"),
])
def test_payload_problems_name_the_field(payload, message):
    with pytest.raises(LeadInputError, match=message):
        lead_from_payload(payload, "api")


def test_every_payload_problem_is_reported():
    with pytest.raises(LeadInputError) as raised:
        lead_from_payload({"score": "x", "company": {"name": "A"}}, "api")
    assert raised.value.problems == (
        "email is missing", "company must be text, got {'name': 'A'}",
        "score is not a number: 'x'")


def test_unknown_source_is_refused():
    with pytest.raises(LeadInputError, match="source"):
        lead_from_payload({"email": "a@b.io"}, "zapier")


def test_csv_with_aliases_quotes_and_case_insensitive_columns():
    text = (
        "\ufeffEMAIL,First Name,company_name,Lead_Score,orgid,LinkedIn_Profile,Notes,\n"
        '"Jane@Tech.io","Jane","Tech, Inc.",75,acme,https://linkedin.com/in/jane,'
        '"Met at ""SaaStr""\nfollow up in May",\n'
        "\n"
        "bob@corp.com,Bob,,,acme,,,\n"
    )
    jane, bob = leads_from_csv(text)
    assert (jane.email, jane.first_name, jane.company, jane.score, jane.organization) == (
        "jane@tech.io", "Jane", "Tech, Inc.", 75.0, "acme")
    assert jane.linkedin_url == "https://linkedin.com/in/jane"
    assert jane.custom_fields == {"Notes": 'Met at "SaaStr"\nfollow up in May'}
    assert jane.source == "csv"
    assert (bob.email, bob.company, bob.score, bob.custom_fields) == (
        "bob@corp.com", None, None, {})


def test_csv_organization_argument_and_source():
    (lead,) = leads_from_csv("email,persona\na@b.io,CTO\n", source="api", organization="acme")
    assert (lead.organization, lead.source, lead.persona) == ("acme", "api", "CTO")


def test_csv_reports_every_bad_row_with_its_line_and_returns_nothing():
    text = (
        "email,first_name,score,notes\n"           # line 1
        "good@corp.com,Ann,90,\n"                  # line 2
        '"quoted@corp.com",Ben,50,"two\nlines"\n'  # lines 3-4
        ",Cid,10,\n"                               # line 5
        "dee@corp.com,Dee,ninety,\n"               # line 6
        "\n"                                       # line 7
        "eve@corp.com,Eve\n"                       # line 8
        " ,Fay,lots,\n"                            # line 9
    )
    with pytest.raises(LeadInputError) as raised:
        leads_from_csv(text)
    assert raised.value.problems == (
        "line 5: email is empty",
        "line 6: score is not a number: 'ninety'",
        "line 8: 2 values, the header has 4 columns",
        "line 9: email is empty",
        "line 9: score is not a number: 'lots'",
    )
    assert str(raised.value).startswith("4 bad rows, nothing imported:\nline 5: email is empty")


def test_csv_without_an_email_column_names_the_columns_found():
    with pytest.raises(LeadInputError, match="no email column; columns found: Name, Company"):
        leads_from_csv("Name,Company\nJane,Tech\n")


def test_csv_without_a_header_or_with_duplicate_columns():
    with pytest.raises(LeadInputError, match="header row is required"):
        leads_from_csv("\n\n")
    with pytest.raises(LeadInputError, match="duplicate columns: email"):
        leads_from_csv("Email,email\na@b.io,a@b.io\n")


def test_csv_with_only_a_header_has_no_leads():
    assert leads_from_csv("email,first_name\n") == []


def test_to_smartlead_shape():
    lead = IntakeLead(
        "john@acme.com", first_name="John", last_name="Doe", company="Acme Corp",
        title="VP Sales", persona="VP Sales", score=85.0, phone="+1 555 0100",
        website="acme.com", linkedin_url="https://linkedin.com/in/johndoe",
        custom_fields={"industry": "SaaS"},
    )
    assert to_smartlead(lead) == {
        "email": "john@acme.com",
        "first_name": "John",
        "last_name": "Doe",
        "company_name": "Acme Corp",
        "phone_number": "+1 555 0100",
        "website": "acme.com",
        "linkedin_profile": "https://linkedin.com/in/johndoe",
        "custom_fields": {"industry": "SaaS", "title": "VP Sales", "persona": "VP Sales",
                          "score": "85"},
    }


def test_to_smartlead_leaves_out_empty_fields():
    assert to_smartlead(IntakeLead("a@b.io", score=72.5)) == {
        "email": "a@b.io", "custom_fields": {"score": "72.5"}}
