"""Smartlead rows as the raw tables hold them (pure): shaping, hashes and Arrow batching.

Counts arrive as numbers or strings and become ints; a value the API leaves out stays null
(never a zero); passwords never leave :func:`email_account_row`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from outbound_pipeline.copy_text import html_to_text, personalization_variables, preview
from outbound_pipeline.platforms.smartlead.client import as_int
from outbound_pipeline.platforms.smartlead.schema import COUNT_FIELDS

SECRET_FIELDS = ("password", "imap_password", "smtp_password")
HEALTH_FIELDS = ("sent", "opened", "replied", "bounced", "unsubscribed")


def metrics_hash(analytics: dict[str, Any]) -> str:
    """Seed 002's skip-unchanged fingerprint: ``{sent}-{opened}-{replied}-{bounced}``."""
    parts = [as_int(analytics.get(k)) or 0 for k in
             ("sent_count", "unique_open_count", "reply_count", "bounce_count")]
    return "-".join(str(p) for p in parts)


def content_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:16]


def parse_time(value: Any) -> datetime | None:
    """ISO timestamps as Smartlead writes them (``Z``, offsets, microseconds) → aware UTC."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("Z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def campaign_row(connection: str, campaign: dict[str, Any],
                 analytics: dict[str, Any] | None) -> dict[str, Any]:
    row = {k: v for k, v in campaign.items() if k not in ("id",)}
    row["connection"] = connection
    row["campaign_id"] = int(campaign["id"])
    for key in ("created_at", "updated_at", "schedule_start_time"):
        if key in row:
            row[key] = parse_time(row[key])
    analytics = analytics or {}
    for key in COUNT_FIELDS:
        row[key] = as_int(analytics.get(key))
    lead_stats = analytics.get("campaign_lead_stats") or {}
    row["lead_stats_total"] = as_int(lead_stats.get("total"))
    row["metrics_hash"] = metrics_hash(analytics) if analytics else None
    return row


def email_account_row(connection: str, account: dict[str, Any]) -> dict[str, Any]:
    """Flattens warmup details and drops every password before the row leaves the source."""
    row = {k: v for k, v in account.items() if k not in SECRET_FIELDS and k != "warmup_details"}
    warmup = account.get("warmup_details") or {}
    row["connection"] = connection
    row["email_account_id"] = int(row.pop("id"))
    row["warmup_status"] = warmup.get("status")
    reputation = warmup.get("warmup_reputation")
    if isinstance(reputation, str):
        reputation = reputation.strip().rstrip("%") or None
    row["warmup_reputation"] = float(reputation) if reputation is not None else None
    row["warmup_spam_count"] = as_int(warmup.get("total_spam_count"))
    row["warmup_sent_count"] = as_int(warmup.get("total_sent_count"))
    for key in ("message_per_day", "daily_sent_count", "campaign_count", "smtp_port",
                "imap_port"):
        if key in row:
            row[key] = as_int(row[key])
    for key in ("created_at", "updated_at"):
        if key in row:
            row[key] = parse_time(row[key])
    return row


def mailbox_health_rows(connection: str, items: Sequence[dict[str, Any]],
                        mailboxes: Sequence[dict[str, Any]], start: date, end: date
                        ) -> list[dict[str, Any]]:
    """Mailbox health items joined to their mailboxes by address.

    The API keys each item by ``from_email`` with no mailbox id; ``mailboxes`` are the
    account's :func:`email_account_row` rows. An id in the item wins if an API version sends
    one. Items whose address matches no mailbox of the account are left out. A count the item
    leaves out stays null.
    """
    by_address = {str(m["from_email"]).strip().lower(): m["email_account_id"]
                  for m in mailboxes if m.get("from_email")}
    rows = []
    for item in items:
        address = str(item.get("from_email") or "").strip().lower()
        account_id = as_int(item.get("email_account_id") or item.get("id"))
        if account_id is None:
            account_id = by_address.get(address)
        if account_id is None:
            continue
        rows.append({
            "connection": connection, "email_account_id": account_id,
            "from_email": item.get("from_email"), "window_start": start, "window_end": end,
            **{k: as_int(item.get(k)) for k in HEALTH_FIELDS},
        })
    return rows


def variant_rows(connection: str, campaign_id: int,
                 steps: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One row per A/B variant (a step without variants is its own single variant)."""
    for step in steps:
        step_id = int(step["id"])
        delay = (step.get("seq_delay_details") or {})
        delay_days = as_int(delay.get("delayInDays", delay.get("delay_in_days")))
        variants = step.get("sequence_variants") or step.get("seq_variants") or []
        if not variants:
            variants = [{"id": None, "subject": step.get("subject"),
                         "email_body": step.get("email_body"), "variant_label": None}]
        for variant in variants:
            body_html = variant.get("email_body") or ""
            subject = variant.get("subject") or ""
            plain = html_to_text(body_html)
            variant_id = variant.get("id")
            yield {
                "connection": connection,
                "campaign_id": campaign_id,
                "step_id": step_id,
                "variant_id": str(variant_id) if variant_id is not None else f"{step_id}-base",
                "is_base_variant": variant_id is None,
                "seq_number": as_int(step.get("seq_number")),
                "delay_in_days": delay_days,
                "variant_label": variant.get("variant_label"),
                "subject": subject,
                "body_html": body_html,
                "body_plain": plain,
                "body_preview": preview(plain),
                "personalization_vars": personalization_variables(subject, body_html),
                "send_as_reply": not subject.strip() and (as_int(step.get("seq_number")) or 1) > 1,
                "created_at": parse_time(step.get("created_at")),
                "updated_at": parse_time(step.get("updated_at")),
            }


STATISTICS_SCHEMA = pa.schema([
    pa.field("connection", pa.string(), nullable=False),
    ("campaign_id", pa.int64()),
    pa.field("stats_id", pa.string(), nullable=False),
    ("lead_email", pa.string()),
    ("lead_name", pa.string()),
    ("lead_category", pa.string()),
    ("sequence_number", pa.int64()),
    ("seq_variant_id", pa.string()),
    ("email_subject", pa.string()),
    ("sent_time", pa.timestamp("us", tz="UTC")),
    ("open_time", pa.timestamp("us", tz="UTC")),
    ("click_time", pa.timestamp("us", tz="UTC")),
    ("reply_time", pa.timestamp("us", tz="UTC")),
    ("is_bounced", pa.bool_()),
])


def statistics_table(connection: str, campaign_id: int, rows: Sequence[dict[str, Any]],
                     bounced: set[str]) -> pa.Table:
    def text(value: Any) -> str | None:
        return None if value in (None, "") else str(value)

    records = [{
        "connection": connection,
        "campaign_id": campaign_id,
        "stats_id": str(r["stats_id"]),
        "lead_email": text(r.get("lead_email")),
        "lead_name": text(r.get("lead_name")),
        "lead_category": text(r.get("lead_category")),
        "sequence_number": as_int(r.get("sequence_number")),
        "seq_variant_id": text(r.get("seq_variant_id")),
        "email_subject": text(r.get("email_subject")),
        "sent_time": parse_time(r.get("sent_time")),
        "open_time": parse_time(r.get("open_time")),
        "click_time": parse_time(r.get("click_time")),
        "reply_time": parse_time(r.get("reply_time")),
        "is_bounced": str(r["stats_id"]) in bounced,
    } for r in rows if r.get("stats_id") not in (None, "")]
    return pa.Table.from_pylist(records, schema=STATISTICS_SCHEMA)


def message_rows(connection: str, campaign_id: int, lead_id: int,
                 history: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for position, message in enumerate(history):
        body_html = message.get("email_body") or ""
        message_id = message.get("message_id") or f"{lead_id}-{position}"
        yield {
            "connection": connection,
            "campaign_id": campaign_id,
            "lead_id": lead_id,
            "message_id": str(message_id),
            "position": position,
            "type": message.get("type"),
            "time": parse_time(message.get("time")),
            "email_seq_number": as_int(message.get("email_seq_number")),
            "is_manual": message.get("type") == "SENT" and message.get("email_seq_number") is None,
            "stats_id": message.get("stats_id"),
            "subject": message.get("subject"),
            "from_email": message.get("from"),
            "to_email": message.get("to"),
            "email_body": body_html,
            "body_plain": html_to_text(body_html),
        }


ARROW_BATCH_ROWS = 50_000
UPSERT: Any = {"disposition": "merge", "strategy": "upsert"}
"""For the high-volume Arrow resources: same result as delete-insert (a load never holds a key
twice), loaded with one MERGE instead of a delete and an insert."""


def arrow_batches(tables: Iterable[pa.Table], max_rows: int = ARROW_BATCH_ROWS
                  ) -> Iterator[pa.Table]:
    """Joins API pages (100 rows each) into large Arrow tables: dlt's cost is per table and
    per file, so a few large tables load several times faster than one per page."""
    pending: list[pa.Table] = []
    rows = 0
    for table in tables:
        if not table.num_rows:
            continue
        pending.append(table)
        rows += table.num_rows
        if rows >= max_rows:
            yield pa.concat_tables(pending)
            pending, rows = [], 0
    if pending:
        yield pa.concat_tables(pending)


LEADS_SCHEMA = pa.schema([
    pa.field("connection", pa.string(), nullable=False),
    pa.field("campaign_id", pa.int64(), nullable=False),
    pa.field("lead_id", pa.int64(), nullable=False),
    ("campaign_lead_map_id", pa.int64()), ("lead_category_id", pa.int64()),
    ("status", pa.string()), ("enrolled_at", pa.timestamp("us", tz="UTC")),
    ("email", pa.string()), ("first_name", pa.string()), ("last_name", pa.string()),
    ("phone_number", pa.string()), ("company_name", pa.string()), ("website", pa.string()),
    ("location", pa.string()), ("linkedin_profile", pa.string()), ("company_url", pa.string()),
    ("is_unsubscribed", pa.bool_()), ("custom_fields", pa.string()),
])


def leads_table(connection: str, campaign_id: int, page: Sequence[dict[str, Any]]) -> pa.Table:
    records = []
    for item in page:
        lead = item.get("lead") or {}
        if lead.get("id") is None:
            continue
        records.append({
            "connection": connection, "campaign_id": campaign_id, "lead_id": int(lead["id"]),
            "campaign_lead_map_id": as_int(item.get("campaign_lead_map_id")),
            "lead_category_id": as_int(item.get("lead_category_id")),
            "status": item.get("status"), "enrolled_at": parse_time(item.get("created_at")),
            **{k: (None if lead.get(k) in (None, "") else str(lead.get(k))) for k in
               ("email", "first_name", "last_name", "phone_number", "company_name", "website",
                "location", "linkedin_profile", "company_url")},
            "is_unsubscribed": bool(lead.get("is_unsubscribed")),
            "custom_fields": json.dumps(lead.get("custom_fields") or {}, sort_keys=True),
        })
    return pa.Table.from_pylist(records, schema=LEADS_SCHEMA)
