{#- One row per variant and copy feature it is measured on, with the feature's value as text
    (numeric features bucketed). Subject features only for variants that carry their own
    subject: a follow-up sent as a reply shows the earlier subject, so its reply rate says
    nothing about its own subject line. -#}
with features as (
    select * from {{ ref('campaign_variant_features') }}
),

subject_features as (
    select platform, connection, external_id, step_number,
        'subject_is_question' as feature,
        case when subject_is_question then 'true' else 'false' end as feature_value
    from features
    where has_own_subject

    union all

    select platform, connection, external_id, step_number,
        'subject_has_personalization' as feature,
        case when subject_has_personalization then 'true' else 'false' end as feature_value
    from features
    where has_own_subject

    union all

    select platform, connection, external_id, step_number,
        'subject_length_words' as feature,
        case
            when subject_length_words <= 3 then '1-3'
            when subject_length_words <= 6 then '4-6'
            else '7+'
        end as feature_value
    from features
    where has_own_subject
),

email_features as (
    select platform, connection, external_id, step_number,
        'body_length_words' as feature,
        case
            when body_length_words < 25 then '0-24'
            when body_length_words < 50 then '25-49'
            when body_length_words < 100 then '50-99'
            else '100+'
        end as feature_value
    from features

    union all

    select platform, connection, external_id, step_number,
        'link_count' as feature,
        case when link_count >= 2 then '2+' else {{ to_text('link_count') }} end as feature_value
    from features

    union all

    select platform, connection, external_id, step_number,
        'personalization_count' as feature,
        case
            when personalization_count >= 3 then '3+'
            else {{ to_text('personalization_count') }}
        end as feature_value
    from features

    union all

    select platform, connection, external_id, step_number,
        'cta_kind' as feature,
        cta_kind as feature_value
    from features

    union all

    select platform, connection, external_id, step_number,
        'is_plain_text' as feature,
        case when is_plain_text then 'true' else 'false' end as feature_value
    from features

    union all

    select platform, connection, external_id, step_number,
        'send_as_reply' as feature,
        case when send_as_reply then 'true' else 'false' end as feature_value
    from features
),

feature_values as (
    select * from subject_features
    union all
    select * from email_features
)

select
    platform,
    connection,
    external_id as variant_external_id,
    step_number,
    feature,
    feature_value
from feature_values
