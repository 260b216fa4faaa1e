"""`apbot audit` (read the audit trail, verify its hash chain) and `apbot purge` (retention)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.runtime import open_runtime
from storage.clock import london_today
from storage.crypto import new_key
from storage.db import transaction
from storage.models import AuditEntry
from storage.services.audit import Change
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
    audit.set_defaults(handler=run_audit)
    purge_parser = subparsers.add_parser(
        "purge", help="remove records past their retention period (try --dry-run first)"
    )
    purge_parser.add_argument("--dry-run", action="store_true", help="only say what would go")
    purge_parser.set_defaults(handler=run_purge)
    register_keys(subparsers)


async def _audit(reference: str, as_json: bool) -> int:
    async with open_runtime() as runtime, transaction(runtime.sessions) as session:
        placement = await find_by_reference(session, reference)
        if placement is None:
            print(f"No placement {reference.upper()}.", file=sys.stderr)
            return 2
        for line in await placement_trail(session, placement, limit=100_000):
            print(json.dumps(line.__dict__, ensure_ascii=False) if as_json else line.as_text())
    return 0


async def _verify(anchors: tuple[Anchor, ...]) -> int:
    async with open_runtime() as runtime, transaction(runtime.sessions) as session:
        report = await verify_chain(session, anchors=anchors)
    print(report.as_text())
    return 0 if report.intact else 1


def run_audit(args: argparse.Namespace) -> int:
    if args.verify:
        try:
            anchors = tuple(Anchor.parse(value) for value in args.anchor)
        except ValueError as error:
            print(f"--anchor: {error}", file=sys.stderr)
            return 2
        return asyncio.run(_verify(anchors))
    if not args.placement:
        print(
            "Say which: `apbot audit --placement AP-XXXX` or `apbot audit verify`.", file=sys.stderr
        )
        return 2
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


def register_keys(subparsers: Any) -> None:
    rotate = subparsers.add_parser(
        "rotate-key",
        help="re-encrypt pupils' names and safeguarding text under the first ENCRYPTION_KEYS key",
    )
    rotate.add_argument(
        "--new-key", action="store_true", help="print a new key to put first in ENCRYPTION_KEYS"
    )
    rotate.set_defaults(handler=run_rotate_key)


async def _rotate() -> int:
    async with open_runtime() as runtime, transaction(runtime.sessions) as session:
        changed = await reencrypt(session, only_plain=False)
        session.add(
            AuditEntry(
                at=runtime.clock.now(),
                person_id=None,
                channel="cli",
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
    if args.new_key:
        print(new_key())
        print(
            "Put this key FIRST in ENCRYPTION_KEYS, keep the old key after it (comma-separated), "
            "restart the bot, then run `apbot rotate-key`.",
            file=sys.stderr,
        )
        return 0
    return asyncio.run(_rotate())


async def encrypt_plain_values() -> dict[str, int]:
    """After a migration: encrypt any value still in plain text (written before encryption)."""
    async with open_runtime() as runtime, transaction(runtime.sessions) as session:
        return await reencrypt(session, only_plain=True)
