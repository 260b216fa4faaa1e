"""The part-time timetable's terms as pure rules: which sessions are C2 and when, the time
limit, the review, and the reminders before and after the limit."""

from __future__ import annotations

import datetime as dt

from storage.rules.attendance import MarkKind, session_mark
from storage.rules.calendar import SchoolCalendar, at_london
from storage.rules.nudges import Facts, PlacementFacts, due_nudges
from storage.rules.part_time import (
    PartTimeAgreement,
    agreed_on_problem,
    review_problem,
    school_days_until,
    time_limit_problem,
    time_limit_warning,
)

START = dt.date(2026, 11, 30)  # a Monday
AGREED = PartTimeAgreement(starts_on=START, ends_on=dt.date(2027, 1, 8), covered=("mon", "tue"))


class Timetable:
    """Mondays and Tuesdays at the provider, short of full time."""

    start_date = START
    ended_on = None
    days = ["mon", "tue"]
    attendance_code = "B"
    is_full_time = False


def _mark(day: dt.date, part_time: PartTimeAgreement | None = AGREED) -> str:
    return session_mark(
        Timetable(),  # type: ignore[arg-type]
        day,
        None,
        calendar=SchoolCalendar(),
        today=dt.date(2027, 2, 1),
        part_time=part_time,
    ).mark


def test_c2_only_on_the_days_left_out_and_only_within_the_agreed_dates() -> None:
    wednesday = START + dt.timedelta(days=2)
    assert _mark(wednesday) == "C2"
    assert _mark(START) == "-"  # at the provider, not reported: never C2
    assert _mark(dt.date(2027, 1, 6)) == "C2"  # the last week
    assert _mark(dt.date(2027, 1, 13)) == ""  # after the time limit
    assert _mark(wednesday, None) == ""  # nobody agreed it with a parent
    ended = PartTimeAgreement(
        starts_on=START, ends_on=dt.date(2027, 1, 8), covered=("mon", "tue"), ended_on=START
    )
    assert _mark(wednesday, ended) == ""  # a review ended it on the first day


def test_a_day_left_out_is_in_no_attendance_figure() -> None:
    mark = session_mark(
        Timetable(),  # type: ignore[arg-type]
        START + dt.timedelta(days=2),
        None,
        calendar=SchoolCalendar(),
        today=START,
        part_time=AGREED,
    )
    assert mark.kind == MarkKind.part_time and mark.counting is None


def test_the_terms() -> None:
    today = dt.date(2026, 11, 27)
    assert agreed_on_problem(today, today=today) is None
    assert "not a future date" in (agreed_on_problem(START, today=today) or "")
    assert "90 days" in (agreed_on_problem(dt.date(2026, 8, 1), today=today) or "")
    planned_end = dt.date(2027, 2, 5)
    assert time_limit_problem(START, start=START, planned_end=planned_end) is None
    assert "before the start" in (time_limit_problem(today, start=START, planned_end=None) or "")
    assert "planned end" in (
        time_limit_problem(dt.date(2027, 2, 8), start=START, planned_end=planned_end) or ""
    )
    # Six weeks exactly is said nothing of; a day more is.
    assert time_limit_warning(START + dt.timedelta(days=41), start=START) is None
    assert time_limit_warning(START + dt.timedelta(days=42), start=START) is not None
    assert review_problem(dt.date(2027, 1, 8), start=START, ends=dt.date(2027, 1, 8)) is None
    assert "time limit" in (
        review_problem(dt.date(2027, 1, 11), start=START, ends=dt.date(2027, 1, 8)) or ""
    )


def test_school_days_to_the_limit_skip_the_bank_holidays() -> None:
    ends = dt.date(2027, 1, 8)
    calendar = SchoolCalendar()
    assert school_days_until(dt.date(2026, 12, 31), ends, calendar) == 5  # 1 January is off
    assert school_days_until(dt.date(2026, 12, 30), ends, calendar) == 6
    assert school_days_until(ends, ends, calendar) == 0


def _facts(day: dt.date, ends: dt.date | None) -> Facts:
    placement = PlacementFacts(
        id=1,
        reference="AP-7K3Q",
        pupil_name="Jamie Testpupil",
        provider_id=2,
        provider_name="Pathways",
        commissioner_id=3,
        owner_id=10,
        start_date=START,
        days=("mon", "tue"),
        absence_deadline=dt.time(9, 30),
        is_full_time=False,
        next_qa_due=dt.date(2027, 6, 1),
        last_contact=day,
        part_time_ends=ends,
    )
    return Facts(now=at_london(day, dt.time(9, 0)), placements=(placement,), leads={3: (11,)})


def _kinds(day: dt.date, ends: dt.date | None) -> list[tuple[str, int]]:
    return sorted(
        (n.kind.value, n.recipient_id)
        for n in due_nudges(_facts(day, ends), timely=False)
        if n.kind.value.startswith("part_time")
    )


def test_reminders_before_the_limit_and_after_it() -> None:
    ends = dt.date(2027, 1, 8)
    assert _kinds(dt.date(2026, 12, 30), ends) == []
    assert _kinds(dt.date(2026, 12, 31), ends) == [
        ("part_time_ending", 10),
        ("part_time_ending", 11),
    ]
    assert _kinds(ends, ends) == [("part_time_ending", 10), ("part_time_ending", 11)]
    assert _kinds(dt.date(2027, 1, 11), ends) == [
        ("part_time_expired", 10),
        ("part_time_expired", 11),
    ]
    # Ended (a review, or the placement): nothing.
    assert _kinds(dt.date(2027, 1, 11), None) == []
