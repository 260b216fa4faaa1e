"""Register marks for the school's MIS: for each pupil in AP, each school day and session, the
mark the school should enter in its own register.

The mark of each session and how it counts are decided in ONE place,
`storage.rules.attendance.session_mark` (read its module docstring for the definition); this
module reads the records and the history, and writes the CSV.

- a weekend is not a session (no row);
- a bank holiday or term break: no mark, "school closed";
- the provider reported the session: present, or late before the register closed (L), is the
  placement's own code (B, D or K); absent, or late after the register closed (U), is the
  absence code reported (or the final code it was changed to); every session of a D placement
  shows D (the other school keeps that register);
- the provider never said: `-` "no report from provider" (never shown as attended); today,
  "not reported yet";
- a weekday the pupil is not timetabled at the provider: no mark, the school's own register
  decides, except a weekday the agreed part-time timetable leaves out (no education planned
  at the provider, at school or at another provider), within its agreed dates: C2 (leave of
  absence for a pupil on a part-time timetable). Never C2 after the time limit, nor for a
  part-time week nobody agreed with a parent, nor for a missed session at the provider;
- a day still to come: no mark.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Task, roles_for
from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    Organisation,
    Person,
    Placement,
    PlacementStatus,
    RegisterSession,
)
from storage.rules import attendance, codes
from storage.rules.attendance import NO_REPORT, AttendanceFigures, MarkKind, Report
from storage.rules.calendar import SchoolCalendar
from storage.services.part_time import agreements_for

__all__ = ["NO_REPORT", "AttendanceFigures", "MarkKind", "SessionMark", "attendance_rate"]

MARK_ROLES = roles_for(Task.see_marks)


@dataclass(frozen=True)
class SessionMark:
    """One pupil's mark for one session, and why."""

    placement: Placement
    date: dt.date
    session: RegisterSession
    mark: str
    kind: MarkKind
    note: str
    record: AttendanceRecord | None = None
    reported_by: str | None = None
    history: str = ""
    # How the session counts in the attendance figures (None: not a session at the provider).
    counting: str | None = None

    @property
    def attended(self) -> bool:
        return self.counting == "attended"


def can_see_marks(person: Person, school_id: int) -> bool:
    """Register marks are for the commissioning school's own staff (or the LA's officers, for
    the placements the LA commissions): never a provider, never another school."""
    return person.active and person.role in MARK_ROLES and person.organisation_id == school_id


def in_placement(placement: Placement, date: dt.date) -> bool:
    """Whether the pupil was on this placement that day (from its start to its end, if any)."""
    return placement.start_date <= date and (
        placement.ended_on is None or date <= placement.ended_on
    )


def report_of(record: AttendanceRecord | None) -> Report | None:
    """A stored record as the plain report the attendance rules read."""
    if record is None:
        return None
    return Report(status=record.status.value, code=record.code)


async def marks_for(
    session: AsyncSession,
    placements: Sequence[Placement],
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    calendar: SchoolCalendar | None = None,
) -> list[SessionMark]:
    """Every weekday session of these placements from `start` to `end`, by pupil then date."""
    calendar = calendar or SchoolCalendar()
    ids = [p.id for p in placements]
    if not ids:
        return []
    records = {
        (r.placement_id, r.date, r.session): r
        for r in await session.scalars(
            select(AttendanceRecord).where(
                AttendanceRecord.placement_id.in_(ids),
                AttendanceRecord.date >= start,
                AttendanceRecord.date <= end,
            )
        )
    }
    agreements = await agreements_for(session, ids)
    names = await _reporters(session, {r.reported_by_id for r in records.values()})
    history = await _history(session, [r.id for r in records.values()])
    rows: list[SessionMark] = []
    for placement in placements:
        day = start
        while day <= end:
            if day.weekday() < 5 and in_placement(placement, day):
                for which in RegisterSession:
                    record = records.get((placement.id, day, which))
                    found = attendance.session_mark(
                        placement,
                        day,
                        report_of(record),
                        calendar=calendar,
                        today=today,
                        part_time=agreements.get(placement.id),
                    )
                    rows.append(
                        SessionMark(
                            placement=placement,
                            date=day,
                            session=which,
                            mark=found.mark,
                            kind=found.kind,
                            note=found.note,
                            record=record,
                            reported_by=names.get(record.reported_by_id) if record else None,
                            history=history.get(record.id, "") if record else "",
                            counting=found.counting,
                        )
                    )
            day += dt.timedelta(days=1)
    return rows


async def _reporters(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {pid: name for pid, name in rows.all()}


async def _history(session: AsyncSession, record_ids: list[int]) -> dict[int, str]:
    """Record id -> its changes in words, e.g. "N→I (welfare call, 27/11/2026 11:30)"."""
    if not record_ids:
        return {}
    rows = await session.scalars(
        select(AttendanceChange)
        .where(AttendanceChange.attendance_id.in_(record_ids))
        .order_by(AttendanceChange.changed_at, AttendanceChange.id)
    )
    found: dict[int, list[str]] = {}
    for change in rows:
        when = change.changed_at.astimezone(LONDON)
        found.setdefault(change.attendance_id, []).append(
            f"{change.from_code}→{change.to_code} ({change.source.replace('_', ' ')}, "
            f"{when:%d/%m/%Y %H:%M})"
        )
    return {rid: "; ".join(lines) for rid, lines in found.items()}


async def school_placements(
    session: AsyncSession, school_id: int, *, start: dt.date, end: dt.date
) -> list[Placement]:
    """The school's placements (active or ended) that overlap the dates, by reference."""
    rows = await session.scalars(
        select(Placement)
        .where(
            Placement.commissioner_id == school_id,
            Placement.status != PlacementStatus.draft,
            Placement.start_date <= end,
            or_(Placement.ended_on.is_(None), Placement.ended_on >= start),
        )
        .order_by(Placement.reference)
    )
    return list(rows.unique())


async def school_marks(
    session: AsyncSession,
    school: Organisation,
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    calendar: SchoolCalendar | None = None,
) -> list[SessionMark]:
    """Every session of every pupil the school has in AP from `start` to `end`."""
    placements = await school_placements(session, school.id, start=start, end=end)
    return await marks_for(
        session, placements, start=start, end=end, today=today, calendar=calendar
    )


CSV_COLUMNS = (
    "date",
    "day",
    "session",
    "upn",
    "pupil",
    "year_group",
    "reference",
    "provider",
    "mark",
    "mark_meaning",
    "what_happened",
    "reported_by",
    "reported_at",
    "changes",
)


def mark_meaning(mark: str) -> str:
    """What a mark in the CSV means, in words."""
    if mark == NO_REPORT:
        return "No report from provider (not a register code: do not record as attended)"
    if not mark:
        return ""
    return codes.get(mark).meaning if mark in codes.all_codes() else ""


def marks_csv(rows: Sequence[SessionMark]) -> str:
    """The marks as CSV an attendance officer can key or import (dates DD/MM/YYYY)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        pupil = row.placement.pupil
        record = row.record
        writer.writerow(
            [
                f"{row.date:%d/%m/%Y}",
                f"{row.date:%a}",
                row.session.value,
                pupil.upn or "",
                pupil.full_name,
                pupil.year_group,
                row.placement.reference,
                row.placement.provider.name,
                row.mark,
                mark_meaning(row.mark),
                row.note,
                row.reported_by or "",
                f"{record.reported_at.astimezone(LONDON):%d/%m/%Y %H:%M}" if record else "",
                row.history,
            ]
        )
    return out.getvalue()


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and Friday of the week `day` falls in."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=4)


def attendance_rate(rows: Sequence[SessionMark]) -> AttendanceFigures:
    """Attendance at the provider over these marks, by the one definition
    (`storage.rules.attendance`). A session without a report is never counted as attended."""
    return attendance.figures(row.counting for row in rows)
