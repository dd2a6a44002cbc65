{#- Copy features of each variant, derived from its subject and body with simple, documented
    rules (see the yml). Subject features are null for a variant that has no subject of its
    own (a follow-up sent as a reply in the same thread). -#}
with variants as (
    select * from {{ ref('int_campaign_variants__unioned') }}
),

campaigns as (
    select platform, connection, external_id, send_as_plain_text
    from {{ ref('int_campaigns__unioned') }}
),

measured as (
    select
        variants.platform,
        variants.connection,
        variants.external_id,
        variants.campaign_external_id,
        variants.step_number,
        variants.send_as_reply,
        not variants.send_as_reply and trim(variants.subject_line) <> '' as has_own_subject,
        variants.subject_line,
        lower(variants.body_plain) as body_lower,
        variants.personalization_vars,
        variants.personalization_count,
        {{ text_length('variants.body_plain') }} as body_length_chars,
        {{ word_count('variants.body_plain') }} as body_length_words,
        {{ regex_count('variants.body_html', '(?i)<a[[:space:]][^>]*href') }} as anchor_count,
        {{ regex_count('variants.body_plain', '(?i)https?://') }} as bare_url_count,
        coalesce(campaigns.send_as_plain_text, false)
            or not {{ regex_matches('variants.body_html', '<[A-Za-z][^>]*>') }} as is_plain_text
    from variants
    left join campaigns
        on variants.platform = campaigns.platform
        and variants.connection = campaigns.connection
        and variants.campaign_external_id = campaigns.external_id
),

features as (
    select
        -- ids
        platform,
        connection,
        external_id,
        campaign_external_id,

        -- sequence position
        step_number,
        send_as_reply,
        has_own_subject,

        -- subject
        case when has_own_subject then {{ text_length('subject_line') }} end
            as subject_length_chars,
        case when has_own_subject then {{ word_count('subject_line') }} end
            as subject_length_words,
        case when has_own_subject then right(rtrim(subject_line), 1) = '?' end
            as subject_is_question,
        case when has_own_subject
            then {{ regex_matches('subject_line', '\{\{[[:space:]]*[A-Za-z_]') }}
        end as subject_has_personalization,

        -- personalization (subject and body)
        personalization_vars,
        personalization_count,

        -- body
        body_length_chars,
        body_length_words,
        case when anchor_count > 0 then anchor_count else bare_url_count end as link_count,
        case
            when {{ regex_matches('body_lower', '(^|[^a-z])(call|chat|meeting|meet|calendar|demo|compare notes)([^a-z]|$)') }}
                then 'meeting'
            when {{ regex_matches('body_lower', '(case stud|overview|video|deck|one-pager|guide|send (you|over))') }}
                then 'resource'
            when {{ regex_matches('body_lower', '(let me know|who should i|right person|point me|get back to me|hear (back )?from you)') }}
                then 'reply_ask'
            when body_lower like '%?%'
                then 'question'
            when anchor_count + bare_url_count > 0
                then 'resource'
            else 'none'
        end as cta_kind,
        is_plain_text
    from measured
)

select * from features
