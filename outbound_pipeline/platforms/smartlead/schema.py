"""The declared schema of every ``raw_smartlead`` table.

dlt infers a table from the rows it sees: a resource that yields nothing creates no table, and
a column that is null in every row of a load is not created. A real account has both (a
campaign that never sent, no replies yet, an answer without ``unique_open_count``), and the dbt
staging models read these tables and columns. So each resource declares its columns here with
their types, and yields :func:`dlt.mark.materialize_table_schema` so its table exists, with
every column, whatever the data. The types are the ones dlt infers from full answers, so a
warehouse loaded before the declarations keeps its tables as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT, BIGINT, DOUBLE, BOOL = "text", "bigint", "double", "bool"
TIMESTAMP, DATE, JSON = "timestamp", "date", "json"

COUNT_FIELDS = (
    "sent_count", "unique_sent_count", "open_count", "unique_open_count", "click_count",
    "unique_click_count", "reply_count", "bounce_count", "block_count", "unsubscribed_count",
    "total_count", "drafted_count", "sequence_count",
)
"""The analytics counts a campaign row carries (``GET /campaigns/{id}/analytics``)."""


@dataclass(frozen=True)
class RawTable:
    primary_key: tuple[str, ...]
    columns: dict[str, str]

    def hints(self) -> dict[str, Any]:
        """``primary_key`` and ``columns`` for ``@dlt.resource``: every column typed, the key
        columns not null, every other column nullable."""
        return {
            "primary_key": self.primary_key,
            "columns": {
                name: {"data_type": data_type, "nullable": name not in self.primary_key}
                for name, data_type in self.columns.items()
            },
        }


TABLES: dict[str, RawTable] = {
    "campaigns": RawTable(("connection", "campaign_id"), {
        "connection": TEXT, "campaign_id": BIGINT, "user_id": BIGINT, "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP, "status": TEXT, "name": TEXT, "track_settings": JSON,
        "scheduler_cron_value": JSON, "min_time_btwn_emails": BIGINT,
        "max_leads_per_day": BIGINT, "stop_lead_settings": TEXT,
        "schedule_start_time": TIMESTAMP, "enable_ai_esp_matching": BOOL,
        "send_as_plain_text": BOOL, "follow_up_percentage": BIGINT, "unsubscribe_text": TEXT,
        "parent_campaign_id": BIGINT, "client_id": BIGINT, "tags": JSON,
        **dict.fromkeys(COUNT_FIELDS, BIGINT),
        "lead_stats_total": BIGINT, "metrics_hash": TEXT,
    }),
    "sequence_variants": RawTable(("connection", "campaign_id", "variant_id"), {
        "connection": TEXT, "campaign_id": BIGINT, "step_id": BIGINT, "variant_id": TEXT,
        "is_base_variant": BOOL, "seq_number": BIGINT, "delay_in_days": BIGINT,
        "variant_label": TEXT, "subject": TEXT, "body_html": TEXT, "body_plain": TEXT,
        "body_preview": TEXT, "personalization_vars": JSON, "send_as_reply": BOOL,
        "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
    }),
    "lead_categories": RawTable(("connection", "category_id"), {
        "connection": TEXT, "category_id": BIGINT, "name": TEXT, "sentiment_type": TEXT,
        "created_at": TIMESTAMP,
    }),
    "email_accounts": RawTable(("connection", "email_account_id"), {
        "connection": TEXT, "email_account_id": BIGINT, "user_id": BIGINT, "from_name": TEXT,
        "from_email": TEXT, "username": TEXT, "type": TEXT, "smtp_host": TEXT,
        "smtp_port": BIGINT, "imap_host": TEXT, "imap_port": BIGINT, "is_smtp_success": BOOL,
        "is_imap_success": BOOL, "smtp_failure_error": TEXT, "imap_failure_error": TEXT,
        "message_per_day": BIGINT, "daily_sent_count": BIGINT, "campaign_count": BIGINT,
        "custom_tracking_domain": TEXT, "client_id": BIGINT, "is_suspended": BOOL,
        "tags": JSON, "created_at": TIMESTAMP, "updated_at": TIMESTAMP, "warmup_status": TEXT,
        "warmup_reputation": DOUBLE, "warmup_spam_count": BIGINT, "warmup_sent_count": BIGINT,
    }),
    "campaign_email_accounts": RawTable(("connection", "campaign_id", "email_account_id"), {
        "connection": TEXT, "campaign_id": BIGINT, "email_account_id": BIGINT,
        "from_email": TEXT,
    }),
    "email_statistics": RawTable(("connection", "stats_id"), {
        "connection": TEXT, "campaign_id": BIGINT, "stats_id": TEXT, "lead_email": TEXT,
        "lead_name": TEXT, "lead_category": TEXT, "sequence_number": BIGINT,
        "seq_variant_id": TEXT, "email_subject": TEXT, "sent_time": TIMESTAMP,
        "open_time": TIMESTAMP, "click_time": TIMESTAMP, "reply_time": TIMESTAMP,
        "is_bounced": BOOL,
    }),
    "mailbox_health": RawTable(("connection", "email_account_id", "window_end"), {
        "connection": TEXT, "email_account_id": BIGINT, "from_email": TEXT,
        "window_start": DATE, "window_end": DATE, "sent": BIGINT, "opened": BIGINT,
        "replied": BIGINT, "bounced": BIGINT, "unsubscribed": BIGINT,
    }),
    "message_history": RawTable(("connection", "lead_id", "message_id"), {
        "connection": TEXT, "campaign_id": BIGINT, "lead_id": BIGINT, "message_id": TEXT,
        "position": BIGINT, "type": TEXT, "time": TIMESTAMP, "email_seq_number": BIGINT,
        "is_manual": BOOL, "stats_id": TEXT, "subject": TEXT, "from_email": TEXT,
        "to_email": TEXT, "email_body": TEXT, "body_plain": TEXT,
    }),
    "campaign_daily_stats": RawTable(("connection", "campaign_id", "date"), {
        "connection": TEXT, "campaign_id": BIGINT, "date": DATE, "sent": BIGINT,
        "bounced": BIGINT, "opened": BIGINT, "replied": BIGINT, "unsubscribed": BIGINT,
        "positive_replied": BIGINT,
    }),
    "campaign_window_totals": RawTable(
        ("connection", "campaign_id", "window_start", "window_end"), {
            "connection": TEXT, "campaign_id": BIGINT, "window_start": DATE,
            "window_end": DATE, "sent_count": BIGINT, "unique_open_count": BIGINT,
            "reply_count": BIGINT, "bounce_count": BIGINT, "unsubscribed_count": BIGINT,
        }),
    "enrollment_snapshots": RawTable(("connection", "campaign_id", "snapshot_date"), {
        "connection": TEXT, "campaign_id": BIGINT, "snapshot_date": DATE, "status": TEXT,
        "total": BIGINT, "not_started": BIGINT, "in_progress": BIGINT, "completed": BIGINT,
        "paused": BIGINT, "stopped": BIGINT, "blocked": BIGINT, "interested": BIGINT,
        "revenue": BIGINT, "total_count": BIGINT,
    }),
    "campaign_leads": RawTable(("connection", "campaign_id", "lead_id"), {
        "connection": TEXT, "campaign_id": BIGINT, "lead_id": BIGINT,
        "campaign_lead_map_id": BIGINT, "lead_category_id": BIGINT, "status": TEXT,
        "enrolled_at": TIMESTAMP, "email": TEXT, "first_name": TEXT, "last_name": TEXT,
        "phone_number": TEXT, "company_name": TEXT, "website": TEXT, "location": TEXT,
        "linkedin_profile": TEXT, "company_url": TEXT, "is_unsubscribed": BOOL,
        "custom_fields": TEXT,
    }),
}


def hints(table: str) -> dict[str, Any]:
    """The declared ``primary_key`` and ``columns`` of one raw table."""
    return TABLES[table].hints()
