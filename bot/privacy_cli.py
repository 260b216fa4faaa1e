"""`apbot audit` (read the audit trail) and `apbot purge` (retention)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.runtime import open_runtime
from storage.clock import london_today
from storage.db import transaction
from storage.services.audit import Change
from storage.services.audit_trail import placement_trail
from storage.services.placements import find_by_reference
from storage.services.retention import RetentionPolicy, purge


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="read the audit trail of a placement")
    audit.add_argument("--placement", required=True, metavar="AP-XXXX")
    audit.add_argument("--json", action="store_true", help="one JSON object per entry")
    audit.set_defaults(handler=run_audit)
    purge_parser = subparsers.add_parser(
        "purge", help="remove records past their retention period (try --dry-run first)"
    )
    purge_parser.add_argument("--dry-run", action="store_true", help="only say what would go")
    purge_parser.set_defaults(handler=run_purge)


async def _audit(reference: str, as_json: bool) -> int:
    async with open_runtime() as runtime, transaction(runtime.sessions) as session:
        placement = await find_by_reference(session, reference)
        if placement is None:
            print(f"No placement {reference.upper()}.", file=sys.stderr)
            return 2
        for line in await placement_trail(session, placement, limit=100_000):
            print(json.dumps(line.__dict__, ensure_ascii=False) if as_json else line.as_text())
    return 0


def run_audit(args: argparse.Namespace) -> int:
    return asyncio.run(_audit(args.placement, args.json))


async def _purge(dry_run: bool) -> int:
    async with open_runtime() as runtime, transaction(runtime.sessions) as session:
        settings = runtime.settings
        policy = RetentionPolicy(
            attendance_years=settings.retention_attendance_years,
            safeguarding_years=settings.retention_safeguarding_years,
        )
        summary = await purge(
            session,
            Change(person_id=None, channel="cli", at=runtime.clock.now()),
            today=london_today(runtime.clock),
            policy=policy,
            dry_run=dry_run,
        )
    print(
        f"Retention: attendance {policy.attendance_years} years; safeguarding records "
        f"{policy.safeguarding_years} years after a placement ends."
    )
    print(summary.as_text())
    if dry_run and summary.total:
        print("Run `apbot purge` (without --dry-run) to remove them; the audit log records it.")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    return asyncio.run(_purge(args.dry_run))
