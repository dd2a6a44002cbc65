{#- One row per company the leads work at, keyed on the website's domain (else the name). -#}
with contacts as (
    select * from {{ ref('int_contacts__deduplicated') }}
    where company_key is not null
),

final as (
    select
        platform,
        connection,
        company_key as external_id,
        min(company_name) as name,
        min(company_domain) as domain,
        min(website) as website,
        min(industry) as industry,
        min(employee_range) as employee_range,
        count(*) as contacts_count,
        min(enrolled_at) as first_enrolled_at
    from contacts
    group by platform, connection, company_key
)

select * from final
