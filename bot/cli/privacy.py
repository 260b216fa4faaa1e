"""`apbot audit` (read the audit trail, verify its hash chain) and `apbot purge` (retention)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.common import CHANNEL, change
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from storage.clock import london_today
from storage.crypto import new_key
from storage.db import transaction
from storage.models import AuditEntry
from storage.services.audit_chain import Anchor, verify_chain
from storage.services.audit_trail import placement_trail
from storage.services.encryption import reencrypt
from storage.services.placements import find_by_reference
from storage.services.retention import RetentionPolicy, purge


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser(
        "audit",
        help="read the audit trail of a placement (--placement), or check the log's hash chain "
        "(`apbot audit verify`)",
    )
    audit.add_argument(
        "verify",
        nargs="?",
        choices=["verify"],
        help="walk the hash chain; exit code 1 and the first broken row if it was tampered with",
    )
    audit.add_argument("--placement", metavar="AP-XXXX")
    audit.add_argument("--json", action="store_true", help="one JSON object per entry")
    audit.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="with verify: a head printed by an earlier verify, kept off the server; the chain "
        "must still pass through it (repeatable)",
    )
    audit.set_defaults(handler=on_database(audit_command))
    purge_parser = subparsers.add_parser(
        "purge", help="remove records past their retention period (try --dry-run first)"
    )
    purge_parser.add_argument("--dry-run", action="store_true", help="only say what would go")
    purge_parser.set_defaults(handler=on_database(purge_command))
    register_keys(subparsers)


async def audit_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot audit --placement AP-XXXX [--json]` or `apbot audit verify [--anchor SEQ:HASH]`."""
    if args.verify:
        try:
            anchors = tuple(Anchor.parse(value) for value in args.anchor)
        except ValueError as error:
            raise Refused(f"--anchor: {error}") from None
        async with transaction(runtime.sessions) as session:
            report = await verify_chain(session, anchors=anchors)
        print(report.as_text())
        return 0 if report.intact else 1
    if not args.placement:
        raise Refused("Say which: `apbot audit --placement AP-XXXX` or `apbot audit verify`.")
    async with transaction(runtime.sessions) as session:
        placement = await find_by_reference(session, args.placement)
        if placement is None:
            raise Refused(f"No placement {args.placement.upper()}.")
        for line in await placement_trail(session, placement, limit=100_000):
            print(json.dumps(line.__dict__, ensure_ascii=False) if args.json else line.as_text())
    return 0


async def purge_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot purge [--dry-run]`."""
    settings = runtime.settings
    policy = RetentionPolicy(
        attendance_years=settings.retention_attendance_years,
        safeguarding_years=settings.retention_safeguarding_years,
    )
    async with transaction(runtime.sessions) as session:
        summary = await purge(
            session,
            change(runtime),
            today=london_today(runtime.clock),
            policy=policy,
            dry_run=args.dry_run,
        )
    print(
        f"Retention: attendance {policy.attendance_years} years; safeguarding records "
        f"{policy.safeguarding_years} years after a placement ends."
    )
    print(summary.as_text())
    if args.dry_run and summary.total:
        print("Run `apbot purge` (without --dry-run) to remove them; the audit log records it.")
    return 0


def register_keys(subparsers: Any) -> None:
    rotate = subparsers.add_parser(
        "rotate-key",
        help="re-encrypt pupils' names and safeguarding text under the first ENCRYPTION_KEYS key",
    )
    rotate.add_argument(
        "--new-key", action="store_true", help="print a new key to put first in ENCRYPTION_KEYS"
    )
    rotate.set_defaults(handler=run_rotate_key)


async def rotate_key(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot rotate-key`: every encrypted value rewritten under the first key."""
    async with transaction(runtime.sessions) as session:
        changed = await reencrypt(session, only_plain=False)
        session.add(
            AuditEntry(
                at=runtime.clock.now(),
                person_id=None,
                channel=CHANNEL,
                action="rotated",
                record_type="EncryptionKey",
                record_id=0,
                placement_id=None,
                changes={"rewritten": changed},
            )
        )
    total = sum(changed.values())
    print(f"Re-encrypted {total} value(s) under the current key.")
    print("Once this has run everywhere, the old key can be removed from ENCRYPTION_KEYS.")
    return 0


def run_rotate_key(args: argparse.Namespace) -> int:
    """`apbot rotate-key --new-key` needs no database (nor a key): it makes the first one."""
    if args.new_key:
        print(new_key())
        print(
            "Put this key FIRST in ENCRYPTION_KEYS, keep the old key after it (comma-separated), "
            "restart the bot, then run `apbot rotate-key`.",
            file=sys.stderr,
        )
        return 0
    return on_database(rotate_key)(args)
