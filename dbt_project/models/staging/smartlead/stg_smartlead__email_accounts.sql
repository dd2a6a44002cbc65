with source as (
    select * from {{ source('raw_smartlead', 'email_accounts') }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('email_account_id') }} as external_id,
        {{ to_text('client_id') }} as team_id,

        -- descriptive
        lower(from_email) as from_email,
        from_name,
        type as account_type,
        smtp_host,
        imap_host,
        coalesce(is_smtp_success, false) as is_smtp_success,
        coalesce(is_imap_success, false) as is_imap_success,
        smtp_failure_error,
        imap_failure_error,
        custom_tracking_domain as tracking_domain,
        coalesce(is_suspended, false) as is_suspended,
        lower(warmup_status) as warmup_status,

        -- numbers
        {{ to_int('smtp_port') }} as smtp_port,
        {{ to_int('imap_port') }} as imap_port,
        {{ to_int('message_per_day') }} as message_per_day,
        {{ to_int('daily_sent_count') }} as daily_sent_count,
        {{ to_int('campaign_count') }} as campaign_count,
        {{ to_float('warmup_reputation') }} as warmup_reputation,
        {{ to_int('warmup_spam_count') }} as warmup_spam_count,
        {{ to_int('warmup_sent_count') }} as warmup_sent_count,

        -- timestamps
        created_at,
        updated_at
    from source
)

select * from renamed
