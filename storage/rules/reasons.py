"""Why a pupil is in AP, and the dates the law sets for each reason.

Pure functions over dates and a school calendar (`storage.rules.calendar`):

- **Suspension** of more than five school days: the school must arrange suitable full-time
  education from the sixth consecutive school day of the suspension (School Discipline (Pupil
  Exclusions and Reviews) (England) Regulations 2012, reg. 3; DfE "Suspension and permanent
  exclusion" guidance). A suspension of five school days or fewer brings no sixth-day duty.
- **Permanent exclusion**: the local authority must arrange it from the sixth school day of the
  exclusion (the same regulations; Education Act 1996 s19).
- **Direction off-site** to improve behaviour (Education Act 2002 s29A; Education (Educational
  Provision for Improving Behaviour) Regulations 2010, as amended in 2012): written notice to
  the parents at least two school days before the first day.

The values are `ReasonForAp`'s (storage/models/enums.py), kept here as plain strings so the
rules stay free of the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rules.calendar import SchoolCalendar

SUSPENSION = "suspension"
PERMANENT_EXCLUSION = "permanent_exclusion"
OFF_SITE_DIRECTION = "off_site_direction"
MEDICAL = "medical"
EHC_PLAN = "ehc_plan"
OTHER = "other"

# The first day of full-time education is the sixth school day of the suspension or exclusion.
SIXTH_DAY = 6
# The longest suspension the law allows in one school year, in school days: 45.
MAX_SUSPENSION_DAYS = 45
# The notice of a direction off-site: at least this many school days before the first day.
OFF_SITE_NOTICE_SCHOOL_DAYS = 2
# The first review of a direction off-site, in calendar days from the first day (the
# regulations leave the interval to the governing body; the 2010 rule was every 30 days).
OFF_SITE_FIRST_REVIEW_DAYS = 28
# A placement for health needs: the LA should arrange education once it is clear the pupil
# will miss this many school days (DfE, "Arranging education for children who cannot attend
# school because of health needs", 2023).
HEALTH_NEEDS_DAYS = 15


def first_school_day_on_or_after(day: dt.date, calendar: SchoolCalendar) -> dt.date:
    """`day` if it is a school day, or the next school day."""
    return day if calendar.is_school_day(day) else calendar.next_school_day(day)


def sixth_school_day(first_day: dt.date, calendar: SchoolCalendar) -> dt.date:
    """The sixth school day of a suspension or exclusion that begins on `first_day` (counted
    from the first school day on or after it, across weekends, bank holidays and breaks)."""
    day_one = first_school_day_on_or_after(first_day, calendar)
    return calendar.add_school_days(day_one, SIXTH_DAY - 1)


def full_time_education_from(
    reason: str,
    *,
    first_day: dt.date | None,
    suspension_days: int | None,
    calendar: SchoolCalendar,
) -> dt.date | None:
    """The day from which full-time education must be in place, or None when no sixth-day
    duty applies (another reason, or a suspension of five school days or fewer)."""
    if first_day is None:
        return None
    if reason == PERMANENT_EXCLUSION:
        return sixth_school_day(first_day, calendar)
    if reason == SUSPENSION and suspension_days is not None and suspension_days >= SIXTH_DAY:
        return sixth_school_day(first_day, calendar)
    return None


def suspension_days_problem(days: int) -> str | None:
    """Why this can't be a suspension's length in school days, or None."""
    if days < 1:
        return "A suspension lasts at least one school day."
    if days > MAX_SUSPENSION_DAYS:
        return (
            f"A pupil can be suspended for at most {MAX_SUSPENSION_DAYS} school days in a school "
            "year. Please check the length (or choose permanent exclusion)."
        )
    return None


@dataclass(frozen=True)
class StartsLate:
    """A placement that starts after the day full-time education is due."""

    due_from: dt.date
    start: dt.date
    school_days_late: int


def starts_late(
    start: dt.date, due_from: dt.date | None, calendar: SchoolCalendar
) -> StartsLate | None:
    """Whether a placement starting on `start` leaves the pupil without full-time education
    on school days from `due_from` (how many), or None when it starts in time."""
    if due_from is None or start <= due_from:
        return None
    missed = calendar.school_days_between(due_from, start - dt.timedelta(days=1))
    return StartsLate(due_from=due_from, start=start, school_days_late=len(missed))


def off_site_notice_due(start: dt.date, calendar: SchoolCalendar) -> dt.date:
    """The last day the written notice of a direction off-site can be given: two school days
    before the first day of the placement (that day not counted)."""
    day_one = first_school_day_on_or_after(start, calendar)
    return calendar.add_school_days(day_one, -OFF_SITE_NOTICE_SCHOOL_DAYS)


def off_site_first_review_due(start: dt.date) -> dt.date:
    """When the first review meeting of a direction off-site is due."""
    return start + dt.timedelta(days=OFF_SITE_FIRST_REVIEW_DAYS)


def commissioner_note(reason: str, *, commissioner_is_school: bool) -> str | None:
    """What to say about who commissions, for this reason (the LA normally does after a
    permanent exclusion), or None."""
    if reason == PERMANENT_EXCLUSION and commissioner_is_school:
        return (
            "After a permanent exclusion it is normally the local authority that arranges the "
            "pupil's education (from the sixth school day). You are recording this placement as "
            "the school commissioning it: agree with the LA who commissions, and make sure the "
            "LA knows."
        )
    return None


def describe(
    label: str,
    reason: str,
    *,
    first_day: dt.date | None,
    suspension_days: int | None,
    due_from: dt.date | None,
    detail: str | None = None,
) -> str:
    """The reason in one line for the person (private views: "other"'s detail is shown).
    `label` is the reason's name in words (`ReasonForAp.label`)."""
    text = label
    if reason == SUSPENSION and first_day is not None:
        text += f" from {first_day:%d/%m/%Y}"
        if suspension_days is not None:
            text += f", {suspension_days} school day{'s' if suspension_days != 1 else ''}"
    elif reason == PERMANENT_EXCLUSION and first_day is not None:
        text += f" from {first_day:%d/%m/%Y}"
    elif reason == OTHER and detail:
        text += f": {detail}"
    if due_from is not None:
        text += f"; full-time education due from {due_from:%d/%m/%Y} (sixth school day)"
    return text
