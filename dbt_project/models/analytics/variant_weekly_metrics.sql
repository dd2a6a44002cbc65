{#- Per variant and week since the variant's first send (week 0 = its first seven days, UTC). -#}
with outcomes as (
    select * from {{ ref('int_email_outcomes') }}
    where variant_external_id is not null
),

variants as (
    select platform, connection, variant_external_id, {{ utc_date('first_sent_at') }} as first_sent_on
    from {{ ref('int_variant_outcomes') }}
),

weekly as (
    select
        outcomes.platform,
        outcomes.connection,
        outcomes.variant_external_id,
        min(outcomes.campaign_external_id) as campaign_external_id,
        {{ weeks_between('variants.first_sent_on', 'outcomes.sent_on') }} as week_number,
        min(variants.first_sent_on) as first_sent_on,
        count(*) as emails_sent,
        count(*) filter (where outcomes.is_delivered) as emails_delivered,
        count(*) filter (where outcomes.is_replied) as emails_replied,
        count(*) filter (where outcomes.is_positive_reply) as positive_replies
    from outcomes
    inner join variants
        on outcomes.platform = variants.platform
        and outcomes.connection = variants.connection
        and outcomes.variant_external_id = variants.variant_external_id
    group by
        outcomes.platform,
        outcomes.connection,
        outcomes.variant_external_id,
        {{ weeks_between('variants.first_sent_on', 'outcomes.sent_on') }}
),

final as (
    select
        platform,
        connection,
        variant_external_id || ':' || {{ to_text('week_number') }} as external_id,
        variant_external_id,
        campaign_external_id,
        week_number,
        {{ date_add_days('first_sent_on', '7 * week_number') }} as week_start,
        emails_sent,
        emails_delivered,
        emails_replied,
        positive_replies,
        {{ safe_divide('emails_replied', 'emails_delivered') }} as reply_rate,
        emails_delivered >= {{ var('decay_min_delivered_per_week') }} as is_used_for_slope
    from weekly
)

select * from final
