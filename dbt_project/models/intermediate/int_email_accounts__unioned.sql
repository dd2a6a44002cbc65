{{ union_platform_models([
    ref('stg_smartlead__email_accounts'),
]) }}
