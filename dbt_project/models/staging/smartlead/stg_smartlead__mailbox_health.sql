{#- The API keys mailbox health by address; the source joins it to the mailbox. A mailbox that
    sent nothing in the window has no row, and a count the API left out is null. -#}
with source as (
    {{ optional_source('raw_smartlead', 'mailbox_health', {
        'connection': 'varchar',
        'email_account_id': 'bigint',
        'from_email': 'varchar',
        'window_start': 'date',
        'window_end': 'date',
        'sent': 'bigint',
        'opened': 'bigint',
        'replied': 'bigint',
        'bounced': 'bigint',
        'unsubscribed': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('email_account_id') }} || ':' || {{ to_text('window_end') }} as external_id,
        {{ to_text('email_account_id') }} as email_account_external_id,

        -- descriptive
        lower(from_email) as from_email,

        -- numbers
        {{ to_int('sent') }} as emails_sent,
        {{ to_int('opened') }} as emails_opened,
        {{ to_int('replied') }} as emails_replied,
        {{ to_int('bounced') }} as emails_bounced,
        {{ to_int('unsubscribed') }} as unsubscribed,

        -- dates
        cast(window_start as date) as window_start,
        cast(window_end as date) as window_end
    from source
)

select * from renamed
