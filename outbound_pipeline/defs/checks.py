"""Asset checks on the raw Smartlead tables: what was loaded against an independent figure from
the API, and whether every endpoint a table is fetched from answered."""

from collections.abc import Iterator, Sequence

import dagster as dg

from outbound_pipeline.defs.resources import WarehouseResource
from outbound_pipeline.platforms.smartlead.availability import UnavailableEndpoint

ENDPOINTS_CHECK = "endpoints_available"
ENDPOINTS_CHECK_DESCRIPTION = (
    "Every Smartlead endpoint this table is fetched from answered, for every connection. Fails "
    "naming the endpoint, the HTTP status and the connection when one answered 403 (the plan "
    "does not include it) or 404: the sync still loads everything else, and this table lacks "
    "what that endpoint gives for that connection."
)
UNAVAILABLE_METADATA = "unavailable_endpoints"
"""Materialization metadata of a Smartlead table: the endpoints that answered 403/404."""

DAILY_STATS = dg.AssetKey(["raw", "smartlead", "campaign_daily_stats"])

RECONCILE_SQL = """
with sums as (
    select t.connection, t.campaign_id, t.window_start, t.window_end,
           t.sent_count, t.reply_count, t.bounce_count,
           coalesce(sum(d.sent), 0) as daily_sent,
           coalesce(sum(d.replied), 0) as daily_replied,
           coalesce(sum(d.bounced), 0) as daily_bounced,
           count(d.date) as days
    from raw_smartlead.campaign_window_totals t
    left join raw_smartlead.campaign_daily_stats d
      on d.connection = t.connection and d.campaign_id = t.campaign_id
     and d.date between t.window_start and t.window_end
    group by 1, 2, 3, 4, 5, 6, 7
)
select connection, campaign_id, cast(window_start as varchar), cast(window_end as varchar),
       sent_count, daily_sent, reply_count, daily_replied, bounce_count, daily_bounced
from sums
where coalesce(sent_count, 0) <> daily_sent
   or coalesce(reply_count, 0) <> daily_replied
   or coalesce(bounce_count, 0) <> daily_bounced
order by 1, 2, 3
"""


@dg.asset_check(
    asset=DAILY_STATS,
    name="daily_series_match_window_totals",
    description=(
        "For every fetched window, the day-wise series summed over the window equal "
        "analytics-by-date's totals for sent, replied and bounced. A mismatch means the daily "
        "series lost or double-counted days."
    ),
)
def daily_series_match_window_totals(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.warehouse
    windows = wh.query("select count(*) from raw_smartlead.campaign_window_totals")[0][0]
    mismatches = wh.query(RECONCILE_SQL)
    preview = [
        f"{r[0]} campaign {r[1]} {r[2]}..{r[3]}: sent {r[4]} vs {r[5]}, "
        f"replied {r[6]} vs {r[7]}, bounced {r[8]} vs {r[9]}"
        for r in mismatches[:20]
    ]
    return dg.AssetCheckResult(
        passed=not mismatches,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "windows_checked": windows,
            "mismatched_windows": len(mismatches),
            "mismatches": dg.MetadataValue.md("\n".join(f"- {p}" for p in preview) or "none"),
        },
    )


def describe_unavailable(found: Sequence[UnavailableEndpoint]) -> str:
    """Markdown lines naming each refused endpoint, its status and connection (redacted)."""
    return "\n".join(f"- `{f.endpoint}` -> HTTP {f.status}, connection `{f.connection}`: "
                     f"{f.message}" for f in found)


def build_endpoint_checks(name: str, keys: Sequence[dg.AssetKey]) -> dg.AssetChecksDefinition:
    """``endpoints_available`` on each of ``keys``: fails when the table's latest
    materialization names unavailable endpoints (``UNAVAILABLE_METADATA``). Runs after the load
    in the same run, and alone from the UI."""

    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec(ENDPOINTS_CHECK, asset=key,
                                 description=ENDPOINTS_CHECK_DESCRIPTION) for key in keys],
        name=name,
        can_subset=True,
    )
    def endpoints_available(context: dg.AssetCheckExecutionContext
                            ) -> Iterator[dg.AssetCheckResult]:
        for check in context.selected_asset_check_keys:
            event = context.instance.get_latest_materialization_event(check.asset_key)
            materialization = event.asset_materialization if event else None
            found = materialization.metadata.get(UNAVAILABLE_METADATA) if materialization else None
            yield dg.AssetCheckResult(
                asset_key=check.asset_key,
                check_name=ENDPOINTS_CHECK,
                passed=found is None,
                severity=dg.AssetCheckSeverity.ERROR,
                description=(f"unavailable in the latest load:\n{found.value}" if found is not None
                             else "every endpoint answered" if materialization
                             else "not materialized yet"),
                metadata={UNAVAILABLE_METADATA: found or dg.MetadataValue.md("none")},
            )

    return endpoints_available
