"""When quality-assurance visits and weekly contacts fall due.

The guidance: visit the setting and the pupil "twice a term as a minimum", i.e. at least every
half-term, talking with the pupil each time; and keep "regular (weekly) interaction" with the
provider, separate from daily attendance and safeguarding concerns.

Visits are counted in **term time** when the school's calendar is given (`calendar=`): the first
visit is due by the 10th school day of the placement (within its first two weeks of term time),
then one every 30 school days (six weeks of term time, half a term) and never later than the
end of the next half-term (where the school's term dates are known), so every half-term has a
visit, a term has two, and a half-term, the Christmas holidays or a bank holiday never make a
visit overdue. Without
a calendar (old callers, the governors' report's ideal schedule) the same cadence is counted
in calendar days: two weeks, then every six weeks.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from storage.rules.calendar import SchoolCalendar

QA_INTERVAL_DAYS = 42
FIRST_QA_VISIT_DAYS = 14
# The same in term time: the first visit by the 10th school day, then every 30 school days.
FIRST_QA_VISIT_SCHOOL_DAYS = 10
SCHOOL_DAYS_A_WEEK = 5
# A break of this many weekdays or more ends a half-term (an INSET day or two does not).
HOLIDAY_WEEKDAYS = 3
CONTACT_INTERVAL_DAYS = 7
QA_DUE_SOON_DAYS = 7
# "Due soon" in term time: within the next five school days (a week of school).
QA_DUE_SOON_SCHOOL_DAYS = 5
# How far ahead five school days can reach in calendar days (across a two-week holiday): the
# scheduler looks this far ahead for visits that may be due soon.
QA_DUE_SOON_LOOKAHEAD_DAYS = 21
# A visit that finds the setting unsafe, or rates the placement inadequate: see it again soon.
REVISIT_SCHOOL_DAYS = 5

QaState = Literal["ok", "due_soon", "overdue"]


def _positive(name: str, days: int) -> None:
    if days <= 0:
        raise ValueError(f"{name} must be at least 1 day (got {days}).")


def term_time_days(interval_days: int) -> int:
    """A visit interval set in calendar days (the school's `qa_interval_days`, 42 by default)
    as school days of term time: five for each seven (42 days: 30 school days)."""
    _positive("interval_days", interval_days)
    return max(1, round(interval_days * SCHOOL_DAYS_A_WEEK / 7))


def first_term_day(day: dt.date, calendar: SchoolCalendar) -> dt.date:
    """`day` if it is a school day, else the next school day (where term time starts)."""
    return day if calendar.is_school_day(day) else calendar.next_school_day(day)


def first_qa_due(
    start_date: dt.date,
    *,
    first_visit_days: int = FIRST_QA_VISIT_DAYS,
    calendar: SchoolCalendar | None = None,
) -> dt.date:
    """When the first QA visit of a new placement is due: with the school's `calendar`, the
    `FIRST_QA_VISIT_SCHOOL_DAYS`th school day of the placement (its first two weeks of term
    time: a placement starting in the holidays counts from the first day of term); without
    one, `first_visit_days` calendar days after the start."""
    if first_visit_days < 0:
        raise ValueError(f"first_visit_days cannot be negative (got {first_visit_days}).")
    if calendar is not None:
        first = first_term_day(start_date, calendar)
        return calendar.add_school_days(first, FIRST_QA_VISIT_SCHOOL_DAYS - 1)
    return start_date + dt.timedelta(days=first_visit_days)


def next_qa_due(
    visit_date: dt.date,
    *,
    interval_days: int = QA_INTERVAL_DAYS,
    calendar: SchoolCalendar | None = None,
) -> dt.date:
    """When the next QA visit is due after a visit on `visit_date`: with the school's
    `calendar`, `term_time_days(interval_days)` school days later (holidays do not count);
    without one, `interval_days` calendar days later."""
    _positive("interval_days", interval_days)
    if calendar is not None:
        due = calendar.add_school_days(visit_date, term_time_days(interval_days))
        ends = half_term_ends_after(visit_date, calendar)
        # Never later than the end of the next half-term, so each half-term has its visit.
        return min(due, ends[1]) if len(ends) > 1 else due
    return visit_date + dt.timedelta(days=interval_days)


def half_term_ends_after(day: dt.date, calendar: SchoolCalendar) -> list[dt.date]:
    """The last school day of each half-term from `day`'s on, as the school's term breaks say
    (a break of `HOLIDAY_WEEKDAYS` weekdays or more ends a half-term; an INSET day does not).
    Only the breaks the calendar knows: none configured, none found."""
    ends = []
    for holiday in sorted(calendar.breaks, key=lambda b: b.first_day):
        weekdays = sum(
            (holiday.first_day + dt.timedelta(days=n)).weekday() < 5
            for n in range((holiday.last_day - holiday.first_day).days + 1)
        )
        if holiday.first_day > day and weekdays >= HOLIDAY_WEEKDAYS:
            end = calendar.previous_school_day(holiday.first_day)
            if end >= day and end not in ends:
                ends.append(end)
    return ends


def latest_allowed_next_visit(
    visit_date: dt.date,
    *,
    interval_days: int = QA_INTERVAL_DAYS,
    calendar: SchoolCalendar | None = None,
) -> dt.date:
    """The latest date a user may choose for the next visit (the cadence limit).

    The same date as `next_qa_due`; named for validating a date the user picks.
    """
    return next_qa_due(visit_date, interval_days=interval_days, calendar=calendar)


def half_term_start(today: dt.date, calendar: SchoolCalendar) -> dt.date:
    """The first school day of the half-term `today` is in: the day after the latest term break
    that ended before today. Without a known break, the last `QA_INTERVAL_DAYS` days."""
    ended = [b.last_day for b in calendar.breaks if b.last_day < today]
    if not ended:
        return today - dt.timedelta(days=QA_INTERVAL_DAYS)
    return min(first_term_day(max(ended) + dt.timedelta(days=1), calendar), today)


def needs_revisit(*, setting_safe: bool, inadequate: bool) -> bool:
    """A visit that found the setting unsafe, or rated the placement inadequate, calls for a
    revisit within `REVISIT_SCHOOL_DAYS` school days (and a review of the placement)."""
    return not setting_safe or inadequate


def latest_revisit(visit_date: dt.date, today: dt.date, calendar: SchoolCalendar) -> dt.date:
    """The latest date for the revisit: `REVISIT_SCHOOL_DAYS` school days after the visit, or
    after today if the visit is logged so late that the window has passed."""
    return calendar.add_school_days(max(visit_date, today), REVISIT_SCHOOL_DAYS)


def qa_state(
    next_due: dt.date | None,
    today: dt.date,
    *,
    due_soon_days: int = QA_DUE_SOON_DAYS,
    calendar: SchoolCalendar | None = None,
) -> QaState:
    """Whether a placement's next QA visit is fine, due within a week, or overdue.

    "due_soon" when due today or within `due_soon_days`; "overdue" once the due date has passed.
    No next-due date at all counts as overdue: an active placement must have a visit planned.

    With the school's `calendar`, counted in term time: a due date in a holiday (or on a bank
    holiday or a weekend) moves to the next school day, so nothing is overdue while the school
    is closed, and "due soon" means within `QA_DUE_SOON_SCHOOL_DAYS` school days.
    """
    if next_due is None:
        return "overdue"
    if calendar is None:
        if today > next_due:
            return "overdue"
        return "due_soon" if (next_due - today).days <= due_soon_days else "ok"
    due = first_term_day(next_due, calendar)
    if today > due:
        return "overdue"
    # School days from tomorrow up to the due day (0 when due today).
    ahead = calendar.count_school_days(
        today + dt.timedelta(days=1), due, at_most=QA_DUE_SOON_SCHOOL_DAYS + 1
    )
    return "due_soon" if ahead <= QA_DUE_SOON_SCHOOL_DAYS else "ok"


def contact_overdue(
    last_contact: dt.date | None,
    start_date: dt.date,
    today: dt.date,
    *,
    interval_days: int = CONTACT_INTERVAL_DAYS,
) -> bool:
    """Whether the weekly contact with the provider is overdue.

    Overdue when more than `interval_days` have passed since the last contact, or since the start
    date if there has been none (a contact before the start counts from the start). Never
    overdue before the placement starts.
    """
    _positive("interval_days", interval_days)
    if today < start_date:
        return False
    since = start_date if last_contact is None else max(last_contact, start_date)
    return (today - since).days > interval_days


def qa_visits_due_between(
    start: dt.date,
    end: dt.date,
    placement_start: dt.date,
    placement_end: dt.date | None,
    *,
    interval_days: int = QA_INTERVAL_DAYS,
    first_visit_days: int = FIRST_QA_VISIT_DAYS,
    calendar: SchoolCalendar | None = None,
) -> int:
    """How many QA visits a placement should have had within a window (both ends inclusive).
    With the school's `calendar`, the schedule is counted in term time (`first_qa_due`,
    `next_qa_due`): a term of school holds two.

    For the governors' report ("QA visits done vs due"). The placement's ideal schedule is a first
    visit `first_visit_days` after it starts, then one every `interval_days`; this counts the
    scheduled dates that fall in the window while the placement was running (up to its end date,
    if it has ended). So any stretch of `interval_days` of a running placement contains at least
    one due visit, a full 13-week term from the start contains two, and a placement that only
    touched the window for a few days may owe none.
    """
    _positive("interval_days", interval_days)
    if first_visit_days < 0:
        raise ValueError(f"first_visit_days cannot be negative (got {first_visit_days}).")
    if end < start:
        raise ValueError("The end of the window is before its start.")
    low = max(start, placement_start)
    high = end if placement_end is None else min(end, placement_end)
    if high < low:
        return 0
    if calendar is not None:
        # In term time: the first by the 10th school day, then every `term_time_days`.
        due = first_qa_due(placement_start, calendar=calendar)
        count = 0
        while due <= high:
            count += due >= low
            due = next_qa_due(due, interval_days=interval_days, calendar=calendar)
        return count
    # Offsets of the window from the first scheduled visit, in days.
    first_visit = placement_start + dt.timedelta(days=first_visit_days)
    from_offset = (low - first_visit).days
    to_offset = (high - first_visit).days
    if to_offset < 0:
        return 0
    first_k = max(0, math.ceil(from_offset / interval_days))
    last_k = to_offset // interval_days
    return max(0, last_k - first_k + 1)
