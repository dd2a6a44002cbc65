{#- The LinkedIn sequences' history, one row per event; empty until the linkedin_steps job has
    run. -#}
with source as (
    {{ optional_source('linkedin', 'linkedin_events', {
        'event_id': 'varchar',
        'event_type': 'varchar',
        'campaign_id': 'varchar',
        'lead_id': 'varchar',
        'account_id': 'varchar',
        'step_number': 'integer',
        'occurred_at': 'timestamp with time zone',
        'message_id': 'varchar',
        'detail': 'varchar',
        'recorded_at': 'timestamp with time zone',
    }) }}
)

select
    -- ids
    event_id,
    campaign_id,
    lead_id,
    account_id,
    message_id,

    -- descriptive
    lower(event_type) as event_type,
    step_number,
    detail,

    -- timestamps
    occurred_at,
    {{ utc_date('occurred_at') }} as occurred_on,
    recorded_at
from source
