{#- Only leads that replied have a thread, so the table may not exist yet: then this view is
    empty. -#}
with source as (
    {{ optional_source('raw_smartlead', 'message_history', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'lead_id': 'bigint',
        'message_id': 'varchar',
        'position': 'bigint',
        'type': 'varchar',
        'time': 'timestamp with time zone',
        'email_seq_number': 'bigint',
        'is_manual': 'boolean',
        'stats_id': 'varchar',
        'subject': 'varchar',
        'from_email': 'varchar',
        'to_email': 'varchar',
        'email_body': 'varchar',
        'body_plain': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('message_id') }} as external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,
        {{ to_text('lead_id') }} as lead_external_id,
        {{ to_text('stats_id') }} as email_external_id,

        -- descriptive
        lower(type) as message_type,
        coalesce(is_manual, false) as is_manual,
        subject,
        lower(from_email) as from_email,
        lower(to_email) as to_email,
        email_body as body_html,
        body_plain,

        -- numbers
        {{ to_int('"position"') }} as thread_position,
        {{ to_int('email_seq_number') }} as step_number,

        -- timestamps
        "time" as sent_at
    from source
)

select * from renamed
