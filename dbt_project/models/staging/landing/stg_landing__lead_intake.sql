{{ config(tags=['event_driven']) }}

{#- Leads received through /ingest/leads and /ingest/clay: the hand-off to lead routing. -#}
select
    event_key,
    raw_event_type as intake_source,
    lead_email,
    lead_external_id,
    payload,
    received_at
from {{ ref('stg_landing__webhook_events') }}
where event_type = 'lead_intake'
