{#- Per variant: how its reply rate moves week by week since its first send. The slope is an
    ordinary least-squares fit (regr_slope) of the weekly reply rate on the week number over
    the weeks with at least var decay_min_delivered_per_week delivered emails, and only for a
    variant with at least var decay_min_weeks such weeks (else null). Its 95 % interval uses
    Student's t with weeks_used - 2 degrees of freedom: a fit over few weeks is less sure. -#}
with weeks as (
    select * from {{ ref('variant_weekly_metrics') }}
),

used as (
    select
        *,
        row_number() over (
            partition by platform, connection, variant_external_id order by week_number
        ) as from_first,
        row_number() over (
            partition by platform, connection, variant_external_id order by week_number desc
        ) as from_last
    from weeks
    where is_used_for_slope
),

fitted as (
    select
        platform,
        connection,
        variant_external_id,
        count(*) as weeks_used,
        {{ to_int('sum(emails_delivered)') }} as delivered_used,
        regr_slope({{ to_float('reply_rate') }}, {{ to_float('week_number') }}) as slope,
        regr_intercept({{ to_float('reply_rate') }}, {{ to_float('week_number') }}) as intercept,
        regr_sxx({{ to_float('reply_rate') }}, {{ to_float('week_number') }}) as sxx,
        regr_syy({{ to_float('reply_rate') }}, {{ to_float('week_number') }}) as syy,
        regr_sxy({{ to_float('reply_rate') }}, {{ to_float('week_number') }}) as sxy,
        min(case when from_first = 1 then reply_rate end) as first_week_reply_rate,
        min(case when from_last = 1 then reply_rate end) as last_week_reply_rate,
        min(week_number) as first_week_used,
        max(week_number) as last_week_used
    from used
    group by platform, connection, variant_external_id
),

variants as (
    select
        platform,
        connection,
        variant_external_id,
        min(campaign_external_id) as campaign_external_id,
        count(*) as weeks_sending,
        {{ to_int('sum(emails_delivered)') }} as emails_delivered,
        {{ to_int('sum(emails_replied)') }} as emails_replied
    from weeks
    group by platform, connection, variant_external_id
),

joined as (
    select
        variants.*,
        coalesce(fitted.weeks_used, 0) as weeks_used,
        coalesce(fitted.delivered_used, 0) as delivered_used,
        coalesce(fitted.weeks_used, 0) >= {{ var('decay_min_weeks') }} as has_slope,
        fitted.slope,
        fitted.intercept,
        case when fitted.weeks_used > 2 and fitted.sxx > 0 then sqrt(
            greatest(fitted.syy - fitted.sxy * fitted.sxy / fitted.sxx, 0)
            / (fitted.weeks_used - 2) / fitted.sxx
        ) end as slope_std_error,
        {{ t_critical_95('fitted.weeks_used - 2') }} as t_critical,
        fitted.first_week_used,
        fitted.last_week_used,
        fitted.first_week_reply_rate,
        fitted.last_week_reply_rate
    from variants
    left join fitted
        on variants.platform = fitted.platform
        and variants.connection = fitted.connection
        and variants.variant_external_id = fitted.variant_external_id
),

final as (
    select
        platform,
        connection,
        variant_external_id as external_id,
        campaign_external_id,
        weeks_sending,
        emails_delivered,
        emails_replied,
        {{ safe_divide('emails_replied', 'emails_delivered') }} as reply_rate,
        weeks_used,
        delivered_used,
        first_week_used,
        last_week_used,
        first_week_reply_rate,
        last_week_reply_rate,
        case when has_slope then slope end as slope,
        case when has_slope then intercept end as intercept,
        case when has_slope then slope_std_error end as slope_std_error,
        case when has_slope then slope + t_critical * coalesce(slope_std_error, 0) end
            as slope_upper_95,
        case when has_slope
            then row_number() over (
                partition by has_slope
                order by slope + t_critical * coalesce(slope_std_error, 0), slope, platform,
                    connection, variant_external_id
            )
        end as decay_rank
    from joined
)

select * from final
