{#- The classified replies, typed; empty until the classified_replies asset has run. -#}
with source as (
    {{ optional_source('replies', 'classified_replies', {
        'platform': 'varchar',
        'connection': 'varchar',
        'message_id': 'varchar',
        'campaign_external_id': 'varchar',
        'lead_external_id': 'varchar',
        'lead_email': 'varchar',
        'received_at': 'timestamp with time zone',
        'reply_category': 'varchar',
        'is_positive': 'boolean',
        'classifier_version': 'varchar',
    }) }}
)

select
    -- ids
    platform,
    connection,
    message_id as external_id,
    campaign_external_id,
    lead_external_id,
    lower(lead_email) as lead_email,

    -- descriptive
    reply_category,
    is_positive,
    classifier_version,

    -- timestamps
    received_at,
    {{ utc_date('received_at') }} as received_on
from source
