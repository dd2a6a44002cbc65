"""Answer shapes of the Smartlead simulator that depend on the account rather than the world.

- :func:`omit_optional`: with the ``omit_optional_fields`` fault, answers leave out the fields a
  real account does not always get: open, click and unsubscribe counts (open tracking off, older
  plans), warmup details of a mailbox that never warmed up, the optional settings of a campaign.
  A client written against the simulator must load such answers with those values null, never
  as zeros.
- :func:`unavailable`: the answer of an endpoint the account's plan does not include (403) or
  that the API does not serve to it (404), as the ``unavailable_*`` faults ask.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from outbound_pipeline.sandbox.simulator_app import API_PREFIX

_OPEN_CLICK_UNSUBSCRIBE = ("open_count", "unique_open_count", "click_count",
                           "unique_click_count", "unsubscribed_count")
_MAILBOX = ("warmup_details", "smtp_failure_error", "imap_failure_error",
            "custom_tracking_domain", "client_id", "daily_sent_count", "tags")

OPTIONAL_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # route template -> (where the objects are in the answer, the fields left out of each)
    "/campaigns": ((), ("parent_campaign_id", "client_id", "tags", "unsubscribe_text",
                        "schedule_start_time", "track_settings")),
    "/campaigns/{id}": ((), ("parent_campaign_id", "client_id", "tags", "unsubscribe_text",
                             "schedule_start_time", "track_settings")),
    "/campaigns/{id}/analytics": ((), _OPEN_CLICK_UNSUBSCRIBE),
    "/campaigns/{id}/analytics-by-date": ((), _OPEN_CLICK_UNSUBSCRIBE),
    "/campaigns/{id}/statistics": (("data",), ("lead_category",)),
    "/campaigns/{id}/email-accounts": ((), _MAILBOX),
    "/email-accounts/": ((), _MAILBOX),
    "/leads/fetch-categories": ((), ("sentiment_type", "created_at")),
    "/analytics/day-wise-overall-stats": (
        ("data", "day_wise_stats", "email_engagement_metrics"), ("opened", "unsubscribed")),
    "/analytics/day-wise-overall-stats-by-sent-time": (
        ("data", "day_wise_stats", "email_engagement_metrics"), ("opened", "unsubscribed")),
    "/analytics/mailbox/name-wise-health-metrics": (
        ("data", "email_health_metrics"), ("opened", "unsubscribed", "open_rate")),
}


def omit_optional(route: str, payload: Any) -> Any:
    """``payload`` without the optional fields of ``route`` (unchanged for other routes)."""
    spec = OPTIONAL_FIELDS.get(route)
    if spec is None:
        return payload
    path, names = spec
    for obj in _objects(payload, path):
        for name in names:
            obj.pop(name, None)
    return payload


def _objects(node: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects at ``path``: keys descend into objects, lists are walked element-wise."""
    if isinstance(node, list):
        return [obj for item in node for obj in _objects(item, path)]
    if not isinstance(node, dict):
        return []
    if not path:
        return [node]
    return _objects(node.get(path[0]), path[1:])


def unavailable(status: int, method: str, path: str) -> Response:
    """The refusal of an endpoint the account cannot use."""
    if status == 403:
        message = "Your current plan does not include access to this API endpoint"
    else:
        message = f"Cannot {method} {API_PREFIX}{path}"
    return JSONResponse({"message": message}, status_code=status)
