"""The full-time check, and the time limits DfE has proposed for unregistered providers.

"Pupils must receive full-time provision in total": hours at the AP, at the home school and at
any other provider are added up and compared with the school's full-time week (32.5 hours by
default, the DfE expectation for a mainstream school week). Anything less is a part-time
timetable: sessions not attended are coded C2 and the timetable needs a review date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_FULL_TIME_HOURS = Decimal("32.5")

# Limits DfE has proposed for pupils at settings not registered with it.
UNREGISTERED_FULL_TIME_WEEKS = 12
UNREGISTERED_PART_TIME_DAYS = 2


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
            "Sessions not attended are coded C2; a review date is required."
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


def unregistered_warnings(
    *,
    unregistered: bool,
    is_full_time: bool,
    days_per_week: int,
    start_date: dt.date,
    planned_end_date: dt.date | None,
) -> list[str]:
    """Warnings to show loudly when placing a pupil with a provider not registered with DfE.

    Empty for a registered provider. For an unregistered one: always a general warning; for a
    full-time placement planned to end more than 12 weeks after it starts (or with no planned
    end), a warning naming that limit; for a part-time placement of more than 2 days a week, a
    warning naming that limit. Exactly 12 weeks after the start date is within the limit.

    Raises ValueError if days_per_week is not 0 to 7 or the planned end is before the start.
    """
    if not 0 <= days_per_week <= 7:
        raise ValueError(f"Days a week must be between 0 and 7 (got {days_per_week}).")
    if planned_end_date is not None and planned_end_date < start_date:
        raise ValueError("The planned end date is before the start date.")
    if not unregistered:
        return []

    warnings = [
        "This provider is not registered with DfE. The school stays responsible for the pupil "
        "and must be satisfied that the setting is safe, suitable, and registered where it "
        "should be (a setting offering full-time education may need to register as a school)."
    ]
    if is_full_time:
        limit = UNREGISTERED_FULL_TIME_WEEKS
        if planned_end_date is None:
            warnings.append(
                f"No planned end date: DfE has proposed that pupils attend an unregistered "
                f"provider full-time for no more than {limit} weeks. Set a planned end date."
            )
        else:
            days = (planned_end_date - start_date).days
            if days > limit * 7:
                warnings.append(
                    f"This full-time placement is planned for {describe_length(days)}: DfE has "
                    f"proposed that pupils attend an unregistered provider full-time for no more "
                    f"than {limit} weeks."
                )
    elif days_per_week > UNREGISTERED_PART_TIME_DAYS:
        warnings.append(
            f"This part-time placement is {days_per_week} days a week: DfE has proposed that "
            f"pupils attend an unregistered provider part-time for no more than "
            f"{UNREGISTERED_PART_TIME_DAYS} days a week."
        )
    return warnings
