{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'connection', 'campaign_external_id', 'date'],
    tags=['partitioned'],
) }}

{#- Per campaign and day. With vars start_date and end_date (inclusive 'YYYY-MM-DD') only that
    window is processed, on a full refresh too; without them, every day. -#}
{%- set start_date = var('start_date', none) -%}
{%- set end_date = var('end_date', none) -%}
{%- if (start_date is none) != (end_date is none) -%}
    {{ exceptions.raise_compiler_error(
        "daily_metrics needs both vars start_date and end_date, or neither") }}
{%- endif -%}
{%- for value in [start_date, end_date] if value is not none -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
        {{ exceptions.raise_compiler_error(
            "daily_metrics: start_date and end_date must be 'YYYY-MM-DD', got " ~ value) }}
    {%- endif -%}
{%- endfor -%}

with daily as (
    select * from {{ ref('int_campaign_daily_stats__unioned') }}
    {%- if start_date is not none %}
    where date between {{ date_literal(start_date) }} and {{ date_literal(end_date) }}
    {%- endif %}
),

positive as (
    select
        platform,
        connection,
        campaign_external_id,
        received_on as "date",
        count(distinct coalesce(lead_email, lead_external_id)) as positive_replies
    from {{ ref('stg_replies__classified_replies') }}
    where is_positive
    {%- if start_date is not none %}
        and received_on between {{ date_literal(start_date) }} and {{ date_literal(end_date) }}
    {%- endif %}
    group by platform, connection, campaign_external_id, received_on
),

joined as (
    select
        daily.*,
        coalesce(positive.positive_replies, 0) as classified_positive_replies
    from daily
    left join positive
        on daily.platform = positive.platform
        and daily.connection = positive.connection
        and daily.campaign_external_id = positive.campaign_external_id
        and daily."date" = positive."date"
),

final as (
    select
        -- ids
        platform,
        connection,
        external_id,
        campaign_external_id,
        date,

        -- counts
        emails_sent,
        emails_bounced,
        emails_sent - emails_bounced as emails_delivered,
        emails_opened,
        emails_replied,
        unsubscribed,
        classified_positive_replies as positive_replies,
        positive_replies as platform_positive_replies,

        -- rates
        {{ safe_divide('emails_replied', 'emails_sent - emails_bounced') }} as reply_rate,
        {{ safe_divide('emails_bounced', 'emails_sent') }} as bounce_rate,
        {{ safe_divide('classified_positive_replies', 'emails_sent - emails_bounced') }}
            as positive_rate
    from joined
)

select * from final
