with source as (
    select * from {{ source('raw_smartlead', 'mailbox_health') }}
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
        coalesce({{ to_int('sent') }}, 0) as emails_sent,
        coalesce({{ to_int('opened') }}, 0) as emails_opened,
        coalesce({{ to_int('replied') }}, 0) as emails_replied,
        coalesce({{ to_int('bounced') }}, 0) as emails_bounced,
        coalesce({{ to_int('unsubscribed') }}, 0) as unsubscribed,

        -- dates
        cast(window_start as date) as window_start,
        cast(window_end as date) as window_end
    from source
)

select * from renamed
