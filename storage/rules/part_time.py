"""A part-time timetable the way the law allows one.

DfE's "Working together to improve school attendance" (August 2024, statutory from 19 August
2024): a part-time timetable is an exceptional, temporary measure; it must be agreed with the
pupil's parent, have a time limit by which the pupil returns to full-time education, and be
reviewed regularly with the pupil and their parents. The School Attendance (Pupil Registration)
(England) Regulations 2024 give it its own code: C2, leave of absence for a compulsory school
age pupil on a part-time timetable, for the sessions the agreed timetable leaves out.

Pure functions over the agreement's dates and the timetable's days: no database, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from storage.rules.calendar import SchoolCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# The guidance sets no number; a few weeks is what local authorities' protocols ask, so a
# longer limit is said out loud (not refused: the school may have its reasons).
TIME_LIMIT_WARN_WEEKS = 6
# A reminder this many school days before the time limit, and each school day after it.
REMIND_SCHOOL_DAYS = 5
# How far back the parent's agreement may be dated.
AGREED_WITHIN_DAYS = 90
SOURCE = (
    "DfE, Working together to improve school attendance (2024): a part-time timetable is "
    "exceptional, agreed with a parent, time-limited and reviewed with the pupil and parents."
)
NO_AGREEMENT = (
    "A part-time timetable can't be recorded without a parent's or carer's agreement. "
    + SOURCE
    + " Agree it with them first and start again, or type `back` to change the hours to a "
    "full-time week."
)


@dataclass(frozen=True)
class PartTimeAgreement:
    """What the register needs of an agreed part-time timetable."""

    starts_on: dt.date
    ends_on: dt.date
    # Weekdays with education planned; the other weekdays' sessions are C2.
    covered: tuple[str, ...]
    ended_on: dt.date | None = None

    @property
    def last_day(self) -> dt.date:
        """The last day it applies: its time limit, or the day it stopped, if earlier."""
        return self.ends_on if self.ended_on is None else min(self.ends_on, self.ended_on)

    def applies_on(self, day: dt.date) -> bool:
        """Whether the agreement covers `day` (within its agreed dates)."""
        return self.starts_on <= day <= self.last_day

    def is_c2(self, day: dt.date) -> bool:
        """Whether `day`'s sessions are the agreed part-time ones (C2): within the agreed dates,
        and a weekday with no education planned."""
        return self.applies_on(day) and WEEKDAYS[day.weekday()] not in self.covered


def c2_days(covered: Iterable[str]) -> list[str]:
    """The weekdays the timetable leaves out (their sessions are C2), in week order."""
    covered = set(covered)
    return [day for day in WEEKDAYS if day not in covered]


def agreed_on_problem(day: dt.date, *, today: dt.date) -> str | None:
    """Why this can't be the day the parent agreed, or None."""
    if day > today:
        return "The parent must have agreed already: give the day they did (not a future date)."
    if (today - day).days > AGREED_WITHIN_DAYS:
        return (
            f"That is more than {AGREED_WITHIN_DAYS} days ago: agree the timetable with the "
            "parent again, now, and give that date."
        )
    return None


def time_limit_problem(ends: dt.date, *, start: dt.date, planned_end: dt.date | None) -> str | None:
    """Why this can't be the time limit, or None: on or after the start, and no later than
    the placement's planned end."""
    if ends < start:
        return f"The time limit can't be before the start ({start:%d/%m/%Y})."
    if planned_end is not None and ends > planned_end:
        return f"The time limit must be on or before the planned end ({planned_end:%d/%m/%Y})."
    return None


def time_limit_warning(ends: dt.date, *, start: dt.date) -> str | None:
    """Said when the time limit is longer than a few weeks, or None."""
    days = (ends - start).days + 1
    if days > TIME_LIMIT_WARN_WEEKS * 7:
        weeks = days / 7
        return (
            f"That is a part-time timetable of about {weeks:.0f} weeks. It should be as short as "
            f"possible (a few weeks, {TIME_LIMIT_WARN_WEEKS} at most is the usual protocol), "
            "with a plan to return to full time: record why in the review."
        )
    return None


def review_problem(review: dt.date, *, start: dt.date, ends: dt.date) -> str | None:
    """Why this can't be the review date, or None: from the start to the time limit."""
    if review < start:
        return f"The review can't be before the start ({start:%d/%m/%Y})."
    if review > ends:
        return (
            f"Review it on or before its time limit ({ends:%d/%m/%Y}), with the pupil and "
            "parents, so a decision is made before it runs out."
        )
    return None


def school_days_until(today: dt.date, ends: dt.date, calendar: SchoolCalendar) -> int:
    """School days after `today` up to and including `ends` (0 on the last day)."""
    return len(calendar.school_days_between(today + dt.timedelta(days=1), ends))


def days_text(days: Iterable[str]) -> str:
    """`Mon, Wed` (or `none`)."""
    listed = [d.capitalize() for d in days]
    return ", ".join(listed) if listed else "none"
