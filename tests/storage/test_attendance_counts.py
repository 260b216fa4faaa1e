"""The digests' attendance, counted by the database (`read_attendance`), is the one
definition's (`placement_figures` over the marks one by one), on a seeded world: random marks,
sessions never reported, U (late after the register closed) and unknown codes, a D placement,
a part-week timetable, a school's break that the other school does not share, and reports on
days that are not sessions (a weekend, a day off the timetable, a closed day)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from storage.clock import FixedClock
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    Placement,
    RegisterSession,
    TermBreakRecord,
)
from storage.rules.attendance import Report, placement_figures, recent_window
from storage.services.attendance_counts import read_attendance
from storage.services.terms import calendars_for
from tests.support.database import Database
from tests.support.factories import build_world, place

# (status, code): what a provider may report, with U and a code we do not know.
REPORTS = [
    ("present", "B"),
    ("present", "B"),
    ("late", "L"),
    ("late", "U"),
    ("absent", "N"),
    ("absent", "I"),
    ("absent", "U"),
    ("absent", "G"),
    ("absent", "X"),
    ("absent", "M"),
    ("absent", "Q9"),
]
SCHOOL_BREAK = (dt.date(2026, 11, 16), dt.date(2026, 11, 17))


@pytest.mark.breaks_invariants  # reports on a weekend and a closed day, on purpose
async def test_counted_by_the_database_as_by_the_definition(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    today = clock.now().date()  # Friday 27/11/2026, 10:00
    first, _ = recent_window(today)
    seeded = random.Random(20261127)
    async with db.sessions() as session, session.begin():
        full = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=first - dt.timedelta(days=10),
        )
        part_week = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 11),
            days=("mon", "wed", "fri"),
            provider_hours="15",
            school_hours="10",
        )
        elsewhere = await place(
            session,
            clock,
            by=world.other_teacher,
            pupil=world.other_pupil,
            provider=world.provider,
            start=first,
        )
        dual = await place(
            session,
            clock,
            by=world.other_teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=first,
        )
        dual.attendance_code = "D"  # registered at another school too: not counted
        session.add(
            TermBreakRecord(
                organisation_id=world.school.id,
                name="INSET days",
                first_day=SCHOOL_BREAK[0],
                last_day=SCHOOL_BREAK[1],
                created_at=clock.now(),
            )
        )
        placements = [full, part_week, elsewhere, dual]
        day = first - dt.timedelta(days=3)  # the weekend before the window too
        while day <= today:
            for p in placements:
                for which in (RegisterSession.am, RegisterSession.pm):
                    if (day == today and which == RegisterSession.pm) or seeded.random() < 0.15:
                        continue  # not reported (yet)
                    status, code = seeded.choice(REPORTS)
                    session.add(
                        AttendanceRecord(
                            placement_id=p.id,
                            date=day,
                            session=which,
                            status=AttendanceStatus(status),
                            code=code,
                            reported_by_id=world.provider_staff.id,
                            reported_at=clock.now(),
                        )
                    )
            day += dt.timedelta(days=1)

    async with db.sessions() as session:
        placements = list(
            await session.scalars(
                select(Placement).where(Placement.id.in_([p.id for p in placements]))
            )
        )
        calendars = await calendars_for(
            session, {world.school.id, world.other_school.id}, today=today
        )
        by_placement = {p.id: calendars[p.commissioner_id] for p in placements}
        assert calendars[world.school.id].reason_closed(SCHOOL_BREAK[0]) is not None
        assert calendars[world.other_school.id].reason_closed(SCHOOL_BREAK[0]) is None
        counted = await read_attendance(session, placements, calendars=by_placement, today=today)
        marks: dict[int, dict[tuple[dt.date, str], Report]] = {}
        for record in await session.scalars(
            select(AttendanceRecord).where(
                AttendanceRecord.date >= first, AttendanceRecord.date <= today
            )
        ):
            marks.setdefault(record.placement_id, {})[(record.date, record.session.value)] = Report(
                record.status.value, record.code
            )

    one_by_one = {
        p.id: placement_figures(
            p, marks.get(p.id, {}), start=first, end=today, today=today, calendar=by_placement[p.id]
        )
        for p in placements
    }
    assert counted == one_by_one
    # What the seed gave: every kind of session, U as unauthorised, D's sessions not counted.
    school = counted[full.id] + counted[part_week.id] + counted[elsewhere.id]
    assert (
        min(
            school.attended,
            school.authorised,
            school.unauthorised,
            school.no_report,
            school.not_possible,
        )
        > 0
    )
    u_sessions = sum(
        1
        for p in (full, part_week, elsewhere)
        for (day, _), r in marks[p.id].items()
        if r.code == "U"
        and day.weekday() < 5
        and not by_placement[p.id].reason_closed(day)
        and day >= p.start_date
        and p.days.count(("mon", "tue", "wed", "thu", "fri")[day.weekday()])
    )
    assert u_sessions > 0 and school.unauthorised >= u_sessions
    assert counted[dual.id].possible == 0 and counted[dual.id].not_counted > 0
    assert counted[dual.id].percent_text == "not counted (another school's register)"
