"""The school census's AP placement rules: census terms and periods, exactly one identifier,
and the codes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from storage.models import ReasonForAp
from storage.rules import census
from storage.rules.census import (
    REASON_CODES,
    SETTING_TYPES,
    CensusTermError,
    identifier,
    parse_term,
    reason_code,
)
from storage.services.census import placement_reason


def test_a_census_term_names_the_census_and_its_period() -> None:
    autumn = parse_term("autumn-2026")
    # Census day: the first Thursday in October; the period runs from the summer census day.
    assert (autumn.first_day, autumn.census_day) == (dt.date(2026, 5, 21), dt.date(2026, 10, 1))
    assert autumn.name == "autumn census 2026"
    spring = parse_term("Spring 2027")
    assert (spring.first_day, spring.census_day) == (dt.date(2026, 10, 1), dt.date(2027, 1, 21))
    summer = parse_term("summer-2027")
    assert (summer.first_day, summer.census_day) == (dt.date(2027, 1, 21), dt.date(2027, 5, 20))
    # As MIS suppliers describe the autumn 2023 collection: 18/05/2023 to 05/10/2023.
    assert (parse_term("autumn-2023").first_day, parse_term("autumn-2023").census_day) == (
        dt.date(2023, 5, 18),
        dt.date(2023, 10, 5),
    )


@pytest.mark.parametrize(
    "text", ["autumn", "winter-2026", "autumn-26", "2026-autumn", "", "autumn-1890"]
)
def test_a_bad_term_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(CensusTermError) as refused:
        parse_term(text)
    assert "autumn-2026" in str(refused.value) or "not a school census year" in str(refused.value)


def test_a_period_takes_placements_open_in_it_or_that_ended_in_it() -> None:
    autumn = parse_term("autumn-2026")
    assert autumn.takes(dt.date(2026, 4, 20), None)  # started before, still open
    assert autumn.takes(dt.date(2026, 9, 7), None)  # started in it
    assert autumn.takes(dt.date(2026, 3, 2), dt.date(2026, 7, 17))  # ended in it
    assert autumn.takes(dt.date(2026, 3, 2), dt.date(2026, 5, 21))  # ended on the first day
    assert not autumn.takes(dt.date(2026, 1, 5), dt.date(2026, 3, 27))  # ended before it
    assert not autumn.takes(dt.date(2026, 10, 2), None)  # started after census day


def test_exactly_one_identifier_urn_first_then_ukprn_then_setting_type() -> None:
    assert identifier("900100", "10000001") == identifier("900100", None)
    assert identifier("900100", "10000001").urn == "900100"
    both = identifier("900100", "10000001")
    assert (both.ukprn, both.setting_type) == (None, None)
    only_ukprn = identifier(" ", "10000001")
    assert (only_ukprn.urn, only_ukprn.ukprn, only_ukprn.setting_type) == (None, "10000001", None)
    neither = identifier(None, None)
    assert (neither.urn, neither.ukprn, neither.setting_type) == (None, None, "OTH")
    assert identifier(None, None, "wbp").setting_type == "WBP"
    with pytest.raises(ValueError, match="not an AP setting type"):
        identifier(None, None, "XYZ")
    assert set(SETTING_TYPES) == {"NFE", "OOT", "OTH", "WBP"}


def test_every_reason_for_ap_has_a_census_code_and_none_is_blank() -> None:
    reasons = {
        "suspension",
        "permanent_exclusion",
        "off_site_direction",
        "medical",
        "ehc_plan",
        "other",
    }
    assert set(REASON_CODES) == reasons
    assert reason_code(None) is None
    assert reason_code("permanent_exclusion") == REASON_CODES["permanent_exclusion"]


def test_the_reason_is_the_placements_own_or_none_when_never_asked() -> None:
    assert placement_reason(SimpleNamespace(reason=None)) is None  # type: ignore[arg-type]
    medical = SimpleNamespace(reason=ReasonForAp.medical)
    assert placement_reason(medical) == "medical"  # type: ignore[arg-type]
    assert {r.value for r in ReasonForAp} == set(census.REASON_CODES)
