"""Attendance and absence codes, loaded from the packaged data file."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from storage.rules import codes
from storage.rules.codes import (
    PART_TIME_CODE,
    absence_codes,
    all_codes,
    get,
    placement_codes,
    suggested_placement_code,
    unexplained_codes,
)


def test_codes_come_from_the_data_file() -> None:
    raw = resources.files("storage.rules").joinpath("codes.toml").read_bytes()
    in_file = [entry["code"] for entry in tomllib.loads(raw.decode())["codes"]]
    assert list(all_codes()) == [c.upper() for c in in_file]
    assert all_codes() is all_codes()  # loaded once


def test_the_2024_codes_are_all_there() -> None:
    expected = {"/", "\\", "L", "B", "D", "K", "V", "P", "W", "I", "M", "C", "C1", "C2", "E"}
    expected |= {"G", "J1", "N", "O", "Q", "R", "S", "T", "U", "X"}
    expected |= {f"Y{n}" for n in range(1, 8)}
    assert expected <= set(all_codes())


def test_meanings_from_the_regulations() -> None:
    assert "transport normally provided" in get("Y1").meaning
    assert "part-time timetable" in get("C2").meaning
    assert "not yet established" in get("N").meaning
    assert "criminal justice detention" in get("Y5").meaning
    assert "lack of access arrangements" in get("Q").meaning
    assert get("I").meaning.startswith("Illness")
    assert get("I").label == "I: Illness (not medical or dental appointments)"


def test_placement_codes_and_their_kinds() -> None:
    assert [(c.code, c.placement_kind) for c in placement_codes()] == [
        ("B", "school_arranged"),
        ("D", "dual_registered"),
        ("K", "la_arranged"),
    ]
    assert all(c.category == "attendance" for c in placement_codes())
    others = [c for c in all_codes().values() if c.code not in "BDK"]
    assert all(c.placement_kind is None for c in others)


def test_n_and_o_are_the_unexplained_absences() -> None:
    assert [c.code for c in unexplained_codes()] == ["N", "O"]
    assert get("N").authorised is False
    assert get("O").authorised is False


def test_authorisation() -> None:
    assert get("I").authorised is True
    assert get("C2").authorised is True
    assert get("G").authorised is False
    assert get("Y1").authorised is None
    assert get("B").authorised is None


def test_get_ignores_case_and_spaces() -> None:
    assert get("c2") is get("C2")
    assert get(" y1 ").code == "Y1"
    assert get("\\").category == "present"


def test_unknown_code_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="Unknown attendance code 'H'"):
        get("H")


def test_absence_codes_for_a_providers_report() -> None:
    reported = absence_codes()
    assert [c.code for c in reported[:3]] == ["N", "I", "M"]
    found = {c.code for c in reported}
    assert {"Y1", "C2", "E", "G", "U", "Q"} <= found
    assert found.isdisjoint({"/", "\\", "L", "B", "D", "K", "V", "P", "W", "X"})
    assert all(c.category == "absence" and c.meaning for c in reported)
    assert len(found) == len(reported)


def test_x_is_not_counted() -> None:
    assert get("X").category == "not_counted"


def test_part_time_code() -> None:
    assert PART_TIME_CODE == "C2"
    assert get(PART_TIME_CODE).code == "C2"


@pytest.mark.parametrize(
    ("commissioner_is_la", "provider_is_school", "expected"),
    # An LA place at a PRU or AP academy (a school, with dual registration) is D, not K.
    [(True, False, "K"), (True, True, "D"), (False, True, "D"), (False, False, "B")],
)
def test_suggested_placement_code(
    commissioner_is_la: bool, provider_is_school: bool, expected: str
) -> None:
    assert (
        suggested_placement_code(
            commissioner_is_la=commissioner_is_la,
            provider_is_school=provider_is_school,
        )
        == expected
    )


def test_d_is_only_possible_at_a_school() -> None:
    problem = codes.placement_code_problem("d", provider_is_school=False)
    assert problem is not None and "isn't a school" in problem
    assert codes.placement_code_problem("D", provider_is_school=True) is None
    assert codes.placement_code_problem("B", provider_is_school=False) is None
    assert codes.placement_code_problem("K", provider_is_school=False) is None


def test_k_at_a_school_and_b_for_an_la_place_are_warned() -> None:
    k_at_school = codes.placement_code_warning(
        "K", commissioner_is_la=True, provider_is_school=True
    )
    assert k_at_school is not None and "the code is D" in k_at_school
    b_by_la = codes.placement_code_warning("B", commissioner_is_la=True, provider_is_school=False)
    assert b_by_la is not None and "is K" in b_by_la
    assert (
        codes.placement_code_warning("K", commissioner_is_la=True, provider_is_school=False) is None
    )
    assert (
        codes.placement_code_warning("D", commissioner_is_la=True, provider_is_school=True) is None
    )


def test_a_malformed_entry_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        codes._parse({"code": "Z", "meaning": "Prospective pupil", "category": "admin"})
    with pytest.raises(ValueError, match="no meaning"):
        codes._parse({"code": "Z", "category": "absence"})
