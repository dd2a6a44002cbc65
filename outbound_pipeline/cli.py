"""The ``outbound`` command: demo, sandbox, webhooks, replies, leads, linkedin, runs, dev, docs."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from outbound_pipeline import clock
from outbound_pipeline.settings import PROJECT_ROOT, Settings, load_settings

DEMO_SPEED = 100.0
DEMO_BACKFILL_DAYS = 90
LOCAL_DAGSTER_YAML_MARKER = "# Local instance written by `outbound`"
LOCAL_DAGSTER_YAML = """\
# Local instance written by `outbound`: SQLite storage (the default) plus one run at a time per
# concurrency pool, so runs never fight over the DuckDB file or exceed a platform's rate limit.
# Run monitoring (in the daemon `dagster dev` starts) fails runs stuck starting or canceling and
# frees the pool slots of runs that ended, so a killed run does not block the next one.
# `outbound` rewrites this file while it is unchanged; edit it and it is left alone.
concurrency:
  pools:
    default_limit: 1
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
  free_slots_after_run_end_seconds: 30
telemetry:
  enabled: false
"""
EARLIER_LOCAL_DAGSTER_YAMLS = ("""\
# Local instance written by `outbound`: SQLite storage (the default) plus one run at a time per
# concurrency pool, so runs never fight over the DuckDB file or exceed a platform's rate limit.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
""",)
"""dagster.yaml files earlier versions wrote; one still unchanged is replaced by the current."""


def sandbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "sandbox"


def ensure_dagster_home(settings: Settings, recover: bool = True) -> Path:
    """``DAGSTER_HOME`` as set, or ``.outbound/dagster_home``; writes its dagster.yaml if absent
    or as an earlier version wrote it (a file of the user's own is never touched). Then, unless
    ``recover`` is false, ends the runs whose process is gone and frees their pool slots
    (:mod:`outbound_pipeline.run_recovery`), so the command's runs are not blocked by them."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    text = config.read_text() if config.exists() else None
    if text is None or text in EARLIER_LOCAL_DAGSTER_YAMLS:
        partial = config.with_name("dagster.yaml.partial")
        partial.write_text(LOCAL_DAGSTER_YAML)
        partial.replace(config)
    elif text.startswith(LOCAL_DAGSTER_YAML_MARKER) and "run_monitoring:" not in text:
        print(f"Note: {config} was edited and has no run_monitoring section; see README "
              "\"A killed run\" to add it.", file=sys.stderr)
    os.environ["DAGSTER_HOME"] = str(home)
    if recover:
        from outbound_pipeline.run_recovery import recover_in_home

        recover_in_home()
    return home


def _use_sandbox_connections(settings: Settings, keys: dict[str, str]) -> None:
    os.environ["OUTBOUND_CONNECTIONS"] = str(sandbox_dir(settings) / "connections.yaml")
    os.environ.update(keys)


def start_sandbox(settings: Settings, speed: float, seed: int = 7, announce: bool = True):
    """Starts the simulators and writes the sandbox connections file and keys."""
    from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
    from outbound_pipeline.sandbox.world import WorldConfig

    sandbox = SandboxProcess(WorldConfig(seed=seed), speed=speed)
    started = time.monotonic()
    sandbox.start()
    folder = sandbox_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    keys = write_connections_file(folder / "connections.yaml", sandbox.accounts,
                                  sandbox.smartlead_url, speed,
                                  unipile=(sandbox.unipile_url,
                                           sandbox.unipile_truth()["api_key"]))
    # Sandbox keys are not secrets; `outbound dev` reads them back to talk to this sandbox.
    (folder / "keys.json").write_text(json.dumps(keys, indent=2))
    _use_sandbox_connections(settings, keys)
    if announce:
        print(f"Sandbox up in {time.monotonic() - started:.1f} s (speed ×{speed:g}):")
        for platform, url in sandbox.urls.items():
            print(f"  {platform:<10} {url}")
        print(f"  connections file: {folder / 'connections.yaml'}")
    return sandbox


# ---------------------------------------------------------------------------------------------
# demo


def _step(label: str):
    print(f"→ {label} …", flush=True)
    return time.monotonic()


def _done(started: float, detail: str = "") -> None:
    print(f"  done in {time.monotonic() - started:.1f} s{': ' + detail if detail else ''}",
          flush=True)


def _materializations(result) -> dict[str, dict]:
    found = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        found[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return found


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _run_job(defs, name: str, instance, **kwargs) -> dict[str, dict]:
    """Runs a job in this process on the real instance, so the UI shows it afterwards."""
    from outbound_pipeline.run_recovery import run_tags

    job = defs.resolve_job_def(name)
    run_config = {**QUIET, **kwargs.pop("run_config", {})}
    tags = {**run_tags(), **(kwargs.pop("tags", None) or {})}
    result = job.execute_in_process(instance=instance, raise_on_error=True,
                                    run_config=run_config, tags=tags, **kwargs)
    return _materializations(result)


def demo(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    settings = load_settings()
    if os.environ.get("OUTBOUND_CONNECTIONS"):
        print("Note: the demo uses its own sandbox connections, not OUTBOUND_CONNECTIONS.")
    home = ensure_dagster_home(settings)
    print(f"Warehouse: {settings.warehouse_url}\nDagster home: {home}")
    total = time.monotonic()
    sandbox = start_sandbox(settings, speed=args.speed)
    try:
        from outbound_pipeline.definitions import build_definitions

        defs = build_definitions()
        instance = DagsterInstance.get()
        today = clock.now().date()

        started = _step("Smartlead sync (campaigns, variants, mailboxes, statistics, threads)")
        mats = _run_job(defs, "smartlead_sync_job", instance)
        _done(started, _requests_line(mats))

        first = today - timedelta(days=args.days)
        last = today - timedelta(days=1)
        started = _step(f"daily metrics backfill {first}..{last} (one run)")
        mats = _run_job(defs, "smartlead_daily_metrics_job", instance, tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        })
        _done(started, _requests_line(mats))

        started = _step(f"enrollment snapshot for today ({today})")
        mats = _run_job(defs, "smartlead_enrollment_snapshot_job", instance,
                        partition_key=today.isoformat())
        _done(started, _requests_line(mats))

        started = _step("campaign leads (resumable, 5 campaigns per commit)")
        mats = _run_job(defs, "smartlead_campaign_leads_job", instance)
        _done(started, _requests_line(mats))

        started = _step("LinkedIn: campaigns → linkedin_steps on the sandbox's clock → Unipile")
        _done(started, demo_linkedin(settings, sandbox, instance))

        started = _step("analytics models (dbt build, tests as asset checks)")
        mats = _run_job(defs, "analytics_job", instance)
        _done(started, f"{len(mats)} models")

        started = _step("webhooks: new activity → receiver → landing sensor → landing_job")
        _done(started, demo_webhooks(settings, sandbox, defs, instance))
        started = _step("lead intake: leads → receiver → landing → push_leads → Smartlead")
        _done(started, demo_leads(settings, instance))
    finally:
        sandbox.stop()

    print_summary(settings)
    print(f"\nDemo finished in {time.monotonic() - total:.0f} s.")
    print(
        "\nOpen the Dagster UI on the same warehouse and a fresh sandbox:\n"
        "  make sandbox      # terminal 1: the simulators (writes .outbound/sandbox/)\n"
        "  make dev          # terminal 2: dagster dev on http://127.0.0.1:3000\n"
        f"Query the warehouse: {settings.warehouse_url}"
    )
    return 0


DEMO_WEBHOOK_CAMPAIGNS = 6


def demo_webhooks(settings: Settings, sandbox, defs, instance) -> str:
    """Runs the receiver, moves the sandbox world so it sends webhooks (with duplicates and
    out of order), then does what the daemon does: a landing sensor tick and its run."""
    import secrets

    import dagster as dg
    import httpx

    from outbound_pipeline.warehouse import Warehouse
    from outbound_pipeline.webhooks.landing import LandingStore
    from outbound_pipeline.webhooks.serve import receiver_process

    secret = secrets.token_hex(16)
    env = {"OUTBOUND_CONNECTIONS": os.environ["OUTBOUND_CONNECTIONS"],
           "OUTBOUND_LANDING_DIR": str(settings.landing_dir),
           "OUTBOUND_WEBHOOK_SECRET_SMARTLEAD": secret,
           "OUTBOUND_LANDING_SEGMENT_SECONDS": "1"}
    store = LandingStore(settings.landing_dir)
    before = sum(len(store.read(s.segment_id)) for s in store.sealed_after(None))
    warehouse = Warehouse.from_url(settings.warehouse_url)
    campaigns = [row[0] for row in warehouse.query(
        "select campaign_id from raw_smartlead.campaigns where status = 'ACTIVE' "
        f"order by campaign_id limit {DEMO_WEBHOOK_CAMPAIGNS}")]
    with receiver_process(env) as receiver:
        url = receiver.urls["receiver"]
        sandbox.configure_webhooks(url + "/webhooks/smartlead/{account}", secret)
        for campaign_id in campaigns:
            try:
                sandbox.add_activity(campaign_id, sends=40, replies=6)
            except RuntimeError:  # too few leads left to reply in this campaign
                sandbox.add_activity(campaign_id, sends=40, replies=0)
        stats = sandbox.flush_webhooks(timeout=120)["stats"]
        deliveries = stats["delivered"]
        deadline = time.monotonic() + 30
        while (sum(len(store.read(s.segment_id)) for s in store.sealed_after(None)) - before
               < deliveries and time.monotonic() < deadline):
            time.sleep(0.2)
        health = httpx.get(url + "/health").json()
    # A tick from no cursor: segments an earlier demo loaded are skipped by the load's ledger.
    sensor = defs.resolve_sensor_def("landing_sensor")
    tick = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    landed = 0
    for request in getattr(tick, "run_requests", None) or []:
        mats = _run_job(defs, "landing_job", instance, tags=request.tags,
                        run_config=request.run_config)
        landed += int(mats.get("landing/webhook_events", {}).get("new_events") or 0)
    return (f"{deliveries:,} deliveries ({stats['duplicates_sent']} duplicates, "
            f"{health['responses'].get('200', 0):,} acknowledged) → {landed:,} new events")


DEMO_LINKEDIN_LEADS = 100
"""Prospects enrolled in each of the demo's two LinkedIn campaigns."""
DEMO_LINKEDIN_DAYS = 10
DEMO_LINKEDIN_TICKS = ((10, 0), (15, 30))
"""UTC times of the demo's linkedin_steps runs each simulated day (London 10:00 and 15:30,
New York 05:00, closed, and 10:30)."""
DEMO_LINKEDIN_CAMPAIGNS = """\
# Written by `outbound demo` for the sandbox's LinkedIn accounts.
accounts:
  - {{account_id: {first}, connection: linkedin, timezone: Europe/London}}
  - {{account_id: {second}, connection: linkedin, timezone: America/New_York,
     daily_invite_limit: 20, daily_message_limit: 60}}
campaigns:
  - campaign_id: uk-finance
    name: UK finance leaders
    client: ProForecast
    account_id: {first}
    timezone: Europe/London
    steps:
      - invite: "Hi {{{{first_name}}}}, I work with finance teams like {{{{company}}}}'s."
      - message: "Thanks for connecting, {{{{first_name}}}}! How does {{{{company}}}} plan?"
        delay_days: 0
      - message: "{{{{first_name}}}}, teams like yours cut their close by days. Worth a call?"
        delay_days: 2
      - message: "Last note from me, {{{{first_name}}}}."
        delay_days: 3
  - campaign_id: us-sales
    name: US sales leaders
    client: ProForecast
    account_id: {second}
    timezone: America/New_York
    working_hours: {{start: "09:30", end: "16:30"}}
    steps:
      - invite: null
      - message: "Hi {{{{first_name}}}}, thanks! How does {{{{company}}}} set quota?"
        delay_days: 1
      - message: "{{{{first_name | Hi}}}}, one idea for {{{{company}}}}: worth 15 minutes?"
        delay_days: 3
"""


def demo_linkedin(settings: Settings, sandbox, instance) -> str:
    """Loads two LinkedIn campaigns for the sandbox's accounts, enrols prospects, then runs
    ``linkedin_steps`` twice a simulated day for two weeks, moving the sandbox's clock; the
    Unipile simulator accepts invitations and writes replies as its clock passes them."""
    from dataclasses import replace

    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline.linkedin.campaign import load_campaigns
    from outbound_pipeline.linkedin_store import enrol_leads, save_campaigns, status_counts
    from outbound_pipeline.warehouse import Warehouse

    truth = sandbox.unipile_truth()
    first, second = (a["id"] for a in truth["accounts"][:2])
    path = sandbox_dir(settings) / "linkedin_campaigns.yaml"
    path.write_text(DEMO_LINKEDIN_CAMPAIGNS.format(first=first, second=second))
    warehouse = Warehouse.from_url(settings.warehouse_url)
    save_campaigns(warehouse, load_campaigns(path.read_text(), str(path)))
    prospects = truth["prospects"]
    for index, campaign_id in enumerate(("uk-finance", "us-sales")):
        chosen = prospects[index * DEMO_LINKEDIN_LEADS:(index + 1) * DEMO_LINKEDIN_LEADS]
        enrol_leads(warehouse, campaign_id, [
            {"linkedin_url": f"https://www.linkedin.com/in/{p['public_identifier']}/",
             "first_name": p["first_name"], "last_name": p["last_name"],
             "company": p["company"], "title": p["headline"]} for p in chosen])
    defs = build_definitions(replace(load_settings(), linkedin_campaigns_path=path))
    start = datetime.fromisoformat(truth["clock"]).astimezone(UTC).date() + timedelta(days=1)
    runs = 0
    for offset in range(DEMO_LINKEDIN_DAYS):
        day = start + timedelta(days=offset)
        for hour, minute in DEMO_LINKEDIN_TICKS:
            at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            sandbox.unipile_clock(at)
            _run_job(defs, "linkedin_steps", instance, run_config={
                "ops": {"detect_linkedin_activity": {"config": {"now": at.isoformat()}}}})
            runs += 1
    counts: dict[str, int] = {}
    for by_status in status_counts(warehouse).values():
        for status, n in by_status.items():
            counts[status] = counts.get(status, 0) + n
    return (f"{runs} runs over {DEMO_LINKEDIN_DAYS} simulated days ({start}..): "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))


DEMO_LEADS = 300
DEMO_PERSONAS = ("VP Sales", "vp sales", "Head of Marketing", "CFO", "Intern")


def demo_leads(settings: Settings, instance) -> str:
    """Writes routing rules for two sandbox campaigns, posts leads to the receiver's
    ``/ingest/leads``, then does what the daemon does: the landing sensor's run, then the
    intake sensor's ``push_leads`` run."""
    import random
    import secrets
    from dataclasses import replace

    import dagster as dg
    import httpx

    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline.warehouse import Warehouse
    from outbound_pipeline.webhooks.landing import LandingStore
    from outbound_pipeline.webhooks.serve import receiver_process

    warehouse = Warehouse.from_url(settings.warehouse_url)
    (connection, first), (_, second) = warehouse.query(
        "select connection, campaign_id from raw_smartlead.campaigns where status = 'ACTIVE' "
        "order by connection, campaign_id limit 2")
    rules = sandbox_dir(settings) / "routing_rules.yaml"
    rules.write_text(
        "# Written by `outbound demo` for the sandbox's campaigns.\nrules:\n"
        f"  - {{id: vp-sales-high, connection: {connection}, persona: VP Sales, min_score: 70,"
        f" campaign_id: {first}, priority: 100}}\n"
        f"  - {{id: vp-sales, connection: {connection}, persona: VP Sales, min_score: 0,"
        f" campaign_id: {second}, priority: 50}}\n"
        f"  - {{id: marketing, connection: {connection}, persona: Head of Marketing,"
        f" min_score: 50, campaign_id: {second}, priority: 40}}\n")
    # settings as they are now: the demo pointed OUTBOUND_CONNECTIONS at the sandbox
    defs = build_definitions(replace(load_settings(), routing_rules_path=rules))
    key = secrets.token_hex(16)
    rng = random.Random(5)
    run = secrets.token_hex(3)
    leads = []
    for i in range(DEMO_LEADS):
        domain = "mailinator.com" if i % 37 == 0 else f"prospect{i % 23}.example.com"
        local = "info" if i % 29 == 0 else f"lead{run}.{i}"
        leads.append({"email": f"{local}@{domain}" if i % 53 else f"broken-{i}.example.com",
                      "first_name": "Sam", "last_name": f"Lee{i}", "company": f"Co {i % 23}",
                      "persona": rng.choice(DEMO_PERSONAS), "lead_score": rng.randint(20, 99)})
    env = {"OUTBOUND_CONNECTIONS": os.environ["OUTBOUND_CONNECTIONS"],
           "OUTBOUND_LANDING_DIR": str(settings.landing_dir),
           "OUTBOUND_INGEST_API_KEY": key, "OUTBOUND_LANDING_SEGMENT_SECONDS": "1"}
    store = LandingStore(settings.landing_dir)
    before = {s.segment_id for s in store.sealed_after(None)}
    with receiver_process(env) as receiver:
        for start in range(0, len(leads), 100):
            answer = httpx.post(receiver.urls["receiver"] + "/ingest/leads",
                                json={"leads": leads[start:start + 100]},
                                headers={"X-API-Key": key}, timeout=30)
            answer.raise_for_status()
        deadline = time.monotonic() + 30
        while (sum(len(store.read(s.segment_id)) for s in store.sealed_after(None)
                   if s.segment_id not in before) < len(leads)
               and time.monotonic() < deadline):
            time.sleep(0.2)
    tick = defs.resolve_sensor_def("landing_sensor")(
        dg.build_sensor_context(instance=instance, definitions=defs))
    for request in getattr(tick, "run_requests", None) or []:
        _run_job(defs, "landing_job", instance, tags=request.tags,
                 run_config=request.run_config)
    tick = defs.resolve_sensor_def("lead_intake_sensor")(
        dg.build_sensor_context(instance=instance, definitions=defs))
    for request in run_requests(tick)[:1]:
        _run_job(defs, "push_leads", instance, tags=request.tags)
    from outbound_pipeline.lead_store import status_counts

    counts = status_counts(warehouse)
    return f"{len(leads)} leads posted → " + ", ".join(f"{k} {v:,}" for k, v in counts.items())


def run_requests(tick) -> list:
    """The run requests of a sensor evaluated directly (an asset sensor yields them)."""
    import inspect

    import dagster as dg

    items = list(tick) if inspect.isgenerator(tick) else [tick]
    found = []
    for item in items:
        if isinstance(item, dg.RunRequest):
            found.append(item)
        else:
            found += getattr(item, "run_requests", None) or []
    return found


def _requests_line(mats: dict[str, dict]) -> str:
    if not mats:
        return "nothing materialized"
    any_meta = next(iter(mats.values()))
    rows = sum(int(m.get("rows_loaded") or 0) for m in mats.values())
    return (f"{len(mats)} assets, {rows:,} rows, {any_meta.get('requests', 0):,} requests, "
            f"{any_meta.get('responses_429', 0)} × 429")


def print_summary(settings: Settings) -> None:
    from outbound_pipeline.warehouse import Warehouse

    wh = Warehouse.from_url(settings.warehouse_url)
    for schema in ("raw_smartlead", "analytics"):
        print(f"\n{schema} tables:")
        for table in wh.tables(schema):
            if table.startswith("_dlt"):
                continue
            count = wh.query(f"select count(*) from {schema}.{table}")[0][0]
            print(f"  {table:<28} {count:>10,} rows")
    rows = wh.query(CAMPAIGN_RATES_SQL)
    print("\nCampaigns by reply rate (analytics.campaigns; seed 002 rates):")
    print(f"  {'connection':<14} {'campaign':<40} {'sent':>7} {'reply':>7} {'bounce':>7} "
          f"{'positive':>8}")
    for connection, name, sent, reply_rate, bounce_rate, positive_rate in rows[:10]:
        print(f"  {connection:<14} {name[:40]:<40} {sent:>7,} {_pct(reply_rate):>7} "
              f"{_pct(bounce_rate):>7} {_pct(positive_rate):>8}")
    if len(rows) > 10:
        print(f"  … and {len(rows) - 10} more campaigns")
    print("\nTop copy patterns (analytics.copy_patterns: significant at α = 0.05, by rank):")
    for feature, value, delivered, rate, lift, low, high in wh.query(COPY_PATTERNS_SQL):
        pattern = f"{feature} = {value}"
        print(f"  {pattern:<38} reply {_pct(rate):>7} (95% CI {_pct(low)}–{_pct(high)})"
              f"  lift ×{lift:.2f}  n={delivered:,}")
    alerts = wh.query(ALERTS_SQL)
    print(f"\nDeliverability alerts (analytics.deliverability_alerts): {len(alerts)}")
    for entity_type, entity, alert_type, measured, threshold in alerts[:10]:
        print(f"  {entity_type:<9} {entity[:40]:<40} {alert_type:<22} {measured:.3f} "
              f"(threshold {threshold:g})")
    if wh.table_exists("analytics", "classified_replies"):
        print_replies_summary(wh)
    if wh.table_exists("landing", "webhook_events"):
        print_webhook_summary(wh)
    if wh.table_exists("ops", "leads"):
        print_leads_summary(wh)
    if wh.table_exists("analytics", "linkedin_campaign_funnel"):
        print_linkedin_summary(wh)


def print_linkedin_summary(wh) -> None:
    rows = wh.query("select campaign_id, leads_enrolled, leads_invited, leads_connected, "
                    "leads_messaged, leads_replied, acceptance_rate, reply_rate, "
                    "median_hours_to_first_reply from analytics.linkedin_campaign_funnel "
                    "order by campaign_id")
    if not rows:
        return
    print("\nLinkedIn funnel (analytics.linkedin_campaign_funnel):")
    print(f"  {'campaign':<14} {'enrolled':>8} {'invited':>8} {'connected':>9} "
          f"{'messaged':>8} {'replied':>8} {'accept':>8} {'reply':>8} {'h to reply':>10}")
    for (campaign, enrolled, invited, connected, messaged, replied, accept, reply,
         hours) in rows:
        median = "—" if hours is None else f"{hours:.1f}"
        print(f"  {campaign:<14} {enrolled:>8,} {invited:>8,} {connected:>9,} {messaged:>8,} "
              f"{replied:>8,} {_pct(accept):>8} {_pct(reply):>8} {median:>10}")
    steps = wh.query("select campaign_id, step_number, replies, share_of_replies from "
                     "analytics.linkedin_replies_by_step where replies > 0 "
                     "order by campaign_id, step_number")
    if steps:
        print("  replies by step: " + "; ".join(
            f"{c} step {s}: {n} ({_pct(share)})" for c, s, n, share in steps))
    use = wh.query("select action, max(reserved), max(daily_limit), max(utilisation) from "
                   "analytics.linkedin_rate_utilisation group by action order by action")
    for action, reserved, limit, utilisation in use:
        print(f"  busiest day, {action}s: {reserved} of {limit} "
              f"(utilisation {_pct(utilisation)}; never over the limit)")


def print_leads_summary(wh) -> None:
    rows = wh.query("select status, health, count(*) from ops.leads group by status, health "
                    "order by status, health")
    print(f"\nLeads (ops.leads): {sum(r[2] for r in rows):,}")
    for status, health, count in rows:
        print(f"  {status:<8} {health:<7} {count:>7,}")
    actions = wh.query("select action, count(*) from ops.lead_audit_log group by action "
                       "order by count(*) desc")
    print("  audit log: " + ", ".join(f"{a} {n:,}" for a, n in actions))


def print_replies_summary(wh) -> None:
    rows = wh.query("select reply_category, count(*), sum(case when method = 'rule' then 1 "
                    "else 0 end) from analytics.classified_replies group by reply_category "
                    "order by count(*) desc")
    total = sum(r[1] for r in rows)
    versions = [r[0] for r in wh.query(
        "select distinct classifier_version from analytics.classified_replies")]
    print(f"\nReply categories (analytics.classified_replies): {total:,} replies, "
          f"classifier {', '.join(versions)}")
    for category, count, by_rule in rows:
        share = count / total if total else 0.0
        print(f"  {category:<16} {count:>7,}  {share * 100:5.1f}%  ({by_rule:,} by a rule)")
    agreement = wh.query("select sum(case when agrees then replies else 0 end), sum(replies) "
                         "from analytics.reply_classification_agreement")
    agreed, paired = agreement[0] if agreement else (None, None)
    if paired:
        print(f"  agreement with the platform's lead categories: {agreed / paired * 100:.1f}% "
              f"of {paired:,} replies (analytics.reply_classification_agreement)")


def print_webhook_summary(wh) -> None:
    rows = wh.query("select platform, event_type, count(*) from landing.webhook_events "
                    "group by platform, event_type order by count(*) desc")
    print(f"\nWebhook events landed (landing.webhook_events): {sum(r[2] for r in rows):,}")
    for platform, event_type, count in rows:
        print(f"  {platform + '.' + event_type:<30} {count:>8,}")
    lags = sorted((loaded - received).total_seconds() for received, loaded in wh.query(
        "select received_at, loaded_at from landing.webhook_events"))
    if lags:
        print(f"  receive → warehouse: median {lags[len(lags) // 2]:.1f} s, max {lags[-1]:.1f} s"
              " (includes the demo's wait for the last delivery)")
    recorded = dict(wh.query("select recorded_by, count(*) from analytics.email_activities "
                             "group by recorded_by"))
    hours = wh.query("select count(*) from analytics.hourly_metrics")[0][0]
    print(f"  email_activities: {recorded.get('webhook', 0):,} rows known only by webhook so far"
          f" (the next sync confirms them), {recorded.get('sync', 0):,} synced; "
          f"hourly_metrics: {hours:,} campaign-hours")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


CAMPAIGN_RATES_SQL = """
select connection, name, total_sent, reply_rate, bounce_rate, positive_rate
from analytics.campaigns
where total_sent > 0
order by reply_rate desc nulls last, name
"""
COPY_PATTERNS_SQL = """
select feature, cast(feature_value as varchar), delivered, reply_rate, lift,
       reply_rate_ci_low, reply_rate_ci_high
from analytics.copy_patterns
where pattern_rank is not null
order by pattern_rank
limit 5
"""
ALERTS_SQL = """
select entity_type, entity_name, alert_type, measured_value, threshold
from analytics.deliverability_alerts
order by entity_type, alert_type, measured_value desc
"""

# ---------------------------------------------------------------------------------------------
# sandbox, dev


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def docs(args: argparse.Namespace) -> int:
    """dbt docs for the configured warehouse: generate, then serve unless --no-serve."""
    import subprocess

    from outbound_pipeline.executables import dbt_executable
    from outbound_pipeline.settings import DBT_PROJECT_DIR
    from outbound_pipeline.warehouse import Warehouse

    settings = load_settings()
    env = {**os.environ, **Warehouse.from_url(settings.warehouse_url).dbt_env()}
    dbt = dbt_executable()
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    subprocess.run([dbt, "docs", "generate", *common], env=env, check=True)
    print(f"dbt docs written to {DBT_PROJECT_DIR / 'target' / 'index.html'}")
    if not args.no_serve:
        subprocess.run([dbt, "docs", "serve", "--port", str(args.port), *common], env=env,
                       check=True)
    return 0


def sandbox(args: argparse.Namespace) -> int:
    # SIGTERM (e.g. from a process manager) stops the simulators as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = load_settings()
    process = start_sandbox(settings, speed=args.speed, seed=args.seed)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        process.stop()
    return 0


def dev(args: argparse.Namespace) -> int:
    settings = load_settings()
    ensure_dagster_home(settings)
    keys_file = sandbox_dir(settings) / "keys.json"
    if not os.environ.get("OUTBOUND_CONNECTIONS") and keys_file.exists():
        _use_sandbox_connections(settings, json.loads(keys_file.read_text()))
        print(f"Using the sandbox connections in {sandbox_dir(settings)}")
    extra = args.dagster_args[1:] if args.dagster_args[:1] == ["--"] else args.dagster_args
    from outbound_pipeline.executables import environment_executable

    command = [environment_executable("dagster"), "dev", "-w",
               str(PROJECT_ROOT / "workspace.yaml"), *extra]
    os.execv(command[0], command)
    return 0  # pragma: no cover


def main(argv: Sequence[str] | None = None) -> int:
    from outbound_pipeline import cli_leads, cli_linkedin, cli_replies, run_recovery
    from outbound_pipeline.webhooks import serve

    parser = argparse.ArgumentParser(prog="outbound", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("demo", help="sandbox → warehouse, end to end, with a summary")
    p.add_argument("--speed", type=float, default=DEMO_SPEED,
                   help="sandbox speed factor (rate limits scaled by it)")
    p.add_argument("--days", type=int, default=DEMO_BACKFILL_DAYS,
                   help="days of daily metrics to backfill")
    p.set_defaults(func=demo)

    p = commands.add_parser("docs", help="dbt docs of the analytics tables")
    p.add_argument("--no-serve", action="store_true", help="only generate")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=docs)

    p = commands.add_parser("sandbox", help="run the platform simulators until Ctrl-C")
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=sandbox)

    p = commands.add_parser("webhooks", help="the webhook receiver")
    webhook_commands = p.add_subparsers(dest="webhooks_command", required=True)
    p = webhook_commands.add_parser(
        "serve", help="receive platform webhooks and lead intake, land them durably")
    serve.add_arguments(p)
    p.set_defaults(func=serve.run)

    cli_replies.add_arguments(commands)
    cli_leads.add_arguments(commands)
    cli_linkedin.add_arguments(commands)
    run_recovery.add_arguments(commands)

    p = commands.add_parser("dev", help="dagster dev on this project (sandbox keys if present)")
    p.add_argument("dagster_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=dev)

    args = parser.parse_args(argv)
    try:
        clock.shift_seconds()  # read once: a bad OUTBOUND_TIME_SHIFT stops here, named
    except clock.ClockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
