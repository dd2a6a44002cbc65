{#- Per campaign: emails sent and bounced over the trailing var campaign_alert_window_days
    days, ending on the connection's latest send day. -#}
with outcomes as (
    select platform, connection, campaign_external_id, sent_on, is_bounced
    from {{ ref('int_email_outcomes') }}
),

windows as (
    select
        platform,
        connection,
        max(sent_on) as window_end,
        {{ date_minus_days('max(sent_on)', var('campaign_alert_window_days') ~ ' - 1') }}
            as window_start
    from outcomes
    group by platform, connection
),

recent as (
    select
        outcomes.platform,
        outcomes.connection,
        outcomes.campaign_external_id,
        min(windows.window_start) as window_start,
        min(windows.window_end) as window_end,
        count(*) as emails_sent,
        count(*) filter (where outcomes.is_bounced) as emails_bounced
    from outcomes
    inner join windows
        on outcomes.platform = windows.platform
        and outcomes.connection = windows.connection
        and outcomes.sent_on between windows.window_start and windows.window_end
    group by outcomes.platform, outcomes.connection, outcomes.campaign_external_id
)

select * from recent
