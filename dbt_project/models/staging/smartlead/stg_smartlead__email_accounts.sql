{#- Tolerates a missing table or column (see optional_source): a field no answer had yet is
    null. -#}
with source as (
    {{ optional_source('raw_smartlead', 'email_accounts', {
        'connection': 'varchar',
        'email_account_id': 'bigint',
        'client_id': 'bigint',
        'from_email': 'varchar',
        'from_name': 'varchar',
        'type': 'varchar',
        'smtp_host': 'varchar',
        'imap_host': 'varchar',
        'is_smtp_success': 'boolean',
        'is_imap_success': 'boolean',
        'smtp_failure_error': 'varchar',
        'imap_failure_error': 'varchar',
        'custom_tracking_domain': 'varchar',
        'is_suspended': 'boolean',
        'warmup_status': 'varchar',
        'smtp_port': 'bigint',
        'imap_port': 'bigint',
        'message_per_day': 'bigint',
        'daily_sent_count': 'bigint',
        'campaign_count': 'bigint',
        'warmup_reputation': 'double precision',
        'warmup_spam_count': 'bigint',
        'warmup_sent_count': 'bigint',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
    }) }}
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
