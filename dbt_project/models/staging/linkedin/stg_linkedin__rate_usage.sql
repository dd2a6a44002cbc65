{#- Units reserved per LinkedIn account, local day and action against the daily limit; empty
    until the linkedin_steps job has run. -#}
with source as (
    {{ optional_source('linkedin', 'rate_usage', {
        'account_id': 'varchar',
        'usage_day': 'date',
        'action': 'varchar',
        'used': 'integer',
        'daily_limit': 'integer',
        'updated_at': 'timestamp with time zone',
    }) }}
)

select
    -- ids
    account_id,
    usage_day,
    lower(action) as action,

    -- measures
    used,
    daily_limit,

    -- timestamps
    updated_at
from source
