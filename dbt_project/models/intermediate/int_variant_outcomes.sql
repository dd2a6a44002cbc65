{#- Per variant: emails sent and their outcomes, from the per-email outcomes. -#}
with outcomes as (
    select * from {{ ref('int_email_outcomes') }}
    where variant_external_id is not null
),

per_variant as (
    select
        platform,
        connection,
        variant_external_id,
        count(*) as emails_sent,
        count(*) filter (where is_bounced) as emails_bounced,
        count(*) filter (where is_delivered) as emails_delivered,
        count(*) filter (where is_opened) as emails_opened,
        count(*) filter (where is_clicked) as emails_clicked,
        count(*) filter (where is_replied) as emails_replied,
        count(*) filter (where is_positive_reply) as positive_replies,
        min(sent_at) as first_sent_at,
        max(sent_at) as last_sent_at
    from outcomes
    group by platform, connection, variant_external_id
)

select * from per_variant
