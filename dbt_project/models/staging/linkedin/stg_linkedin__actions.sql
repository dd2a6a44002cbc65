{#- Every step the linkedin_steps job decided to send and how it was settled; empty until the
    job has run. -#}
with source as (
    {{ optional_source('linkedin', 'linkedin_actions', {
        'action_id': 'varchar',
        'campaign_id': 'varchar',
        'lead_id': 'varchar',
        'account_id': 'varchar',
        'step_number': 'integer',
        'kind': 'varchar',
        'text': 'varchar',
        'usage_day': 'date',
        'status': 'varchar',
        'created_at': 'timestamp with time zone',
        'finished_at': 'timestamp with time zone',
        'chat_id': 'varchar',
        'message_id': 'varchar',
        'error': 'varchar',
        'run_id': 'varchar',
    }) }}
)

select
    -- ids
    action_id,
    campaign_id,
    lead_id,
    account_id,
    chat_id,
    message_id,
    run_id,

    -- descriptive
    step_number,
    lower(kind) as kind,
    {{ adapter.quote('text') }} as message_text,
    usage_day,
    lower(status) as status,
    error,

    -- timestamps
    created_at,
    finished_at
from source
