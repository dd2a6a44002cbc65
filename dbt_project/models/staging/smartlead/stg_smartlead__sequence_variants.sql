{#- Tolerates a missing table or column (see optional_source): a field no answer had yet is
    null. -#}
with source as (
    {{ optional_source('raw_smartlead', 'sequence_variants', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'step_id': 'bigint',
        'variant_id': 'varchar',
        'variant_label': 'varchar',
        'is_base_variant': 'boolean',
        'subject': 'varchar',
        'body_html': 'varchar',
        'body_plain': 'varchar',
        'body_preview': 'varchar',
        'personalization_vars': 'varchar',
        'send_as_reply': 'boolean',
        'seq_number': 'bigint',
        'delay_in_days': 'bigint',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('variant_id') }} as external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,
        {{ to_text('step_id') }} as step_external_id,

        -- descriptive
        variant_label,
        coalesce(is_base_variant, false) as is_base_variant,
        coalesce(subject, '') as subject_line,
        coalesce(body_html, '') as body_html,
        coalesce(body_plain, '') as body_plain,
        coalesce(body_preview, '') as body_preview,
        coalesce({{ json_list_to_text('personalization_vars') }}, '') as personalization_vars,
        coalesce(send_as_reply, false) as send_as_reply,

        -- numbers
        {{ to_int('seq_number') }} as step_number,
        {{ to_int('delay_in_days') }} as delay_days,
        coalesce({{ json_list_length('personalization_vars') }}, 0) as personalization_count,

        -- timestamps
        created_at,
        updated_at
    from source
)

select * from renamed
