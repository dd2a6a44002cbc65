"""Smartlead API client (``https://server.smartlead.ai/api/v1``).

Written against the quirks in docs/platform-apis.md: the key travels as ``?api_key=`` (so every
URL is redacted), a missing object is HTTP 200 with ``{}`` or an empty body, counts arrive as
strings, list endpoints return bare arrays, and the day-wise analytics label days "20 Apr" with
no year.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from outbound_pipeline.http import (
    ApiClient,
    BadResponseError,
    ClientRequestError,
    PaginationError,
    paginate,
)

MAX_WINDOW_DAYS = 29
"""analytics-by-date and the day-wise series accept at most this many days per request."""

PAGE_SIZE = 100
INBOX_PAGE_SIZE = 20
MAX_LEADS_PER_PUSH = 100
"""``POST /campaigns/{id}/leads`` takes at most this many leads per call."""

LEAD_PUSH_SETTINGS = frozenset({
    "ignore_global_block_list", "ignore_unsubscribe_list", "ignore_community_bounce_list",
    "ignore_duplicate_leads_in_other_campaign",
})
LEAD_PUSH_COUNTS = ("upload_count", "total_leads", "already_added_to_campaign",
                    "duplicate_count", "invalid_email_count", "block_count", "bounce_count",
                    "lead_import_stopped_count")
"""Counts in a lead push's answer; the client returns them as ints (0 when absent)."""

DAY_WISE_SERIES = {
    # series name -> path; counts on the event date unless the name says otherwise
    "event_date": "analytics/day-wise-overall-stats",
    "sent_date": "analytics/day-wise-overall-stats-by-sent-time",
    "positive_reply_date": "analytics/day-wise-positive-reply-stats",
}

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def as_int(value: Any) -> int | None:
    """Smartlead counts come as numbers or strings ("12"); blanks and nulls become None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


def windows(start: date, end: date, max_days: int = MAX_WINDOW_DAYS) -> list[tuple[date, date]]:
    """Splits ``[start, end]`` (inclusive) into the fewest windows of at most ``max_days``."""
    if end < start:
        return []
    result = []
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + timedelta(days=max_days - 1))
        result.append((cursor, stop))
        cursor = stop + timedelta(days=1)
    return result


def infer_day(label: str, start: date, end: date) -> date:
    """Resolves a year-less "20 Apr" label to the date inside the requested window.

    A window spanning New Year holds days of both years; only one candidate falls inside it.
    """
    parts = label.strip().replace(",", " ").split()
    if len(parts) != 2:
        raise ValueError(f"unexpected day label {label!r}")
    first, second = parts
    if first.isdigit():
        day, month_name = int(first), second
    else:
        day, month_name = int(second), first
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        raise ValueError(f"unexpected month in day label {label!r}")
    for year in range(start.year, end.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if start <= candidate <= end:
            return candidate
    raise ValueError(f"day label {label!r} is outside the requested window {start}..{end}")


@dataclass(frozen=True)
class DayStats:
    day: date
    metrics: dict[str, int]


class SmartleadClient(ApiClient):
    """One Smartlead account (one API key)."""

    platform = "smartlead"


    def authenticate(self, params: dict[str, Any], headers: dict[str, str]) -> None:
        params["api_key"] = self._api_key

    # shape checks

    def _list(self, body: Any, what: str) -> list[dict[str, Any]]:
        if body is None or body == {}:
            return []
        if isinstance(body, list):
            return body
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            return body["data"]
        raise BadResponseError(
            f"expected a list of {what}", platform=self.platform, connection=self.connection,
            detail=str(body)[:200],
        )

    def _object(self, body: Any, what: str) -> dict[str, Any] | None:
        """``{}`` and an empty body mean "not found"."""
        if body is None or body == {}:
            return None
        if isinstance(body, dict):
            return body
        raise BadResponseError(
            f"expected an object for {what}", platform=self.platform, connection=self.connection,
            detail=str(body)[:200],
        )

    def _pagination_error(self, path: str) -> Any:
        def make(message: str) -> PaginationError:
            return PaginationError(message, platform=self.platform, connection=self.connection,
                                   method="GET", path=path)
        return make

    # campaigns

    def campaigns(self, client_id: int | None = None) -> list[dict[str, Any]]:
        return self._list(self.get("campaigns", client_id=client_id), "campaigns")

    def campaign_analytics(self, campaign_id: int) -> dict[str, Any] | None:
        return self._object(self.get(f"campaigns/{campaign_id}/analytics"), "campaign analytics")

    def analytics_by_date(self, campaign_id: int, start: date, end: date) -> dict[str, Any] | None:
        body = self.get(
            f"campaigns/{campaign_id}/analytics-by-date",
            start_date=start.isoformat(), end_date=end.isoformat(),
        )
        return self._object(body, "analytics by date")

    def sequences(self, campaign_id: int) -> list[dict[str, Any]]:
        return self._list(self.get(f"campaigns/{campaign_id}/sequences"), "sequence steps")

    def campaign_email_accounts(self, campaign_id: int) -> list[dict[str, Any]]:
        body = self.get(f"campaigns/{campaign_id}/email-accounts")
        return self._list(body, "campaign email accounts")

    def campaign_leads(self, campaign_id: int, offset: int = 0) -> Iterator[list[dict[str, Any]]]:
        path = f"campaigns/{campaign_id}/leads"

        def fetch(page_offset: int) -> list[dict[str, Any]]:
            body = self.get(path, offset=page_offset + offset, limit=PAGE_SIZE)
            return self._list(body, "campaign leads")

        yield from paginate(fetch, page_size=PAGE_SIZE, on_error=self._pagination_error(path))

    def statistics(
        self,
        campaign_id: int,
        *,
        sent_from: date | None = None,
        email_status: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Per-email statistics (one row per sent email), optionally from a send date on."""
        path = f"campaigns/{campaign_id}/statistics"

        def fetch(offset: int) -> list[dict[str, Any]]:
            body = self.get(
                path, offset=offset, limit=PAGE_SIZE, email_status=email_status,
                sent_time_start_date=sent_from.isoformat() if sent_from else None,
            )
            return self._list(body, "email statistics")

        yield from paginate(fetch, page_size=PAGE_SIZE, on_error=self._pagination_error(path))

    def message_history(self, campaign_id: int, lead_id: int) -> list[dict[str, Any]]:
        body = self.get(f"campaigns/{campaign_id}/leads/{lead_id}/message-history")
        obj = self._object(body, "message history")
        if obj is None:
            return []
        history = obj.get("history")
        if not isinstance(history, list):
            raise BadResponseError(
                "message history has no `history` list", platform=self.platform,
                connection=self.connection, detail=str(obj)[:200],
            )
        return history

    # account-wide

    def lead_categories(self) -> list[dict[str, Any]]:
        return self._list(self.get("leads/fetch-categories"), "lead categories")

    def lead_by_email(self, email: str) -> dict[str, Any] | None:
        """The lead with this address and, in ``lead_campaign_data``, every campaign of this
        account holding it (always a list); None when the account has no such lead."""
        lead = self._object(self.get("leads/", email=email), "lead")
        if lead is None:
            return None
        campaigns = lead.get("lead_campaign_data")
        if campaigns is None:
            campaigns = []
        if not isinstance(campaigns, list):
            raise BadResponseError(
                "lead_campaign_data is not a list", platform=self.platform,
                connection=self.connection, method="GET", path="leads/",
                detail=str(campaigns)[:200],
            )
        return {**lead, "lead_campaign_data": campaigns}

    def add_leads(
        self, campaign_id: int, leads: list[dict[str, Any]],
        settings: Mapping[str, bool] | None = None,
    ) -> dict[str, Any]:
        """Pushes up to 100 leads into a campaign (``POST /campaigns/{id}/leads``).

        Not idempotent as far as the client knows: once the request may have reached the
        server it is never retried (a 5xx, a timeout or a truncated answer raises), while a
        429 or a refused connection is retried. Returns the platform's answer with its counts
        as ints; ``upload_count`` is how many leads were added. Raises ``ValueError`` before
        sending for an empty list, more than 100 leads or an unknown setting, and
        ``ClientRequestError`` for a campaign the account does not have.
        """
        if not leads:
            raise ValueError("add_leads needs at least one lead")
        if len(leads) > MAX_LEADS_PER_PUSH:
            raise ValueError(f"add_leads takes at most {MAX_LEADS_PER_PUSH} leads per call "
                             f"(got {len(leads)}); split them into batches")
        body: dict[str, Any] = {"lead_list": list(leads)}
        if settings is not None:
            unknown = sorted(set(settings) - LEAD_PUSH_SETTINGS)
            if unknown:
                raise ValueError(f"unknown lead push settings: {', '.join(unknown)}")
            body["settings"] = {name: bool(flag) for name, flag in settings.items()}
        path = f"campaigns/{campaign_id}/leads"
        answer = self._object(self.request("POST", path, json_body=body, idempotent=False),
                              "lead push")
        if answer is None:
            # The real API's "not found" can be 200 with {} or an empty body.
            raise ClientRequestError(
                f"campaign {campaign_id} not found (empty answer)", platform=self.platform,
                connection=self.connection, status=200, method="POST", path=path,
            )
        result = dict(answer)
        for key in LEAD_PUSH_COUNTS:
            result[key] = as_int(answer.get(key)) or 0
        for key in ("invalid_emails", "unsubscribed_leads"):
            value = answer.get(key)
            result[key] = value if isinstance(value, list) else []
        return result

    def email_accounts(self) -> Iterator[list[dict[str, Any]]]:
        path = "email-accounts/"

        def fetch(offset: int) -> list[dict[str, Any]]:
            return self._list(self.get(path, offset=offset, limit=PAGE_SIZE), "email accounts")

        yield from paginate(fetch, page_size=PAGE_SIZE, on_error=self._pagination_error(path))

    def inbox_replies(
        self, campaign_ids: Sequence[int] | None = None, replied_since: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Replied leads from the master inbox, newest reply first (POST, read-only)."""
        path = "master-inbox/inbox-replies"
        filters: dict[str, Any] = {}
        if campaign_ids:
            filters["campaignId"] = list(campaign_ids)
        if replied_since:
            filters["replyTimeBetween"] = [replied_since, "2999-12-31T00:00:00Z"]

        def fetch(offset: int) -> list[dict[str, Any]]:
            body = self.request(
                "POST", path, json_body={"offset": offset, "limit": INBOX_PAGE_SIZE,
                                         "filters": filters},
                idempotent=True,
            )
            return self._list(body, "inbox replies")

        yield from paginate(fetch, page_size=INBOX_PAGE_SIZE,
                            on_error=self._pagination_error(path))

    def day_wise(
        self, series: str, start: date, end: date, *, campaign_id: int | None = None,
        timezone: str = "UTC",
    ) -> list[DayStats]:
        """One day-wise analytics series over a window of at most 29 days."""
        path = DAY_WISE_SERIES[series]
        params: dict[str, Any] = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        if campaign_id is not None:
            params["campaign_ids"] = str(campaign_id)
        if series == "sent_date":
            params["timezone"] = timezone
        body = self.get(path, **params)
        try:
            rows = body["data"]["day_wise_stats"]
        except (TypeError, KeyError):
            raise BadResponseError(
                "day-wise stats without data.day_wise_stats", platform=self.platform,
                connection=self.connection, method="GET", path=path, detail=str(body)[:200],
            ) from None
        result = []
        for row in rows or []:
            try:
                day = infer_day(str(row.get("date", "")), start, end)
            except ValueError as exc:
                raise BadResponseError(str(exc), platform=self.platform,
                                       connection=self.connection, path=path) from None
            metrics = row.get("email_engagement_metrics") or {}
            result.append(DayStats(day, {k: as_int(v) or 0 for k, v in metrics.items()}))
        return result

    def mailbox_health(self, start: date, end: date) -> list[dict[str, Any]]:
        """Per-mailbox health over ``[start, end]``: one item per mailbox, keyed by
        ``from_email`` with no mailbox id (join to :meth:`email_accounts` by address); counts
        may be strings and rates percentage strings ("4.71%")."""
        path = "analytics/mailbox/name-wise-health-metrics"
        body = self.get(path, start_date=start.isoformat(), end_date=end.isoformat())
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict):
            for value in data.values():
                if isinstance(value, list):
                    return value
            return []
        if isinstance(data, list):
            return data
        raise BadResponseError("mailbox health without a data list", platform=self.platform,
                               connection=self.connection, path=path, detail=str(body)[:200])
