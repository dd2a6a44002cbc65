{#- Tolerates a missing table or column (see optional_source): a field no answer had yet is
    null. -#}
with source as (
    {{ optional_source('raw_smartlead', 'lead_categories', {
        'connection': 'varchar',
        'category_id': 'bigint',
        'name': 'varchar',
        'sentiment_type': 'varchar',
        'created_at': 'timestamp with time zone',
    }) }}
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
