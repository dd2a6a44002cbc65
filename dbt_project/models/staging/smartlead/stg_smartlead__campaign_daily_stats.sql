{#- Loaded by the daily job, so the table may not exist yet: then this view is empty. Tagged
    `partitioned` with daily_metrics, its only consumer: Dagster then runs it in the daily job,
    after the raw day-wise load. -#}
{{ config(tags=['partitioned']) }}
with source as (
    {{ optional_source('raw_smartlead', 'campaign_daily_stats', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'date': 'date',
        'sent': 'bigint',
        'bounced': 'bigint',
        'opened': 'bigint',
        'replied': 'bigint',
        'unsubscribed': 'bigint',
        'positive_replied': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('campaign_id') }} || ':' || {{ to_text('"date"') }} as external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,

        -- numbers
        coalesce({{ to_int('sent') }}, 0) as emails_sent,
        coalesce({{ to_int('bounced') }}, 0) as emails_bounced,
        {{ to_int('opened') }} as emails_opened,  -- null when the account does not report opens
        coalesce({{ to_int('replied') }}, 0) as emails_replied,
        {{ to_int('unsubscribed') }} as unsubscribed,  -- null when not reported
        coalesce({{ to_int('positive_replied') }}, 0) as positive_replies,

        -- dates
        cast("date" as date) as "date"
    from source
)

select * from renamed
