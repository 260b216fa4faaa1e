"""The nudge rules as pure functions: reviews and planned ends, part-time reviews, snoozes."""

from __future__ import annotations

import datetime as dt

from storage.clock import LONDON
from storage.rules.nudges import Facts, PlacementFacts, due_nudges, unexplained_run

MONDAY = dt.date(2027, 3, 22)


def _placement(**changes: object) -> PlacementFacts:
    values: dict[str, object] = dict(
        id=7, reference="AP-7K3Q", pupil_name="Jamie Test", provider_id=3, provider_name="Pathways",
        commissioner_id=2, owner_id=10, start_date=dt.date(2027, 3, 1),
        days=("mon", "tue", "wed", "thu", "fri"), absence_deadline=dt.time(9, 30),
        next_qa_due=dt.date(2027, 4, 30), last_contact=MONDAY, reported_today=True,
    )  # fmt: skip
    values.update(changes)
    return PlacementFacts(**values)  # type: ignore[arg-type]


def _facts(p: PlacementFacts, at: dt.datetime, **extra: object) -> Facts:
    return Facts(now=at, placements=(p,), leads={2: (20,)}, provider_staff={3: (30,)}, **extra)  # type: ignore[arg-type]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def test_review_and_planned_end_within_14_days_remind_the_owner_once_per_date() -> None:
    p = _placement(
        review_date=MONDAY + dt.timedelta(days=14), planned_end_date=MONDAY + dt.timedelta(days=10)
    )
    early = due_nudges(_facts(p, _at(MONDAY, 8, 29)))
    found = due_nudges(_facts(p, _at(MONDAY, 8, 30)))
    assert early == []
    assert sorted((n.kind, n.key, n.recipient_id) for n in found) == [
        ("ending_soon", "ending-soon:7:2027-04-01:10", 10),
        ("review_soon", "review-soon:7:2027-04-05:10", 10),
    ]
    tomorrow = due_nudges(_facts(p, _at(MONDAY + dt.timedelta(days=1), 9)))
    assert {n.key for n in tomorrow} == {n.key for n in found}  # same keys: the outbox keeps one


def test_a_part_time_timetable_past_its_review_goes_to_the_owner_and_the_dsls_daily() -> None:
    p = _placement(is_full_time=False, review_date=MONDAY - dt.timedelta(days=1))
    found = due_nudges(_facts(p, _at(MONDAY, 8, 30)))
    assert sorted((n.kind, n.recipient_id) for n in found) == [
        ("part_time_review", 10),
        ("part_time_review", 20),
    ]
    assert all(n.key.startswith("part-time-review:7:2027-03-22:") for n in found)
    assert "full-time provision" in found[0].text


def test_a_snoozed_one_off_reminder_comes_back_once_when_the_snooze_ends() -> None:
    p = _placement(review_date=MONDAY + dt.timedelta(days=10))
    snoozed = {("review:7", 10): MONDAY + dt.timedelta(days=7)}
    during = due_nudges(_facts(p, _at(MONDAY + dt.timedelta(days=2), 9), snoozes=snoozed))
    after = due_nudges(
        _facts(p, _at(MONDAY + dt.timedelta(days=8), 9), snoozes=snoozed)
    )  # 29/03 is Easter Monday
    assert [n.kind for n in during] == []
    assert [n.key for n in after if n.kind == "review_soon"] == [
        "review-soon:7:2027-04-01:after-snooze:2027-03-29:10"
    ]


def test_an_unexplained_run_counts_expected_days_only() -> None:
    # Mon, Wed, Fri pupil: absent N on Mon 22, Wed 24, Fri 26 (Good Friday: not a school day).
    p = _placement(days=("mon", "wed", "fri"),
                   unexplained_days=frozenset({MONDAY, dt.date(2027, 3, 24), dt.date(2027, 3, 31)}))  # fmt: skip
    assert unexplained_run(p, dt.date(2027, 3, 31)) == [
        MONDAY,
        dt.date(2027, 3, 24),
        dt.date(2027, 3, 31),
    ]
    # Today not yet reported does not break yesterday's run; a present day does.
    assert unexplained_run(p, dt.date(2027, 4, 2)) == [
        MONDAY,
        dt.date(2027, 3, 24),
        dt.date(2027, 3, 31),
    ]
    assert unexplained_run(p, dt.date(2027, 4, 5)) == []


def test_a_started_placement_without_its_letter_of_assurance_tells_the_dsl_every_school_day() -> (
    None
):
    """Issue 12 item 9: whatever its due date says (moved, or not yet due), once the pupil
    attends without a Letter of Assurance the DSL hears of it each school day; not snoozable,
    Done ticks it. Not before the start, not once it is recorded, not on a weekend."""
    p = _placement(letter_of_assurance_item=55)
    snoozed = {("check:55", 20): MONDAY + dt.timedelta(days=7)}
    found = due_nudges(_facts(p, _at(MONDAY, 8, 30), snoozes=snoozed))
    [alert] = [n for n in found if n.kind == "letter_of_assurance_missing"]
    assert alert.recipient_id == 20 and alert.key == "letter-missing:7:2027-03-22:20"
    assert alert.done == "tick" and alert.subject == "check:55" and not alert.snoozable
    assert "Letter of Assurance" in alert.text and "01/03/2027" in alert.text
    tuesday = due_nudges(_facts(p, _at(MONDAY + dt.timedelta(days=1), 8, 30)))
    assert [n.key for n in tuesday if n.kind == "letter_of_assurance_missing"] == [
        "letter-missing:7:2027-03-23:20"
    ]
    saturday = due_nudges(_facts(p, _at(MONDAY + dt.timedelta(days=5), 9)))
    assert [n for n in saturday if n.kind == "letter_of_assurance_missing"] == []
    not_started = _placement(letter_of_assurance_item=55, start_date=MONDAY + dt.timedelta(days=1))
    assert [
        n
        for n in due_nudges(_facts(not_started, _at(MONDAY, 9)))
        if n.kind == "letter_of_assurance_missing"
    ] == []
    received = _placement(letter_of_assurance_item=None)
    assert [
        n
        for n in due_nudges(_facts(received, _at(MONDAY, 9)))
        if n.kind == "letter_of_assurance_missing"
    ] == []


def test_qa_reminders_count_in_term_time() -> None:
    """A visit due on the first day back after Christmas: "due soon" on the last day of term
    (one school day ahead), nothing overdue through the holidays, overdue the day after it."""
    from storage.rules.calendar import SchoolCalendar, TermBreak

    christmas = TermBreak("Christmas holidays", dt.date(2026, 12, 21), dt.date(2027, 1, 1))
    p = _placement(
        start_date=dt.date(2026, 11, 2),
        next_qa_due=dt.date(2027, 1, 4),
        calendar=SchoolCalendar((christmas,)),
        last_contact=None,
    )

    def kinds(day: dt.date) -> set[str]:
        return {n.kind.value for n in due_nudges(_facts(p, _at(day, 9)))}

    assert "qa_due" in kinds(dt.date(2026, 12, 18))
    assert "qa_overdue" not in kinds(dt.date(2027, 1, 4))
    assert "qa_overdue" in kinds(dt.date(2027, 1, 5))
    # Nothing at all in the holidays: reminders go out on school days only.
    assert not kinds(dt.date(2026, 12, 29)) & {"qa_due", "qa_overdue"}
