"""``outbound linkedin``: campaigns, enrolment, status and a run of ``linkedin_steps``.

- ``campaigns FILE.yaml [--check]``: validates the accounts and campaigns file and stores it in
  ``ops`` (``--check`` only validates). Every problem is listed with its place in the file.
- ``enrol CAMPAIGN FILE.csv`` (or ``--table schema.table``): enrols the rows (``linkedin_url``
  or ``public_identifier`` / ``provider_id`` / ``member_id``, plus ``first_name``, ``company``,
  ... and any column a template uses). Refused rows are listed; the others are enrolled once.
- ``status [--now ISO]``: leads per campaign and status, and each account's use of its limits on
  its local day (today, or at ``--now``: an instant with its offset, or a date).
- ``run [--now ISO] [--no-poll]``: runs ``linkedin_steps`` now.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from datetime import date, datetime
from pathlib import Path

from outbound_pipeline import clock


def add_arguments(commands) -> None:
    p = commands.add_parser("linkedin", help="LinkedIn campaigns, enrolment and steps")
    sub = p.add_subparsers(dest="linkedin_command", required=True)
    c = sub.add_parser("campaigns", help="validate and store the campaigns file in ops")
    c.add_argument("file", type=Path)
    c.add_argument("--check", action="store_true", help="only validate")
    c.set_defaults(func=campaigns)
    e = sub.add_parser("enrol", help="enrol leads from a CSV file into a campaign")
    e.add_argument("campaign_id")
    e.add_argument("file", type=Path, nargs="?", help="a CSV file with a header row")
    e.add_argument("--table", help="a warehouse table or view instead, e.g. staging.my_leads")
    e.set_defaults(func=enrol)
    t = sub.add_parser("status", help="leads by status, today's limit use")
    t.add_argument("--now", default="", help="count the limits' use on each account's local "
                   "day at this ISO-8601 instant, or on this date (YYYY-MM-DD)")
    t.set_defaults(func=status)
    r = sub.add_parser("run", help="run linkedin_steps now")
    r.add_argument("--now", default="", help="act as of this ISO-8601 instant (sandbox)")
    r.add_argument("--no-poll", action="store_true", help="webhooks only, no polling")
    r.set_defaults(func=run)


def _warehouse():
    from outbound_pipeline.settings import load_settings
    from outbound_pipeline.warehouse import Warehouse

    return Warehouse.from_url(load_settings().warehouse_url)


def campaigns(args: argparse.Namespace) -> int:
    from outbound_pipeline.linkedin.campaign import CampaignError, load_campaigns
    from outbound_pipeline.linkedin_store import save_campaigns

    try:
        file = load_campaigns(args.file.read_text(encoding="utf-8"), str(args.file))
    except (OSError, CampaignError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.file}: {len(file.accounts)} accounts, {len(file.campaigns)} campaigns "
          "are valid")
    if not args.check:
        save_campaigns(_warehouse(), file)
        print("stored in ops.linkedin_accounts and ops.linkedin_campaigns")
    return 0


def enrol(args: argparse.Namespace) -> int:
    from outbound_pipeline.linkedin_store import enrol_leads

    warehouse = _warehouse()
    if (args.file is None) == (args.table is None):
        print("error: give a CSV file or --table, not both", file=sys.stderr)
        return 2
    if args.table is not None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", args.table):
            print(f"error: --table must be a table name like staging.my_leads, got "
                  f"{args.table!r}", file=sys.stderr)
            return 2
        with warehouse.connect() as con:
            cur = con.execute(f"select * from {args.table}")
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    else:
        try:
            text = args.file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        rows = list(csv.DictReader(io.StringIO(text)))
    try:
        result = enrol_leads(warehouse, args.campaign_id, rows)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{result.enrolled} enrolled, {result.already_enrolled} already enrolled, "
          f"{len(result.refused)} refused")
    for problem in result.refused:
        print(f"  refused {problem}")
    return 1 if result.refused and not result.enrolled else 0


def _as_of(text: str) -> datetime | date:
    """``--now``: an ISO-8601 instant with its offset (each account's local day at that
    instant) or a date (that day for every account); the clock's now when empty."""
    if not text:
        return clock.now()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--now must be an ISO-8601 instant or a date, got {text!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"--now needs a UTC offset, e.g. {text}+00:00 (or give a date)")
    return parsed


def status(args: argparse.Namespace) -> int:
    from outbound_pipeline.linkedin_run import account_day
    from outbound_pipeline.linkedin_store import status_counts, stored_accounts, usage

    try:
        as_of = _as_of(getattr(args, "now", ""))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wh = _warehouse()
    counts = status_counts(wh)
    if not counts:
        print("no LinkedIn leads enrolled")
    for campaign_id, by_status in counts.items():
        print(f"{campaign_id}: " + ", ".join(f"{k} {v:,}" for k, v in by_status.items()))
    for account in stored_accounts(wh).values():
        day = account_day(account, as_of) if isinstance(as_of, datetime) else as_of
        used = usage(wh, account.account_id, day)
        print(f"account {account.account_id} ({day}, {account.timezone}): invites "
              f"{used['invite']}/{account.daily_invite_limit}, messages "
              f"{used['message']}/{account.daily_message_limit}")
    return 0


def run(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from outbound_pipeline.cli import _run_job, ensure_dagster_home
    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline.settings import load_settings

    settings = load_settings()
    ensure_dagster_home(settings)
    config = {"now": args.now, "poll": not args.no_poll}
    with DagsterInstance.get() as instance:
        mats = _run_job(build_definitions(settings), "linkedin_steps", instance, run_config={
            "ops": {"detect_linkedin_activity": {"config": config}}})
    print(f"linkedin_steps finished ({len(mats)} tables updated)")
    return status(args)
