{#- LinkedIn accounts with their settings read out of the JSON definition; empty until the
    linkedin_steps job has run. -#}
with source as (
    {{ optional_source('linkedin', 'linkedin_accounts', {
        'account_id': 'varchar',
        'connection': 'varchar',
        'definition': 'varchar',
        'own_provider_id': 'varchar',
        'relations_synced_at': 'timestamp with time zone',
        'messages_synced_until': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
    }) }}
)

select
    -- ids
    account_id,
    connection,
    own_provider_id,

    -- settings
    {{ json_text_field('definition', 'timezone') }} as timezone,
    {{ to_int(json_text_field('definition', 'daily_invite_limit')) }} as daily_invite_limit,
    {{ to_int(json_text_field('definition', 'daily_message_limit')) }} as daily_message_limit,
    definition,

    -- timestamps
    relations_synced_at,
    messages_synced_until,
    updated_at
from source
