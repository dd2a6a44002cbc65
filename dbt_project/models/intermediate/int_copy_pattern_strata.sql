{#- Per copy feature value and stratum (platform, connection, step number): the emails with
    that value and the emails without it (the complement) among those the feature is measured
    on. Comparing within a stratum keeps differences between accounts and sequence steps
    (first emails reply more than follow-ups) out of the copy comparison. -#}
with feature_values as (
    select * from {{ ref('int_copy_feature_values') }}
),

outcomes as (
    select * from {{ ref('int_variant_outcomes') }}
),

variant_values as (
    select
        feature_values.platform,
        feature_values.connection,
        feature_values.step_number,
        feature_values.feature,
        feature_values.feature_value,
        outcomes.emails_delivered,
        outcomes.emails_replied,
        outcomes.positive_replies
    from feature_values
    inner join outcomes
        on feature_values.platform = outcomes.platform
        and feature_values.connection = outcomes.connection
        and feature_values.variant_external_id = outcomes.variant_external_id
    where feature_values.step_number is not null
),

per_value as (
    select
        feature, feature_value, platform, connection, step_number,
        {{ to_int('sum(emails_delivered)') }} as delivered,
        {{ to_int('sum(emails_replied)') }} as replies,
        {{ to_int('sum(positive_replies)') }} as positive_replies
    from variant_values
    group by feature, feature_value, platform, connection, step_number
),

per_stratum as (
    select
        feature, platform, connection, step_number,
        {{ to_int('sum(emails_delivered)') }} as stratum_delivered,
        {{ to_int('sum(emails_replied)') }} as stratum_replies,
        {{ to_int('sum(positive_replies)') }} as stratum_positive_replies
    from variant_values
    group by feature, platform, connection, step_number
),

strata as (
    select
        per_value.feature,
        per_value.feature_value,
        per_value.platform,
        per_value.connection,
        per_value.step_number,
        per_value.delivered,
        per_value.replies,
        per_value.positive_replies,
        per_stratum.stratum_delivered - per_value.delivered as complement_delivered,
        per_stratum.stratum_replies - per_value.replies as complement_replies,
        per_stratum.stratum_positive_replies - per_value.positive_replies
            as complement_positive_replies
    from per_value
    inner join per_stratum
        on per_value.feature = per_stratum.feature
        and per_value.platform = per_stratum.platform
        and per_value.connection = per_stratum.connection
        and per_value.step_number = per_stratum.step_number
)

select * from strata
