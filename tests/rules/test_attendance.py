"""The one definition of attendance at the provider (`storage.rules.attendance`): marks in,
figures out, without a database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from storage.rules.attendance import (
    AttendanceFigures,
    MarkKind,
    Report,
    figures,
    no_session_reason,
    placement_figures,
    recent_window,
    session_mark,
)
from storage.rules.calendar import SchoolCalendar, TermBreak

MONDAY = dt.date(2026, 11, 23)
FRIDAY = dt.date(2026, 11, 27)
CALENDAR = SchoolCalendar((TermBreak("Christmas", dt.date(2026, 12, 21), dt.date(2027, 1, 1)),))


@dataclass
class Timetable:
    """A placement's timetable, as the rules read it."""

    start_date: dt.date = MONDAY
    ended_on: dt.date | None = None
    days: list[str] = field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    attendance_code: str = "B"
    is_full_time: bool = True
    school_hours: Decimal = Decimal("7.5")
    other_hours: Decimal = Decimal(0)


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def test_late_after_close_and_illness_count_as_the_regulations_say() -> None:
    """Mon present; Tue AM late after close (U), PM present; Wed ill (I); Thu present."""
    reports = {
        (day(0), "AM"): Report("present", "B"),
        (day(0), "PM"): Report("present", "B"),
        (day(1), "AM"): Report("late", "U"),
        (day(1), "PM"): Report("present", "B"),
        (day(2), "AM"): Report("absent", "I"),
        (day(2), "PM"): Report("absent", "I"),
        (day(3), "AM"): Report("late", "L"),
        (day(3), "PM"): Report("present", "B"),
    }
    found = placement_figures(
        Timetable(), reports, start=MONDAY, end=FRIDAY, today=FRIDAY, calendar=CALENDAR
    )
    # Friday is today and not reported yet: not counted until it is.
    assert found == AttendanceFigures(attended=5, authorised=2, unauthorised=1)
    assert (found.possible, found.absent, found.percent) == (8, 3, 62.5)
    assert found.percent_text == "62.5%"
    assert found.text == (
        "62.5% (5 of 8 possible sessions attended; 3 absent: 2 authorised, 1 unauthorised)"
    )


def test_a_day_with_no_report_is_possible_but_never_attended() -> None:
    found = placement_figures(
        Timetable(), {}, start=MONDAY, end=FRIDAY, today=dt.date(2026, 11, 28), calendar=CALENDAR
    )
    assert (found.no_report, found.possible, found.percent) == (10, 10, 0.0)


def test_not_possible_codes_leave_the_sum() -> None:
    found = figures(["attended", "not_possible", "not_possible", "authorised_absence", None])
    assert (found.attended, found.possible, found.not_possible, found.percent) == (1, 2, 2, 50.0)


def test_d_is_not_counted_in_any_figure() -> None:
    """A D placement's sessions are the other school's register: present, absent or unreported,
    none is a possible session for the home school."""
    dual = Timetable(attendance_code="D")
    reports = {
        (day(0), "AM"): Report("present", "D"),
        (day(0), "PM"): Report("absent", "N"),
    }
    found = placement_figures(
        dual, reports, start=MONDAY, end=FRIDAY, today=FRIDAY, calendar=CALENDAR
    )
    assert (found.possible, found.attended, found.percent) == (0, 0, None)
    assert found.not_counted == 8  # Mon to Thu; Friday is still to be reported
    assert found.percent_text == "not counted (another school's register)"
    mark = session_mark(dual, day(0), Report("absent", "N"), calendar=CALENDAR, today=FRIDAY)
    assert (mark.mark, mark.kind, mark.counting) == ("D", MarkKind.absent, "not_counted")


def test_weekends_bank_holidays_breaks_and_days_off_are_no_session() -> None:
    three_days = Timetable(days=["mon", "tue", "wed"])
    assert no_session_reason(three_days, day(0), CALENDAR) is None
    assert "at the weekend" in (no_session_reason(three_days, day(5), CALENDAR) or "")
    assert "Christmas" in (no_session_reason(three_days, dt.date(2026, 12, 22), CALENDAR) or "")
    assert "Boxing Day" in (no_session_reason(three_days, dt.date(2026, 12, 28), CALENDAR) or "")
    assert "on Thursdays" in (no_session_reason(three_days, day(3), CALENDAR) or "")
    assert "started on 23/11/2026" in (no_session_reason(three_days, day(-7), CALENDAR) or "")
    ended = Timetable(ended_on=day(1))
    assert "ended on 24/11/2026" in (no_session_reason(ended, day(2), CALENDAR) or "")


def test_a_closed_day_is_not_in_any_figure_even_if_reported() -> None:
    holiday = dt.date(2026, 12, 25)
    mark = session_mark(
        Timetable(), holiday, Report("absent", "N"), calendar=CALENDAR, today=holiday
    )
    assert mark.kind == MarkKind.closed and mark.counting is None


def test_the_last_four_weeks_every_view_means() -> None:
    assert recent_window(FRIDAY) == (dt.date(2026, 11, 2), FRIDAY)
    assert recent_window(dt.date(2026, 11, 30)) == (dt.date(2026, 11, 9), dt.date(2026, 11, 30))
