{#- The reply categories of every account, mapped to the project's reply categories. -#}
select
    platform,
    connection,
    external_id,
    name,
    platform_sentiment,
    reply_category,
    sentiment,
    is_positive,
    is_meeting,
    is_out_of_office,
    is_bounce,
    is_mapped,
    created_at
from {{ ref('int_lead_categories__mapped') }}
