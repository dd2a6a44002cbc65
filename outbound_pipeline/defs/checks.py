"""Asset checks that compare what was loaded against an independent figure from the API."""


import dagster as dg

from outbound_pipeline.defs.resources import WarehouseResource

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
