{{ config(tags=['event_driven']) }}

{#- Landed webhook events, typed; empty until the first landing run creates the table. -#}
with source as (
    {{ optional_source('landing', 'webhook_events', {
        'event_key': 'varchar', 'source': 'varchar', 'connection': 'varchar',
        'platform': 'varchar', 'event_type': 'varchar', 'raw_event_type': 'varchar',
        'campaign_external_id': 'varchar', 'lead_external_id': 'varchar',
        'lead_email': 'varchar', 'email_external_id': 'varchar', 'activity_id': 'varchar',
        'message_id': 'varchar', 'sender_account': 'varchar', 'step_number': 'integer',
        'subject': 'varchar', 'text': 'varchar', 'category': 'varchar',
        'occurred_at': 'timestamp with time zone', 'received_at': 'timestamp with time zone',
        'segment_id': 'varchar', 'payload': 'varchar', 'loaded_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        event_key,
        source as endpoint,
        platform,
        connection,
        campaign_external_id,
        lead_external_id,
        lower(lead_email) as lead_email,
        email_external_id,
        activity_id,
        message_id,
        sender_account,

        -- descriptive
        event_type,
        raw_event_type,
        step_number,
        subject,
        {{ adapter.quote('text') }} as message_text,
        category,
        payload,
        segment_id,

        -- timestamps
        coalesce(occurred_at, received_at) as occurred_at,
        occurred_at is null as is_occurred_at_estimated,
        received_at,
        loaded_at
    from source
)

select * from renamed
