"""The ``push_leads`` job: take landed intake into ``ops.leads`` (health gate, routing rules)
and push routed leads into their Smartlead campaigns (see :mod:`outbound_pipeline.lead_store`).

It is launched by ``lead_intake_sensor`` whenever a landing run has loaded intake events, and by
the ``push_leads_retry`` schedule, which picks up leads whose retry time has come.
"""

from pathlib import Path

import dagster as dg

from outbound_pipeline.defs.events import WEBHOOK_EVENTS, landed_event_types
from outbound_pipeline.defs.resources import ConnectionsResource, WarehouseResource, pool_for
from outbound_pipeline.lead_store import (
    push_due,
    replace_rules,
    reroute_held,
    status_counts,
    take_intake,
)
from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.routing.rules import RoutingRulesError, load_rules
from outbound_pipeline.settings import Settings

PUSH_LEADS_JOB = "push_leads"
INTAKE_EVENT_TYPE = "intake.lead_intake"


def sync_rules_file(warehouse, path: Path) -> int | None:
    """Loads the routing rules file into ``ops.routing_rules`` when it exists; a bad file
    stops the run with the file's problems listed (the table keeps the last good rules)."""
    if not path.exists():
        return None
    try:
        rules = load_rules(path.read_text(encoding="utf-8"))
    except RoutingRulesError as exc:
        raise dg.Failure(description=f"routing rules in {path} are invalid:\n{exc}") from None
    replace_rules(warehouse, rules)
    return len(rules)


def build_leads_defs(settings: Settings) -> dg.Definitions:
    rules_path = settings.routing_rules_path
    pool = pool_for(settings, "smartlead")

    @dg.op(pool=pool, description="Landed intake -> ops.leads: health gate and routing rules.")
    def intake_leads(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> int:
        wh = warehouse.warehouse
        loaded = sync_rules_file(wh, rules_path)
        result = take_intake(wh, run_id=context.run.run_id)
        rerouted = reroute_held(wh, run_id=context.run.run_id)
        for problem in result.refused:
            context.log.warning(f"intake event not usable as a lead: {problem}")
        context.log.info(
            f"routing rules: {loaded if loaded is not None else 'table as is'}; intake: "
            f"{result.new} new leads ({result.assigned} assigned, {result.unassigned} in the "
            f"holding pool, {result.blocked} blocked), {rerouted} held leads newly routed")
        context.add_output_metadata({
            "new_leads": result.new, "assigned": result.assigned,
            "unassigned": result.unassigned, "blocked": result.blocked,
            "refused": len(result.refused), "rerouted": rerouted,
        })
        return result.new

    @dg.op(pool=pool, description="Push due HELD leads with a campaign to Smartlead, "
                                  "at most 100 per request, never twice.")
    def push_routed_leads(context: dg.OpExecutionContext, intake: int,
                          warehouse: WarehouseResource,
                          connections: ConnectionsResource) -> None:
        clients: dict[str, SmartleadClient] = {}

        def client_for(name: str) -> SmartleadClient:
            if name not in clients:
                by_name = {c.name: c for c in connections.for_platform("smartlead")}
                if name not in by_name:
                    raise dg.Failure(description=(
                        f"a routing rule names connection {name!r}, which is not a Smartlead "
                        f"connection in {connections.path}"))
                clients[name] = SmartleadClient.for_connection(by_name[name])
            return clients[name]

        try:
            result = push_due(warehouse.warehouse, client_for, run_id=context.run.run_id)
        finally:
            for client in clients.values():
                client.close()
        for error in result.errors[:5]:
            context.log.warning(f"push failed (will retry): {error}")
        counts = status_counts(warehouse.warehouse)
        context.log.info(f"pushed {result.pushed}, reconciled {result.reconciled}, retry later "
                         f"{result.retry_later}, failed {result.failed}; statuses {counts}")
        requests = sum(c.stats.requests for c in clients.values())
        context.add_output_metadata({
            "requests": requests, "pushed": result.pushed, "reconciled": result.reconciled,
            "already_in_campaign": result.already_in_campaign,
            "retry_later": result.retry_later, "failed": result.failed,
            "statuses": dg.MetadataValue.json(counts),
        })

    @dg.job(name=PUSH_LEADS_JOB, description=(
        "Landed intake into ops.leads (health gate, routing rules), then push routed HELD leads "
        "into their Smartlead campaigns in batches of up to 100, with retries and no double "
        "push."))
    def push_leads() -> None:
        push_routed_leads(intake_leads())

    @dg.asset_sensor(asset_key=WEBHOOK_EVENTS, job=push_leads,
                     default_status=dg.DefaultSensorStatus.RUNNING,
                     description="Runs push_leads after a landing run that loaded lead intake.")
    def lead_intake_sensor(context: dg.SensorEvaluationContext,
                           asset_event: dg.EventLogEntry) -> dg.RunRequest | dg.SkipReason:
        if not landed_event_types(asset_event).get(INTAKE_EVENT_TYPE):
            return dg.SkipReason("the last landing load had no lead intake")
        return dg.RunRequest(run_key=f"intake-{asset_event.run_id}")

    retry_schedule = dg.ScheduleDefinition(
        name="push_leads_retry", job=push_leads, cron_schedule="*/10 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every 10 minutes: pushes leads whose retry time has come (and any intake "
                    "a sensor tick missed).",
    )
    return dg.Definitions(jobs=[push_leads], sensors=[lead_intake_sensor],
                          schedules=[retry_schedule])
