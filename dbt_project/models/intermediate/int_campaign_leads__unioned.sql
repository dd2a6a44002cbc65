{{ union_platform_models([
    ref('stg_smartlead__campaign_leads'),
]) }}
