"""Row shaping in the Smartlead source: pure functions over API-shaped dicts."""

from datetime import UTC, datetime

from outbound_pipeline.copy_text import html_to_text, personalization_variables
from outbound_pipeline.platforms.smartlead.source import (
    campaign_row,
    email_account_row,
    metrics_hash,
    parse_time,
    statistics_table,
    variant_rows,
)


def test_metrics_hash_is_seed_002_format_and_tolerates_strings():
    analytics = {"sent_count": "120", "unique_open_count": "40", "reply_count": 3,
                 "bounce_count": "2", "open_count": "99"}
    assert metrics_hash(analytics) == "120-40-3-2"


def test_campaign_row_casts_counts_and_keeps_connection():
    row = campaign_row("acme", {"id": 42, "name": "Q3", "status": "ACTIVE",
                                "created_at": "2026-01-02T03:04:05.000Z"},
                       {"sent_count": "10", "reply_count": "1", "bounce_count": "0",
                        "campaign_lead_stats": {"total": 5}})
    assert row["connection"] == "acme" and row["campaign_id"] == 42
    assert row["sent_count"] == 10 and row["reply_count"] == 1
    assert row["created_at"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert row["metrics_hash"] == "10-0-1-0"
    assert row["lead_stats_total"] == 5


def test_email_account_row_drops_passwords_and_flattens_warmup():
    account = {"id": 7, "from_email": "a@x.io", "password": "c2VjcmV0", "imap_password": "p",
               "smtp_port": "587", "warmup_details": {"status": "ACTIVE",
                                                      "warmup_reputation": "97%",
                                                      "total_spam_count": "2"}}
    row = email_account_row("acme", account)
    assert "password" not in row and "imap_password" not in row
    assert "c2VjcmV0" not in repr(row)
    assert row["warmup_reputation"] == 97.0 and row["warmup_spam_count"] == 2
    assert row["smtp_port"] == 587 and row["email_account_id"] == 7


def test_variant_rows_derive_plain_preview_and_variables():
    steps = [
        {"id": 1, "seq_number": 1, "seq_delay_details": {"delayInDays": 0},
         "subject": "ignored when variants exist", "email_body": "",
         "sequence_variants": [
             {"id": 11, "variant_label": "A", "subject": "Quick question, {{first_name}}?",
              "email_body": "<p>Hi {{first_name}},</p><p>Saw {{company_name}} &amp; more"
                            "<br><a href='https://x'>link</a></p>"},
             {"id": 12, "variant_label": "B", "subject": "Idea for {{company_name}}",
              "email_body": "<div>" + "word " * 100 + "</div>"},
         ]},
        {"id": 2, "seq_number": 2, "seq_delay_details": {"delayInDays": 3}, "subject": "",
         "email_body": "<p>Bumping this</p>", "sequence_variants": None},
    ]
    rows = list(variant_rows("acme", 9, steps))
    assert [r["variant_id"] for r in rows] == ["11", "12", "2-base"]
    a = rows[0]
    assert a["body_plain"] == "Hi {{first_name}},\n\nSaw {{company_name}} & more\nlink"
    assert a["personalization_vars"] == ["first_name", "company_name"]
    assert len(rows[1]["body_preview"]) == 200
    follow_up = rows[2]
    assert follow_up["send_as_reply"] is True and follow_up["delay_in_days"] == 3
    assert follow_up["is_base_variant"] is True


def test_statistics_table_types_and_bounce_flags():
    table = statistics_table("acme", 9, [
        {"stats_id": "s1", "sent_time": "2026-03-01T10:00:00.000Z", "sequence_number": "1",
         "seq_variant_id": 11, "reply_time": None},
        {"stats_id": "s2", "sent_time": "2026-03-01T11:00:00+00:00", "sequence_number": 2},
        {"stats_id": None},
    ], bounced={"s2"})
    assert table.num_rows == 2
    rows = table.to_pylist()
    assert rows[0]["seq_variant_id"] == "11" and rows[0]["sequence_number"] == 1
    assert [r["is_bounced"] for r in rows] == [False, True]


def test_parse_time_variants():
    assert parse_time("2023-09-25T17:29:11.618881+00:00").microsecond == 618881
    assert parse_time("2026-01-01 10:00:00") == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert parse_time("") is None and parse_time("garbage") is None


def test_html_to_text_and_variables():
    assert html_to_text("<style>x{}</style><p>A&nbsp;B</p><p>C</p>") == "A B\n\nC"
    assert personalization_variables("{{ first_name }} {{company_name|there}}", "{{first_name}}") \
        == ["first_name", "company_name"]


def test_campaign_hash_moves_on_metrics_or_an_edit():
    from outbound_pipeline.platforms.smartlead.source import CampaignInfo

    base = CampaignInfo("acme", {"id": 1, "updated_at": "2026-01-01T00:00:00Z"},
                        {"sent_count": "10", "reply_count": "1"})
    edited = CampaignInfo("acme", {"id": 1, "updated_at": "2026-01-02T00:00:00Z"},
                          {"sent_count": "10", "reply_count": "1"})
    more = CampaignInfo("acme", {"id": 1, "updated_at": "2026-01-01T00:00:00Z"},
                        {"sent_count": "11", "reply_count": "1"})
    assert len({base.hash, edited.hash, more.hash}) == 3
    assert base.hash == CampaignInfo("acme", dict(base.campaign), dict(base.analytics)).hash
