{{ union_platform_models([
    ref('stg_smartlead__lead_categories'),
]) }}
