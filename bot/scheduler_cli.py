"""`apbot tick`, `apbot nudges ...` and `apbot terms ...`: the scheduler from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.admin_cli import _change, _organisation, _run, _table
from bot.runtime import Runtime, open_runtime
from storage.clock import LONDON, FixedClock
from storage.db import transaction
from storage.models import OutboxMessage, OutboxStatus, Person
from storage.rules.calendar import TermDatesError, parse_term_breaks_csv
from storage.services import terms


def register(subparsers: Any) -> None:
    """Add `tick`, `nudges` and `terms` to the `apbot` command line."""
    tick = subparsers.add_parser("tick", help="run one scheduler pass (nudges, digests, delivery)")
    tick.add_argument(
        "--at", help='London time to run it as, e.g. "2026-12-01 09:31" (default now)'
    )
    tick.add_argument("--no-deliver", action="store_true", help="queue only; send nothing")
    tick.set_defaults(handler=run_tick)

    nudges = subparsers.add_parser(
        "nudges", help="what the bot has sent, is waiting to send, parked"
    )
    actions = nudges.add_subparsers(dest="nudges_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the outbox, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--status", choices=[status.value for status in OutboxStatus])
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(handler=run_nudges_list)
    retry = actions.add_parser("retry", help="send parked messages again")
    retry.add_argument("keys", nargs="*", help="keys to retry (default: every parked message)")
    retry.set_defaults(handler=run_nudges_retry)

    term_dates = subparsers.add_parser(
        "terms", help="term breaks (school holidays) per school or LA"
    )
    term_actions = term_dates.add_subparsers(dest="terms_command", metavar="ACTION", required=True)
    load = term_actions.add_parser("import", help="add breaks from a CSV: name,first_day,last_day")
    load.add_argument("file", type=Path)
    load.add_argument("--org", required=True, help="the school or LA, by name or id")
    load.set_defaults(handler=run_terms_import)
    shown = term_actions.add_parser("list", help="the configured breaks")
    shown.add_argument("--org", help="only this school or LA")
    shown.add_argument("--json", action="store_true")
    shown.set_defaults(handler=run_terms_list)


def parse_at(text: str) -> dt.datetime:
    """`2026-12-01 09:31` (or `01/12/2026 09:31`), London time."""
    for pattern in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).replace(tzinfo=LONDON)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a time I can read: write it as 2026-12-01 09:31 (London).")


def run_tick(args: argparse.Namespace) -> int:
    try:
        clock = FixedClock(parse_at(args.at)) if args.at else None
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2

    async def main() -> int:
        async with open_runtime(clock=clock) as runtime:
            # Imported here: the channels' SDKs load only for the commands that send.
            from bot.scheduler.background import deliverers_for, scheduler_for
            from bot.server import build_app

            scheduler = scheduler_for(runtime, deliverers_for(build_app(runtime), runtime))
            report = await (scheduler.evaluate() if args.no_deliver else scheduler.run_pass())
            print(f"{report.at.astimezone(LONDON):%a %d/%m/%Y %H:%M}: {report.summary()}")
            return 0

    try:
        import asyncio

        return asyncio.run(main())
    except Exception as error:  # e.g. not migrated: say so plainly
        print(f"The scheduler pass failed: {error}", file=sys.stderr)
        return 1


def _row_json(row: OutboxMessage, email: str | None) -> dict[str, Any]:
    return {
        "id": row.id,  # what a nudge's button in `apbot chat --json` names (`outbox_id`)
        "key": row.key,
        "kind": row.kind,
        "recipient": email or row.channel_ref,
        "due": row.due_at.astimezone(LONDON).isoformat(timespec="minutes"),
        "status": row.status.value,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "delivered_via": row.delivered_via,
        "sent": row.sent_at.astimezone(LONDON).isoformat(timespec="minutes")
        if row.sent_at
        else None,
    }


def run_nudges_list(args: argparse.Namespace) -> int:
    async def work(runtime: Runtime) -> int:
        async with transaction(runtime.sessions) as session:
            query = (
                select(OutboxMessage, Person.email)
                .outerjoin(Person, OutboxMessage.recipient_id == Person.id)
                .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
                .limit(max(args.limit, 1))
            )
            if args.status:
                query = query.where(OutboxMessage.status == OutboxStatus(args.status))
            rows = [_row_json(row, email) for row, email in (await session.execute(query))]
        if args.json:
            print(json.dumps(rows, indent=2))
        elif not rows:
            print("The outbox is empty.")
        else:
            print(
                _table(
                    [
                        [r["key"], r["kind"], r["recipient"] or "", r["due"], r["status"],
                         str(r["attempts"]), (r["last_error"] or "")[:60]]
                        for r in rows
                    ],
                    ["key", "kind", "recipient", "due", "status", "attempts", "last error"],
                )
            )  # fmt: skip
        return 0

    return _run(work)


def run_nudges_retry(args: argparse.Namespace) -> int:
    async def work(runtime: Runtime) -> int:
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

    return _run(work)


def run_terms_import(args: argparse.Namespace) -> int:
    try:
        breaks = parse_term_breaks_csv(args.file.read_text(encoding="utf-8-sig"))
    except OSError as error:
        print(f"Can't read {args.file}: {error.strerror}.", file=sys.stderr)
        return 1
    except TermDatesError as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return 1

    async def work(runtime: Runtime) -> int:
        async with transaction(runtime.sessions) as session:
            organisation = await _organisation(session, args.org)
            if organisation is None:
                print(f"No organisation {args.org!r}. See `apbot orgs list`.", file=sys.stderr)
                return 1
            added, known = await terms.import_breaks(
                session, _change(runtime), organisation=organisation, breaks=breaks
            )
        print(f"{organisation.name}: {added} term break(s) added, {known} already there.")
        return 0

    return _run(work)


def run_terms_list(args: argparse.Namespace) -> int:
    async def work(runtime: Runtime) -> int:
        async with transaction(runtime.sessions) as session:
            organisation = await _organisation(session, args.org) if args.org else None
            if args.org and organisation is None:
                print(f"No organisation {args.org!r}. See `apbot orgs list`.", file=sys.stderr)
                return 1
            rows = await terms.list_breaks(session, organisation.id if organisation else None)
            names = {o.id: o.name for o in [organisation] if o}
            if not names:
                from storage.models import Organisation

                ids = {r.organisation_id for r in rows}
                found = await session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
                names = {o.id: o.name for o in found}
        listed = [
            {
                "organisation": names.get(r.organisation_id, str(r.organisation_id)),
                "name": r.name,
                "first_day": r.first_day.isoformat(),
                "last_day": r.last_day.isoformat(),
            }
            for r in rows
        ]
        if args.json:
            print(json.dumps(listed, indent=2))
        elif not listed:
            print("No term breaks set. Add them with `apbot terms import FILE.csv --org NAME`.")
        else:
            print(
                _table(
                    [[b["organisation"], b["name"], f"{dt.date.fromisoformat(b['first_day']):%d/%m/%Y}",
                      f"{dt.date.fromisoformat(b['last_day']):%d/%m/%Y}"] for b in listed],
                    ["organisation", "break", "first day", "last day"],
                )
            )  # fmt: skip
        return 0

    return _run(work)
