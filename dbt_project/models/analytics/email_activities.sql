{#- One row per email event: sent, opened, clicked, replied, bounced. -#}
with outcomes as (
    select * from {{ ref('int_email_outcomes') }}
),

events as (
    {%- for event_type, condition, at in [
        ('sent', 'true', 'sent_at'),
        ('opened', 'is_opened', 'opened_at'),
        ('clicked', 'is_clicked', 'clicked_at'),
        ('replied', 'is_replied', 'replied_at'),
        ('bounced', 'is_bounced', 'sent_at'),
    ] %}
    select
        platform,
        connection,
        external_id || ':{{ event_type }}' as external_id,
        external_id as email_external_id,
        campaign_external_id,
        variant_external_id,
        step_number,
        lead_email,
        '{{ event_type }}' as event_type,
        {{ at }} as occurred_at
    from outcomes
    where {{ condition }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from events
