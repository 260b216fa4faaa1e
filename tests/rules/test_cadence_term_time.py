"""QA visits "at least twice a term", counted in term time: half-term, Christmas and bank
holidays never make a visit overdue (issue 16, item 12)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from storage.rules.cadence import (
    first_qa_due,
    latest_allowed_next_visit,
    next_qa_due,
    qa_state,
    qa_visits_due_between,
    term_time_days,
)
from storage.rules.calendar import SchoolCalendar, TermBreak

HALF_TERM = TermBreak("October half-term", dt.date(2026, 10, 26), dt.date(2026, 10, 30))
CHRISTMAS = TermBreak("Christmas holidays", dt.date(2026, 12, 21), dt.date(2027, 1, 1))
SPRING_HALF_TERM = TermBreak("February half-term", dt.date(2027, 2, 15), dt.date(2027, 2, 19))
EASTER = TermBreak("Easter holidays", dt.date(2027, 3, 29), dt.date(2027, 4, 9))
INSET = TermBreak("INSET day", dt.date(2027, 1, 4), dt.date(2027, 1, 4))
CALENDAR = SchoolCalendar((HALF_TERM, CHRISTMAS, INSET, SPRING_HALF_TERM, EASTER))
# Each half-term from the autumn's second to the spring's second: (first, last) school day.
HALF_TERMS = [
    (dt.date(2026, 11, 2), dt.date(2026, 12, 18)),
    (dt.date(2027, 1, 5), dt.date(2027, 2, 12)),
    (dt.date(2027, 2, 22), dt.date(2027, 3, 25)),
]


def test_six_weeks_of_term_time_is_thirty_school_days() -> None:
    assert term_time_days(42) == 30
    assert term_time_days(28) == 20
    assert term_time_days(1) == 1


def test_the_first_visit_is_within_the_first_two_weeks_of_term_time() -> None:
    # Starts Monday 07/09/2026: the 10th school day is Friday 18/09.
    assert first_qa_due(dt.date(2026, 9, 7), calendar=CALENDAR) == dt.date(2026, 9, 18)
    # Starts Monday 19/10, the week before half-term: one week, the break, then one more.
    assert first_qa_due(dt.date(2026, 10, 19), calendar=CALENDAR) == dt.date(2026, 11, 6)
    # Starts in the holidays: term time begins on Tuesday 05/01/2027 (after an INSET day).
    assert first_qa_due(dt.date(2026, 12, 23), calendar=CALENDAR) == dt.date(2027, 1, 18)


def test_half_term_does_not_use_up_the_six_weeks() -> None:
    # A visit on Friday 02/10/2026: thirty school days later, skipping 26/10 to 30/10.
    visit = dt.date(2026, 10, 2)
    assert next_qa_due(visit, calendar=CALENDAR) == dt.date(2026, 11, 20)
    assert next_qa_due(visit) == dt.date(2026, 11, 13)  # no calendar: calendar days


def test_christmas_and_its_bank_holidays_do_not_use_up_the_six_weeks() -> None:
    # A visit on Friday 27/11/2026: 15 school days to Friday 18/12, then 15 from 05/01/2027.
    visit = dt.date(2026, 11, 27)
    due = next_qa_due(visit, calendar=CALENDAR)
    assert due == dt.date(2027, 1, 25)
    assert latest_allowed_next_visit(visit, calendar=CALENDAR) == due
    assert len(CALENDAR.school_days_between(visit + dt.timedelta(days=1), due)) == 30


def test_never_later_than_the_end_of_the_next_half_term() -> None:
    """A short half-term still gets its visit: after a visit on 12/02/2027, the next is due by
    Thursday 25/03 (the last school day before Easter: Good Friday is a bank holiday), not 30
    school days on in April."""
    assert next_qa_due(dt.date(2027, 2, 12), calendar=CALENDAR) == dt.date(2027, 3, 25)
    # Without term dates, only the 30 school days.
    assert next_qa_due(dt.date(2027, 2, 12), calendar=SchoolCalendar()) == dt.date(2027, 3, 30)


def test_nothing_is_overdue_while_the_school_is_closed() -> None:
    # Stored before term time was counted: due on Tuesday 22/12, in the Christmas holidays.
    due = dt.date(2026, 12, 22)
    for day in (dt.date(2026, 12, 23), dt.date(2026, 12, 28), dt.date(2027, 1, 4)):
        assert qa_state(due, day, calendar=CALENDAR) != "overdue", day
    # Due on the first day back (after the INSET day), overdue the day after.
    assert qa_state(due, dt.date(2027, 1, 5), calendar=CALENDAR) == "due_soon"
    assert qa_state(due, dt.date(2027, 1, 6), calendar=CALENDAR) == "overdue"
    # Without the calendar, the old rule: overdue the next day.
    assert qa_state(due, dt.date(2026, 12, 23)) == "overdue"


def test_due_soon_is_within_five_school_days() -> None:
    due = dt.date(2026, 11, 2)  # the Monday after half-term
    # Friday 23/10: the break lies between, so one school day ahead: due soon.
    assert qa_state(due, dt.date(2026, 10, 23), calendar=CALENDAR) == "due_soon"
    # Friday 16/10: six school days ahead.
    assert qa_state(due, dt.date(2026, 10, 16), calendar=CALENDAR) == "ok"
    assert qa_state(None, dt.date(2026, 10, 16), calendar=CALENDAR) == "overdue"


@given(
    start=st.dates(dt.date(2026, 9, 1), dt.date(2026, 11, 2)),
    early=st.lists(st.integers(min_value=0, max_value=25), min_size=8, max_size=8),
)
def test_each_half_term_has_a_visit_and_none_is_ever_overdue(
    start: dt.date, early: list[int]
) -> None:
    """Visiting on the day each visit falls due, or some school days before it, keeps the
    placement out of "overdue" every day, leaves at most 30 school days between visits, and
    puts a visit in every half-term."""
    due = first_qa_due(start, calendar=CALENDAR)
    day, visits = start, []
    for gap in early:
        visit = max(CALENDAR.add_school_days(due, -gap) if gap else due, day)
        while day <= visit:
            assert qa_state(due, day, calendar=CALENDAR) != "overdue", (day, due)
            day += dt.timedelta(days=1)
        visits.append(visit)
        new_due = next_qa_due(visit, calendar=CALENDAR)
        assert 0 < len(CALENDAR.school_days_between(visit + dt.timedelta(days=1), new_due)) <= 30
        assert CALENDAR.is_school_day(new_due)
        due = new_due
    for first, last in HALF_TERMS:
        if visits[-1] >= last:
            assert any(first <= v <= last for v in visits), (first, visits)


def test_the_governors_count_visits_due_in_term_time() -> None:
    start = dt.date(2026, 9, 7)
    autumn = qa_visits_due_between(start, dt.date(2026, 12, 18), start, None, calendar=CALENDAR)
    spring = qa_visits_due_between(
        dt.date(2027, 1, 4), dt.date(2027, 3, 26), start, None, calendar=CALENDAR
    )
    # 18/09 (the first, early), 06/11 and 18/12; then 12/02 and 25/03.
    assert autumn == 3 and spring == 2
