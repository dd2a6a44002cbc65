{#- A campaign that never sent has no rows, and an account with none has no table yet: then
    this view is empty (see optional_source). -#}
with source as (
    {{ optional_source('raw_smartlead', 'email_statistics', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'stats_id': 'varchar',
        'lead_email': 'varchar',
        'lead_name': 'varchar',
        'lead_category': 'varchar',
        'sequence_number': 'bigint',
        'seq_variant_id': 'varchar',
        'email_subject': 'varchar',
        'sent_time': 'timestamp with time zone',
        'open_time': 'timestamp with time zone',
        'click_time': 'timestamp with time zone',
        'reply_time': 'timestamp with time zone',
        'is_bounced': 'boolean',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('stats_id') }} as external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,
        {{ to_text('seq_variant_id') }} as variant_external_id,

        -- descriptive
        lower(lead_email) as lead_email,
        lead_name,
        lead_category as lead_category_name,
        email_subject,
        coalesce(is_bounced, false) as is_bounced,

        -- numbers
        {{ to_int('sequence_number') }} as step_number,

        -- timestamps
        sent_time as sent_at,
        open_time as opened_at,
        click_time as clicked_at,
        reply_time as replied_at
    from source
)

select * from renamed
