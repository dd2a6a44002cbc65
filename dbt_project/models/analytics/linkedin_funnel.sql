{#- Per LinkedIn campaign and UTC day with activity: what the sequence did that day, and running
    totals since the campaign's first day. Every count is of distinct leads except
    messages_sent (every message step sent). -#}
with events as (
    select * from {{ ref('stg_linkedin__events') }}
),

campaigns as (
    select * from {{ ref('stg_linkedin__campaigns') }}
),

daily as (
    select
        campaign_id,
        occurred_on as day,
        max(account_id) as event_account_id,
        count(distinct case when event_type = 'invite_sent' then lead_id end)
            as invites_sent,
        count(distinct case when event_type = 'connection_accepted' then lead_id end)
            as connections_accepted,
        count(distinct case when event_type = 'message_sent' and step_number = 2 then lead_id end)
            as leads_messaged,
        count(case when event_type = 'message_sent' then event_id end) as messages_sent,
        count(distinct case when event_type = 'reply_received' then lead_id end) as replies
    from events
    where event_type in ('invite_sent', 'connection_accepted', 'message_sent', 'reply_received')
    group by campaign_id, occurred_on
),

final as (
    select
        -- ids
        daily.campaign_id,
        campaigns.campaign_name,
        campaigns.client,
        coalesce(campaigns.account_id, daily.event_account_id) as account_id,
        daily.day,

        -- the day
        {{ to_int('daily.invites_sent') }} as invites_sent,
        {{ to_int('daily.connections_accepted') }} as connections_accepted,
        {{ to_int('daily.leads_messaged') }} as leads_messaged,
        {{ to_int('daily.messages_sent') }} as messages_sent,
        {{ to_int('daily.replies') }} as replies,

        -- running totals
        {%- for measure in ['invites_sent', 'connections_accepted', 'leads_messaged', 'replies'] %}
        {{ to_int('sum(daily.' ~ measure ~ ') over (partition by daily.campaign_id order by daily.day rows between unbounded preceding and current row)') }}
            as cumulative_{{ measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from daily
    left join campaigns
        on daily.campaign_id = campaigns.campaign_id
)

select * from final
