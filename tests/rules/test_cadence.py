"""When QA visits and weekly contacts fall due."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.rules.cadence import (
    CONTACT_INTERVAL_DAYS,
    FIRST_QA_VISIT_DAYS,
    QA_DUE_SOON_DAYS,
    QA_INTERVAL_DAYS,
    contact_overdue,
    first_qa_due,
    latest_allowed_next_visit,
    next_qa_due,
    qa_state,
    qa_visits_due_between,
)

START = dt.date(2026, 9, 7)  # a Monday at the start of the autumn term


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_constants_follow_the_guidance() -> None:
    # Twice a term as a minimum is every half-term: six weeks.
    assert QA_INTERVAL_DAYS == 42
    assert FIRST_QA_VISIT_DAYS == 14
    assert CONTACT_INTERVAL_DAYS == 7
    assert QA_DUE_SOON_DAYS == 7


def test_first_visit_two_weeks_after_the_start() -> None:
    assert first_qa_due(START) == dt.date(2026, 9, 21)
    assert first_qa_due(START, first_visit_days=7) == dt.date(2026, 9, 14)


def test_next_visit_every_half_term() -> None:
    visit = dt.date(2026, 9, 21)
    assert next_qa_due(visit) == dt.date(2026, 11, 2)
    assert latest_allowed_next_visit(visit) == next_qa_due(visit)
    assert next_qa_due(visit, interval_days=28) == dt.date(2026, 10, 19)
    with pytest.raises(ValueError):
        next_qa_due(visit, interval_days=0)


def test_qa_state_boundaries() -> None:
    due = dt.date(2026, 11, 2)
    assert qa_state(due, due - days(8)) == "ok"
    assert qa_state(due, due - days(7)) == "due_soon"
    assert qa_state(due, due) == "due_soon"
    assert qa_state(due, due + days(1)) == "overdue"
    assert qa_state(None, due) == "overdue"


def test_contact_overdue_after_more_than_a_week() -> None:
    last = dt.date(2026, 9, 14)
    assert not contact_overdue(last, START, last + days(7))
    assert contact_overdue(last, START, last + days(8))


def test_contact_counts_from_the_start_when_there_has_been_none() -> None:
    assert not contact_overdue(None, START, START + days(7))
    assert contact_overdue(None, START, START + days(8))


def test_contact_never_overdue_before_the_start() -> None:
    assert not contact_overdue(None, START, START - days(30))


def test_a_planning_call_before_the_start_counts_from_the_start() -> None:
    assert not contact_overdue(START - days(20), START, START + days(7))


def test_a_full_term_from_the_start_owes_two_visits() -> None:
    term_end = START + days(90)  # 13 weeks
    assert qa_visits_due_between(START, term_end, START, None) == 2


def test_any_half_term_of_a_running_placement_owes_at_least_one_visit() -> None:
    for offset in range(0, 120):
        window_start = START + days(offset)
        window_end = window_start + days(QA_INTERVAL_DAYS - 1)
        assert qa_visits_due_between(window_start, window_end, START, None) == 1, offset


def test_a_placement_only_days_old_owes_none() -> None:
    assert qa_visits_due_between(START, START + days(10), START, None) == 0


def test_placements_outside_the_window_owe_none() -> None:
    window = (dt.date(2027, 1, 4), dt.date(2027, 3, 26))
    ended_before = START + days(60)
    assert qa_visits_due_between(*window, START, ended_before) == 0
    starts_after = dt.date(2027, 4, 12)
    assert qa_visits_due_between(*window, starts_after, None) == 0


def test_an_ended_placement_owes_visits_only_until_its_end() -> None:
    term_end = START + days(90)
    # Due dates are start + 14 and start + 56: ending at day 50 owes one.
    assert qa_visits_due_between(START, term_end, START, START + days(50)) == 1
    assert qa_visits_due_between(START, term_end, START, START + days(56)) == 2


def test_a_window_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before its start"):
        qa_visits_due_between(START, START - days(1), START, None)
