{{ config(tags=['event_driven']) }}

{#- What webhooks say about each lead (by address, across campaigns): unsubscribed, the latest
    category, interested or not. -#}
with events as (
    select * from {{ ref('stg_landing__webhook_events') }}
    where event_type in ('unsubscribed', 'category_updated', 'interested', 'not_interested')
        and connection is not null
        and lead_email is not null
),

ranked as (
    select
        platform, connection, lead_email, event_type, category, occurred_at,
        row_number() over (
            partition by platform, connection, lead_email,
                case when event_type = 'not_interested' then 'interested' else event_type end
            order by occurred_at desc, received_at desc
        ) as recency
    from events
)

select
    platform,
    connection,
    lead_email,
    bool_or(event_type = 'unsubscribed') as is_unsubscribed,
    max(case when recency = 1 and event_type = 'category_updated' then category end)
        as latest_category,
    bool_or(recency = 1 and event_type = 'interested') as is_marked_interested,
    bool_or(recency = 1 and event_type = 'not_interested') as is_marked_not_interested
from ranked
group by platform, connection, lead_email
