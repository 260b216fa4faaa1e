"""`apbot marks` (a school's register marks for its MIS, as CSV) and `apbot aplist` (its
inspection-ready AP list, as CSV)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import day_option, write_out
from bot.cli.runner import Refused, on_database
from bot.runtime import Runtime
from storage.clock import london_today
from storage.db import transaction
from storage.models import Organisation, OrgKind
from storage.services import directory
from storage.services.aplist import ap_list, ap_list_csv
from storage.services.marks import marks_csv, school_marks
from storage.services.terms import calendar_for

MAX_DAYS = 400


def register(subparsers: Any) -> None:
    """Add `marks` and `aplist` to the `apbot` command line."""
    marks = subparsers.add_parser(
        "marks",
        help="register marks for a school's pupils in AP, as CSV for its MIS",
        description="Per pupil in AP, per school day and session, the mark to enter in the "
        "school's register: B/D/K when the provider confirmed attendance, the absence code "
        "otherwise, '-' when the provider never reported.",
    )
    marks.add_argument("--school", required=True, help="the school (or LA), by name or id")
    marks.add_argument("--from", dest="start", required=True, help="first day, e.g. 23/11/2026")
    marks.add_argument("--to", dest="end", required=True, help="last day, e.g. 27/11/2026")
    marks.add_argument("--out", help="write the CSV to this file (default: print it)")
    marks.set_defaults(handler=on_database(marks_command))

    aplist = subparsers.add_parser(
        "aplist",
        help="the inspection-ready list of every AP a school uses, as CSV",
    )
    aplist.add_argument("--school", required=True, help="the school (or LA), by name or id")
    aplist.add_argument("--out", help="write the CSV to this file (default: print it)")
    aplist.set_defaults(handler=on_database(aplist_command))


async def _commissioner(runtime: Runtime, name_or_id: str) -> Organisation:
    """The school (or LA) named on the command line: a provider commissions nothing."""
    async with transaction(runtime.sessions) as session:
        organisation = await directory.find_organisation(session, name_or_id)
    if organisation is None or organisation.kind == OrgKind.provider:
        raise Refused(
            f"No school or LA is called (or numbered) {name_or_id}; see `apbot orgs list`."
        )
    return organisation


async def marks_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot marks --school NAME --from DD/MM/YYYY --to DD/MM/YYYY [--out FILE.csv]`."""
    today = london_today(runtime.clock)
    start = day_option(args.start, "from", today=today)
    end = day_option(args.end, "to", today=today)
    if end < start:
        raise Refused("--to is before --from.")
    if (end - start).days > MAX_DAYS:
        raise Refused(f"Please ask for at most {MAX_DAYS} days at a time.")
    school = await _commissioner(runtime, args.school)
    async with transaction(runtime.sessions) as session:
        calendar = await calendar_for(session, school.id, today=start)
        rows = await school_marks(
            session, school, start=start, end=end, today=today, calendar=calendar
        )
        text = marks_csv(rows)
    write_out(text, args.out, f"{len(rows)} session marks")
    return 0


async def aplist_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot aplist --school NAME [--out FILE.csv]`."""
    school = await _commissioner(runtime, args.school)
    async with transaction(runtime.sessions) as session:
        providers = await ap_list(session, school.id, today=london_today(runtime.clock))
        text = ap_list_csv(providers)
    pupils = sum(len(p.pupils) for p in providers)
    write_out(text, args.out, f"{len(providers)} provider(s), {pupils} pupil(s)")
    return 0
