"""When an unregistered provider looks like it needs to register as an independent school."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from storage.rules.registration import (
    FULL_TIME_AT_PROVIDER,
    PupilThere,
    RegistrationTrigger,
    registration_finding,
)
from storage.wording.la_view import registration_needed


def pupils(count: int, hours: str = "20", **flags: bool) -> list[PupilThere]:
    return [PupilThere(pupil_id=n, hours=Decimal(hours), **flags) for n in range(count)]


def test_five_full_time_pupils_make_a_school_four_do_not() -> None:
    assert registration_finding(unregistered=True, pupils=pupils(4)).triggers == ()
    found = registration_finding(unregistered=True, pupils=pupils(5))
    assert found.triggers == (RegistrationTrigger.five_or_more,)
    assert found.full_time_pupils == 5


def test_one_looked_after_or_ehcp_pupil_full_time_is_enough() -> None:
    for flags in ({"looked_after": True}, {"ehcp": True}):
        found = registration_finding(unregistered=True, pupils=pupils(1, **flags))
        assert found.triggers == (RegistrationTrigger.looked_after_or_ehcp,)
        assert found.looked_after_or_ehcp == 1


def test_part_time_pupils_there_do_not_count() -> None:
    """Under 18 hours a week at the provider is not full-time education there (time at school
    or elsewhere does not count)."""
    part_time = str(FULL_TIME_AT_PROVIDER - 1)
    assert registration_finding(unregistered=True, pupils=pupils(9, part_time)).triggers == ()
    only = registration_finding(unregistered=True, pupils=pupils(1, part_time, ehcp=True))
    assert only.triggers == ()


def test_a_pupil_with_two_placements_there_counts_once_with_the_hours_added() -> None:
    twice = [PupilThere(1, Decimal(10)), PupilThere(1, Decimal(10), looked_after=True)]
    found = registration_finding(unregistered=True, pupils=twice)
    assert found.full_time_pupils == 1
    assert found.triggers == (RegistrationTrigger.looked_after_or_ehcp,)


def test_a_registered_provider_is_never_flagged() -> None:
    found = registration_finding(unregistered=False, pupils=pupils(9, looked_after=True))
    assert found.triggers == ()


def test_the_wording_names_the_test_and_the_2026_act_but_no_pupil() -> None:
    text = registration_needed(
        "Wheels Project", RegistrationTrigger.looked_after_or_ehcp, full_time=2, special=1
    )
    assert "Wheels Project" in text and "independent school" in text
    assert "Children's Wellbeing and Schools Act 2026" in text
    assert "single-pupil" in text


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 30), st.booleans()), max_size=12))
def test_the_triggers_follow_the_counts(rows: list[tuple[int, int, bool]]) -> None:
    there = [PupilThere(pid, Decimal(hours), looked_after=flag) for pid, hours, flag in rows]
    found = registration_finding(unregistered=True, pupils=there)
    assert (RegistrationTrigger.five_or_more in found.triggers) == (found.full_time_pupils >= 5)
    assert (RegistrationTrigger.looked_after_or_ehcp in found.triggers) == (
        found.looked_after_or_ehcp >= 1
    )
    assert found.looked_after_or_ehcp <= found.full_time_pupils <= len({p for p, _, _ in rows})
