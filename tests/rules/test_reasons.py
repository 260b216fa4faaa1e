"""The dates each reason for AP sets, as pure functions over the school calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.rules import checklist, reasons
from storage.rules.calendar import SchoolCalendar, TermBreak

PLAIN = SchoolCalendar()
HALF_TERM = SchoolCalendar((TermBreak("Half term", dt.date(2027, 2, 15), dt.date(2027, 2, 19)),))


def d(text: str) -> dt.date:
    day, month, year = (int(part) for part in text.split("/"))
    return dt.date(year, month, day)


@pytest.mark.parametrize(
    ("first_day", "calendar", "sixth"),
    [
        ("23/11/2026", PLAIN, "30/11/2026"),  # Monday to the next Monday, over a weekend
        ("26/11/2026", PLAIN, "03/12/2026"),  # Thursday: the weekend in the middle
        ("28/11/2026", PLAIN, "07/12/2026"),  # begins on a Saturday: day one is Monday
        ("21/12/2026", PLAIN, "30/12/2026"),  # Christmas Day, Boxing Day (Monday 28/12)
        ("24/12/2026", PLAIN, "05/01/2027"),  # and New Year's Day too
        ("29/03/2027", PLAIN, "06/04/2027"),  # Easter Monday 29/03 is a bank holiday
        ("10/02/2027", HALF_TERM, "24/02/2027"),  # across a half-term break
    ],
)
def test_sixth_school_day(first_day: str, calendar: SchoolCalendar, sixth: str) -> None:
    assert reasons.sixth_school_day(d(first_day), calendar) == d(sixth)


def test_duty_only_for_long_suspensions_and_every_permanent_exclusion() -> None:
    monday = d("23/11/2026")

    def due(reason: str, days: int | None) -> dt.date | None:
        return reasons.full_time_education_from(
            reason, first_day=monday, suspension_days=days, calendar=PLAIN
        )

    assert due(reasons.SUSPENSION, 5) is None
    assert due(reasons.SUSPENSION, 6) == d("30/11/2026")
    assert due(reasons.PERMANENT_EXCLUSION, None) == d("30/11/2026")
    assert due(reasons.MEDICAL, None) is None
    assert (
        reasons.full_time_education_from(
            reasons.PERMANENT_EXCLUSION, first_day=None, suspension_days=None, calendar=PLAIN
        )
        is None
    )


def test_late_start_counts_the_school_days_missed() -> None:
    due = d("30/11/2026")
    assert reasons.starts_late(due, due, PLAIN) is None
    assert reasons.starts_late(d("27/11/2026"), due, PLAIN) is None
    assert reasons.starts_late(d("01/12/2026"), None, PLAIN) is None
    late = reasons.starts_late(d("07/12/2026"), due, PLAIN)
    assert late is not None and late.school_days_late == 5
    over_half_term = reasons.starts_late(d("22/02/2027"), d("12/02/2027"), HALF_TERM)
    assert over_half_term is not None and over_half_term.school_days_late == 1


def test_off_site_notice_is_due_two_school_days_before_the_first_day() -> None:
    assert reasons.off_site_notice_due(d("02/12/2026"), PLAIN) == d("30/11/2026")
    assert reasons.off_site_notice_due(d("30/11/2026"), PLAIN) == d("26/11/2026")
    # After half term: the Thursday and Friday before it.
    assert reasons.off_site_notice_due(d("22/02/2027"), HALF_TERM) == d("11/02/2027")
    item = checklist.definition("off_site_notice_given")
    assert checklist.default_due_date(item, d("22/02/2027"), HALF_TERM) == d("11/02/2027")
    assert reasons.off_site_first_review_due(d("02/12/2026")) == d("30/12/2026")


@given(st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)), st.integers(6, 45))
def test_the_sixth_day_is_a_school_day_with_five_school_days_before_it(
    first_day: dt.date, days: int
) -> None:
    sixth = reasons.full_time_education_from(
        reasons.SUSPENSION, first_day=first_day, suspension_days=days, calendar=HALF_TERM
    )
    assert sixth is not None and HALF_TERM.is_school_day(sixth)
    before = HALF_TERM.school_days_between(first_day, sixth - dt.timedelta(days=1))
    assert len(before) == 5


def test_suspension_length_and_who_commissions() -> None:
    assert reasons.suspension_days_problem(0)
    assert reasons.suspension_days_problem(46)
    assert reasons.suspension_days_problem(45) is None
    assert reasons.commissioner_note(reasons.PERMANENT_EXCLUSION, commissioner_is_school=True)
    assert (
        reasons.commissioner_note(reasons.PERMANENT_EXCLUSION, commissioner_is_school=False) is None
    )
    assert reasons.commissioner_note(reasons.SUSPENSION, commissioner_is_school=True) is None


@pytest.mark.parametrize(
    ("reason", "school", "added"),
    [
        (reasons.OFF_SITE_DIRECTION, True, {"off_site_notice_given", "off_site_review_held"}),
        (reasons.MEDICAL, True, {"health_needs_la_involved"}),
        (reasons.MEDICAL, False, set()),
        (reasons.EHC_PLAN, False, {"ehc_la_consulted"}),
        (reasons.SUSPENSION, True, set()),
        (None, True, set()),
    ],
)
def test_checks_each_reason_adds(reason: str | None, school: bool, added: set[str]) -> None:
    def keys(why: str | None) -> set[str]:
        facts = checklist.ChecklistConditions(
            fsm_eligible=False,
            commissioner_is_school=school,
            other_providers_involved=False,
            reason=why,
        )
        return {item.key for item in checklist.applicable_items(facts)}

    assert keys(reason) - keys(None) == added


def test_describe() -> None:
    assert (
        reasons.describe(
            "Suspension",
            reasons.SUSPENSION,
            first_day=d("23/11/2026"),
            suspension_days=10,
            due_from=d("30/11/2026"),
        )
        == "Suspension from 23/11/2026, 10 school days; full-time education due from "
        "30/11/2026 (sixth school day)"
    )
    assert (
        reasons.describe(
            "Other",
            reasons.OTHER,
            first_day=None,
            suspension_days=None,
            due_from=None,
            detail="Respite",
        )
        == "Other: Respite"
    )
