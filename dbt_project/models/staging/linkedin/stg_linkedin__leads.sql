{#- One row per lead and LinkedIn campaign with its sequence state; empty until the
    linkedin_steps job has run. -#}
with source as (
    {{ optional_source('linkedin', 'linkedin_leads', {
        'campaign_id': 'varchar',
        'lead_id': 'varchar',
        'account_id': 'varchar',
        'provider_id': 'varchar',
        'public_identifier': 'varchar',
        'member_id': 'varchar',
        'first_name': 'varchar',
        'last_name': 'varchar',
        'company': 'varchar',
        'headline': 'varchar',
        'email': 'varchar',
        'variables': 'varchar',
        'status': 'varchar',
        'steps_done': 'integer',
        'enrolled_at': 'timestamp with time zone',
        'invited_at': 'timestamp with time zone',
        'connected_at': 'timestamp with time zone',
        'last_step_at': 'timestamp with time zone',
        'chat_id': 'varchar',
        'replied_at': 'timestamp with time zone',
        'reply_message_id': 'varchar',
        'reply_step': 'integer',
        'last_error': 'varchar',
        'updated_at': 'timestamp with time zone',
    }) }}
)

select
    -- ids
    campaign_id,
    lead_id,
    account_id,
    provider_id,
    lower(public_identifier) as public_identifier,
    member_id,
    chat_id,
    reply_message_id,

    -- descriptive
    first_name,
    last_name,
    nullif(trim(company), '') as company,
    headline,
    lower(trim(email)) as email,
    variables,

    -- sequence state
    lower(status) as status,
    steps_done,
    reply_step,
    last_error,

    -- timestamps
    enrolled_at,
    invited_at,
    connected_at,
    last_step_at,
    replied_at,
    updated_at
from source
