{#- LinkedIn campaigns as the linkedin_steps job stored them; empty until the job has run. -#}
with source as (
    {{ optional_source('linkedin', 'linkedin_campaigns', {
        'campaign_id': 'varchar',
        'name': 'varchar',
        'client': 'varchar',
        'account_id': 'varchar',
        'timezone': 'varchar',
        'status': 'varchar',
        'steps': 'integer',
        'definition': 'varchar',
        'updated_at': 'timestamp with time zone',
    }) }}
)

select
    -- ids
    campaign_id,
    account_id,

    -- descriptive
    name as campaign_name,
    nullif(trim(client), '') as client,
    timezone,
    lower(status) as status,
    steps as step_count,
    definition,

    -- timestamps
    updated_at
from source
