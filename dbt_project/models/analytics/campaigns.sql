{#- One row per campaign. Totals are the platform's lifetime totals; positive_replies counts
    the distinct leads with a positive classified reply (interested or meeting_request), and
    platform_positive_replies those the platform's own lead category calls positive. -#}
with campaigns as (
    select * from {{ ref('int_campaigns__unioned') }}
),

positive_leads as (
    select
        platform,
        connection,
        campaign_external_id,
        count(distinct coalesce(lead_email, lead_external_id)) as positive_replies
    from {{ ref('stg_replies__classified_replies') }}
    where is_positive
    group by platform, connection, campaign_external_id
),

platform_positive_leads as (
    select
        platform,
        connection,
        campaign_external_id,
        count(distinct lead_email) as platform_positive_replies
    from {{ ref('int_email_outcomes') }}
    where is_positive_reply
    group by platform, connection, campaign_external_id
),

joined as (
    select
        campaigns.*,
        coalesce(positive_leads.positive_replies, 0) as positive_replies,
        coalesce(platform_positive_leads.platform_positive_replies, 0)
            as platform_positive_replies,
        campaigns.total_sent - campaigns.total_bounced as total_delivered
    from campaigns
    left join positive_leads
        on campaigns.platform = positive_leads.platform
        and campaigns.connection = positive_leads.connection
        and campaigns.external_id = positive_leads.campaign_external_id
    left join platform_positive_leads
        on campaigns.platform = platform_positive_leads.platform
        and campaigns.connection = platform_positive_leads.connection
        and campaigns.external_id = platform_positive_leads.campaign_external_id
),

final as (
    select
        -- ids
        platform,
        connection,
        external_id,
        parent_campaign_external_id,
        owner_id,
        team_id,

        -- descriptive
        name,
        status,
        timezone,
        schedule_start_hour,
        schedule_end_hour,
        min_time_between_emails,
        max_leads_per_day,
        send_as_plain_text,
        tracks_opens,
        tracks_clicks,
        stop_lead_settings,

        -- totals
        total_leads,
        total_sent,
        total_delivered,
        total_replied,
        total_bounced,
        total_unsubscribed,
        total_opened,
        positive_replies,
        platform_positive_replies,

        -- rates
        {{ safe_divide('total_replied', 'total_delivered') }} as reply_rate,
        {{ safe_divide('total_bounced', 'total_sent') }} as bounce_rate,
        {{ safe_divide('positive_replies', 'total_delivered') }} as positive_rate,

        -- timestamps
        started_at,
        updated_at
    from joined
)

select * from final
