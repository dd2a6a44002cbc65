{#- One row per lead, from the campaign leads (empty when leads were never synced). -#}
with contacts as (
    select * from {{ ref('int_contacts__deduplicated') }}
),

categories as (
    select platform, connection, external_id, name, reply_category, is_positive
    from {{ ref('int_lead_categories__mapped') }}
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
        contacts.is_unsubscribed,
        categories.name as lead_category,
        categories.reply_category,
        coalesce(categories.is_positive, false) as is_interested,
        contacts.campaigns_enrolled,

        -- timestamps
        contacts.enrolled_at
    from contacts
    left join categories
        on contacts.platform = categories.platform
        and contacts.connection = categories.connection
        and contacts.lead_category_external_id = categories.external_id
)

select * from final
