{{ union_platform_models([
    ref('stg_smartlead__enrollment_snapshots'),
]) }}
