{#- Each campaign's lead funnel per snapshot day. -#}
select
    platform,
    connection,
    external_id,
    campaign_external_id,
    snapshot_date,
    campaign_status,
    total_leads,
    not_started,
    in_progress,
    completed,
    paused,
    stopped,
    blocked,
    interested
from {{ ref('int_enrollment_snapshots__unioned') }}
