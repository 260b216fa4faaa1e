"""`apbot census --term autumn-2026 --school NAME [--out FILE.csv]`: the school census's AP
placement records for one school, as a CSV for its MIS."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import change, organisation_named
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import OrgKind
from storage.rules.census import CensusTermError, parse_term
from storage.services.audit import audit
from storage.services.census import COLUMNS, census_records


def register(subparsers: Any) -> None:
    census = subparsers.add_parser(
        "census",
        help="the school census's AP placement records for a school and census term, as CSV",
    )
    census.add_argument(
        "--term",
        required=True,
        help="the census: autumn-2026 (October 2026), spring-2027 (January), summer-2027 (May)",
    )
    census.add_argument("--school", required=True, help="the school, by name or id")
    census.add_argument("--out", type=Path, help="the CSV file to write (default: print it)")
    census.set_defaults(handler=on_database(census_command))


async def census_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """Write the records; say how many, for which period, and what the MIS still needs keyed."""
    try:
        period = parse_term(args.term)
    except CensusTermError as error:
        raise Refused(f"--term: {error}") from None
    async with transaction(runtime.sessions) as session:
        school = await organisation_named(session, args.school)
        if school.kind != OrgKind.school:
            raise Refused(
                f"{school.name} is not a school: the census's AP placement records are a "
                "school's (give the commissioning school's name)."
            )
        records = await census_records(session, school=school, period=period)
        rows = [record.row() for record in records]
        # The pupils' names and UPNs leave the bot in this file: a line in the audit log.
        await audit(
            session,
            change(runtime),
            action="census_exported",
            record=school,
            changes={
                "census": period.name,
                "placements": [record.placement.reference for record in records],
            },
        )
        name = school.name
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    missing_reason = sum(1 for row in rows if not row["reason"])
    said = (
        f"{len(rows)} AP placement record{'' if len(rows) == 1 else 's'} for {name}, "
        f"{period.name} (placements open from {period.first_day:%d/%m/%Y} to census day "
        f"{period.census_day:%d/%m/%Y})"
    )
    if args.out is None:
        sys.stdout.write(buffer.getvalue())
        print(f"{said}.", file=sys.stderr)
    else:
        args.out.write_text(buffer.getvalue(), encoding="utf-8")
        print(f"Wrote {said} to {args.out}.")
    if missing_reason:
        print(
            f"{missing_reason} without a reason for placement: key it in the MIS "
            "(see docs/reports.md).",
            file=sys.stderr,
        )
    return 0
