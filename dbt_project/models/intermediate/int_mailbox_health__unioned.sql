{{ union_platform_models([
    ref('stg_smartlead__mailbox_health'),
]) }}
