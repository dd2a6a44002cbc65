"""``outbound leads``: import a CSV, push, inspect and retry leads on the configured warehouse.

- ``import FILE.csv [--organization ORG] [--push]``: the rows go through the health gate and
  the routing rules into ``ops.leads`` (a bad row stops the import, nothing is stored, every bad
  line is named); ``--push`` runs ``push_leads`` right after.
- ``push``: runs ``push_leads`` now (intake, routing, push, retries that are due).
- ``status``: lead counts by status, and the latest audit entries of failed leads.
- ``retry [LEAD_ID ...]``: FAILED leads (all, or these) back to HELD, then ``push_leads``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_arguments(commands: Any) -> None:
    p = commands.add_parser("leads", help="lead intake, routing and pushes")
    sub = p.add_subparsers(dest="leads_command", required=True)
    i = sub.add_parser("import", help="import leads from a CSV file into ops.leads")
    i.add_argument("file", type=Path)
    i.add_argument("--organization", default=None,
                   help="organization of rows without one (default: 'default')")
    i.add_argument("--push", action="store_true", help="run push_leads after the import")
    i.set_defaults(func=import_csv)
    sub.add_parser("push", help="run push_leads now").set_defaults(func=push)
    sub.add_parser("status", help="lead counts by status").set_defaults(func=status)
    r = sub.add_parser("retry", help="FAILED leads back to HELD, then push_leads")
    r.add_argument("lead_ids", nargs="*", help="only these leads (default: every FAILED one)")
    r.set_defaults(func=retry)


def _warehouse():
    from outbound_pipeline.settings import load_settings
    from outbound_pipeline.warehouse import Warehouse

    return Warehouse.from_url(load_settings().warehouse_url)


def _run_push() -> dict[str, Any]:
    from dagster import DagsterInstance

    from outbound_pipeline.cli import _run_job, ensure_dagster_home
    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline.settings import load_settings

    settings = load_settings()
    ensure_dagster_home(settings)
    with DagsterInstance.get() as instance:
        return _run_job(build_definitions(settings), "push_leads", instance)


def import_csv(args: argparse.Namespace) -> int:
    from outbound_pipeline.lead_store import import_leads
    from outbound_pipeline.routing.leads import LeadInputError, leads_from_csv

    try:
        leads = leads_from_csv(args.file.read_text(encoding="utf-8-sig"), source="csv",
                               organization=args.organization)
    except (OSError, LeadInputError) as exc:
        print(f"outbound leads import: {exc}", file=sys.stderr)
        return 2
    result = import_leads(_warehouse(), leads)
    print(f"{result.received:,} rows: {result.new:,} new leads ({result.assigned:,} assigned, "
          f"{result.unassigned:,} in the holding pool, {result.blocked:,} blocked), "
          f"{result.received - result.new:,} already imported")
    if args.push:
        return push(args)
    return 0


def push(args: argparse.Namespace) -> int:
    _run_push()
    return status(args)


def status(args: argparse.Namespace) -> int:
    from outbound_pipeline.lead_store import LEADS, status_counts

    wh = _warehouse()
    counts = status_counts(wh)
    if not counts:
        print("no leads yet")
        return 0
    print("leads by status (ops.leads): " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    if counts.get("FAILED"):
        rows = wh.query(
            f"select l.lead_id, l.email, l.last_error from {LEADS} l where l.status = 'FAILED' "
            f"order by l.updated_at desc limit 10")
        print("latest FAILED (ops.lead_audit_log has every step):")
        for lead_id, address, error in rows:
            print(f"  {lead_id}  {address}  {error}")
    return 0


def retry(args: argparse.Namespace) -> int:
    from outbound_pipeline.lead_store import retry_failed

    count = retry_failed(_warehouse(), args.lead_ids or None)
    print(f"{count:,} FAILED leads back to HELD")
    return push(args)
