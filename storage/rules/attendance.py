"""Attendance at the provider: ONE definition, used by every view (the digest, the governors'
report, `attendance`, `status`, `marks`, the AP list and the exports) and by the invariants.

Pure functions: a placement's timetable and the marks reported in, a mark per session and the
figures out. No database, no clock (today is passed in).

The definition
--------------
1. A session *at the provider* is an AM or PM of a day on which the pupil was due there: a
   school day (not a weekend, an England and Wales bank holiday or one of the school's term
   breaks), on or after the placement's start, on or before its end, and one of its days at
   the provider (`no_session_reason` says why a day is not one). Today's sessions count once
   reported (before that they are "not reported yet"); days still to come never count.
2. Each such session gets the home school's register mark (`session_mark`): the placement's own
   code (B, D or K) when the provider confirmed the pupil present, or late before the register
   closed (L); the absence code otherwise (U for late after the register closed); `-` when the
   provider never said.
3. The mark counts as the codes data file (`codes.toml`, field `counting`) says:
   - attended: B, K (and L, /, \\, V, P, W)
   - authorised absence: I, M, C, C1, C2, E, J1, R, S, T
   - unauthorised absence: G, N, O, U
   - not possible (not a possible session): X, Q, Y1 to Y7
   - not counted: D (another school at which the pupil is registered keeps that register, so
     EVERY session of a D placement is not counted by the home school), Z, #
   - no report (`-`): a possible session, never attended.
4. Possible sessions = attended + authorised + unauthorised + no report. Attendance % =
   attended / possible, to one decimal place (`AttendanceFigures.percent_text`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from storage.rules import codes
from storage.rules.calendar import SchoolCalendar
from storage.rules.part_time import PartTimeAgreement

NO_REPORT = "-"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SESSIONS = ("AM", "PM")
ATTENDANCE_WEEKS = 4


class PlacementTimetable(Protocol):
    """What the definition needs to know of a placement (a `Placement` row has all of it)."""

    @property
    def start_date(self) -> dt.date: ...
    @property
    def ended_on(self) -> dt.date | None: ...
    @property
    def days(self) -> list[str]: ...
    @property
    def attendance_code(self) -> str: ...
    @property
    def is_full_time(self) -> bool: ...
    @property
    def school_hours(self) -> Decimal: ...
    @property
    def other_hours(self) -> Decimal: ...


class MarkKind(enum.StrEnum):
    """What a session's mark rests on."""

    attended = "attended"
    absent = "absent"
    no_report = "no_report"
    pending = "pending"
    not_at_provider = "not_at_provider"
    part_time = "part_time"
    closed = "closed"
    future = "future"


@dataclass(frozen=True)
class Report:
    """What was reported for one session: its status (present, absent or late) and code."""

    status: str
    code: str


@dataclass(frozen=True)
class Mark:
    """One session's register mark, what it rests on, a note in words, and how it counts
    (None: not a session at the provider, so not in any figure)."""

    mark: str
    kind: MarkKind
    note: str
    counting: str | None


def no_session_reason(
    placement: PlacementTimetable, day: dt.date, calendar: SchoolCalendar
) -> str | None:
    """Why the pupil was not due at the provider on `day`, in words; None if they were."""
    if day.weekday() >= 5:
        return f"{day:%a %d/%m/%Y} is at the weekend"
    holiday = calendar.bank_holiday(day)
    if holiday is not None:
        return f"{day:%a %d/%m/%Y} is a bank holiday ({holiday})"
    closure = calendar.term_break(day)
    if closure is not None:
        return f"{day:%a %d/%m/%Y} is in a school break ({closure.name})"
    if day < placement.start_date:
        return f"the placement started on {placement.start_date:%d/%m/%Y}"
    if placement.ended_on is not None and day > placement.ended_on:
        return f"the placement ended on {placement.ended_on:%d/%m/%Y}"
    if WEEKDAYS[day.weekday()] not in placement.days:
        return f"the pupil isn't timetabled at the provider on {day:%A}s"
    return None


def _placement_not_counted(placement: PlacementTimetable) -> bool:
    found = codes.all_codes().get(placement.attendance_code.upper())
    return found is not None and found.counting == "not_counted"


def _not_at_provider(
    placement: PlacementTimetable, day: dt.date, part_time: PartTimeAgreement | None
) -> Mark:
    """A weekday the pupil is not due at the provider: C2 only on the sessions an agreed
    part-time timetable leaves out, within its agreed dates; otherwise the school's own register
    decides (never C2 for a part-time week nobody agreed, nor after the time limit)."""
    if part_time is not None and part_time.is_c2(day):
        return Mark(
            codes.PART_TIME_CODE,
            MarkKind.part_time,
            "Part-time timetable agreed with the parent (until "
            f"{part_time.last_day:%d/%m/%Y}): no education planned this day",
            None,
        )
    note = "Not timetabled at the provider: take the mark from your own register"
    if part_time is not None and day > part_time.last_day:
        note += f" (the part-time timetable ended on {part_time.last_day:%d/%m/%Y}: not C2)"
    elif part_time is not None and part_time.applies_on(day):
        note += " (education is planned elsewhere this day in the agreed part-time timetable)"
    elif not placement.is_full_time:
        note += " (no part-time timetable is agreed with a parent for this day: not C2)"
    return Mark("", MarkKind.not_at_provider, note, None)


def _code_meaning(code: str) -> str:
    found = codes.all_codes().get(code.upper())
    return found.meaning if found else ""


def session_mark(
    placement: PlacementTimetable,
    day: dt.date,
    report: Report | None,
    *,
    calendar: SchoolCalendar,
    today: dt.date,
    part_time: PartTimeAgreement | None = None,
) -> Mark:
    """The home school's mark for one weekday session inside the placement, and how it counts
    (see the module docstring). `part_time`: the placement's agreed part-time timetable, if any
    (its uncovered sessions within its dates are C2)."""
    closed = calendar.reason_closed(day)
    if closed is not None:
        return Mark("", MarkKind.closed, f"No session: school closed ({closed})", None)
    own = placement.attendance_code
    other_register = _placement_not_counted(placement)
    if report is not None and WEEKDAYS[day.weekday()] in placement.days:
        present = _present(report)
        counting = reported_counting(placement, report)
        if other_register:
            what = "attended" if present else f"absent, reported {report.code}"
            return Mark(
                own,
                MarkKind.attended if present else MarkKind.absent,
                f"At a school where the pupil is also registered ({what}): that school's "
                f"register counts it; {own} on yours, not counted",
                counting,
            )
        if present:
            late = report.status == "late"
            note = (
                "Attended, arrived late before the register closed (confirmed by provider)"
                if late
                else "Attended: confirmed by provider"
            )
            return Mark(own, MarkKind.attended, note, counting)
        return Mark(
            report.code,
            MarkKind.absent,
            f"Absent (reported by provider): {_code_meaning(report.code)}",
            counting,
        )
    if WEEKDAYS[day.weekday()] not in placement.days:
        return _not_at_provider(placement, day, part_time)
    if day > today:
        return Mark("", MarkKind.future, "Still to come", None)
    if day == today:
        return Mark(NO_REPORT, MarkKind.pending, "Not reported yet today", None)
    if other_register:
        return Mark(
            NO_REPORT,
            MarkKind.no_report,
            f"No report from provider: chase them ({own} on your register, not counted)",
            unreported_counting(placement),
        )
    return Mark(
        NO_REPORT,
        MarkKind.no_report,
        "No report from provider: chase them before coding",
        unreported_counting(placement),
    )


def _present(report: Report) -> bool:
    return report.status == "present" or (report.status == "late" and report.code == "L")


def reported_counting(placement: PlacementTimetable, report: Report) -> str:
    """How a session counts that the provider reported, on a day the pupil was due there (rule
    3): D's sessions not at all, attended as the placement's own code, an absence as its code
    (a code we do not know as unauthorised)."""
    if _placement_not_counted(placement):
        return "not_counted"
    if _present(report):
        return codes.get(placement.attendance_code).counting
    known = codes.all_codes().get(report.code)
    return (known.counting if known else None) or "unauthorised_absence"


def unreported_counting(placement: PlacementTimetable) -> str:
    """How a session counts that was due before today and never reported: no report (a
    possible session, not attended), or not counted for a D placement."""
    return "not_counted" if _placement_not_counted(placement) else "no_report"


@dataclass(frozen=True)
class AttendanceFigures:
    """Sessions at the provider, counted by the one definition (see the module docstring)."""

    attended: int = 0
    authorised: int = 0
    unauthorised: int = 0
    no_report: int = 0
    not_possible: int = 0
    not_counted: int = 0

    @property
    def absent(self) -> int:
        """Absent sessions that count: authorised and unauthorised."""
        return self.authorised + self.unauthorised

    @property
    def possible(self) -> int:
        return self.attended + self.authorised + self.unauthorised + self.no_report

    @property
    def percent(self) -> float | None:
        """Attended of possible sessions, to one decimal place (None: no possible session)."""
        return None if self.possible == 0 else round(100 * self.attended / self.possible, 1)

    @property
    def percent_text(self) -> str:
        """The figure every view shows: "87.5%", or why there is none."""
        if self.percent is not None:
            return f"{self.percent:g}%"
        if self.not_counted:
            return "not counted (another school's register)"
        return "no possible sessions yet"

    @property
    def text(self) -> str:
        """The figure with its counts, e.g. "87.5% (7 of 8 possible sessions; 1 absent:
        0 authorised, 1 unauthorised)"."""
        if self.percent is None:
            extra = f" ({self.not_counted} session(s) not counted)" if self.not_counted else ""
            return self.percent_text + extra
        parts = [f"{self.attended} of {self.possible} possible sessions attended"]
        if self.absent:
            parts.append(
                f"{self.absent} absent: {self.authorised} authorised, "
                f"{self.unauthorised} unauthorised"
            )
        if self.no_report:
            parts.append(f"{self.no_report} with no report from the provider, not attended")
        left_out = self.not_possible + self.not_counted
        if left_out:
            parts.append(f"{left_out} not counted")
        return f"{self.percent_text} ({'; '.join(parts)})"

    def __add__(self, other: AttendanceFigures) -> AttendanceFigures:
        return AttendanceFigures(
            attended=self.attended + other.attended,
            authorised=self.authorised + other.authorised,
            unauthorised=self.unauthorised + other.unauthorised,
            no_report=self.no_report + other.no_report,
            not_possible=self.not_possible + other.not_possible,
            not_counted=self.not_counted + other.not_counted,
        )


_FIELD = {
    "attended": "attended",
    "authorised_absence": "authorised",
    "unauthorised_absence": "unauthorised",
    "no_report": "no_report",
    "not_possible": "not_possible",
    "not_counted": "not_counted",
}


def figures(countings: Iterable[str | None]) -> AttendanceFigures:
    """Add up sessions by how each counts (a `Mark.counting`; None is left out)."""
    totals = dict.fromkeys(_FIELD.values(), 0)
    for counting in countings:
        if counting is not None:
            totals[_FIELD[counting]] += 1
    return AttendanceFigures(**totals)


def placement_marks(
    placement: PlacementTimetable,
    reports: Mapping[tuple[dt.date, str], Report],
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    calendar: SchoolCalendar,
    part_time: PartTimeAgreement | None = None,
) -> list[tuple[dt.date, str, Mark]]:
    """Every weekday session of the placement from `start` to `end` (inside the placement),
    with its mark. `reports` is keyed by (date, "AM" or "PM")."""
    rows: list[tuple[dt.date, str, Mark]] = []
    day = max(start, placement.start_date)
    last = end if placement.ended_on is None else min(end, placement.ended_on)
    while day <= last:
        if day.weekday() < 5:
            for which in SESSIONS:
                mark = session_mark(
                    placement,
                    day,
                    reports.get((day, which)),
                    calendar=calendar,
                    today=today,
                    part_time=part_time,
                )
                rows.append((day, which, mark))
        day += dt.timedelta(days=1)
    return rows


def placement_figures(
    placement: PlacementTimetable,
    reports: Mapping[tuple[dt.date, str], Report],
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    calendar: SchoolCalendar,
) -> AttendanceFigures:
    """Attendance at the provider from `start` to `end` (see the module docstring)."""
    marks = placement_marks(
        placement, reports, start=start, end=end, today=today, calendar=calendar
    )
    return figures(mark.counting for _, _, mark in marks)


def due_sessions(
    placement: PlacementTimetable, *, start: dt.date, end: dt.date, calendar: SchoolCalendar
) -> int:
    """How many sessions from `start` to `end` the pupil was due at the provider (rule 1:
    `no_session_reason` is None)."""
    days = 0
    day = start
    while day <= end:
        if no_session_reason(placement, day, calendar) is None:
            days += 1
        day += dt.timedelta(days=1)
    return days * len(SESSIONS)


def figures_from_counts(
    placement: PlacementTimetable,
    reported: Mapping[Report, int],
    *,
    reported_before_today: int,
    due_before_today: int,
) -> AttendanceFigures:
    """The same figures as `placement_figures`, from counts rather than a mark per session, for
    a database that counts the reports (`storage.services.digest`): `reported` is how many
    sessions had each report, among the sessions up to today on which the pupil was due at the
    provider; `reported_before_today` how many of them were before today, of the
    `due_before_today` due before today (the rest had no report; today's unreported sessions
    are not counted yet)."""
    totals = dict.fromkeys(_FIELD.values(), 0)
    for report, sessions in reported.items():
        totals[_FIELD[reported_counting(placement, report)]] += sessions
    totals[_FIELD[unreported_counting(placement)]] += due_before_today - reported_before_today
    return AttendanceFigures(**totals)


def recent_window(today: dt.date, weeks: int = ATTENDANCE_WEEKS) -> tuple[dt.date, dt.date]:
    """The "last 4 weeks" every view means: from the Monday `weeks - 1` weeks before this
    week's Monday, to today."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(weeks=weeks - 1), today


def session_names(sessions: Sequence[str]) -> str:
    """`AM and PM`, or one of them."""
    return " and ".join(s for s in SESSIONS if s in sessions)
