"""`apbot marks` (register marks for the school's MIS, as CSV) and `apbot aplist` (the
inspection-ready AP list, as CSV)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from bot.admin_cli import _run
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
    marks.add_argument("--from", dest="start", required=True, help="first day, DD/MM/YYYY")
    marks.add_argument("--to", dest="end", required=True, help="last day, DD/MM/YYYY")
    marks.add_argument("--out", help="write the CSV to this file (default: print it)")
    marks.set_defaults(handler=run_marks)

    aplist = subparsers.add_parser(
        "aplist",
        help="the inspection-ready list of every AP a school uses, as CSV",
    )
    aplist.add_argument("--school", required=True, help="the school (or LA), by name or id")
    aplist.add_argument("--out", help="write the CSV to this file (default: print it)")
    aplist.set_defaults(handler=run_aplist)


class _Refused(Exception):
    """A command-line mistake, in words for the person."""


def _uk_date(text: str, what: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise _Refused(f"--{what} {text!r} is not a date like 27/11/2026.") from None


async def _commissioner(runtime: Runtime, name_or_id: str) -> Organisation:
    async with transaction(runtime.sessions) as session:
        organisation = await directory.find_organisation(session, name_or_id)
    if organisation is None or organisation.kind == OrgKind.provider:
        raise _Refused(
            f"No school or LA is called (or numbered) {name_or_id}; see `apbot orgs list`."
        )
    return organisation


def _write(text: str, out: str | None, what: str) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    Path(out).write_text(text, encoding="utf-8")
    print(f"Wrote {what} to {out}.", file=sys.stderr)


def run_marks(args: argparse.Namespace) -> int:
    """`apbot marks --school NAME --from DD/MM/YYYY --to DD/MM/YYYY [--out FILE.csv]`."""

    async def work(runtime: Runtime) -> int:
        try:
            start, end = _uk_date(args.start, "from"), _uk_date(args.end, "to")
            if end < start:
                raise _Refused("--to is before --from.")
            if (end - start).days > MAX_DAYS:
                raise _Refused(f"Please ask for at most {MAX_DAYS} days at a time.")
            school = await _commissioner(runtime, args.school)
        except _Refused as error:
            print(str(error), file=sys.stderr)
            return 2
        async with transaction(runtime.sessions) as session:
            calendar = await calendar_for(session, school.id, today=start)
            rows = await school_marks(
                session,
                school,
                start=start,
                end=end,
                today=london_today(runtime.clock),
                calendar=calendar,
            )
            text = marks_csv(rows)
        _write(text, args.out, f"{len(rows)} session marks")
        return 0

    return _run(work)


def run_aplist(args: argparse.Namespace) -> int:
    """`apbot aplist --school NAME [--out FILE.csv]`."""

    async def work(runtime: Runtime) -> int:
        try:
            school = await _commissioner(runtime, args.school)
        except _Refused as error:
            print(str(error), file=sys.stderr)
            return 2
        async with transaction(runtime.sessions) as session:
            providers = await ap_list(session, school.id, today=london_today(runtime.clock))
            text = ap_list_csv(providers)
        pupils = sum(len(p.pupils) for p in providers)
        _write(text, args.out, f"{len(providers)} provider(s), {pupils} pupil(s)")
        return 0

    return _run(work)
