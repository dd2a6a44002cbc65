{#- How the classifier's categories compare with the platform's own view of the same leads:
    the lead category the platform holds (a category webhook's latest value, else the synced
    one), mapped to seed 002 categories. One row per connection and pair of categories. -#}
with replies as (
    select * from {{ ref('stg_replies__classified_replies') }}
),

synced as (
    select
        platform,
        connection,
        campaign_external_id,
        lead_email,
        max(reply_category) as reply_category
    from {{ ref('int_email_outcomes') }}
    where is_replied and reply_category is not null
    group by platform, connection, campaign_external_id, lead_email
),

from_webhooks as (
    select
        flags.platform,
        flags.connection,
        flags.lead_email,
        categories.reply_category
    from {{ ref('int_contact_webhook_flags') }} as flags
    inner join {{ ref('int_lead_categories__by_name') }} as categories
        on flags.platform = categories.platform
        and flags.connection = categories.connection
        and lower(trim(flags.latest_category)) = categories.name_key
),

paired as (
    select
        replies.platform,
        replies.connection,
        coalesce(from_webhooks.reply_category, synced.reply_category) as platform_category,
        replies.reply_category as classified_category
    from replies
    left join synced
        on replies.platform = synced.platform
        and replies.connection = synced.connection
        and replies.campaign_external_id = synced.campaign_external_id
        and replies.lead_email = synced.lead_email
    left join from_webhooks
        on replies.platform = from_webhooks.platform
        and replies.connection = from_webhooks.connection
        and replies.lead_email = from_webhooks.lead_email
),

counted as (
    select
        platform,
        connection,
        platform_category,
        classified_category,
        count(*) as replies
    from paired
    where platform_category is not null
    group by platform, connection, platform_category, classified_category
),

final as (
    select
        -- ids
        platform,
        connection,
        platform_category,
        classified_category,

        -- descriptive
        platform_category = classified_category as agrees,

        -- counts
        replies,

        -- rates
        {{ safe_divide('replies', 'sum(replies) over (partition by platform, connection, platform_category)') }}
            as share_of_platform_category
    from counted
)

select * from final
