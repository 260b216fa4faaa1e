"""The full-time check and the unregistered-provider time limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from storage.rules.fulltime import (
    DEFAULT_FULL_TIME_HOURS,
    UNREGISTERED_LONG_TERM_SESSIONS,
    UNREGISTERED_SHORT_WEEKS,
    check_full_time,
    describe_length,
    provider_hours_problem,
    sessions_problem,
    unregistered_warnings,
    week_hours_problem,
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
        "It needs a parent's agreement, a time limit and reviews; only the sessions it "
        "leaves out are coded C2."
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
    *,
    sessions: int = 10,
    school_hours: str = "0",
    end: dt.date | None = None,
    unregistered: bool = True,
) -> list[str]:
    return unregistered_warnings(
        unregistered=unregistered,
        sessions_per_week=sessions,
        school_hours=Decimal(school_hours),
        start_date=START,
        planned_end_date=end,
    )


SIX_MONTHS = START + dt.timedelta(weeks=26)


def test_registered_providers_get_no_warnings() -> None:
    assert warnings_for(unregistered=False, end=SIX_MONTHS) == []


def test_unregistered_always_gets_the_general_warning() -> None:
    warnings = warnings_for(sessions=2, end=START + dt.timedelta(weeks=4))
    assert len(warnings) == 1
    assert "not registered with DfE" in warnings[0]
    assert "safe, suitable" in warnings[0]


def test_up_to_twelve_weeks_any_number_of_days_is_within_the_limits() -> None:
    """Short 3 to 5 day placements were warned wrongly when the pupil's whole week was judged."""
    assert UNREGISTERED_SHORT_WEEKS == 12
    for sessions in (6, 8, 10):
        assert len(warnings_for(sessions=sessions, end=START + dt.timedelta(weeks=12))) == 1


def test_two_days_at_the_setting_alongside_school_for_six_months_is_within_the_limits() -> None:
    """2 AP days plus 3 school days for six months was warned as "full time > 12 weeks"."""
    assert UNREGISTERED_LONG_TERM_SESSIONS == 4
    assert len(warnings_for(sessions=4, school_hours="19.5", end=SIX_MONTHS)) == 1
    # Sessions are counted, not days: three mornings a week is 3 sessions.
    assert len(warnings_for(sessions=3, school_hours="22", end=SIX_MONTHS)) == 1


def test_more_than_four_sessions_a_week_past_twelve_weeks_is_warned() -> None:
    warnings = warnings_for(
        sessions=5, school_hours="16", end=START + dt.timedelta(weeks=12, days=1)
    )
    assert len(warnings) == 2
    assert "12 weeks and 1 day" in warnings[1] and "5 sessions a week" in warnings[1]
    assert "2 days (4 sessions) a week alongside school" in warnings[1]


def test_the_wording_says_dfe_will_legislate_without_calling_it_law() -> None:
    warning = warnings_for(sessions=10, end=SIX_MONTHS)[1]
    assert "DfE said in August 2025 that it will legislate" in warning
    assert "not law yet" in warning
    assert "proposed" not in warning


def test_long_part_time_with_no_school_alongside_is_warned() -> None:
    warnings = warnings_for(sessions=4, school_hours="0", end=SIX_MONTHS)
    assert len(warnings) == 2 and "no time at school alongside it" in warnings[1]


def test_no_planned_end_is_judged_as_longer_than_twelve_weeks() -> None:
    warnings = warnings_for(sessions=6, school_hours="10", end=None)
    assert len(warnings) == 2 and "with no planned end" in warnings[1]
    assert len(warnings_for(sessions=4, school_hours="10", end=None)) == 1


def test_impossible_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="between 0 and 10"):
        warnings_for(sessions=11)
    with pytest.raises(ValueError, match="before the start"):
        warnings_for(end=START - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("hours", "days", "sessions", "words"),
    [
        ("0", 1, None, "0 hours"),
        ("25", 1, None, "more than a school day can hold"),
        ("60", 5, None, "more than a school day can hold"),
        ("40", 5, None, None),
        ("8.01", 1, None, "at most 8 hours a day"),
        ("9", 2, 2, "at most 4 hours a morning or afternoon"),
    ],
)
def test_provider_hours_must_fit_the_days_and_sessions(
    hours: str, days: int, sessions: int | None, words: str | None
) -> None:
    problem = provider_hours_problem(Decimal(hours), days=days, sessions=sessions)
    assert (problem is None) if words is None else (words in (problem or ""))


def test_hours_that_fit_are_accepted() -> None:
    assert provider_hours_problem(Decimal("8"), days=1) is None
    assert provider_hours_problem(Decimal("25"), days=5, sessions=10) is None
    assert provider_hours_problem(Decimal("12"), days=2, sessions=4) is None


def test_a_week_holds_at_most_forty_hours() -> None:
    assert week_hours_problem(Decimal("40")) is None
    assert "more than a school week can hold" in (week_hours_problem(Decimal("60")) or "")


def test_sessions_are_one_or_two_a_day() -> None:
    assert sessions_problem(3, days=2) is None
    assert sessions_problem(2, days=2) is None
    assert "2 to 4 sessions" in (sessions_problem(5, days=2) or "")
    assert sessions_problem(1, days=2) is not None


def test_describe_length() -> None:
    assert describe_length(84) == "12 weeks"
    assert describe_length(85) == "12 weeks and 1 day"
    assert describe_length(9) == "1 week and 2 days"
    assert describe_length(0) == "0 days"
