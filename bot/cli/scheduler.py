"""`apbot tick`, `apbot nudges ...` and `apbot terms ...`: the scheduler from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.cli.common import change, london_time_option, organisation_named, read_in, table
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from dialogs.parsing import uk_date, uk_date_long
from storage.clock import LONDON, FixedClock, SystemClock, london_today
from storage.db import transaction
from storage.models import Organisation, OutboxMessage, OutboxStatus, Person, TermBreakRecord
from storage.rules.calendar import TermDatesError, parse_term_breaks_csv
from storage.services import terms
from storage.services.outbox import deliverable


def register(subparsers: Any) -> None:
    """Add `tick`, `nudges` and `terms` to the `apbot` command line."""
    tick = subparsers.add_parser("tick", help="run one scheduler pass (nudges, digests, delivery)")
    tick.add_argument(
        "--at",
        help='London time to run it as, e.g. "01/12/2026 09:31" or "2026-12-01 09:31" (default now)',
    )
    tick.add_argument("--no-deliver", action="store_true", help="queue only; send nothing")
    tick.set_defaults(handler=on_database(tick_command, clock=tick_clock))

    nudges = subparsers.add_parser(
        "nudges", help="what the bot has sent, is waiting to send, parked"
    )
    actions = nudges.add_subparsers(dest="nudges_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the outbox, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--status", choices=[status.value for status in OutboxStatus])
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(handler=on_database(list_outbox))
    retry = actions.add_parser("retry", help="send parked messages again")
    retry.add_argument("keys", nargs="*", help="keys to retry (default: every parked message)")
    retry.set_defaults(handler=on_database(retry_parked))

    term_dates = subparsers.add_parser(
        "terms", help="term breaks (school holidays) per school or LA"
    )
    term_actions = term_dates.add_subparsers(dest="terms_command", metavar="ACTION", required=True)
    load = term_actions.add_parser("import", help="add breaks from a CSV: name,first_day,last_day")
    load.add_argument("file", type=Path)
    load.add_argument("--org", required=True, help="the school or LA, by name or id")
    load.set_defaults(handler=on_database(import_term_breaks))
    shown = term_actions.add_parser("list", help="the configured breaks")
    shown.add_argument("--org", help="only this school or LA")
    shown.add_argument("--json", action="store_true")
    shown.set_defaults(handler=on_database(list_term_breaks))


def tick_clock(args: argparse.Namespace) -> FixedClock | None:
    """`--at`: the pass runs as if at that London time (None: now)."""
    if args.at is None:
        return None
    today = london_today(SystemClock())
    return FixedClock(london_time_option(args.at, "at", today=today))


async def tick_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot tick [--at "01/12/2026 09:31"] [--no-deliver]`."""
    # Imported here: the channels' SDKs load only for the commands that send.
    from bot.scheduler.background import deliverers_for, scheduler_for
    from bot.server import build_app

    scheduler = scheduler_for(runtime, deliverers_for(build_app(runtime), runtime))
    report = await (scheduler.evaluate() if args.no_deliver else scheduler.run_pass())
    at = report.at.astimezone(LONDON)
    print(f"{uk_date_long(at.date())} {at:%H:%M}: {report.summary()}")
    return 0


def _row_json(row: OutboxMessage, email: str | None, released: bool = True) -> dict[str, Any]:
    return {
        "id": row.id,  # what a nudge's button in `apbot chat --json` names (`outbox_id`)
        "key": row.key,
        "kind": row.kind,
        "recipient": email or row.channel_ref,
        "due": row.due_at.astimezone(LONDON).isoformat(timespec="minutes"),
        "status": row.status.value,
        # A reminder prepared ahead and not yet reconciled at the reminder time: not sent or
        # shown until then, and it may still be withdrawn (storage.services.reminder_preparation).
        "held": row.status == OutboxStatus.pending and not released,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "delivered_via": row.delivered_via,
        "sent": row.sent_at.astimezone(LONDON).isoformat(timespec="minutes")
        if row.sent_at
        else None,
    }


async def list_outbox(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot nudges list [--json] [--status S] [--limit N]`."""
    async with transaction(runtime.sessions) as session:
        query = (
            select(OutboxMessage, Person.email, deliverable())
            .outerjoin(Person, OutboxMessage.recipient_id == Person.id)
            .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
            .limit(max(args.limit, 1))
        )
        if args.status:
            query = query.where(OutboxMessage.status == OutboxStatus(args.status))
        rows = [
            _row_json(row, email, bool(released))
            for row, email, released in (await session.execute(query))
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("The outbox is empty.")
    else:
        print(
            table(
                [
                    [r["key"], r["kind"], r["recipient"] or "", r["due"],
                     "held" if r["held"] else r["status"],
                     str(r["attempts"]), (r["last_error"] or "")[:60]]
                    for r in rows
                ],
                ["key", "kind", "recipient", "due", "status", "attempts", "last error"],
            )
        )  # fmt: skip
    return 0


async def retry_parked(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot nudges retry [KEY ...]`."""
    async with transaction(runtime.sessions) as session:
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.parked)
            .values(status=OutboxStatus.pending, attempts=0, next_attempt_at=None)
        )
        if args.keys:
            statement = statement.where(OutboxMessage.key.in_(args.keys))
        count = (await session.execute(statement)).rowcount  # type: ignore[attr-defined]
    print(f"{count} parked message(s) will be sent again on the next pass.")
    return 0


async def import_term_breaks(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot terms import FILE.csv --org NAME`."""
    try:
        breaks = parse_term_breaks_csv(read_in(args.file))
    except TermDatesError as error:
        raise Refused(f"{args.file}: {error}") from None
    async with transaction(runtime.sessions) as session:
        organisation = await organisation_named(session, args.org)
        added, known = await terms.import_breaks(
            session, change(runtime), organisation=organisation, breaks=breaks
        )
    print(f"{organisation.name}: {added} term break(s) added, {known} already there.")
    return 0


async def list_term_breaks(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot terms list [--org NAME] [--json]`."""
    async with transaction(runtime.sessions) as session:
        organisation = await organisation_named(session, args.org) if args.org else None
        rows = await terms.list_breaks(session, organisation.id if organisation else None)
        names = {o.id: o.name for o in [organisation] if o}
        if not names:
            ids = {r.organisation_id for r in rows}
            found = await session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
            names = {o.id: o.name for o in found}

    def organisation_of(row: TermBreakRecord) -> str:
        return names.get(row.organisation_id, str(row.organisation_id))

    if args.json:
        listed = [
            {
                "organisation": organisation_of(r),
                "name": r.name,
                "first_day": r.first_day.isoformat(),
                "last_day": r.last_day.isoformat(),
            }
            for r in rows
        ]
        print(json.dumps(listed, indent=2))
    elif not rows:
        print("No term breaks set. Add them with `apbot terms import FILE.csv --org NAME`.")
    else:
        print(
            table(
                [[organisation_of(r), r.name, uk_date(r.first_day), uk_date(r.last_day)]
                 for r in rows],
                ["organisation", "break", "first day", "last day"],
            )
        )  # fmt: skip
    return 0
