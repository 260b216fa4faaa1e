"""How typed answers are read: UK dates, 24-hour times, choices, hours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dialogs.engine import Step
from dialogs.parsing import (
    AnswerError,
    DateSense,
    parse_choice,
    parse_date,
    parse_hours,
    parse_multichoice,
    parse_text,
    parse_time,
    parse_yesno,
)
from dialogs.prompts import Choice, PromptKind

FRIDAY = dt.date(2026, 11, 27)
DAYS = [
    Choice(value="mon", label="Monday"),
    Choice(value="tue", label="Tuesday"),
    Choice(value="wed", label="Wednesday"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("27/11/2026", dt.date(2026, 11, 27)),
        ("1/2/2027", dt.date(2027, 2, 1)),
        ("01/02/27", dt.date(2027, 2, 1)),
        ("01-02-2027", dt.date(2027, 2, 1)),
        ("2027-02-01", dt.date(2027, 2, 1)),
        ("today", FRIDAY),
        (" Tomorrow ", dt.date(2026, 11, 28)),
        ("yesterday", dt.date(2026, 11, 26)),
        ("mon", dt.date(2026, 11, 30)),
        ("friday", FRIDAY),
        ("Thu", dt.date(2026, 12, 3)),
    ],
)
def test_uk_dates(typed: str, expected: dt.date) -> None:
    assert parse_date(typed, today=FRIDAY, sense=DateSense.planned) == expected


SUNDAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("typed", "happened", "planned"),
    [
        # A provider typing tue on a Sunday means the Tuesday just gone, not the coming one.
        ("tue", dt.date(2026, 11, 24), dt.date(2026, 12, 1)),
        ("Friday", dt.date(2026, 11, 27), dt.date(2026, 12, 4)),
        ("sun", SUNDAY, SUNDAY),
        ("last tue", dt.date(2026, 11, 24), dt.date(2026, 11, 24)),
        ("last  sunday", dt.date(2026, 11, 22), dt.date(2026, 11, 22)),
        ("next tue", dt.date(2026, 12, 1), dt.date(2026, 12, 1)),
        ("next sun", dt.date(2026, 12, 6), dt.date(2026, 12, 6)),
        ("yesterday", dt.date(2026, 11, 28), dt.date(2026, 11, 28)),
    ],
)
def test_a_weekday_is_the_last_one_for_what_happened_and_the_next_one_for_a_plan(
    typed: str, happened: dt.date, planned: dt.date
) -> None:
    assert parse_date(typed, today=SUNDAY, sense=DateSense.happened) == happened
    assert parse_date(typed, today=SUNDAY, sense=DateSense.planned) == planned


def test_a_date_question_must_say_what_it_is_about() -> None:
    with pytest.raises(TypeError, match="happened"):
        Step("when", PromptKind.date, "When?")


@pytest.mark.parametrize("typed", ["31/02/2026", "13/13/2026", "next week", "", "27/11", "🙂"])
def test_bad_dates_say_how_to_write_one(typed: str) -> None:
    with pytest.raises(AnswerError, match=r"27/11/2026"):
        parse_date(typed, today=FRIDAY, sense=DateSense.happened)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:30", dt.time(9, 30)),
        ("9:30", dt.time(9, 30)),
        ("0930", dt.time(9, 30)),
        ("9.30", dt.time(9, 30)),
        ("14", dt.time(14, 0)),
    ],
)
def test_24_hour_times(typed: str, expected: dt.time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "9:75", "half nine", "9:30pm"])
def test_bad_times(typed: str) -> None:
    with pytest.raises(AnswerError, match="24-hour"):
        parse_time(typed)


def test_choices_by_number_value_or_label_any_case() -> None:
    assert parse_choice("2", DAYS) == "tue"
    assert parse_choice("WED", DAYS) == "wed"
    assert parse_choice("monday", DAYS) == "mon"
    with pytest.raises(AnswerError, match="isn't one of the options"):
        parse_choice("4", DAYS)


def test_multichoice_keeps_the_order_of_the_options_without_repeats() -> None:
    assert parse_multichoice("wed, mon, 1", DAYS) == ["mon", "wed"]
    assert parse_multichoice(["tue", "mon"], DAYS) == ["mon", "tue"]
    assert parse_multichoice("none", DAYS) == []
    with pytest.raises(AnswerError, match="friday"):
        parse_multichoice("mon, friday", DAYS)


def test_yes_no() -> None:
    assert parse_yesno("Y") is True and parse_yesno("no") is False
    with pytest.raises(AnswerError):
        parse_yesno("maybe")


def test_text_limits() -> None:
    assert parse_text("  fine  ") == "fine"
    assert parse_text("'); DROP TABLE pupils;--") == "'); DROP TABLE pupils;--"
    with pytest.raises(AnswerError, match="empty"):
        parse_text("   ")
    with pytest.raises(AnswerError, match="10,000 characters"):
        parse_text("a" * 10_000)
    with pytest.raises(AnswerError):
        parse_text("bad\x00byte")


def test_hours() -> None:
    assert parse_hours("25") == Decimal("25.00")
    assert parse_hours("7,5 h") == Decimal("7.50")
    for bad in ("lots", "-1", "100", "nan", "inf"):
        with pytest.raises(AnswerError):
            parse_hours(bad)


def test_the_start_of_one_label_is_enough() -> None:
    outcomes = [
        Choice(value="returned", label="Returned to our school"),
        Choice(value="ap", label="Moved to another AP"),
        Choice(value="special", label="Moved to a special school"),
    ]
    assert parse_choice("return", outcomes) == "returned"
    with pytest.raises(AnswerError):
        parse_choice("moved", outcomes)  # two labels start so: ask again
    with pytest.raises(AnswerError):
        parse_choice("re", outcomes)  # too short to be sure
