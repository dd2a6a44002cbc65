{#- Loaded by the daily job, so the table may not exist yet: then this view is empty. A
    missing column (a field no answer had) is null. -#}
with source as (
    {{ optional_source('raw_smartlead', 'campaign_window_totals', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'window_start': 'date',
        'window_end': 'date',
        'sent_count': 'bigint',
        'unique_open_count': 'bigint',
        'reply_count': 'bigint',
        'bounce_count': 'bigint',
        'unsubscribed_count': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('campaign_id') }} || ':' || {{ to_text('window_start') }} as external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,

        -- numbers
        -- a count analytics-by-date left out is null, not zero
        {{ to_int('sent_count') }} as emails_sent,
        {{ to_int('unique_open_count') }} as emails_opened,
        {{ to_int('reply_count') }} as emails_replied,
        {{ to_int('bounce_count') }} as emails_bounced,
        {{ to_int('unsubscribed_count') }} as unsubscribed,

        -- dates
        cast(window_start as date) as window_start,
        cast(window_end as date) as window_end
    from source
)

select * from renamed
