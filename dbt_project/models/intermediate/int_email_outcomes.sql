{{ config(materialized='table') }}

{#- One row per email sent, with its variant resolved and every outcome as a flag: the one
    scan of the per-email data that every email-level analytics model reads. A sent email
    without a variant id (a step without A/B variants) gets its step's base variant. -#}
with sends as (
    select * from {{ ref('int_email_sends__unioned') }}
),

variants as (
    select platform, connection, campaign_external_id, external_id, step_number, is_base_variant
    from {{ ref('int_campaign_variants__unioned') }}
),

base_variants as (
    select platform, connection, campaign_external_id, step_number,
        min(external_id) as external_id
    from variants
    where is_base_variant
    group by platform, connection, campaign_external_id, step_number
),

categories as (
    select * from {{ ref('int_lead_categories__by_name') }}
),

outcomes as (
    select
        -- ids
        sends.platform,
        sends.connection,
        sends.external_id,
        sends.campaign_external_id,
        coalesce(variants.external_id, base_variants.external_id) as variant_external_id,
        sends.lead_email,

        -- descriptive
        coalesce(variants.step_number, sends.step_number) as step_number,
        case when sends.replied_at is not null then categories.reply_category end
            as reply_category,
        sends.is_bounced,
        not sends.is_bounced as is_delivered,
        sends.opened_at is not null as is_opened,
        sends.clicked_at is not null as is_clicked,
        sends.replied_at is not null as is_replied,
        sends.replied_at is not null and coalesce(categories.is_positive, false)
            as is_positive_reply,

        -- timestamps
        sends.sent_at,
        {{ utc_date('sends.sent_at') }} as sent_on,
        sends.opened_at,
        sends.clicked_at,
        sends.replied_at
    from sends
    left join variants
        on sends.platform = variants.platform
        and sends.connection = variants.connection
        and sends.campaign_external_id = variants.campaign_external_id
        and sends.variant_external_id = variants.external_id
    left join base_variants
        on sends.variant_external_id is null
        and sends.platform = base_variants.platform
        and sends.connection = base_variants.connection
        and sends.campaign_external_id = base_variants.campaign_external_id
        and sends.step_number = base_variants.step_number
    left join categories
        on sends.platform = categories.platform
        and sends.connection = categories.connection
        and lower(trim(sends.lead_category_name)) = categories.name_key
)

select * from outcomes
