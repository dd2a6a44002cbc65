{#- Lead categories looked up by name (case and surrounding spaces ignored), as the per-email
    statistics and category webhooks give only the name. -#}
select
    platform,
    connection,
    lower(trim(name)) as name_key,
    min(reply_category) as reply_category,
    bool_or(is_positive) as is_positive
from {{ ref('int_lead_categories__mapped') }}
group by platform, connection, lower(trim(name))
