"""A day and a time on one line (`parse_date_time`), as `apbot tick --at` takes them."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.parsing import AnswerError, DateSense, parse_date_time

FRIDAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("01/12/2026 09:31", dt.datetime(2026, 12, 1, 9, 31)),
        ("2026-12-01 09:31", dt.datetime(2026, 12, 1, 9, 31)),
        ("2026-12-01T09:31", dt.datetime(2026, 12, 1, 9, 31)),
        ("  27/11/2026   8:30 ", dt.datetime(2026, 11, 27, 8, 30)),
        ("27 11 2026 0830", dt.datetime(2026, 11, 27, 8, 30)),
        ("tomorrow 9", dt.datetime(2026, 11, 28, 9, 0)),
        ("mon 09:00", dt.datetime(2026, 11, 30, 9, 0)),  # a plan: the next Monday
    ],
)
def test_a_day_and_a_time_are_read_as_the_dialogs_read_each(
    typed: str, expected: dt.datetime
) -> None:
    assert parse_date_time(typed, today=FRIDAY, sense=DateSense.planned) == expected


def test_a_weekday_that_happened_is_the_last_one() -> None:
    assert parse_date_time("mon 09:00", today=FRIDAY, sense=DateSense.happened) == dt.datetime(
        2026, 11, 23, 9, 0
    )


@pytest.mark.parametrize(
    "typed", ["not a time", "27/11/2026", "09:30", "31/02/2026 10:00", "27/11/2026 24:00", ""]
)
def test_anything_else_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(
        AnswerError, match=r"write it like 01/12/2026 09:31 \(or 2026-12-01 09:31\)"
    ):
        parse_date_time(typed, today=FRIDAY, sense=DateSense.planned)
