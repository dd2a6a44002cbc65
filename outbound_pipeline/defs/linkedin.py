"""LinkedIn sequences: the ``linkedin_steps`` job, its schedule, and the reply sensor.

``linkedin_steps`` loads the campaigns file into ``ops`` (when it exists), detects replies and
accepted invitations (landed webhooks, then polling Unipile) and sends the steps that are due
within each account's daily limits (:mod:`outbound_pipeline.linkedin_run`). The schedule runs
it every 10 minutes; outside a campaign's working hours a run sends nothing for it.

``linkedin_reply_sensor`` starts ``linkedin_replies`` after each landing run that loaded Unipile
events, so a reply stops its lead's sequence within seconds, not at the next schedule tick.
"""

from datetime import UTC, datetime

import dagster as dg

from outbound_pipeline import clock
from outbound_pipeline.defs.events import WEBHOOK_EVENTS, landed_event_types
from outbound_pipeline.defs.resources import (
    OWNERS,
    ConnectionsResource,
    WarehouseResource,
    pool_for,
    warehouse_kind,
)
from outbound_pipeline.http import PlatformError
from outbound_pipeline.linkedin.campaign import CampaignError, load_campaigns
from outbound_pipeline.linkedin_run import detect, send_due
from outbound_pipeline.linkedin_store import save_campaigns, status_counts
from outbound_pipeline.platforms.unipile.client import UnipileClient
from outbound_pipeline.settings import Settings

LINKEDIN_STEPS_JOB = "linkedin_steps"
LINKEDIN_REPLIES_JOB = "linkedin_replies"
UNIPILE_EVENT_TYPES = ("unipile.message_received", "unipile.new_relation")

OPS_TABLES = {
    "linkedin_campaigns": "LinkedIn campaigns as data: account, timezone, working hours, "
                          "holidays and steps (JSON), loaded from the campaigns file.",
    "linkedin_accounts": "LinkedIn accounts: Unipile connection, timezone, daily limits and "
                         "the account's own provider id.",
    "linkedin_leads": "Enrolled leads per campaign with their sequence state.",
    "linkedin_events": "The sequences' history: invite_sent, connection_accepted, "
                       "message_sent, reply_received, lead_failed.",
    "linkedin_actions": "Every step decided: the intent written before the request and its "
                        "outcome (sent / not_sent).",
    "linkedin_messages": "Every LinkedIn message seen by webhook or polling, once per message "
                         "id, with its direction.",
    "rate_usage": "Per account, local day and action: units used of the daily limit.",
}


class LinkedInStepsConfig(dg.Config):
    """``now``: the instant to act as of (ISO-8601 with offset); empty means the real clock.
    Used by the sandbox, whose LinkedIn world runs on a simulated clock. ``poll``: also poll
    Unipile for messages and relations (the webhook fallback)."""

    now: str = ""
    poll: bool = True


def _now(config: LinkedInStepsConfig) -> datetime:
    if not config.now:
        return clock.now()
    try:
        parsed = datetime.fromisoformat(config.now)
    except ValueError:
        raise dg.Failure(description=f"config `now` must be an ISO-8601 instant, got "
                                     f"{config.now!r}") from None
    if parsed.tzinfo is None:
        raise dg.Failure(description="config `now` needs a UTC offset, e.g. "
                                     "2026-11-23T10:00:00+00:00")
    return parsed.astimezone(UTC)


class _Clients:
    """One Unipile client per connection for the run."""

    def __init__(self, connections: ConnectionsResource) -> None:
        self._connections = connections
        self._clients: dict[str, UnipileClient] = {}

    def __call__(self, name: str) -> UnipileClient:
        if name not in self._clients:
            by_name = {c.name: c for c in self._connections.for_platform("unipile")}
            if name not in by_name:
                raise dg.Failure(description=(
                    f"a LinkedIn account names connection {name!r}, which is not a unipile "
                    f"connection in {self._connections.path}"))
            self._clients[name] = UnipileClient.for_connection(by_name[name])
        return self._clients[name]

    def requests(self) -> int:
        return sum(c.stats.requests for c in self._clients.values())

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def _load_campaigns_file(context: dg.OpExecutionContext, warehouse, settings: Settings) -> None:
    path = settings.linkedin_campaigns_path
    if not path.exists():
        context.log.info(f"no campaigns file at {path}: using the campaigns stored in ops")
        return
    try:
        file = load_campaigns(path.read_text(encoding="utf-8"), str(path))
    except CampaignError as exc:
        raise dg.Failure(description=f"LinkedIn campaigns in {path} are invalid:\n{exc}"
                         ) from None
    accounts, campaigns = save_campaigns(warehouse, file)
    context.log.info(f"campaigns file: {accounts} accounts, {campaigns} campaigns")


def build_linkedin_defs(settings: Settings) -> dg.Definitions:
    pool = pool_for(settings, "unipile")
    kind = warehouse_kind(settings)
    specs = [dg.AssetSpec(key=dg.AssetKey(["ops", name]), description=text, group_name="linkedin",
                          owners=OWNERS, kinds={"python", kind},
                          tags={"platform": "unipile", "layer": "ops"})
             for name, text in OPS_TABLES.items()]

    def report(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
        counts = status_counts(warehouse.warehouse)
        for name in ("linkedin_leads", "linkedin_events", "linkedin_messages", "rate_usage"):
            context.log_event(dg.AssetMaterialization(
                asset_key=dg.AssetKey(["ops", name]),
                metadata={"statuses": dg.MetadataValue.json(counts)}
                if name == "linkedin_leads" else {}))

    @dg.op(pool=pool, description="Landed webhooks, then polled messages and relations: "
                                  "replies stop sequences, accepted invitations connect leads.")
    def detect_linkedin_activity(context: dg.OpExecutionContext, config: LinkedInStepsConfig,
                                 warehouse: WarehouseResource,
                                 connections: ConnectionsResource) -> str:
        wh = warehouse.warehouse
        _load_campaigns_file(context, wh, settings)
        now = _now(config)
        clients = _Clients(connections)
        try:
            found = detect(wh, clients, now, poll=config.poll)
        except PlatformError as exc:
            raise dg.Failure(description=str(exc)) from None
        finally:
            clients.close()
        context.log.info(f"detected {found.replies} new replies and {found.connections} "
                         f"accepted invitations ({found.new_messages} new messages of "
                         f"{found.messages_seen} seen)")
        context.add_output_metadata({
            "replies": found.replies, "connections": found.connections,
            "messages_seen": found.messages_seen, "new_messages": found.new_messages,
            "profile_lookups": found.profile_lookups, "requests": clients.requests(),
        })
        return now.isoformat()

    @dg.op(pool=pool, description="Sends the steps due now through Unipile within each "
                                  "account's daily limits (reserved in ops.rate_usage).")
    def send_linkedin_steps(context: dg.OpExecutionContext, now: str,
                            warehouse: WarehouseResource,
                            connections: ConnectionsResource) -> None:
        clients = _Clients(connections)
        try:
            sent = send_due(warehouse.warehouse, clients, datetime.fromisoformat(now),
                            run_id=context.run.run_id)
        except PlatformError as exc:
            raise dg.Failure(description=str(exc)) from None
        finally:
            clients.close()
        for error in sent.errors[:5]:
            context.log.warning(error)
        context.log.info(f"sent {sent.invites_sent} invitations and {sent.messages_sent} "
                         f"messages; waiting: {dict(sent.waiting)}")
        context.add_output_metadata({
            "invites_sent": sent.invites_sent, "messages_sent": sent.messages_sent,
            "not_sent": sent.not_sent, "unknown_outcome": sent.unknown,
            "finished": sent.finished, "failed": sent.failed, "settled": sent.settled,
            "waiting": dg.MetadataValue.json(dict(sent.waiting)),
            "requests": clients.requests(),
        })
        report(context, warehouse)

    @dg.op(pool=pool, description="Acts on landed Unipile webhooks only (no polling).")
    def apply_linkedin_webhooks(context: dg.OpExecutionContext, warehouse: WarehouseResource,
                                connections: ConnectionsResource) -> None:
        clients = _Clients(connections)
        try:
            found = detect(warehouse.warehouse, clients, clock.now(), poll=False)
        except PlatformError as exc:
            raise dg.Failure(description=str(exc)) from None
        finally:
            clients.close()
        context.log.info(f"webhooks: {found.replies} new replies, {found.connections} accepted "
                         "invitations")
        context.add_output_metadata({"replies": found.replies,
                                     "connections": found.connections,
                                     "new_messages": found.new_messages})
        report(context, warehouse)

    @dg.job(name=LINKEDIN_STEPS_JOB, description=(
        "LinkedIn sequences: detect replies and accepted invitations (webhooks, then polling), "
        "then send the invitations and messages due now, in working hours of each campaign's "
        "timezone and within each account's daily limits."))
    def linkedin_steps() -> None:
        send_linkedin_steps(detect_linkedin_activity())

    @dg.job(name=LINKEDIN_REPLIES_JOB,
            description="Applies landed Unipile webhooks: replies stop sequences, "
                        "new relations connect invited leads.")
    def linkedin_replies() -> None:
        apply_linkedin_webhooks()

    @dg.asset_sensor(asset_key=WEBHOOK_EVENTS, job=linkedin_replies,
                     default_status=dg.DefaultSensorStatus.RUNNING,
                     description="Runs linkedin_replies after a landing run that loaded Unipile "
                                 "message_received or new_relation events.")
    def linkedin_reply_sensor(context: dg.SensorEvaluationContext,
                              asset_event: dg.EventLogEntry) -> dg.RunRequest | dg.SkipReason:
        counts = landed_event_types(asset_event)
        if not any(counts.get(t) for t in UNIPILE_EVENT_TYPES):
            return dg.SkipReason("the last landing load had no Unipile events")
        return dg.RunRequest(run_key=f"linkedin-{asset_event.run_id}")

    schedule = dg.ScheduleDefinition(
        name="linkedin_steps_every_10_minutes", job=linkedin_steps, cron_schedule="*/10 * * * *",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Every 10 minutes: replies and acceptances, then the steps due. Each "
                    "campaign acts only in its own working hours; turn this on once the "
                    "campaigns file is in place.",
    )
    return dg.Definitions(assets=specs, jobs=[linkedin_steps, linkedin_replies],
                          sensors=[linkedin_reply_sensor], schedules=[schedule])
