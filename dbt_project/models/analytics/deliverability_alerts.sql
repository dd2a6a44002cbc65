{#- Mailboxes and campaigns whose deliverability crosses a threshold (dbt vars, documented in
    dbt_project.yml): one row per entity and alert type, with the measured value, the
    threshold and the sample it was measured on. -#}
with mailboxes as (
    select * from {{ ref('int_email_accounts__unioned') }}
),

mailbox_health as (
    select * from {{ ref('int_mailbox_health__latest') }}
),

campaigns as (
    select platform, connection, external_id, name
    from {{ ref('int_campaigns__unioned') }}
),

campaign_sends as (
    select * from {{ ref('int_campaign_recent_sends') }}
),

mailbox_bounce as (
    select
        mailbox_health.platform,
        mailbox_health.connection,
        'mailbox' as entity_type,
        mailbox_health.email_account_external_id as entity_external_id,
        coalesce(mailboxes.from_email, mailbox_health.from_email) as entity_name,
        'bounce_rate' as alert_type,
        {{ safe_divide('mailbox_health.emails_bounced', 'mailbox_health.emails_sent') }}
            as measured_value,
        {{ to_float(var('mailbox_bounce_rate_max')) }} as threshold,
        'above' as direction,
        mailbox_health.emails_sent as sample_size,
        mailbox_health.window_start,
        mailbox_health.window_end
    from mailbox_health
    left join mailboxes
        on mailbox_health.platform = mailboxes.platform
        and mailbox_health.connection = mailboxes.connection
        and mailbox_health.email_account_external_id = mailboxes.external_id
    where mailbox_health.emails_sent >= {{ var('min_sent_for_bounce_alert') }}
        and {{ safe_divide('mailbox_health.emails_bounced', 'mailbox_health.emails_sent') }}
            > {{ var('mailbox_bounce_rate_max') }}
),

warmup_reputation as (
    select
        platform,
        connection,
        'mailbox' as entity_type,
        external_id as entity_external_id,
        from_email as entity_name,
        'warmup_reputation' as alert_type,
        warmup_reputation as measured_value,
        {{ to_float(var('warmup_reputation_min')) }} as threshold,
        'below' as direction,
        warmup_sent_count as sample_size,
        cast(null as date) as window_start,
        cast(null as date) as window_end
    from mailboxes
    where warmup_reputation < {{ var('warmup_reputation_min') }}
),

warmup_spam as (
    select
        platform,
        connection,
        'mailbox' as entity_type,
        external_id as entity_external_id,
        from_email as entity_name,
        'warmup_spam_count' as alert_type,
        {{ to_float('warmup_spam_count') }} as measured_value,
        {{ to_float(var('warmup_spam_count_max')) }} as threshold,
        'above' as direction,
        warmup_sent_count as sample_size,
        cast(null as date) as window_start,
        cast(null as date) as window_end
    from mailboxes
    where warmup_spam_count > {{ var('warmup_spam_count_max') }}
),

campaign_bounce as (
    select
        campaign_sends.platform,
        campaign_sends.connection,
        'campaign' as entity_type,
        campaign_sends.campaign_external_id as entity_external_id,
        campaigns.name as entity_name,
        'bounce_rate' as alert_type,
        {{ safe_divide('campaign_sends.emails_bounced', 'campaign_sends.emails_sent') }}
            as measured_value,
        {{ to_float(var('campaign_bounce_rate_max')) }} as threshold,
        'above' as direction,
        campaign_sends.emails_sent as sample_size,
        campaign_sends.window_start,
        campaign_sends.window_end
    from campaign_sends
    left join campaigns
        on campaign_sends.platform = campaigns.platform
        and campaign_sends.connection = campaigns.connection
        and campaign_sends.campaign_external_id = campaigns.external_id
    where campaign_sends.emails_sent >= {{ var('min_sent_for_bounce_alert') }}
        and {{ safe_divide('campaign_sends.emails_bounced', 'campaign_sends.emails_sent') }}
            > {{ var('campaign_bounce_rate_max') }}
),

alerts as (
    select * from mailbox_bounce
    union all
    select * from warmup_reputation
    union all
    select * from warmup_spam
    union all
    select * from campaign_bounce
)

select
    platform,
    connection,
    entity_type || ':' || entity_external_id || ':' || alert_type as external_id,
    entity_type,
    entity_external_id,
    entity_name,
    alert_type,
    measured_value,
    threshold,
    direction,
    sample_size,
    window_start,
    window_end
from alerts
