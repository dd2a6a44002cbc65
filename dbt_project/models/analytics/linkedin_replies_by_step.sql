{#- One row per LinkedIn campaign and step sent at least once: how many leads got the step, how
    many of them replied right after it (their first reply came when this was the last step
    sent), and the step's share of all the campaign's replies. -#}
with events as (
    select * from {{ ref('stg_linkedin__events') }}
),

sent as (
    select distinct
        campaign_id,
        lead_id,
        step_number,
        case when event_type = 'invite_sent' then 'invite' else 'message' end as step_kind
    from events
    where event_type in ('invite_sent', 'message_sent')
        and step_number is not null
),

replies as (
    select
        campaign_id,
        lead_id,
        step_number as reply_step
    from events
    where event_type = 'reply_received'
),

campaign_replies as (
    select
        campaign_id,
        count(distinct lead_id) as all_replies
    from replies
    group by campaign_id
),

per_step as (
    select
        sent.campaign_id,
        sent.step_number,
        min(sent.step_kind) as step_kind,
        count(distinct sent.lead_id) as leads_sent,
        count(distinct replies.lead_id) as replies
    from sent
    left join replies
        on sent.campaign_id = replies.campaign_id
        and sent.lead_id = replies.lead_id
        and sent.step_number = replies.reply_step
    group by sent.campaign_id, sent.step_number
),

final as (
    select
        -- ids
        per_step.campaign_id,
        {{ to_int('per_step.step_number') }} as step_number,
        per_step.step_kind,

        -- counts
        {{ to_int('per_step.leads_sent') }} as leads_sent,
        {{ to_int('per_step.replies') }} as replies,

        -- rates
        {{ safe_divide('per_step.replies', 'per_step.leads_sent') }} as reply_rate,
        {{ safe_divide('per_step.replies', 'campaign_replies.all_replies') }} as share_of_replies
    from per_step
    left join campaign_replies
        on per_step.campaign_id = campaign_replies.campaign_id
)

select * from final
