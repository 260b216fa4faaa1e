"""The full-time check and the unregistered-provider time limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from storage.rules.fulltime import (
    DEFAULT_FULL_TIME_HOURS,
    UNREGISTERED_FULL_TIME_WEEKS,
    UNREGISTERED_PART_TIME_DAYS,
    check_full_time,
    describe_length,
    unregistered_warnings,
)

START = dt.date(2026, 9, 7)


def test_exactly_the_full_time_week_is_full_time() -> None:
    check = check_full_time(
        provider_hours=Decimal("25"), school_hours=Decimal("7.5"), other_hours=Decimal(0)
    )
    assert check.full_time_hours == DEFAULT_FULL_TIME_HOURS == Decimal("32.5")
    assert check.total == Decimal("32.5")
    assert check.is_full_time
    assert check.shortfall == 0
    assert check.summary == "Full-time: 32.5 h of 32.5 h (AP 25 h, school 7.5 h, other 0 h)"


def test_a_hundredth_short_is_part_time() -> None:
    check = check_full_time(
        provider_hours=Decimal("25"), school_hours=Decimal("7.49"), other_hours=Decimal(0)
    )
    assert not check.is_full_time
    assert check.shortfall == Decimal("0.01")


def test_part_time_summary_names_the_shortfall_c2_and_review() -> None:
    check = check_full_time(
        provider_hours=Decimal("20.00"), school_hours=Decimal(0), other_hours=Decimal(0)
    )
    assert check.summary == (
        "Part-time timetable: 20 h of 32.5 h, 12.5 h short. "
        "Sessions not attended are coded C2; a review date is required."
    )


def test_hours_at_other_providers_count() -> None:
    check = check_full_time(
        provider_hours=Decimal("15"), school_hours=Decimal("10"), other_hours=Decimal("7.5")
    )
    assert check.is_full_time


def test_the_schools_own_full_time_week() -> None:
    check = check_full_time(
        provider_hours=Decimal("32.5"),
        school_hours=Decimal(0),
        other_hours=Decimal(0),
        full_time_hours=Decimal("33.25"),
    )
    assert not check.is_full_time
    assert check.shortfall == Decimal("0.75")
    assert "of 33.25 h" in check.summary
    shorter_week = check_full_time(
        provider_hours=Decimal("30"),
        school_hours=Decimal(0),
        other_hours=Decimal(0),
        full_time_hours=Decimal("30"),
    )
    assert shorter_week.is_full_time


def test_negative_hours_are_rejected() -> None:
    with pytest.raises(ValueError, match="school hours cannot be negative"):
        check_full_time(
            provider_hours=Decimal("30"), school_hours=Decimal("-1"), other_hours=Decimal(0)
        )
    with pytest.raises(ValueError, match="full-time week"):
        check_full_time(
            provider_hours=Decimal("30"),
            school_hours=Decimal(0),
            other_hours=Decimal(0),
            full_time_hours=Decimal(0),
        )


def warnings_for(
    *, full_time: bool = True, days: int = 5, end: dt.date | None = None, unregistered: bool = True
) -> list[str]:
    return unregistered_warnings(
        unregistered=unregistered,
        is_full_time=full_time,
        days_per_week=days,
        start_date=START,
        planned_end_date=end,
    )


def test_registered_providers_get_no_warnings() -> None:
    assert warnings_for(unregistered=False, end=START + dt.timedelta(weeks=30)) == []


def test_unregistered_always_gets_the_general_warning() -> None:
    warnings = warnings_for(full_time=False, days=1, end=START + dt.timedelta(weeks=4))
    assert len(warnings) == 1
    assert "not registered with DfE" in warnings[0]
    assert "safe, suitable" in warnings[0]


def test_full_time_for_exactly_twelve_weeks_is_within_the_limit() -> None:
    assert UNREGISTERED_FULL_TIME_WEEKS == 12
    assert len(warnings_for(end=START + dt.timedelta(weeks=12))) == 1


def test_full_time_for_twelve_weeks_and_a_day_is_warned() -> None:
    warnings = warnings_for(end=START + dt.timedelta(weeks=12, days=1))
    assert len(warnings) == 2
    assert "12 weeks and 1 day" in warnings[1]
    assert "no more than 12 weeks" in warnings[1]


def test_full_time_with_no_planned_end_is_warned() -> None:
    warnings = warnings_for(end=None)
    assert len(warnings) == 2
    assert "No planned end date" in warnings[1]
    assert "12 weeks" in warnings[1]


def test_part_time_two_days_is_fine_three_is_warned() -> None:
    assert UNREGISTERED_PART_TIME_DAYS == 2
    assert len(warnings_for(full_time=False, days=2)) == 1
    warnings = warnings_for(full_time=False, days=3)
    assert len(warnings) == 2
    assert "3 days a week" in warnings[1]
    assert "no more than 2 days a week" in warnings[1]


def test_part_time_is_not_held_to_the_twelve_week_limit() -> None:
    assert len(warnings_for(full_time=False, days=2, end=START + dt.timedelta(weeks=20))) == 1


def test_impossible_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="between 0 and 7"):
        warnings_for(days=8)
    with pytest.raises(ValueError, match="before the start"):
        warnings_for(end=START - dt.timedelta(days=1))


def test_describe_length() -> None:
    assert describe_length(84) == "12 weeks"
    assert describe_length(85) == "12 weeks and 1 day"
    assert describe_length(9) == "1 week and 2 days"
    assert describe_length(0) == "0 days"
