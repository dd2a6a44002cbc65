{{ config(tags=['event_driven']) }}

{#- Unipile message_received and new_relation events: the hand-off to the LinkedIn job. -#}
select
    event_key,
    connection,
    event_type,
    sender_account as account_id,
    lead_external_id as attendee_provider_id,
    activity_id as chat_id,
    message_id,
    message_text,
    payload,
    occurred_at,
    received_at
from {{ ref('stg_landing__webhook_events') }}
where platform = 'unipile'
    and event_type in ('message_received', 'new_relation')
