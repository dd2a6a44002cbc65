{#- The leads sync is optional (off by default): without the table this view is empty. -#}
with source as (
    {{ optional_source('raw_smartlead', 'campaign_leads', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'lead_id': 'bigint',
        'campaign_lead_map_id': 'bigint',
        'lead_category_id': 'bigint',
        'status': 'varchar',
        'enrolled_at': 'timestamp with time zone',
        'email': 'varchar',
        'first_name': 'varchar',
        'last_name': 'varchar',
        'phone_number': 'varchar',
        'company_name': 'varchar',
        'website': 'varchar',
        'location': 'varchar',
        'linkedin_profile': 'varchar',
        'company_url': 'varchar',
        'is_unsubscribed': 'boolean',
        'custom_fields': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('campaign_id') }} || ':' || {{ to_text('lead_id') }} as external_id,
        {{ to_text('lead_id') }} as lead_external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,
        {{ to_text('campaign_lead_map_id') }} as campaign_lead_map_id,
        {{ to_text('lead_category_id') }} as lead_category_external_id,

        -- descriptive
        lower(trim(email)) as email,
        first_name,
        last_name,
        phone_number as phone,
        nullif(trim(company_name), '') as company_name,
        nullif(trim(website), '') as website,
        nullif(trim(company_url), '') as company_url,
        location,
        linkedin_profile as linkedin_url,
        {{ json_text_field('custom_fields', 'title') }} as title,
        {{ json_text_field('custom_fields', 'industry') }} as industry,
        {{ json_text_field('custom_fields', 'employees') }} as employee_range,
        lower(status) as sequence_status,
        coalesce(is_unsubscribed, false) as is_unsubscribed,

        -- timestamps
        enrolled_at
    from source
)

select * from renamed
