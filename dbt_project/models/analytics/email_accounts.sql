{#- One row per sending mailbox with its warmup health and its latest trailing-window sending
    health. Passwords never reach the warehouse. -#}
with accounts as (
    select * from {{ ref('int_email_accounts__unioned') }}
),

latest_health as (
    select * from {{ ref('int_mailbox_health__latest') }}
),

campaign_links as (
    select platform, connection, email_account_external_id,
        count(distinct campaign_external_id) as campaigns_assigned
    from {{ ref('int_campaign_email_accounts__unioned') }}
    group by platform, connection, email_account_external_id
),

final as (
    select
        -- ids
        accounts.platform,
        accounts.connection,
        accounts.external_id,
        accounts.team_id,

        -- descriptive
        accounts.from_email,
        accounts.from_name,
        accounts.account_type,
        accounts.smtp_host,
        accounts.smtp_port,
        accounts.imap_host,
        accounts.imap_port,
        accounts.is_smtp_success,
        accounts.is_imap_success,
        accounts.smtp_failure_error,
        accounts.imap_failure_error,
        accounts.tracking_domain,
        accounts.is_suspended,

        -- capacity and warmup
        accounts.message_per_day,
        accounts.daily_sent_count,
        coalesce(campaign_links.campaigns_assigned, 0) as campaigns_assigned,
        accounts.warmup_status,
        accounts.warmup_reputation,
        accounts.warmup_spam_count,
        accounts.warmup_sent_count,

        -- latest trailing-window health
        latest_health.window_start as health_window_start,
        latest_health.window_end as health_window_end,
        latest_health.emails_sent as window_emails_sent,
        latest_health.emails_bounced as window_emails_bounced,
        latest_health.emails_replied as window_emails_replied,
        {{ safe_divide('latest_health.emails_bounced', 'latest_health.emails_sent') }}
            as window_bounce_rate,
        {{ safe_divide('latest_health.emails_replied',
                       'latest_health.emails_sent - latest_health.emails_bounced') }}
            as window_reply_rate,

        -- timestamps
        accounts.created_at,
        accounts.updated_at
    from accounts
    left join latest_health
        on accounts.platform = latest_health.platform
        and accounts.connection = latest_health.connection
        and accounts.external_id = latest_health.email_account_external_id
    left join campaign_links
        on accounts.platform = campaign_links.platform
        and accounts.connection = campaign_links.connection
        and accounts.external_id = campaign_links.email_account_external_id
)

select * from final
