{#- One row per LinkedIn account, account-local day and action (invite, message): the daily
    limit, the units reserved against it, the steps actually sent, and what is left. -#}
with rate_usage as (
    select * from {{ ref('stg_linkedin__rate_usage') }}
),

actions as (
    select * from {{ ref('stg_linkedin__actions') }}
),

sent as (
    select
        account_id,
        usage_day,
        kind as action,
        count(*) as actions_sent
    from actions
    where status = 'sent'
    group by account_id, usage_day, kind
),

final as (
    select
        -- ids
        rate_usage.account_id,
        rate_usage.usage_day,
        rate_usage.action,

        -- limits
        {{ to_int('rate_usage.daily_limit') }} as daily_limit,
        {{ to_int('rate_usage.used') }} as reserved,
        {{ to_int('coalesce(sent.actions_sent, 0)') }} as sent,
        {{ safe_divide('coalesce(sent.actions_sent, 0)', 'rate_usage.daily_limit') }} as utilisation,
        {{ to_int('rate_usage.daily_limit - rate_usage.used') }} as headroom,
        rate_usage.used >= rate_usage.daily_limit as at_limit
    from rate_usage
    left join sent
        on rate_usage.account_id = sent.account_id
        and rate_usage.usage_day = sent.usage_day
        and rate_usage.action = sent.action
)

select * from final
