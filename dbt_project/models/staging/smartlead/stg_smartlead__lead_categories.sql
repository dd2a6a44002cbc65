with source as (
    select * from {{ source('raw_smartlead', 'lead_categories') }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('category_id') }} as external_id,

        -- descriptive
        name,
        lower(sentiment_type) as platform_sentiment,

        -- timestamps
        created_at
    from source
)

select * from renamed
