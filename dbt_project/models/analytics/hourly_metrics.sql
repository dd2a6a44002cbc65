{{ config(tags=['event_driven']) }}

{#- Per campaign and UTC hour, from email_activities (synced and webhook events): when in the
    day and week emails go out and get answered. Counts are on the event's own hour, so a reply
    counts in the hour it arrived, not the hour its email was sent. -#}
with activities as (
    select
        platform,
        connection,
        campaign_external_id,
        event_type,
        {{ utc_hour('occurred_at') }} as hour_start
    from {{ ref('email_activities') }}
    where campaign_external_id is not null
),

hourly as (
    select
        platform,
        connection,
        campaign_external_id,
        hour_start,
        sum(case when event_type = 'sent' then 1 else 0 end) as emails_sent,
        sum(case when event_type = 'bounced' then 1 else 0 end) as emails_bounced,
        sum(case when event_type = 'opened' then 1 else 0 end) as emails_opened,
        sum(case when event_type = 'clicked' then 1 else 0 end) as emails_clicked,
        sum(case when event_type = 'replied' then 1 else 0 end) as emails_replied,
        sum(case when event_type = 'unsubscribed' then 1 else 0 end) as unsubscribed
    from activities
    group by platform, connection, campaign_external_id, hour_start
),

final as (
    select
        -- ids
        platform,
        connection,
        platform || ':' || connection || ':' || campaign_external_id || ':'
            || {{ to_text('hour_start') }} as external_id,
        campaign_external_id,

        -- time
        hour_start,
        cast(hour_start as date) as date,
        cast(extract(hour from hour_start) as integer) as hour_of_day,
        cast(extract(isodow from hour_start) as integer) as day_of_week,

        -- counts
        emails_sent,
        emails_bounced,
        emails_sent - emails_bounced as emails_delivered,
        emails_opened,
        emails_clicked,
        emails_replied,
        unsubscribed,

        -- rates (seed 002: replies over delivered, bounces over sent)
        {{ safe_divide('emails_replied', 'emails_sent - emails_bounced') }} as reply_rate,
        {{ safe_divide('emails_bounced', 'emails_sent') }} as bounce_rate
    from hourly
)

select * from final
