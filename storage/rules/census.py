"""The school census's AP placement records ("alternative provision placements arranged by
schools"): which placements a census period takes, and the census's codes.

Sources (see docs/reports.md, "School census"):
- The census period: the placements open in it or that ended in it, from the previous census
  day to this one (e.g. autumn 2023: 18/05/2023 to 05/10/2023, as MIS suppliers describe it:
  osmis.co.uk/alternative-provision-copy). Census days: autumn the first Thursday in October,
  spring the third Thursday in January, summer the third Thursday in May.
- Exactly one of URN, UKPRN or AP setting type: a URN if the establishment has one (then no
  UKPRN or setting type), else a UKPRN, else the setting type, whose allowed values include NFE
  (non-maintained further education provision), OOT (one-on-one tuition), OTH (other
  unregistered provider) and WBP (work-based placement) (DfE's AP census data items, quoted at
  fenews.co.uk/resources/data-items-2/).
- The primary reason for placement records why it was commissioned, not the pupil's needs.

Kept as data so a new year's code sets are one edit.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass


class CensusTerm(enum.StrEnum):
    autumn = "autumn"
    spring = "spring"
    summer = "summer"


class CensusTermError(ValueError):
    """A term that is not `autumn-2026`, `spring-2027` or `summer-2027` (and the like)."""


# The AP setting type, when the provider has neither URN nor UKPRN. An unregistered provider
# is "other unregistered provider" unless the school keys a more exact type in its MIS.
SETTING_TYPES = {
    "NFE": "non-maintained further education provision",
    "OOT": "one-on-one tuition",
    "OTH": "other unregistered provider",
    "WBP": "work-based placement",
}
DEFAULT_SETTING_TYPE = "OTH"

# Placement.reason (added by the reason-for-AP work) to the census's primary reason for
# placement. Check the codes against the year's school census guide before submitting: the
# guide's code set was not available to us to confirm, so the MIS keeps the last word.
REASON_CODES = {
    "permanent_exclusion": "PEX",
    "suspension": "SUS",
    "off_site_direction": "OSD",
    "medical": "MED",
    "ehc_plan": "EHC",
    "other": "OTH",
}


@dataclass(frozen=True)
class CensusPeriod:
    term: CensusTerm
    year: int
    census_day: dt.date
    # The previous census day: placements that ended from then on are returned.
    first_day: dt.date

    @property
    def name(self) -> str:
        return f"{self.term.value} census {self.year}"

    def takes(self, start: dt.date, ended_on: dt.date | None) -> bool:
        """Whether a placement from `start` (ended on `ended_on`, or still open) was open at any
        time in the period."""
        return start <= self.census_day and (ended_on is None or ended_on >= self.first_day)


def _thursday(year: int, month: int, nth: int) -> dt.date:
    """The nth Thursday of a month."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 7 * (nth - 1))


def census_day(term: CensusTerm, year: int) -> dt.date:
    """Autumn: the first Thursday in October; spring: the third Thursday in January; summer:
    the third Thursday in May."""
    match term:
        case CensusTerm.autumn:
            return _thursday(year, 10, 1)
        case CensusTerm.spring:
            return _thursday(year, 1, 3)
    return _thursday(year, 5, 3)


def _previous(term: CensusTerm, year: int) -> tuple[CensusTerm, int]:
    match term:
        case CensusTerm.autumn:
            return CensusTerm.summer, year
        case CensusTerm.spring:
            return CensusTerm.autumn, year - 1
    return CensusTerm.spring, year


def parse_term(text: str) -> CensusPeriod:
    """`autumn-2026` (the October 2026 census), `spring-2027`, `summer-2027`."""
    found = re.fullmatch(r"\s*(autumn|spring|summer)[-\s]?(\d{4})\s*", text.lower())
    if found is None:
        raise CensusTermError(
            f"{text.strip()[:40]!r} is not a census term: give the term and the year of its "
            "census day, e.g. autumn-2026, spring-2027 or summer-2027."
        )
    term, year = CensusTerm(found.group(1)), int(found.group(2))
    if not 2000 <= year <= 2100:
        raise CensusTermError(f"{year} is not a school census year.")
    return CensusPeriod(
        term=term,
        year=year,
        census_day=census_day(term, year),
        first_day=census_day(*_previous(term, year)),
    )


@dataclass(frozen=True)
class Identifier:
    """Exactly one of them is set."""

    urn: str | None = None
    ukprn: str | None = None
    setting_type: str | None = None


def identifier(urn: str | None, ukprn: str | None, setting_type: str | None = None) -> Identifier:
    """The census's rule: the URN if the provider has one, else the UKPRN, else the AP setting
    type (OTH, other unregistered provider, unless another is given)."""
    if urn and urn.strip():
        return Identifier(urn=urn.strip())
    if ukprn and ukprn.strip():
        return Identifier(ukprn=ukprn.strip())
    code = (setting_type or DEFAULT_SETTING_TYPE).upper()
    if code not in SETTING_TYPES:
        raise ValueError(f"{code} is not an AP setting type ({', '.join(SETTING_TYPES)}).")
    return Identifier(setting_type=code)


def reason_code(reason: str | None) -> str | None:
    """The census's primary reason for placement for a placement's reason (None: not known)."""
    return REASON_CODES.get(reason) if reason else None


def sessions_per_week(days: int) -> int:
    """Sessions a week at the provider: a morning and an afternoon on each day there (the
    placement keeps days and hours, not half days: the MIS corrects a half-day pattern)."""
    return 2 * days
