"""Attendance over the last 4 weeks for many placements at once, counted by the database.

The digests show every pupil's attendance: at national scale 60,000 placements, twice (a
school's DSL and the LA's officer), about 40 sessions each. Reading a row per session and
marking each in Python was most of the digests' time. Here the database counts instead: one
query per chunk of placements, grouped per placement and by what was reported, over the
sessions on which the pupil was due at the provider; the figures come from those counts by the
one definition (`storage.rules.attendance.figures_from_counts`), so they are the ones
`placement_figures` gives from the marks one by one (a test holds them equal).

Which sessions the pupil was due is rule 1 of the definition: a weekday on the placement's
timetable, within it, not closed. The query keeps a report's day on the timetable and within
the placement, and leaves out weekends and every day closed for ANY of these placements'
schools (`calendar`); the few reports on a day closed for some schools and open for others
are read one by one and counted where the pupil's own school was open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AttendanceRecord, Placement
from storage.rules.attendance import (
    WEEKDAYS,
    AttendanceFigures,
    Report,
    due_sessions,
    figures_from_counts,
    no_session_reason,
    recent_window,
)
from storage.rules.calendar import SchoolCalendar
from storage.services.chunks import chunk_size, chunks, one_of

Counts = dict[int, dict[Report, int]]


def weekday_name(session: AsyncSession, day: Any) -> ColumnElement[str]:
    """The day's name as a placement's timetable spells it ("mon" ... "sun")."""
    if session.get_bind().dialect.name == "postgresql":
        return func.lower(func.to_char(day, "Dy"))
    # SQLite: %w is 0 for Sunday.
    return case(
        {str((i + 1) % 7): name for i, name in enumerate(WEEKDAYS)},
        value=func.strftime("%w", day),
    )


def _window_days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


async def read_attendance(
    session: AsyncSession,
    placements: Collection[Any],
    *,
    calendars: Mapping[int, SchoolCalendar],
    today: dt.date,
) -> dict[int, AttendanceFigures]:
    """Each placement's attendance at the provider over the last 4 weeks (`recent_window`), as
    of `today`, by its school's calendar (`calendars`, by placement id)."""
    first, _ = recent_window(today)
    days = _window_days(first, today)
    # Weekends and days closed for some school: not counted by the query (see the docstring).
    unique = set(calendars.values())  # equal when their breaks are: most schools share their LA's
    closed_somewhere = [d for d in days if any(c.reason_closed(d) for c in unique)]
    left_out = sorted({d for d in days if d.weekday() >= 5} | set(closed_somewhere))
    by_id = {p.id: p for p in placements}
    reported: Counts = {}
    before_today: dict[int, int] = {}
    record = AttendanceRecord
    is_today = (record.date == today).label("is_today")
    for ids in chunks(by_id, chunk_size(session)):
        rows = await session.execute(
            select(record.placement_id, record.status, record.code, is_today, func.count())
            .join(Placement, Placement.id == record.placement_id)
            .where(
                one_of(session, record.placement_id, ids),
                record.date >= first,
                record.date <= today,
                record.date >= Placement.start_date,
                or_(Placement.ended_on.is_(None), record.date <= Placement.ended_on),
                record.date.not_in(left_out),
                Placement.provider_days.contains(weekday_name(session, record.date)),
            )
            .group_by(record.placement_id, record.status, record.code, is_today)
        )
        for placement_id, status, code, on_today, sessions in rows:
            _add(reported, before_today, placement_id, Report(status.value, code), sessions,
                 on_today=bool(on_today))  # fmt: skip
        if closed_somewhere:
            exceptions = await session.execute(
                select(record.placement_id, record.date, record.status, record.code).where(
                    one_of(session, record.placement_id, ids),
                    record.date.in_(closed_somewhere),
                )
            )
            for placement_id, day, status, code in exceptions:
                p = by_id[placement_id]
                if no_session_reason(p, day, calendars[placement_id]) is None:
                    _add(reported, before_today, placement_id, Report(status.value, code), 1,
                         on_today=day == today)  # fmt: skip
    due: dict[tuple[Any, ...], int] = {}
    figures = {}
    for p in placements:
        calendar = calendars[p.id]
        # Placements alike (start within the window, end, timetable, calendar) are due the
        # same sessions: most started before the window, and share their school's calendar.
        alike = (calendar, max(first, p.start_date), p.ended_on, p.provider_days)
        if alike not in due:
            due[alike] = due_sessions(
                p, start=first, end=today - dt.timedelta(days=1), calendar=calendar
            )
        figures[p.id] = figures_from_counts(
            p,
            reported.get(p.id, {}),
            reported_before_today=before_today.get(p.id, 0),
            due_before_today=due[alike],
        )
    return figures


def _add(
    reported: Counts,
    before_today: dict[int, int],
    placement_id: int,
    report: Report,
    sessions: int,
    *,
    on_today: bool,
) -> None:
    counts = reported.setdefault(placement_id, {})
    counts[report] = counts.get(report, 0) + sessions
    if not on_today:
        before_today[placement_id] = before_today.get(placement_id, 0) + sessions
