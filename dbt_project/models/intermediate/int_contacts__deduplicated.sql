{#- One row per lead (a lead enrolled in several campaigns keeps its latest enrollment), with
    the key of its company: the website's domain (scheme, www. and path removed), else the
    lower-cased company name. -#}
with leads as (
    select * from {{ ref('int_campaign_leads__unioned') }}
),

keyed as (
    select
        *,
        nullif(
            regexp_replace(
                regexp_replace(
                    regexp_replace(lower(trim(coalesce(website, company_url))), '^[a-z]+://', ''),
                    '^www\.', ''),
                '[/:?#].*$', ''),
            ''
        ) as company_domain,
        count(*) over (
            partition by platform, connection, lead_external_id
        ) as campaigns_enrolled,
        row_number() over (
            partition by platform, connection, lead_external_id
            order by enrolled_at desc, campaign_external_id desc
        ) as recency
    from leads
)

select
    *,
    case
        when company_domain is not null then company_domain
        when company_name is not null then 'name:' || lower(company_name)
    end as company_key
from keyed
where recency = 1
