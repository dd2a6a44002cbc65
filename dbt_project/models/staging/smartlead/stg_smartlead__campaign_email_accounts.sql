{#- Tolerates a missing table or column (see optional_source): a field no answer had yet is
    null. -#}
with source as (
    {{ optional_source('raw_smartlead', 'campaign_email_accounts', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'email_account_id': 'bigint',
        'from_email': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('campaign_id') }} || ':' || {{ to_text('email_account_id') }} as external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,
        {{ to_text('email_account_id') }} as email_account_external_id,

        -- descriptive
        lower(from_email) as from_email
    from source
)

select * from renamed
