"""School days, bank holidays, term breaks, London times and the term-dates CSV."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.rules.calendar import (
    MAX_CLOSED_RUN_DAYS,
    SchoolCalendar,
    TermBreak,
    TermDatesError,
    at_london,
    london_date,
    parse_term_breaks_csv,
)

UTC = dt.UTC
CHRISTMAS_2026 = TermBreak("Christmas holidays", dt.date(2026, 12, 21), dt.date(2027, 1, 1))
EASTER_2027 = TermBreak("Easter holidays", dt.date(2027, 3, 29), dt.date(2027, 4, 9))
NO_BREAKS = SchoolCalendar()
WITH_BREAKS = SchoolCalendar(breaks=(CHRISTMAS_2026, EASTER_2027))


def d(day: int, month: int, year: int) -> dt.date:
    """A date written the English way round."""
    return dt.date(year, month, day)


# --- Weekends and bank holidays ----------------------------------------------------------------


def test_weekdays_in_term_are_school_days() -> None:
    week = [d(day, 11, 2026) for day in range(9, 14)]  # Monday 9 to Friday 13 November 2026
    assert all(NO_BREAKS.is_school_day(day) for day in week)
    assert all(NO_BREAKS.reason_closed(day) is None for day in week)


def test_weekends_are_closed() -> None:
    assert not NO_BREAKS.is_school_day(d(14, 11, 2026))
    assert not NO_BREAKS.is_school_day(d(15, 11, 2026))
    assert NO_BREAKS.reason_closed(d(14, 11, 2026)) == "Saturday"
    assert NO_BREAKS.reason_closed(d(15, 11, 2026)) == "Sunday"


ENGLAND_BANK_HOLIDAYS = [
    (d(25, 12, 2026), "Christmas Day"),  # Friday
    (d(28, 12, 2026), "Boxing Day (observed)"),  # Monday: Boxing Day falls on a Saturday
    (d(1, 1, 2027), "New Year's Day"),
    (d(26, 3, 2027), "Good Friday"),
    (d(29, 3, 2027), "Easter Monday"),
    (d(3, 5, 2027), "May Day"),
    (d(31, 5, 2027), "Spring Bank Holiday"),
    (d(30, 8, 2027), "Late Summer Bank Holiday"),
]


@pytest.mark.parametrize(("day", "name"), ENGLAND_BANK_HOLIDAYS)
def test_england_bank_holidays_are_closed(day: dt.date, name: str) -> None:
    assert day.weekday() < 5  # each is a weekday, so the bank holiday is what closes it
    assert NO_BREAKS.bank_holiday(day) == name
    assert not NO_BREAKS.is_school_day(day)
    assert NO_BREAKS.reason_closed(day) == f"bank holiday: {name}"


@pytest.mark.parametrize(
    "day",
    [
        d(30, 11, 2026),  # St Andrew's Day, a Monday: Scotland only
        d(4, 1, 2027),  # Scotland's 2 January holiday, observed on Monday 4 January
        d(2, 8, 2027),  # Scotland's summer bank holiday (first Monday in August)
        d(17, 3, 2027),  # St Patrick's Day, a Wednesday: Northern Ireland only
        d(12, 7, 2027),  # Battle of the Boyne, a Monday: Northern Ireland only
    ],
)
def test_other_nations_holidays_are_school_days_in_england(day: dt.date) -> None:
    assert NO_BREAKS.bank_holiday(day) is None
    assert NO_BREAKS.is_school_day(day)


def test_a_weekend_is_named_before_a_bank_holiday_on_it() -> None:
    boxing_day = d(26, 12, 2026)  # a Saturday
    assert NO_BREAKS.bank_holiday(boxing_day) == "Boxing Day"
    assert NO_BREAKS.reason_closed(boxing_day) == "Saturday"


# --- Term breaks -------------------------------------------------------------------------------


def test_a_christmas_break_closes_its_days_and_is_named() -> None:
    assert WITH_BREAKS.is_school_day(d(18, 12, 2026))  # last day of term
    for day in (d(21, 12, 2026), d(23, 12, 2026), d(31, 12, 2026)):
        assert not WITH_BREAKS.is_school_day(day)
        assert WITH_BREAKS.reason_closed(day) == "Christmas holidays"
        assert WITH_BREAKS.term_break(day) == CHRISTMAS_2026
    assert WITH_BREAKS.is_school_day(d(4, 1, 2027))  # back to school


def test_a_bank_holiday_inside_a_break_is_named_as_the_bank_holiday() -> None:
    assert WITH_BREAKS.reason_closed(d(25, 12, 2026)) == "bank holiday: Christmas Day"
    assert WITH_BREAKS.term_break(d(25, 12, 2026)) == CHRISTMAS_2026


def test_breaks_are_inclusive_and_must_not_end_before_they_start() -> None:
    half_term = TermBreak("October half-term", d(26, 10, 2026), d(30, 10, 2026))
    assert half_term.covers(d(26, 10, 2026)) and half_term.covers(d(30, 10, 2026))
    assert not half_term.covers(d(2, 11, 2026))
    one_day = TermBreak("INSET day", d(4, 1, 2027), d(4, 1, 2027))
    assert not SchoolCalendar(breaks=(one_day,)).is_school_day(d(4, 1, 2027))
    with pytest.raises(ValueError, match="before the first day"):
        TermBreak("Backwards", d(30, 10, 2026), d(26, 10, 2026))
    with pytest.raises(ValueError, match="needs a name"):
        TermBreak("  ", d(26, 10, 2026), d(30, 10, 2026))


def test_breaks_given_as_a_list_are_stored_as_a_tuple() -> None:
    calendar = SchoolCalendar(breaks=[CHRISTMAS_2026])  # type: ignore[arg-type]
    assert calendar.breaks == (CHRISTMAS_2026,)
    assert hash(calendar) == hash(SchoolCalendar(breaks=(CHRISTMAS_2026,)))


# --- Moving between school days ----------------------------------------------------------------


def test_next_and_previous_across_a_weekend_and_bank_holidays() -> None:
    # Easter 2027: Good Friday, the weekend and Easter Monday all closed.
    maundy_thursday = d(25, 3, 2027)
    assert NO_BREAKS.next_school_day(maundy_thursday) == d(30, 3, 2027)
    assert NO_BREAKS.previous_school_day(d(30, 3, 2027)) == maundy_thursday
    # August 2027: weekend then the summer bank holiday.
    assert NO_BREAKS.next_school_day(d(27, 8, 2027)) == d(31, 8, 2027)
    assert NO_BREAKS.previous_school_day(d(31, 8, 2027)) == d(27, 8, 2027)


def test_next_and_previous_are_strict_and_skip_breaks() -> None:
    assert NO_BREAKS.next_school_day(d(10, 11, 2026)) == d(11, 11, 2026)
    assert NO_BREAKS.previous_school_day(d(10, 11, 2026)) == d(9, 11, 2026)
    assert WITH_BREAKS.next_school_day(d(18, 12, 2026)) == d(4, 1, 2027)
    assert WITH_BREAKS.previous_school_day(d(4, 1, 2027)) == d(18, 12, 2026)
    assert WITH_BREAKS.next_school_day(d(25, 3, 2027)) == d(12, 4, 2027)


def test_school_days_between_is_inclusive() -> None:
    assert NO_BREAKS.school_days_between(d(24, 12, 2026), d(4, 1, 2027)) == [
        d(24, 12, 2026),
        d(29, 12, 2026),
        d(30, 12, 2026),
        d(31, 12, 2026),
        d(4, 1, 2027),
    ]
    assert WITH_BREAKS.school_days_between(d(17, 12, 2026), d(5, 1, 2027)) == [
        d(17, 12, 2026),
        d(18, 12, 2026),
        d(4, 1, 2027),
        d(5, 1, 2027),
    ]
    assert NO_BREAKS.school_days_between(d(14, 11, 2026), d(15, 11, 2026)) == []
    assert NO_BREAKS.school_days_between(d(13, 11, 2026), d(9, 11, 2026)) == []


def test_add_school_days_forwards_and_backwards() -> None:
    friday = d(18, 12, 2026)
    assert WITH_BREAKS.add_school_days(friday, 1) == d(4, 1, 2027)
    assert WITH_BREAKS.add_school_days(friday, 3) == d(6, 1, 2027)
    assert WITH_BREAKS.add_school_days(d(6, 1, 2027), -3) == friday
    assert NO_BREAKS.add_school_days(d(14, 11, 2026), 1) == d(16, 11, 2026)  # from a Saturday
    assert NO_BREAKS.add_school_days(d(14, 11, 2026), 0) == d(14, 11, 2026)


def test_a_break_covering_a_whole_year_raises_instead_of_looping() -> None:
    year_off = TermBreak("Closed", d(1, 1, 2027), d(31, 12, 2028))
    calendar = SchoolCalendar(breaks=(year_off,))
    with pytest.raises(ValueError, match=f"No school day within {MAX_CLOSED_RUN_DAYS} days"):
        calendar.next_school_day(d(31, 12, 2026))
    with pytest.raises(ValueError, match="check the term breaks"):
        calendar.previous_school_day(d(1, 1, 2029))
    with pytest.raises(ValueError):
        calendar.add_school_days(d(31, 12, 2026), 1)


def test_a_datetime_is_refused_where_a_date_is_expected() -> None:
    with pytest.raises(TypeError, match="london_date"):
        NO_BREAKS.is_school_day(dt.datetime(2026, 11, 9, 23, 30, tzinfo=UTC))


# --- London wall-clock times -------------------------------------------------------------------


def test_at_london_across_the_october_clock_change() -> None:
    half_past_nine = dt.time(9, 30)
    before = at_london(d(23, 10, 2026), half_past_nine)  # BST, UTC+1
    after = at_london(d(26, 10, 2026), half_past_nine)  # GMT after Sunday 25 October
    assert before == dt.datetime(2026, 10, 23, 8, 30, tzinfo=UTC)
    assert after == dt.datetime(2026, 10, 26, 9, 30, tzinfo=UTC)
    assert before.utcoffset() == dt.timedelta(0)
    # On the day itself, 01:30 happens twice: the first (BST) unless fold says otherwise.
    assert at_london(d(25, 10, 2026), dt.time(1, 30)) == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert at_london(d(25, 10, 2026), dt.time(1, 30, fold=1)) == dt.datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC
    )


def test_at_london_across_the_march_clock_change() -> None:
    eight = dt.time(8, 0)
    assert at_london(d(26, 3, 2027), eight) == dt.datetime(2027, 3, 26, 8, 0, tzinfo=UTC)  # GMT
    assert at_london(d(29, 3, 2027), eight) == dt.datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # BST
    assert at_london(d(28, 3, 2027), eight) == dt.datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    # 01:30 on Sunday 28 March does not exist: read with the GMT offset (02:30 BST).
    assert at_london(d(28, 3, 2027), dt.time(1, 30)) == dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_at_london_refuses_a_time_with_a_zone() -> None:
    with pytest.raises(ValueError, match="without a time zone"):
        at_london(d(23, 10, 2026), dt.time(9, 30, tzinfo=UTC))


def test_london_date_of_an_instant() -> None:
    # 23:30 UTC in summer is already tomorrow in London; in winter it is still today.
    assert london_date(dt.datetime(2026, 10, 23, 23, 30, tzinfo=UTC)) == d(24, 10, 2026)
    assert london_date(dt.datetime(2026, 10, 26, 23, 30, tzinfo=UTC)) == d(26, 10, 2026)
    with pytest.raises(ValueError, match="aware"):
        london_date(dt.datetime(2026, 10, 26, 23, 30))


# --- Term dates CSV ----------------------------------------------------------------------------


def test_parses_uk_and_iso_dates_skipping_blank_lines() -> None:
    text = (
        "name,first_day,last_day\n"
        "\n"
        "Christmas holidays,21/12/2026,01/01/2027\n"
        "October half-term,2026-10-26,2026-10-30\n"
        "  \n"
        '"INSET day, staff training",4/1/2027,4/1/2027\n'
    )
    assert parse_term_breaks_csv(text) == [
        TermBreak("October half-term", d(26, 10, 2026), d(30, 10, 2026)),
        CHRISTMAS_2026,
        TermBreak("INSET day, staff training", d(4, 1, 2027), d(4, 1, 2027)),
    ]


def test_accepts_start_end_columns_excel_bom_crlf_and_extra_columns() -> None:
    text = "\ufeffName , Start,End,Notes\r\nEaster holidays,29/03/2027,09/04/2027,back 12th\r\n"
    assert parse_term_breaks_csv(text) == [EASTER_2027]


def test_header_only_gives_no_breaks() -> None:
    assert parse_term_breaks_csv("name,first_day,last_day\n") == []


def error_for(text: str) -> TermDatesError:
    with pytest.raises(TermDatesError) as caught:
        parse_term_breaks_csv(text)
    assert isinstance(caught.value, ValueError)
    return caught.value


def test_a_date_in_the_wrong_format_names_its_line() -> None:
    error = error_for(
        "name,first_day,last_day\nOctober half-term,26/10/2026,30/10/2026\n\nEaster,March 29,9/4/27\n"
    )
    assert error.line == 4
    assert str(error).startswith("Line 4: first_day 'March 29' is not a date")
    assert "dd/mm/yyyy" in str(error)


def test_an_impossible_date_names_its_line() -> None:
    error = error_for("name,first_day,last_day\nSpring half-term,15/02/2027,31/02/2027\n")
    assert error.line == 2
    assert "last_day '31/02/2027' is not a real date" in str(error)


def test_a_two_digit_year_is_refused() -> None:
    assert error_for("name,start,end\nHalf-term,26/10/26,30/10/26\n").line == 2


def test_a_break_ending_before_it_starts_names_its_line() -> None:
    error = error_for(
        "name,first_day,last_day\n"
        "October half-term,26/10/2026,30/10/2026\n"
        "Christmas holidays,01/01/2027,21/12/2026\n"
    )
    assert error.line == 3
    assert "'Christmas holidays' ends (21/12/2026) before it starts (01/01/2027)" in str(error)


def test_a_missing_header_column_names_the_header_line() -> None:
    error = error_for("\nname,first_day\nOctober half-term,26/10/2026\n")
    assert error.line == 2
    assert "no last_day column" in str(error)
    two_missing = error_for("name,from,to\nX,1/1/2027,2/1/2027\n")
    assert "no first_day or last_day column" in str(two_missing)
    assert "Line 1: the header has no name, first_day or last_day column" in str(
        error_for("break,from,to\nX,1/1/2027,2/1/2027\n")
    )


def test_a_missing_value_names_its_line() -> None:
    error = error_for("name,first_day,last_day\nOctober half-term,26/10/2026\n")
    assert str(error) == "Line 2: the last_day is missing."
    assert error_for("name,first_day,last_day\n,26/10/2026,30/10/2026\n").line == 2


def test_a_repeated_column_is_refused() -> None:
    error = error_for("name,start,first_day,last_day\nX,1/1/2027,1/1/2027,2/1/2027\n")
    assert error.line == 1
    assert "two columns give the first_day" in str(error)


def test_overlapping_breaks_name_both_lines() -> None:
    error = error_for(
        "name,first_day,last_day\n"
        "Christmas holidays,21/12/2026,01/01/2027\n"
        "October half-term,26/10/2026,30/10/2026\n"
        "INSET day,01/01/2027,01/01/2027\n"
    )
    assert error.line == 4
    assert "'INSET day' (01/01/2027 to 01/01/2027) overlaps 'Christmas holidays'" in str(error)
    assert "on line 2" in str(error)


def test_an_empty_file_is_refused() -> None:
    error = error_for("\n  \n")
    assert error.line is None
    assert "empty" in str(error)


def test_counting_school_days_up_to_a_limit_agrees_with_listing_them() -> None:
    """`count_school_days` (the QA rule's "within five school days") is the length of
    `school_days_between`, stopped at the limit, across a weekend, Christmas and Easter."""
    for start in (d(14, 12, 2026), d(18, 12, 2026), d(31, 12, 2026), d(22, 3, 2027)):
        for span in range(-1, 30):
            end = start + dt.timedelta(days=span)
            listed = len(WITH_BREAKS.school_days_between(start, end))
            for at_most in (1, 5, 6, 40):
                assert WITH_BREAKS.count_school_days(start, end, at_most=at_most) == min(
                    listed, at_most
                ), (start, end, at_most)
