"""The warehouse side of reply classification: which replies are due, and
``analytics.classified_replies``.

Replies come from every place the warehouse holds them, one query each:

- ``smartlead_history``: ``raw_smartlead.message_history`` rows of type REPLY (the HTML body);
- ``webhook``: ``landing.webhook_events`` of type ``replied`` from any platform (Smartlead
  ``EMAIL_REPLY``, Reply.io, Lemlist), with the text the payload carried;
- ``linkedin``: inbound LinkedIn messages in ``ops.linkedin_messages`` (webhook or polling,
  direction already told apart by the ``linkedin_steps`` job), platform ``unipile``.

A reply is identified by ``(platform, connection, message_id)`` (the landing event key when a
webhook has no message id); the same reply seen by the sync and by a webhook is one row, the
synced body preferred. A reply is due when it has no row yet or its row was classified by a
classifier version that is no longer in use. Classification is paid once per distinct cleaned
body: a due reply whose body hash already has a current classification reuses it
(``reused_classification``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from outbound_pipeline import clock
from outbound_pipeline.replies.classifier import Classification, Classifier, Reply
from outbound_pipeline.replies.cleaning import clean_reply
from outbound_pipeline.warehouse import Warehouse

SCHEMA = "analytics"
TABLE = f"{SCHEMA}.classified_replies"
KEY = ("platform", "connection", "message_id")
BATCH = 2000

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("platform", "varchar not null"),
    ("connection", "varchar not null"),
    ("message_id", "varchar not null"),
    ("source", "varchar not null"),
    ("campaign_external_id", "varchar"),
    ("lead_external_id", "varchar"),
    ("lead_email", "varchar"),
    ("email_external_id", "varchar"),
    ("subject", "varchar"),
    ("received_at", "timestamp with time zone"),
    ("original_text", "varchar"),
    ("cleaned_text", "varchar not null"),
    ("body_hash", "varchar not null"),
    ("reply_category", "varchar not null"),
    ("sentiment", "varchar not null"),
    ("is_positive", "boolean not null"),
    ("confidence", "double precision not null"),
    ("classifier", "varchar not null"),
    ("classifier_version", "varchar not null"),
    ("method", "varchar not null"),
    ("explanation", "varchar not null"),
    ("explanation_detail", "varchar not null"),
    ("is_auto_reply", "boolean not null"),
    ("is_bounce", "boolean not null"),
    ("return_date", "date"),
    ("referred_name", "varchar"),
    ("referred_email", "varchar"),
    ("reused_classification", "boolean not null"),
    ("classified_at", "timestamp with time zone not null"),
)
COLUMNS = tuple(name for name, _ in _COLUMNS)


@dataclass(frozen=True, slots=True)
class StoredReply:
    """A reply as read from the warehouse."""

    platform: str
    connection: str
    message_id: str
    source: str
    campaign_external_id: str | None
    lead_external_id: str | None
    lead_email: str | None
    email_external_id: str | None
    subject: str | None
    received_at: datetime | None
    body: str | None


@dataclass
class ClassifyResult:
    due: int = 0
    classified: int = 0
    reused: int = 0
    fallbacks: int = 0
    classify_seconds: float = 0.0
    categories: dict[str, int] | None = None
    methods: dict[str, int] | None = None


def ensure_table(warehouse: Warehouse) -> None:
    columns = ",\n        ".join(f"{name} {kind}" for name, kind in _COLUMNS)
    with warehouse.connect() as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(f"create table if not exists {TABLE} (\n        {columns},\n"
                    f"        primary key ({', '.join(KEY)})\n    )")


def _sources(warehouse: Warehouse) -> list[str]:
    selects = []
    if warehouse.table_exists("raw_smartlead", "message_history"):
        selects.append("""
            select 'smartlead' as platform, connection, cast(message_id as varchar) as message_id,
                'smartlead_history' as source, cast(campaign_id as varchar) as campaign_id,
                cast(lead_id as varchar) as lead_id, lower(from_email) as lead_email,
                cast(stats_id as varchar) as email_id, subject, "time" as received_at,
                email_body as body, 1 as preference
            from raw_smartlead.message_history
            where upper(type) = 'REPLY' and message_id is not null""")
    if warehouse.table_exists("landing", "webhook_events"):
        selects.append("""
            select platform, connection, coalesce(message_id, event_key) as message_id,
                'webhook' as source, campaign_external_id as campaign_id,
                lead_external_id as lead_id, lower(lead_email) as lead_email,
                email_external_id as email_id, subject, coalesce(occurred_at, received_at),
                text as body, 2 as preference
            from landing.webhook_events
            where event_type = 'replied' and connection is not null""")
    if warehouse.table_exists("ops", "linkedin_messages"):
        selects.append("""
            select 'unipile' as platform, connection, message_id, 'linkedin' as source,
                campaign_id, lead_id, cast(null as varchar) as lead_email,
                cast(null as varchar) as email_id, cast(null as varchar) as subject,
                sent_at as received_at, text as body, 1 as preference
            from ops.linkedin_messages
            where direction = 'inbound'""")
    return selects


def due_replies(warehouse: Warehouse, current_versions: Sequence[str], *,
                everything: bool = False) -> Iterator[list[StoredReply]]:
    """Replies without a row, or whose row's classifier version is not current, in batches.
    With ``everything``, every reply."""
    selects = _sources(warehouse)
    if not selects:
        return
    condition, params = "r.pick = 1", []
    if not everything:
        versions = ", ".join("?" for _ in current_versions)
        condition += f" and (c.message_id is null or c.classifier_version not in ({versions}))"
        params = list(current_versions)
    sql = f"""
        with replies as ({" union all ".join(selects)}),
        ranked as (
            select *, row_number() over (
                partition by platform, connection, message_id
                order by preference, received_at) as pick
            from replies
        )
        select r.platform, r.connection, r.message_id, r.source, r.campaign_id, r.lead_id,
            r.lead_email, r.email_id, r.subject, r.received_at, r.body
        from ranked r
        left join {TABLE} c
            on c.platform = r.platform and c.connection = r.connection
            and c.message_id = r.message_id
        where {condition}
        order by r.platform, r.connection, r.message_id"""
    rows = warehouse.query(sql, params)
    for start in range(0, len(rows), BATCH):
        yield [StoredReply(*row) for row in rows[start:start + BATCH]]


def known_classifications(warehouse: Warehouse, body_hashes: Sequence[str],
                          current_versions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """body hash -> a stored classification of that body by a current classifier version."""
    if not body_hashes or not current_versions:
        return {}
    result_columns = list(_RESULT_COLUMNS)
    hashes = ", ".join("?" for _ in body_hashes)
    versions = ", ".join("?" for _ in current_versions)
    rows = warehouse.query(
        f"select body_hash, {', '.join(result_columns)} from {TABLE} "
        f"where body_hash in ({hashes}) and classifier_version in ({versions}) "
        "and not reused_classification",
        [*body_hashes, *current_versions])
    return {row[0]: dict(zip(result_columns, row[1:], strict=True)) for row in rows}


def _result_row(c: Classification) -> dict[str, Any]:
    return {
        "reply_category": c.reply_category, "sentiment": c.sentiment,
        "is_positive": c.is_positive, "confidence": c.confidence, "classifier": c.classifier,
        "classifier_version": c.classifier_version, "method": c.method,
        "explanation": c.explanation_text,
        "explanation_detail": json.dumps(c.explanation, ensure_ascii=False, sort_keys=True,
                                         default=str),
        "is_auto_reply": c.is_auto_reply, "is_bounce": c.is_bounce,
        "return_date": c.return_date, "referred_name": c.referred_name,
        "referred_email": c.referred_email,
    }


_RESULT_COLUMNS: tuple[str, ...] = tuple(_result_row(Classification(
    "neutral", 1.0, "", "", "empty")))


def classify_due(warehouse: Warehouse, classifier: Classifier,
                 current_versions: Sequence[str], *, everything: bool = False) -> ClassifyResult:
    """Classifies every due reply and writes its row; see the module docstring."""
    import time

    ensure_table(warehouse)
    result = ClassifyResult(categories={}, methods={})
    for batch in due_replies(warehouse, current_versions, everything=everything):
        result.due += len(batch)
        cleaned = [clean_reply(r.body) for r in batch]
        hashes = [c.body_hash for c in cleaned]
        known = {} if everything else known_classifications(
            warehouse, sorted(set(hashes)), current_versions)
        to_classify: dict[str, int] = {}
        for i, h in enumerate(hashes):
            if h not in known:
                to_classify.setdefault(h, i)
        started = time.perf_counter()
        fresh = classifier.classify([
            Reply(cleaned[i], batch[i].subject, _day(batch[i].received_at))
            for i in to_classify.values()])
        result.classify_seconds += time.perf_counter() - started
        by_hash = {h: _result_row(c) for h, c in zip(to_classify, fresh, strict=True)}
        result.classified += len(fresh)
        classified_at = clock.now()
        rows = []
        for reply, clean, h in zip(batch, cleaned, hashes, strict=True):
            first_index = to_classify.get(h)
            reused = h in known or batch[first_index] is not reply
            values = known.get(h) or by_hash[h]
            result.reused += reused
            category = values["reply_category"]
            result.categories[category] = result.categories.get(category, 0) + 1
            result.methods[values["method"]] = result.methods.get(values["method"], 0) + 1
            rows.append({
                "platform": reply.platform, "connection": reply.connection,
                "message_id": reply.message_id, "source": reply.source,
                "campaign_external_id": reply.campaign_external_id,
                "lead_external_id": reply.lead_external_id, "lead_email": reply.lead_email,
                "email_external_id": reply.email_external_id, "subject": reply.subject,
                "received_at": reply.received_at, "original_text": clean.original,
                "cleaned_text": clean.text, "body_hash": h, **values,
                "reused_classification": reused, "classified_at": classified_at,
            })
        _upsert(warehouse, rows)
    result.fallbacks = getattr(classifier, "fallbacks", 0)
    return result


def _day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def _upsert(warehouse: Warehouse, rows: list[dict[str, Any]]) -> None:
    """Replaces the rows with these keys, in one transaction."""
    if not rows:
        return
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY)
    with warehouse.transaction() as tx:
        tx.insert(TABLE, COLUMNS, [[row.get(c) for c in COLUMNS] for row in rows],
                  f"on conflict ({', '.join(KEY)}) do update set {updates}")
