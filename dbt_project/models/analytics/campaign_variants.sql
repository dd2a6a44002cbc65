{#- One row per variant (A/B variant of a sequence step) with its copy and what it achieved. -#}
with variants as (
    select * from {{ ref('int_campaign_variants__unioned') }}
),

outcomes as (
    select * from {{ ref('int_variant_outcomes') }}
),

joined as (
    select
        variants.*,
        coalesce(outcomes.emails_sent, 0) as emails_sent,
        coalesce(outcomes.emails_bounced, 0) as emails_bounced,
        coalesce(outcomes.emails_delivered, 0) as emails_delivered,
        coalesce(outcomes.emails_opened, 0) as emails_opened,
        coalesce(outcomes.emails_replied, 0) as emails_replied,
        coalesce(outcomes.positive_replies, 0) as positive_replies,
        outcomes.first_sent_at,
        outcomes.last_sent_at
    from variants
    left join outcomes
        on variants.platform = outcomes.platform
        and variants.connection = outcomes.connection
        and variants.external_id = outcomes.variant_external_id
),

final as (
    select
        -- ids
        platform,
        connection,
        external_id,
        campaign_external_id,
        step_external_id,

        -- copy
        step_number,
        variant_label,
        is_base_variant,
        subject_line,
        body_html,
        body_plain,
        body_preview,
        personalization_vars,
        delay_days,
        send_as_reply,

        -- outcomes
        emails_sent,
        emails_bounced,
        emails_delivered,
        emails_opened,
        emails_replied,
        positive_replies,
        {{ safe_divide('emails_replied', 'emails_delivered') }} as reply_rate,
        {{ safe_divide('emails_bounced', 'emails_sent') }} as bounce_rate,
        {{ safe_divide('positive_replies', 'emails_delivered') }} as positive_rate,

        -- timestamps
        first_sent_at,
        last_sent_at,
        created_at,
        updated_at
    from joined
)

select * from final
