"""The full-time check, what a school week can hold, and DfE's intended time limits for
unregistered (non-school) providers.

"Pupils must receive full-time provision in total": hours at the AP, at the home school and at
any other provider are added up and compared with the school's full-time week (32.5 hours by
default, the DfE expectation for a mainstream school week). Anything less is a part-time
timetable: agreed with a parent, time-limited and reviewed (`part_time.py`); the sessions it
leaves out, and only those, are coded C2. Other placements count with their real hours.

Hours are bounded by what a week can hold (at most 8 hours a day, 4 a session), so 25 hours on
one day can't make a timetable look full time.

The unregistered limits are about time *at the unregistered setting*, counted in sessions (a
morning or an afternoon), not the pupil's whole week: DfE's August 2025 response to its
consultation on unregistered AP says a pupil may attend for short, intensive periods of up to 12
weeks (up to 5 days a week), or for longer only part-time, at no more than 2 days (4 sessions) a
week, alongside school. DfE has said it will legislate for these limits; until it does they are
not law, so they are warnings, not refusals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_FULL_TIME_HOURS = Decimal("32.5")

# What a school week can hold: any timetable past these is a typing slip, not a week.
MAX_HOURS_PER_SESSION = Decimal(4)
MAX_HOURS_PER_DAY = Decimal(8)
SESSIONS_PER_DAY = 2
SCHOOL_DAYS_PER_WEEK = 5
MAX_HOURS_PER_WEEK = MAX_HOURS_PER_DAY * SCHOOL_DAYS_PER_WEEK

# DfE's intended limits for pupils at settings not registered with it (August 2025).
UNREGISTERED_SHORT_WEEKS = 12
UNREGISTERED_LONG_TERM_SESSIONS = 4  # 2 days a week
UNREGISTERED_STATUS = (
    "DfE said in August 2025 that it will legislate for these limits; they are not law yet, "
    "but plan to them."
)
UNREGISTERED_LIMITS = (
    f"DfE's intended limits for an unregistered setting: up to {UNREGISTERED_SHORT_WEEKS} "
    f"weeks (up to 5 days a week), or longer only at no more than 2 days "
    f"({UNREGISTERED_LONG_TERM_SESSIONS} sessions) a week alongside school."
)


def format_hours(hours: Decimal) -> str:
    """Hours as a person writes them: 25, 7.5, 32.5 (no trailing zeros, no exponent)."""
    text = format(hours.normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class FullTimeCheck:
    """The outcome of adding up a pupil's weekly hours across all settings."""

    provider_hours: Decimal
    school_hours: Decimal
    other_hours: Decimal
    full_time_hours: Decimal
    total: Decimal
    is_full_time: bool
    shortfall: Decimal

    @property
    def summary(self) -> str:
        """One or two sentences for the placement summary and the checklist evidence."""
        total = format_hours(self.total)
        week = format_hours(self.full_time_hours)
        if self.is_full_time:
            return (
                f"Full-time: {total} h of {week} h "
                f"(AP {format_hours(self.provider_hours)} h, "
                f"school {format_hours(self.school_hours)} h, "
                f"other {format_hours(self.other_hours)} h)"
            )
        return (
            f"Part-time timetable: {total} h of {week} h, "
            f"{format_hours(self.shortfall)} h short. "
            "It needs a parent's agreement, a time limit and reviews; only the sessions it "
            "leaves out are coded C2."
        )


def check_full_time(
    *,
    provider_hours: Decimal,
    school_hours: Decimal,
    other_hours: Decimal,
    full_time_hours: Decimal = DEFAULT_FULL_TIME_HOURS,
) -> FullTimeCheck:
    """Whether the hours in all settings add up to the school's full-time week.

    Raises ValueError for negative hours or a full-time week that is not positive.
    """
    for name, hours in (
        ("AP", provider_hours),
        ("school", school_hours),
        ("other provider", other_hours),
    ):
        if hours < 0:
            raise ValueError(f"{name} hours cannot be negative (got {format_hours(hours)}).")
    if full_time_hours <= 0:
        raise ValueError(
            f"The full-time week must be more than 0 hours (got {format_hours(full_time_hours)})."
        )
    total = provider_hours + school_hours + other_hours
    is_full_time = total >= full_time_hours
    shortfall = Decimal(0) if is_full_time else full_time_hours - total
    return FullTimeCheck(
        provider_hours=provider_hours,
        school_hours=school_hours,
        other_hours=other_hours,
        full_time_hours=full_time_hours,
        total=total,
        is_full_time=is_full_time,
        shortfall=shortfall,
    )


def describe_length(days: int) -> str:
    """A length of time in weeks and days, e.g. "12 weeks and 1 day"."""
    weeks, rest = divmod(days, 7)
    parts = []
    if weeks:
        parts.append(f"{weeks} week" + ("" if weeks == 1 else "s"))
    if rest or not weeks:
        parts.append(f"{rest} day" + ("" if rest == 1 else "s"))
    return " and ".join(parts)


def provider_hours_problem(hours: Decimal, *, days: int, sessions: int | None = None) -> str | None:
    """Why these weekly hours at the provider can't be right, or None.

    Refuses 0 hours (a placement is time at the provider) and more hours than the days (or the
    sessions, when known) can hold: at most 8 hours a day and 4 a session.
    """
    if hours <= 0:
        return "The pupil needs some hours at the provider: a placement with 0 hours isn't one."
    day_word = "day" if days == 1 else "days"
    if hours > MAX_HOURS_PER_DAY * days:
        return (
            f"{format_hours(hours)} hours on {days} {day_word} is more than a school day can hold "
            f"(at most {format_hours(MAX_HOURS_PER_DAY)} hours a day). Check the hours, or go "
            "back and add the other days."
        )
    if sessions is not None and hours > MAX_HOURS_PER_SESSION * sessions:
        session_word = "session" if sessions == 1 else "sessions"
        return (
            f"{format_hours(hours)} hours in {sessions} {session_word} is more than they can hold "
            f"(at most {format_hours(MAX_HOURS_PER_SESSION)} hours a morning or afternoon). "
            "Check the hours, or go back and change the sessions."
        )
    return None


def week_hours_problem(total: Decimal) -> str | None:
    """Why a pupil's hours in all settings together can't be one week, or None."""
    if total > MAX_HOURS_PER_WEEK:
        return (
            f"That makes {format_hours(total)} hours a week in all settings together, more than a "
            f"school week can hold (5 days of at most {format_hours(MAX_HOURS_PER_DAY)} hours). "
            "Check the hours."
        )
    return None


def sessions_problem(sessions: int, *, days: int) -> str | None:
    """Why this many sessions a week on these days can't be right (one or two a day), or None."""
    if not days <= sessions <= SESSIONS_PER_DAY * days:
        return (
            f"On {days} day(s) a week that is {days} to {SESSIONS_PER_DAY * days} sessions "
            "(a morning or an afternoon each)."
        )
    return None


def unregistered_warnings(
    *,
    unregistered: bool,
    sessions_per_week: int,
    school_hours: Decimal,
    start_date: dt.date,
    planned_end_date: dt.date | None,
) -> list[str]:
    """Warnings to show loudly when placing a pupil with a provider not registered with DfE.

    Judged on the time at the unregistered setting only (its sessions a week and the
    placement's length), never the pupil's whole week. Empty for a registered provider. For an
    unregistered one: always a general warning; then, for a placement planned for more than 12
    weeks (or with no planned end), a warning when it is more than 4 sessions a week there, or
    when the pupil has no time at school alongside it. Exactly 12 weeks is within the limit.

    Raises ValueError if sessions_per_week is not 0 to 10 or the planned end is before the start.
    """
    if not 0 <= sessions_per_week <= SESSIONS_PER_DAY * SCHOOL_DAYS_PER_WEEK:
        raise ValueError(f"Sessions a week must be between 0 and 10 (got {sessions_per_week}).")
    if planned_end_date is not None and planned_end_date < start_date:
        raise ValueError("The planned end date is before the start date.")
    if not unregistered:
        return []

    warnings = [
        "This provider is not registered with DfE. The school stays responsible for the pupil "
        "and must be satisfied that the setting is safe, suitable, and registered where it "
        "should be (a setting offering full-time education may need to register as a school)."
    ]
    limit_days = UNREGISTERED_SHORT_WEEKS * 7
    if planned_end_date is None:
        length = "with no planned end"
    elif (planned_end_date - start_date).days > limit_days:
        length = f"planned for {describe_length((planned_end_date - start_date).days)}"
    else:
        return warnings  # up to 12 weeks: any number of days a week is within the limits
    if sessions_per_week > UNREGISTERED_LONG_TERM_SESSIONS:
        warnings.append(
            f"This placement is {length}, at {sessions_per_week} sessions a week at the "
            f"unregistered setting. {UNREGISTERED_LIMITS} {UNREGISTERED_STATUS}"
        )
    elif school_hours <= 0:
        warnings.append(
            f"This placement is {length}, with no time at school alongside it. "
            f"{UNREGISTERED_LIMITS} {UNREGISTERED_STATUS}"
        )
    return warnings
