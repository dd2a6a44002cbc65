from pathlib import Path

import pytest

from outbound_pipeline.connections import (
    ConnectionsError,
    MissingSecretError,
    load_connections,
    parse_connections,
)


def test_example_file_is_valid():
    example = Path(__file__).resolve().parent.parent / "connections.example.yaml"
    connections = load_connections(example)
    assert {c.platform for c in connections} == {"smartlead"}
    assert len(connections) >= 2  # an agency runs one account per client


def test_defaults_and_overrides():
    [a, b] = parse_connections(
        {"connections": [
            {"name": "acme", "platform": "smartlead", "api_key_env": "SL_ACME"},
            {"name": "globex", "platform": "smartlead", "api_key_env": "SL_GLOBEX",
             "base_url": "http://127.0.0.1:9/api/v1/", "rate_limit": {"requests": 60,
                                                                      "per_seconds": 60}},
        ]},
        "inline",
    )
    assert a.base_url == "https://server.smartlead.ai/api/v1"
    assert (a.rate_limit.requests, a.rate_limit.per_seconds) == (10, 2.0)
    assert b.base_url == "http://127.0.0.1:9/api/v1"
    assert b.rate_limit.per_second == 1.0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"platform": "smartlead", "api_key_env": "K"}, "connections[0]: field `name`"),
        ({"name": "a", "platform": "mailchimp", "api_key_env": "K"}, "(a): field `platform`"),
        ({"name": "a", "platform": "smartlead"}, "(a): field `api_key_env`"),
        ({"name": "a", "platform": "smartlead", "api_key_env": "sk-live-123"},
         "(a): field `api_key_env`"),
        ({"name": "a", "platform": "smartlead", "api_key_env": "K", "base_url": "ftp://x"},
         "(a): field `base_url`"),
        ({"name": "a", "platform": "smartlead", "api_key_env": "K",
          "rate_limit": {"requests": 0}}, "(a): field `rate_limit.requests`"),
        ({"name": "a", "platform": "smartlead", "api_key_env": "K", "apikey": "x"},
         "(a): unknown field(s) ['apikey']"),
    ],
)
def test_bad_entries_name_file_entry_and_field(entry, message):
    with pytest.raises(ConnectionsError) as err:
        parse_connections({"connections": [entry]}, "conn.yaml")
    assert str(err.value).startswith("conn.yaml: ")
    assert message in str(err.value)


def test_duplicate_names_and_bad_yaml(tmp_path):
    entry = {"name": "a", "platform": "smartlead", "api_key_env": "K"}
    twice = r"connections\[1\] \(a\): field `name`: 'a' is used twice"
    with pytest.raises(ConnectionsError, match=twice):
        parse_connections({"connections": [entry, entry]}, "f")
    bad = tmp_path / "c.yaml"
    bad.write_text("connections: [\n")
    with pytest.raises(ConnectionsError, match="c.yaml: not valid YAML"):
        load_connections(bad)
    assert load_connections(tmp_path / "missing.yaml") == []


def test_missing_key_names_the_variable_not_a_value():
    [c] = parse_connections(
        {"connections": [{"name": "a", "platform": "smartlead", "api_key_env": "SL_A"}]}, "f")
    with pytest.raises(MissingSecretError, match="environment variable SL_A is not set"):
        c.api_key({})
    assert c.api_key({"SL_A": "secret"}) == "secret"
