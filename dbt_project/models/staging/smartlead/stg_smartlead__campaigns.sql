{#- Tolerates a missing table or column (see optional_source): a field no answer had yet is
    null. -#}
with source as (
    {{ optional_source('raw_smartlead', 'campaigns', {
        'connection': 'varchar',
        'campaign_id': 'bigint',
        'parent_campaign_id': 'bigint',
        'user_id': 'bigint',
        'client_id': 'bigint',
        'name': 'varchar',
        'status': 'varchar',
        'scheduler_cron_value': 'varchar',
        'track_settings': 'varchar',
        'stop_lead_settings': 'varchar',
        'send_as_plain_text': 'boolean',
        'metrics_hash': 'varchar',
        'min_time_btwn_emails': 'bigint',
        'max_leads_per_day': 'bigint',
        'sent_count': 'bigint',
        'unique_sent_count': 'bigint',
        'open_count': 'bigint',
        'unique_open_count': 'bigint',
        'click_count': 'bigint',
        'reply_count': 'bigint',
        'bounce_count': 'bigint',
        'block_count': 'bigint',
        'unsubscribed_count': 'bigint',
        'total_count': 'bigint',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        {{ to_text("'smartlead'") }} as platform,
        connection,
        {{ to_text('campaign_id') }} as external_id,
        {{ to_text('parent_campaign_id') }} as parent_campaign_external_id,
        {{ to_text('user_id') }} as owner_id,
        {{ to_text('client_id') }} as team_id,

        -- descriptive
        name,
        lower(status) as status,
        {{ json_text_field('scheduler_cron_value', 'tz') }} as timezone,
        {{ json_text_field('scheduler_cron_value', 'startHour') }} as schedule_start_hour,
        {{ json_text_field('scheduler_cron_value', 'endHour') }} as schedule_end_hour,
        not {{ regex_matches(to_text('track_settings'), 'DONT_(TRACK_)?EMAIL_OPEN') }} as tracks_opens,
        not {{ regex_matches(to_text('track_settings'), 'DONT_(TRACK_)?LINK_CLICK') }} as tracks_clicks,
        stop_lead_settings,
        coalesce(send_as_plain_text, false) as send_as_plain_text,
        metrics_hash,

        -- numbers
        {{ to_int('min_time_btwn_emails') }} as min_time_between_emails,
        {{ to_int('max_leads_per_day') }} as max_leads_per_day,
        {{ to_int('sent_count') }} as total_sent,
        {{ to_int('unique_sent_count') }} as total_unique_sent,
        {{ to_int('open_count') }} as total_opens,
        {{ to_int('unique_open_count') }} as total_opened,
        {{ to_int('click_count') }} as total_clicks,
        {{ to_int('reply_count') }} as total_replied,
        {{ to_int('bounce_count') }} as total_bounced,
        {{ to_int('block_count') }} as total_blocked,
        {{ to_int('unsubscribed_count') }} as total_unsubscribed,
        {{ to_int('total_count') }} as total_leads,

        -- timestamps
        created_at as started_at,
        updated_at
    from source
)

select * from renamed
