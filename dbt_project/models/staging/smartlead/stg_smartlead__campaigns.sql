with source as (
    select * from {{ source('raw_smartlead', 'campaigns') }}
),

renamed as (
    select
        -- ids
        'smartlead' as platform,
        connection,
        cast(campaign_id as varchar) as external_id,
        -- descriptive
        name,
        lower(status) as status,
        -- numbers
        cast(sent_count as bigint) as total_sent,
        cast(reply_count as bigint) as total_replied,
        cast(bounce_count as bigint) as total_bounced,
        -- timestamps
        created_at as started_at
    from source
)

select * from renamed
