{#- Captured by the daily snapshot job, so the table may not exist yet: then this view is
    empty. -#}
with source as (
    {{ optional_source('raw_smartlead', 'enrollment_snapshots', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'snapshot_date': 'date',
        'status': 'varchar',
        'total': 'bigint',
        'not_started': 'bigint',
        'in_progress': 'bigint',
        'completed': 'bigint',
        'paused': 'bigint',
        'stopped': 'bigint',
        'blocked': 'bigint',
        'interested': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('campaign_id') }} || ':' || {{ to_text('snapshot_date') }} as external_id,
        {{ to_text('campaign_id') }} as campaign_external_id,

        -- descriptive
        lower(status) as campaign_status,

        -- numbers
        {{ to_int('total') }} as total_leads,
        {{ to_int('not_started') }} as not_started,
        {{ to_int('in_progress') }} as in_progress,
        {{ to_int('completed') }} as completed,
        {{ to_int('paused') }} as paused,
        {{ to_int('stopped') }} as stopped,
        {{ to_int('blocked') }} as blocked,
        {{ to_int('interested') }} as interested,

        -- dates
        cast(snapshot_date as date) as snapshot_date
    from source
)

select * from renamed
