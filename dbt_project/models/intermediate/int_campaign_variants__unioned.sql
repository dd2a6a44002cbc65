{{ union_platform_models([
    ref('stg_smartlead__sequence_variants'),
]) }}
