{{ config(tags=['event_driven']) }}

{#- Email events received by webhook, one row per email and event type, in the shape of
    email_activities. external_id is '<email id>:<event type>' like the synced rows, so the
    same event from both paths is one row in email_activities. -#}
with events as (
    select * from {{ ref('stg_landing__webhook_events') }}
    where event_type in ('sent', 'opened', 'clicked', 'replied', 'bounced', 'unsubscribed')
        and connection is not null
),

keyed as (
    select
        platform,
        connection,
        coalesce(email_external_id, activity_id, event_key) || ':' || event_type as external_id,
        coalesce(email_external_id, activity_id, event_key) as email_external_id,
        campaign_external_id,
        step_number,
        lead_email,
        event_type,
        occurred_at,
        row_number() over (
            partition by platform, connection,
                coalesce(email_external_id, activity_id, event_key), event_type
            order by occurred_at, received_at, event_key
        ) as nth
    from events
)

select
    platform,
    connection,
    external_id,
    email_external_id,
    campaign_external_id,
    step_number,
    lead_email,
    event_type,
    occurred_at
from keyed
where nth = 1
