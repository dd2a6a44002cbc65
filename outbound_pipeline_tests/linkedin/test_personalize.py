"""Personalization: placeholders, fallbacks, and refusing to produce a broken message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound_pipeline.linkedin.personalize import (
    MissingVariableError,
    TemplateError,
    check,
    minimum_length,
    render,
    variables_in,
)

LEAD = {"first_name": "Jo", "company": "Acme Ltd", "title": "CFO"}


@pytest.mark.parametrize("template,expected", [
    ("Hi {{first_name}}, how is {{company}}?", "Hi Jo, how is Acme Ltd?"),
    ("Hi {{ first_name }}!", "Hi Jo!"),                 # spaces inside the braces are optional
    ("Hi {{  first_name}}!", "Hi Jo!"),
    ("Hi {{First_Name}}", "Hi Jo"),                     # names are case-insensitive
    ("No placeholders at all.", "No placeholders at all."),
    ("", ""),
    ("A lone { or } is text: {x}", "A lone { or } is text: {x}"),
    ("{{first_name}}{{title}}", "JoCFO"),
])
def test_render(template, expected):
    assert render(template, LEAD) == expected


def test_values_are_text_and_stripped_and_keys_are_case_insensitive():
    assert render("{{ count }} at {{ company }}", {"count": 3, "Company": "  Acme \n"}) == (
        "3 at Acme")
    assert render("{{name}}", {"NAME": "upper", "name": "lower"}) == "lower"


def test_a_missing_variable_is_an_error_naming_it_and_the_available_ones():
    with pytest.raises(MissingVariableError) as raised:
        render("Hi {{first_name}}, about {{ region }}", LEAD)
    error = raised.value
    assert error.variable == "region"
    assert error.available == ("company", "first_name", "title")
    assert "'region'" in str(error) and "company, first_name, title" in str(error)
    assert error.position == 25
    assert isinstance(error, TemplateError) and isinstance(error, ValueError)


@pytest.mark.parametrize("value", [None, "", "   ", "\n"])
def test_a_blank_variable_counts_as_missing(value):
    with pytest.raises(MissingVariableError, match="first_name"):
        render("Hi {{first_name}},", {**LEAD, "first_name": value})


def test_the_fallback_is_used_when_the_variable_is_missing_or_blank():
    template = "{{ first_name | Hi there }}, how is {{company|your team}}?"
    assert render(template, LEAD) == "Jo, how is Acme Ltd?"
    assert render(template, {"first_name": " "}) == "Hi there, how is your team?"
    assert render("{{ a | x | y }}", {}) == "x | y"
    assert variables_in(template) == set()


def test_variables_in_lists_required_names_lower_cased():
    assert variables_in("Hi {{First_Name}} at {{company}}, {{ title | friend }}") == {
        "first_name", "company"}
    assert variables_in("plain") == set()


@pytest.mark.parametrize("template,position,message", [
    ("Hi {{first_name", 3, "'{{' at position 3 is never closed"),
    ("Hi first_name}}", 13, "'}}' at position 13 has no matching '{{'"),
    ("Hi {{first_name}}}} there", 17, "no matching"),
    ("{{ a {{ b }}", 0, "never closed"),
    ("Hi {{ first name }}", 3, "invalid variable name 'first name'"),
    ("Hi {{ 1st }}", 3, "invalid variable name '1st'"),
    ("Hi {{}}", 3, "invalid variable name ''"),
    ("Hi {{ name-x }}", 3, "invalid variable name"),
    ("Hi {{ first_name | }}", 3, "fallback"),
])
def test_invalid_templates_name_the_position(template, position, message):
    for attempt in (check, lambda text: render(text, LEAD), variables_in):
        with pytest.raises(TemplateError) as raised:
            attempt(template)
        assert raised.value.position == position
        assert message in str(raised.value)
        assert not isinstance(raised.value, MissingVariableError)


def test_check_accepts_valid_templates():
    check("Hi {{ first_name | there }}, {{company}}")


def test_minimum_length_counts_one_character_per_placeholder():
    assert minimum_length("Hi {{first_name}}!") == len("Hi !") + 1
    assert minimum_length("plain text") == len("plain text")
    assert minimum_length("{{ a | fallback }}") == 1


NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
TEXT = st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)),
               max_size=20)
VALUES = st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)),
                 min_size=1, max_size=20).filter(lambda value: value.strip())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, NAMES), max_size=5), TEXT, st.dictionaries(NAMES, VALUES))
def test_a_rendering_is_whole_or_refused(pieces, tail, variables):
    template = "".join(f"{text}{{{{ {name} }}}}" for text, name in pieces) + tail
    needed = {name for _, name in pieces}
    assert variables_in(template) == needed
    if needed <= variables.keys():
        rendered = render(template, variables)
        expected = "".join(text + variables[name].strip() for text, name in pieces) + tail
        assert rendered == expected
        assert len(rendered) >= minimum_length(template)
    else:
        with pytest.raises(MissingVariableError) as raised:
            render(template, variables)
        assert raised.value.variable in needed - variables.keys()
