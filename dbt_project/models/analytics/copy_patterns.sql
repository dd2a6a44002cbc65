{#- Which copy features go with more replies. For each feature value: its reply and positive
    rates with a Wilson 95 % interval, the complement's reply rate, the lift, and a two-sided
    two-proportion test against the complement stratified by platform, connection and step
    (Cochran-Mantel-Haenszel form; with a single stratum it is the classic pooled z). -#}
{%- set z_critical = var('pattern_z_critical') -%}
with strata as (
    select * from {{ ref('int_copy_pattern_strata') }}
),

stratum_terms as (
    select
        *,
        {{ to_float('delivered + complement_delivered') }} as stratum_delivered,
        {{ to_float('replies + complement_replies') }} as stratum_replies
    from strata
),

per_value as (
    select
        feature,
        feature_value,
        {{ to_int('sum(delivered)') }} as delivered,
        {{ to_int('sum(replies)') }} as replies,
        {{ to_int('sum(positive_replies)') }} as positive_replies,
        count(*) filter (where delivered > 0 and complement_delivered > 0) as strata_compared,
        -- Mantel-Haenszel rate ratio terms
        sum(case when stratum_delivered > 0
            then replies * complement_delivered / stratum_delivered else 0 end) as mh_numerator,
        sum(case when stratum_delivered > 0
            then complement_replies * delivered / stratum_delivered else 0 end) as mh_denominator,
        -- observed minus expected replies, and its variance, summed over strata
        sum(case when stratum_delivered > 0
            then replies - delivered * stratum_replies / stratum_delivered else 0 end)
            as observed_minus_expected,
        sum(case when stratum_delivered > 0
            then delivered * complement_delivered * stratum_replies
                * (stratum_delivered - stratum_replies)
                / (stratum_delivered * stratum_delivered * stratum_delivered)
            else 0 end) as expected_variance
    from stratum_terms
    group by feature, feature_value
),

with_complement as (
    select
        *,
        {{ to_int('sum(delivered) over (partition by feature)') }} - delivered
            as complement_delivered,
        {{ to_int('sum(replies) over (partition by feature)') }} - replies
            as complement_replies
    from per_value
),

measured as (
    select
        feature,
        feature_value,
        delivered,
        replies,
        {{ safe_divide('replies', 'delivered') }} as reply_rate,
        {{ wilson_lower('replies', 'delivered', z_critical) }} as reply_rate_ci_low,
        {{ wilson_upper('replies', 'delivered', z_critical) }} as reply_rate_ci_high,
        positive_replies,
        {{ safe_divide('positive_replies', 'delivered') }} as positive_rate,
        complement_delivered,
        complement_replies,
        {{ safe_divide('complement_replies', 'complement_delivered') }} as complement_reply_rate,
        {{ safe_divide(
            safe_divide('replies', 'delivered'),
            safe_divide('complement_replies', 'complement_delivered')
        ) }} as lift,
        {{ safe_divide('mh_numerator', 'mh_denominator') }} as adjusted_lift,
        strata_compared,
        case when expected_variance > 0
            then observed_minus_expected / sqrt(expected_variance)
        end as z
    from with_complement
),

flagged as (
    select
        *,
        coalesce(abs(z) >= {{ z_critical }}, false) as is_significant,
        delivered < {{ var('pattern_min_delivered') }} as is_small_sample
    from measured
),

ranked as (
    select
        *,
        case when is_significant and not is_small_sample
            then row_number() over (
                partition by is_significant and not is_small_sample
                order by z desc, feature, feature_value
            )
        end as pattern_rank
    from flagged
)

select
    feature,
    feature_value,
    delivered,
    replies,
    reply_rate,
    reply_rate_ci_low,
    reply_rate_ci_high,
    positive_replies,
    positive_rate,
    complement_delivered,
    complement_replies,
    complement_reply_rate,
    lift,
    adjusted_lift,
    strata_compared,
    z,
    is_significant,
    is_small_sample,
    pattern_rank
from ranked
