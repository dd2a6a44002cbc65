{#- One row per LinkedIn lead that replied (its first reply): when the lead was invited,
    connected, first messaged and replied, after which step, and how long the reply took.
    Times come from the events, falling back on the lead's own columns. -#}
with events as (
    select * from {{ ref('stg_linkedin__events') }}
),

leads as (
    select * from {{ ref('stg_linkedin__leads') }}
),

replies as (
    select
        campaign_id,
        lead_id,
        account_id,
        step_number as reply_step,
        occurred_at as replied_at
    from events
    where event_type = 'reply_received'
),

per_lead as (
    select
        campaign_id,
        lead_id,
        min(case when event_type = 'invite_sent' then occurred_at end) as invited_at,
        min(case when event_type = 'connection_accepted' then occurred_at end) as connected_at,
        min(case when event_type = 'message_sent' then occurred_at end) as first_message_at
    from events
    where event_type in ('invite_sent', 'connection_accepted', 'message_sent')
    group by campaign_id, lead_id
),

last_step_before_reply as (
    select
        replies.campaign_id,
        replies.lead_id,
        max(events.occurred_at) as last_step_at
    from replies
    inner join events
        on events.campaign_id = replies.campaign_id
        and events.lead_id = replies.lead_id
        and events.event_type in ('invite_sent', 'message_sent')
        and events.occurred_at <= replies.replied_at
    group by replies.campaign_id, replies.lead_id
),

joined as (
    select
        replies.campaign_id,
        replies.lead_id,
        coalesce(replies.account_id, leads.account_id) as account_id,
        coalesce(per_lead.invited_at, leads.invited_at) as invited_at,
        coalesce(per_lead.connected_at, leads.connected_at) as connected_at,
        per_lead.first_message_at,
        replies.replied_at,
        coalesce(replies.reply_step, leads.reply_step) as reply_step,
        last_step_before_reply.last_step_at
    from replies
    left join per_lead
        on replies.campaign_id = per_lead.campaign_id
        and replies.lead_id = per_lead.lead_id
    left join leads
        on replies.campaign_id = leads.campaign_id
        and replies.lead_id = leads.lead_id
    left join last_step_before_reply
        on replies.campaign_id = last_step_before_reply.campaign_id
        and replies.lead_id = last_step_before_reply.lead_id
),

final as (
    select
        -- ids
        campaign_id,
        lead_id,
        account_id,

        -- timestamps
        invited_at,
        connected_at,
        first_message_at,
        replied_at,

        -- the reply
        reply_step,
        case
            when reply_step = 1 then 'invite'
            when reply_step > 1 then 'message'
        end as replied_after_kind,
        {{ hours_between(
            'case when first_message_at <= replied_at then first_message_at else connected_at end',
            'replied_at'
        ) }} as hours_to_first_reply,
        {{ hours_between('last_step_at', 'replied_at') }} as hours_since_last_step
    from joined
)

select * from final
