{{ config(tags=['event_driven']) }}

{#- One row per lead, from the campaign leads (empty when leads were never synced), with what
    webhooks reported since: an unsubscribe, a new category, interested or not. -#}
with contacts as (
    select * from {{ ref('int_contacts__deduplicated') }}
),

categories as (
    select platform, connection, external_id, name, reply_category, is_positive
    from {{ ref('int_lead_categories__mapped') }}
),

webhook_flags as (
    select * from {{ ref('int_contact_webhook_flags') }}
),

categories_by_name as (
    select * from {{ ref('int_lead_categories__by_name') }}
),

final as (
    select
        -- ids
        contacts.platform,
        contacts.connection,
        contacts.lead_external_id as external_id,
        contacts.campaign_external_id,
        contacts.company_key as company_external_id,

        -- person
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.title,
        contacts.phone,
        contacts.linkedin_url,
        contacts.location,
        contacts.company_name,

        -- sequence state
        contacts.sequence_status,
        contacts.is_unsubscribed or coalesce(webhook_flags.is_unsubscribed, false)
            as is_unsubscribed,
        coalesce(webhook_flags.latest_category, categories.name) as lead_category,
        case when webhook_flags.latest_category is not null then categories_by_name.reply_category
            else categories.reply_category end as reply_category,
        case
            when webhook_flags.is_marked_interested then true
            when webhook_flags.is_marked_not_interested then false
            when webhook_flags.latest_category is not null
                then coalesce(categories_by_name.is_positive, false)
            else coalesce(categories.is_positive, false)
        end as is_interested,
        contacts.campaigns_enrolled,

        -- timestamps
        contacts.enrolled_at
    from contacts
    left join categories
        on contacts.platform = categories.platform
        and contacts.connection = categories.connection
        and contacts.lead_category_external_id = categories.external_id
    left join webhook_flags
        on contacts.platform = webhook_flags.platform
        and contacts.connection = webhook_flags.connection
        and lower(contacts.email) = webhook_flags.lead_email
    left join categories_by_name
        on webhook_flags.platform = categories_by_name.platform
        and webhook_flags.connection = categories_by_name.connection
        and lower(trim(webhook_flags.latest_category)) = categories_by_name.name_key
)

select * from final
