"""When quality-assurance visits and weekly contacts fall due.

The guidance: visit the setting and the pupil "twice a term as a minimum", i.e. at least every
half-term (6 weeks), talking with the pupil each time; and keep "regular (weekly) interaction"
with the provider, separate from daily attendance and safeguarding concerns. The first visit is
due two weeks after the start, so a new placement is seen early.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from storage.rules.calendar import SchoolCalendar

QA_INTERVAL_DAYS = 42
FIRST_QA_VISIT_DAYS = 14
CONTACT_INTERVAL_DAYS = 7
QA_DUE_SOON_DAYS = 7
# A visit that finds the setting unsafe, or rates the placement inadequate: see it again soon.
REVISIT_SCHOOL_DAYS = 5

QaState = Literal["ok", "due_soon", "overdue"]


def _positive(name: str, days: int) -> None:
    if days <= 0:
        raise ValueError(f"{name} must be at least 1 day (got {days}).")


def first_qa_due(start_date: dt.date, *, first_visit_days: int = FIRST_QA_VISIT_DAYS) -> dt.date:
    """When the first QA visit of a new placement is due."""
    if first_visit_days < 0:
        raise ValueError(f"first_visit_days cannot be negative (got {first_visit_days}).")
    return start_date + dt.timedelta(days=first_visit_days)


def next_qa_due(visit_date: dt.date, *, interval_days: int = QA_INTERVAL_DAYS) -> dt.date:
    """When the next QA visit is due after a visit on `visit_date`."""
    _positive("interval_days", interval_days)
    return visit_date + dt.timedelta(days=interval_days)


def latest_allowed_next_visit(
    visit_date: dt.date, *, interval_days: int = QA_INTERVAL_DAYS
) -> dt.date:
    """The latest date a user may choose for the next visit (the cadence limit).

    The same date as `next_qa_due`; named for validating a date the user picks.
    """
    return next_qa_due(visit_date, interval_days=interval_days)


def needs_revisit(*, setting_safe: bool, inadequate: bool) -> bool:
    """A visit that found the setting unsafe, or rated the placement inadequate, calls for a
    revisit within `REVISIT_SCHOOL_DAYS` school days (and a review of the placement)."""
    return not setting_safe or inadequate


def latest_revisit(visit_date: dt.date, today: dt.date, calendar: SchoolCalendar) -> dt.date:
    """The latest date for the revisit: `REVISIT_SCHOOL_DAYS` school days after the visit, or
    after today if the visit is logged so late that the window has passed."""
    return calendar.add_school_days(max(visit_date, today), REVISIT_SCHOOL_DAYS)


def qa_state(
    next_due: dt.date | None, today: dt.date, *, due_soon_days: int = QA_DUE_SOON_DAYS
) -> QaState:
    """Whether a placement's next QA visit is fine, due within a week, or overdue.

    "due_soon" when due today or within `due_soon_days`; "overdue" once the due date has passed.
    No next-due date at all counts as overdue: an active placement must have a visit planned.
    """
    if next_due is None or today > next_due:
        return "overdue"
    if (next_due - today).days <= due_soon_days:
        return "due_soon"
    return "ok"


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
) -> int:
    """How many QA visits a placement should have had within a window (both ends inclusive).

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
    # Offsets of the window from the first scheduled visit, in days.
    first_visit = placement_start + dt.timedelta(days=first_visit_days)
    from_offset = (low - first_visit).days
    to_offset = (high - first_visit).days
    if to_offset < 0:
        return 0
    first_k = max(0, math.ceil(from_offset / interval_days))
    last_k = to_offset // interval_days
    return max(0, last_k - first_k + 1)
