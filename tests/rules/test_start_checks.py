"""What starting a placement refuses: year group, absence deadline, review date, due dates."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.rules.start_checks import (
    absence_deadline_problem,
    due_date_problem,
    review_date_problem,
    year_group_problem,
)

START = dt.date(2026, 11, 30)
END = dt.date(2027, 2, 5)


@pytest.mark.parametrize("year", [1, 9, 11, 14])
def test_years_one_to_fourteen_are_accepted(year: int) -> None:
    assert year_group_problem(year) is None


@pytest.mark.parametrize(("year", "words"), [(0, "Reception"), (15, "1 to 14"), (-1, "1 to 14")])
def test_year_group_zero_or_out_of_range_is_refused(year: int, words: str) -> None:
    assert words in (year_group_problem(year) or "")


def test_the_absence_deadline_is_in_the_school_morning() -> None:
    assert absence_deadline_problem(dt.time(9, 30)) is None
    assert absence_deadline_problem(dt.time(12, 0)) is None
    problem = absence_deadline_problem(dt.time(17, 0))
    assert problem is not None and "17:00 is too late" in problem and "12:00" in problem


def test_a_part_time_review_falls_while_the_placement_runs() -> None:
    assert review_date_problem(dt.date(2027, 1, 8), start=START, planned_end=END) is None
    assert review_date_problem(END, start=START, planned_end=END) is None
    after = review_date_problem(dt.date(2027, 3, 1), start=START, planned_end=END)
    assert after is not None and "on or before the planned end (05/02/2027)" in after
    assert "after the start" in (review_date_problem(START, start=START, planned_end=END) or "")


def test_a_not_yet_check_is_never_due_in_the_past() -> None:
    today = dt.date(2026, 11, 27)
    assert due_date_problem(today, today=today) is None
    assert "can't be due in the past" in (due_date_problem(dt.date(2026, 11, 1), today=today) or "")
