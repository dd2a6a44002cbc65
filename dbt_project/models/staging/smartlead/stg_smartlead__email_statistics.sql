with source as (
    select * from {{ source('raw_smartlead', 'email_statistics') }}
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
