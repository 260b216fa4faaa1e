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
    placement_code_problem,
    placement_codes,
    suggested_placement_code,
    unexplained_codes,
)


def test_codes_come_from_the_data_file() -> None:
    raw = resources.files("storage.rules").joinpath("codes.toml").read_bytes()
    in_file = [entry["code"] for entry in tomllib.loads(raw.decode())["codes"]]
    assert list(all_codes()) == [c.upper() for c in in_file]
    assert all_codes() is all_codes()  # loaded once


# The regulations' table (School Attendance (Pupil Registration) (England) Regulations 2024,
# regulation 10, tables 1 to 6, and the administrative codes), with how each code counts and
# who decides it, from DfE's "Working together to improve school attendance" (August 2024).
# code: (words the meaning must contain, counting, set by)
ATTENDED, AUTHORISED, UNAUTHORISED = "attended", "authorised_absence", "unauthorised_absence"
NOT_POSSIBLE, NOT_COUNTED = "not_possible", "not_counted"
SCHOOL, ANYONE = "school", "provider_or_school"
REGULATIONS = {
    # Table 1: present at the school
    "/": ("morning register", ATTENDED, SCHOOL),
    "\\": ("afternoon register", ATTENDED, SCHOOL),
    "L": ("before the register has closed", ATTENDED, ANYONE),
    # Table 2: attending a place other than the school
    "K": ("arranged by the local authority", ATTENDED, SCHOOL),
    "V": ("educational visit or trip", ATTENDED, SCHOOL),
    "P": ("sporting activity", ATTENDED, SCHOOL),
    "W": ("work experience", ATTENDED, SCHOOL),
    "B": ("approved educational activity", ATTENDED, SCHOOL),
    "D": ("another school at which the pupil is also a registered pupil", NOT_COUNTED, SCHOOL),
    # Table 3: leave of absence
    "C1": ("regulated performance or undertaking regulated employment abroad", AUTHORISED, SCHOOL),
    "M": ("medical or dental appointment", AUTHORISED, SCHOOL),
    "J1": (
        "interview for employment or for admission to another educational institution",
        AUTHORISED,
        SCHOOL,
    ),
    "S": ("studying for a public examination", AUTHORISED, SCHOOL),
    "X": ("Non-compulsory school age pupil not required to attend", NOT_POSSIBLE, SCHOOL),
    "C2": ("compulsory school age pupil subject to a part-time timetable", AUTHORISED, SCHOOL),
    "C": ("exceptional circumstances", AUTHORISED, SCHOOL),
    # Table 4: other authorised absence
    "T": ("Parent travelling for occupational purposes", AUTHORISED, SCHOOL),
    "R": ("Religious observance", AUTHORISED, SCHOOL),
    "I": ("Illness (not medical or dental appointment)", AUTHORISED, SCHOOL),
    "E": (
        "Suspended or permanently excluded and no alternative provision made",
        AUTHORISED,
        SCHOOL,
    ),
    # Table 5: unable to attend due to exceptional circumstances
    "Q": ("lack of access arrangements", NOT_POSSIBLE, SCHOOL),
    "Y1": ("transport normally provided is not available", NOT_POSSIBLE, SCHOOL),
    "Y2": ("widespread disruption to travel", NOT_POSSIBLE, SCHOOL),
    "Y3": ("part of the school premises is closed", NOT_POSSIBLE, SCHOOL),
    "Y4": ("whole school site is unexpectedly closed", NOT_POSSIBLE, SCHOOL),
    "Y5": ("criminal justice detention", NOT_POSSIBLE, SCHOOL),
    "Y6": ("public health guidance or law", NOT_POSSIBLE, SCHOOL),
    "Y7": ("any other unavoidable cause", NOT_POSSIBLE, SCHOOL),
    # Table 6: unauthorised absence
    "G": ("Holiday not granted by the school", UNAUTHORISED, SCHOOL),
    "N": ("Reason for absence not yet established", UNAUTHORISED, ANYONE),
    "O": ("Absent in other or unknown circumstances", UNAUTHORISED, SCHOOL),
    "U": ("Arrived in school after registration closed", UNAUTHORISED, ANYONE),
    # Administrative codes
    "Z": ("Prospective pupil not on admission register", NOT_COUNTED, SCHOOL),
    "#": ("Planned whole school closure", NOT_COUNTED, SCHOOL),
}


def test_the_data_file_matches_the_regulations_table() -> None:
    assert set(all_codes()) == set(REGULATIONS), "a code is missing from or extra in codes.toml"
    for key, (words, counting, set_by) in REGULATIONS.items():
        code = get(key)
        assert words in code.meaning, f"{key}: {code.meaning!r} should say {words!r}"
        assert code.counting == counting, f"{key} counts as {counting}"
        assert code.set_by == set_by, f"{key} is set by {set_by}"


def test_meanings_from_the_regulations() -> None:
    assert get("I").label == "I: Illness (not medical or dental appointment)"
    # Old or shortened wording is gone.
    assert "Traveller" not in get("T").meaning
    assert get("S").meaning != "Study leave"


def test_authorised_comes_from_the_counting() -> None:
    assert get("I").authorised is True
    assert get("U").authorised is False
    assert get("Y1").authorised is None and get("D").authorised is None


def test_only_n_l_and_u_are_a_providers_to_set() -> None:
    """A provider reports what happened: not established yet (N), or when the pupil arrived
    (L, U). Authorising, granting leave and judging circumstances are the school's."""
    assert {c.code for c in all_codes().values() if not c.school_decides} == {"N", "L", "U"}
    for key in ("C", "C1", "C2", "S", "Y1", "Y7", "M", "I", "G", "O", "B", "D", "K"):
        assert get(key).school_decides


def test_d_is_only_at_a_school() -> None:
    assert placement_code_problem("D", provider_is_school=True) is None
    problem = placement_code_problem("d", provider_is_school=False)
    assert problem is not None and "never an unregistered provider" in problem
    assert "isn't a school" in problem
    assert placement_code_problem("B", provider_is_school=False) is None
    assert placement_code_problem("K", provider_is_school=False) is None
    assert "isn't a code for an AP placement" in (
        placement_code_problem("I", provider_is_school=True) or ""
    )


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
    assert found.isdisjoint({"/", "\\", "L", "B", "D", "K", "V", "P", "W", "Z", "#"})
    assert all(c.category == "absence" and c.meaning for c in reported)
    assert len(found) == len(reported)


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
    with pytest.raises(ValueError, match="unknown counting"):
        codes._parse({"code": "Z", "meaning": "x", "category": "absence", "counting": "maybe"})
    with pytest.raises(ValueError, match="unknown set_by"):
        codes._parse(
            {"code": "Z", "meaning": "x", "category": "absence", "counting": "not_counted"}
        )
