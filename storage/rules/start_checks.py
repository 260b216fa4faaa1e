"""What starting a placement refuses, beyond the hours (`fulltime`) and the codes (`codes`).

Each check returns the words to tell the person, or None. They are refusals because the answer
would make the safeguarding picture wrong (a review after the placement has ended, a deadline
that leaves no time for a welfare call the same morning), not matters of judgement.
"""

from __future__ import annotations

import datetime as dt

# Year groups a placement is made for: Year 1 to Year 14 (post-16 in some special schools).
# Reception (0) is refused: a pupil in it may be below compulsory school age, and an AP
# placement of a four-year-old is almost certainly a slip for another year group.
FIRST_YEAR_GROUP = 1
LAST_YEAR_GROUP = 14
# The provider says a pupil hasn't arrived in the school morning, so that a welfare call can
# still be made that morning.
LATEST_ABSENCE_DEADLINE = dt.time(12, 0)


def year_group_problem(year_group: int) -> str | None:
    """Why this year group can't be a placed pupil's, or None."""
    if year_group == 0:
        return (
            "Reception (year group 0) isn't a year group placements are made for here: a "
            f"placement is for Years {FIRST_YEAR_GROUP} to {LAST_YEAR_GROUP}. Please check the "
            "pupil's year group."
        )
    if not FIRST_YEAR_GROUP <= year_group <= LAST_YEAR_GROUP:
        return f"Please give a year group from {FIRST_YEAR_GROUP} to {LAST_YEAR_GROUP}."
    return None


def absence_deadline_problem(deadline: dt.time) -> str | None:
    """Why this can't be the time by which the provider reports non-arrival, or None."""
    if deadline > LATEST_ABSENCE_DEADLINE:
        return (
            f"{deadline:%H:%M} is too late: the provider must tell you in the school morning, by "
            f"{LATEST_ABSENCE_DEADLINE:%H:%M} at the latest, so a welfare call can be made the "
            "same morning (09:30 is usual)."
        )
    return None


def review_date_problem(
    review: dt.date, *, start: dt.date, planned_end: dt.date | None
) -> str | None:
    """Why a part-time timetable can't be reviewed on this day, or None: after the start, and
    no later than the planned end (a review after the placement has ended reviews nothing)."""
    if review <= start:
        return "The review must be after the start date."
    if planned_end is not None and review > planned_end:
        return (
            f"The review must be on or before the planned end ({planned_end:%d/%m/%Y}): a "
            "part-time timetable is reviewed while it runs."
        )
    return None


def due_date_problem(due: dt.date, *, today: dt.date) -> str | None:
    """Why a check that is not yet done can't fall due on this day, or None."""
    if due < today:
        return (
            "A check that isn't done yet can't be due in the past. If it is already late, give "
            "today's date, so the reminder starts now."
        )
    return None
