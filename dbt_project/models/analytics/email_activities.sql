{{ config(tags=['event_driven']) }}

{#- One row per email event: sent, opened, clicked, replied, bounced, unsubscribed. Synced
    statistics and webhooks both feed it; an event both report is one row (the synced one,
    which knows the variant). -#}
with outcomes as (
    select * from {{ ref('int_email_outcomes') }}
),

synced as (
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
        {{ at }} as occurred_at,
        'sync' as recorded_by
    from outcomes
    where {{ condition }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

webhooks as (
    select * from {{ ref('int_email_activities__webhooks') }}
),

webhook_only as (
    select
        webhooks.platform,
        webhooks.connection,
        webhooks.external_id,
        webhooks.email_external_id,
        webhooks.campaign_external_id,
        cast(null as {{ dbt.type_string() }}) as variant_external_id,
        webhooks.step_number,
        webhooks.lead_email,
        webhooks.event_type,
        webhooks.occurred_at,
        'webhook' as recorded_by
    from webhooks
    left join synced
        on webhooks.platform = synced.platform
        and webhooks.connection = synced.connection
        and webhooks.external_id = synced.external_id
    where synced.external_id is null
)

select * from synced
union all
select * from webhook_only
