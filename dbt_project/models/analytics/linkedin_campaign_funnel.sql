{#- One row per LinkedIn campaign (with or without activity): leads at each stage of the
    sequence, counted once per lead from the events, and the conversion between stages.
    Rates are cohort rates: the numerator counts only leads of the denominator's stage (a
    lead found already connected was never invited; a lead that answered the invite was never
    messaged), so they stay within 0..1. -#}
with campaigns as (
    select * from {{ ref('stg_linkedin__campaigns') }}
),

events as (
    select * from {{ ref('stg_linkedin__events') }}
),

leads as (
    select * from {{ ref('stg_linkedin__leads') }}
),

reply_timing as (
    select * from {{ ref('linkedin_reply_timing') }}
),

lead_stages as (
    select
        campaign_id,
        lead_id,
        max(case when event_type = 'invite_sent' then 1 else 0 end) as was_invited,
        max(case when event_type = 'connection_accepted' then 1 else 0 end) as was_connected,
        max(case when event_type = 'message_sent' then 1 else 0 end) as was_messaged,
        max(case when event_type = 'reply_received' then 1 else 0 end) as has_replied,
        max(case when event_type = 'lead_failed' then 1 else 0 end) as has_failed
    from events
    group by campaign_id, lead_id
),

stage_counts as (
    select
        campaign_id,
        sum(was_invited) as leads_invited,
        sum(was_connected) as leads_connected,
        sum(was_messaged) as leads_messaged,
        sum(has_replied) as leads_replied,
        sum(has_failed) as leads_failed,
        sum(was_invited * was_connected) as invited_and_connected,
        sum(was_messaged * has_replied) as messaged_and_replied,
        sum(was_invited * has_replied) as invited_and_replied
    from lead_stages
    group by campaign_id
),

lead_counts as (
    select
        campaign_id,
        count(*) as leads_enrolled,
        sum(case when status = 'finished' then 1 else 0 end) as leads_finished
    from leads
    group by campaign_id
),

reply_medians as (
    select
        campaign_id,
        percentile_cont(0.5) within group (order by hours_to_first_reply)
            as median_hours_to_first_reply
    from reply_timing
    where hours_to_first_reply is not null
    group by campaign_id
),

counted as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.client,
        campaigns.account_id,
        campaigns.status,
        {{ to_int('coalesce(lead_counts.leads_enrolled, 0)') }} as leads_enrolled,
        {{ to_int('coalesce(stage_counts.leads_invited, 0)') }} as leads_invited,
        {{ to_int('coalesce(stage_counts.leads_connected, 0)') }} as leads_connected,
        {{ to_int('coalesce(stage_counts.leads_messaged, 0)') }} as leads_messaged,
        {{ to_int('coalesce(stage_counts.leads_replied, 0)') }} as leads_replied,
        {{ to_int('coalesce(lead_counts.leads_finished, 0)') }} as leads_finished,
        {{ to_int('coalesce(stage_counts.leads_failed, 0)') }} as leads_failed,
        {{ to_int('coalesce(stage_counts.invited_and_connected, 0)') }} as invited_and_connected,
        {{ to_int('coalesce(stage_counts.messaged_and_replied, 0)') }} as messaged_and_replied,
        {{ to_int('coalesce(stage_counts.invited_and_replied, 0)') }} as invited_and_replied,
        {{ to_float('reply_medians.median_hours_to_first_reply') }} as median_hours_to_first_reply
    from campaigns
    left join lead_counts
        on campaigns.campaign_id = lead_counts.campaign_id
    left join stage_counts
        on campaigns.campaign_id = stage_counts.campaign_id
    left join reply_medians
        on campaigns.campaign_id = reply_medians.campaign_id
),

final as (
    select
        -- ids
        campaign_id,
        campaign_name,
        client,
        account_id,
        status,

        -- leads per stage
        leads_enrolled,
        leads_invited,
        leads_connected,
        leads_messaged,
        leads_replied,
        leads_finished,
        leads_failed,

        -- rates
        {{ safe_divide('invited_and_connected', 'leads_invited') }} as acceptance_rate,
        {{ safe_divide('messaged_and_replied', 'leads_messaged') }} as reply_rate,
        {{ safe_divide('invited_and_replied', 'leads_invited') }} as reply_rate_of_invited,
        median_hours_to_first_reply
    from counted
)

select * from final
