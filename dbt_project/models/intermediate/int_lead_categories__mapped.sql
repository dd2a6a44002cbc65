{#- Each platform category mapped to the project's reply categories: by name through the
    category_mapping seed (case-insensitive, surrounding spaces ignored); a name the seed does
    not know falls back on the platform's own sentiment, with is_mapped false. -#}
with categories as (
    select * from {{ ref('int_lead_categories__unioned') }}
),

mapping as (
    select
        lower(trim(category_name)) as name_key,
        reply_category,
        sentiment,
        is_positive,
        is_meeting,
        is_out_of_office,
        is_bounce
    from {{ ref('category_mapping') }}
),

mapped as (
    select
        categories.platform,
        categories.connection,
        categories.external_id,
        categories.name,
        categories.platform_sentiment,
        mapping.name_key is not null as is_mapped,
        coalesce(
            mapping.reply_category,
            case categories.platform_sentiment
                when 'positive' then 'interested'
                when 'negative' then 'not_interested'
                else 'neutral'
            end
        ) as reply_category,
        coalesce(
            mapping.sentiment,
            case
                when categories.platform_sentiment in ('positive', 'negative')
                    then categories.platform_sentiment
                else 'neutral'
            end
        ) as sentiment,
        coalesce(mapping.is_positive, categories.platform_sentiment = 'positive', false)
            as is_positive,
        coalesce(mapping.is_meeting, false) as is_meeting,
        coalesce(mapping.is_out_of_office, false) as is_out_of_office,
        coalesce(mapping.is_bounce, false) as is_bounce,
        categories.created_at
    from categories
    left join mapping
        on lower(trim(categories.name)) = mapping.name_key
)

select * from mapped
