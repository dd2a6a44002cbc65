{#- Each mailbox's most recent trailing-window health row. -#}
with health as (
    select
        *,
        row_number() over (
            partition by platform, connection, email_account_external_id
            order by window_end desc, window_start desc
        ) as recency
    from {{ ref('int_mailbox_health__unioned') }}
)

select
    platform,
    connection,
    email_account_external_id,
    from_email,
    window_start,
    window_end,
    emails_sent,
    emails_opened,
    emails_replied,
    emails_bounced,
    unsubscribed
from health
where recency = 1
