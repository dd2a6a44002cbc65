{#- Tagged `partitioned` with daily_metrics, its only consumer (see the staging view). -#}
{{ config(tags=['partitioned']) }}
{{ union_platform_models([
    ref('stg_smartlead__campaign_daily_stats'),
]) }}
