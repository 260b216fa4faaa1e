"""Attendance and absence codes of the School Attendance (Pupil Registration) (England) Regulations
2024, loaded from the packaged data file `codes.toml` so they can be updated without code changes.

Each code's meaning, how it counts in every attendance figure (`counting`) and who may set it
(`set_by`) are data in that one file; `storage/rules/attendance.py` counts sessions by
`counting`, `storage/access.py` decides who may set a code by `set_by`.

The three codes an AP placement is recorded under at the home school:
B (school-arranged approved educational activity), D (dual registered at another school such as
a PRU or AP academy: never an unregistered provider, and not counted by the home school) and K
(provision arranged by the local authority). A part-time timetable's sessions not attended are
coded C2.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, cast

Category = Literal["present", "attendance", "absence", "administrative"]
Counting = Literal[
    "attended", "authorised_absence", "unauthorised_absence", "not_possible", "not_counted"
]
SetBy = Literal["school", "provider_or_school"]
PlacementKind = Literal["school_arranged", "dual_registered", "la_arranged"]

CATEGORIES: tuple[str, ...] = ("present", "attendance", "absence", "administrative")
COUNTINGS: tuple[str, ...] = (
    "attended",
    "authorised_absence",
    "unauthorised_absence",
    "not_possible",
    "not_counted",
)
SET_BY: tuple[str, ...] = ("school", "provider_or_school")
PLACEMENT_KINDS: tuple[str, ...] = ("school_arranged", "dual_registered", "la_arranged")

DATA_FILE = "codes.toml"
PART_TIME_CODE = "C2"
SCHOOL_ARRANGED_CODE = "B"
DUAL_REGISTERED_CODE = "D"
LA_ARRANGED_CODE = "K"

# A provider's absence report offers these first: "not yet known" is the honest default, and
# illness and appointments are the commonest reasons. The rest follow in the regulations' order.
_ABSENCE_REPORT_FIRST = ("N", "I", "M", "O")


@dataclass(frozen=True)
class AttendanceCode:
    """One register code and what it means."""

    code: str
    meaning: str
    category: Category
    counting: Counting
    set_by: SetBy
    placement_kind: PlacementKind | None
    unexplained: bool
    only_at_a_school: bool = False
    group: str = ""

    @property
    def authorised(self) -> bool | None:
        """True for an authorised absence, False for an unauthorised one, None otherwise."""
        if self.counting == "authorised_absence":
            return True
        if self.counting == "unauthorised_absence":
            return False
        return None

    @property
    def school_decides(self) -> bool:
        """Only the commissioning school's staff may set this code (a provider may propose it)."""
        return self.set_by == "school"

    @property
    def label(self) -> str:
        """The code and its meaning, e.g. "I: Illness (not medical or dental appointments)"."""
        return f"{self.code}: {self.meaning}"


def _parse(entry: dict[str, Any]) -> AttendanceCode:
    code = entry.get("code")
    if not isinstance(code, str) or not code:
        raise ValueError(f"{DATA_FILE}: an entry has no code: {entry!r}")
    meaning = entry.get("meaning")
    if not isinstance(meaning, str) or not meaning.strip():
        raise ValueError(f"{DATA_FILE}: code {code!r} has no meaning")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise ValueError(f"{DATA_FILE}: code {code!r} has an unknown category {category!r}")
    counting = entry.get("counting")
    if counting not in COUNTINGS:
        raise ValueError(f"{DATA_FILE}: code {code!r} has an unknown counting {counting!r}")
    set_by = entry.get("set_by")
    if set_by not in SET_BY:
        raise ValueError(f"{DATA_FILE}: code {code!r} has an unknown set_by {set_by!r}")
    only_at_a_school = entry.get("only_at_a_school", False)
    if not isinstance(only_at_a_school, bool):
        raise ValueError(f"{DATA_FILE}: code {code!r}: only_at_a_school must be true or false")
    kind = entry.get("placement_kind")
    if kind is not None and kind not in PLACEMENT_KINDS:
        raise ValueError(f"{DATA_FILE}: code {code!r} has an unknown placement_kind {kind!r}")
    unexplained = entry.get("unexplained", False)
    if not isinstance(unexplained, bool):
        raise ValueError(f"{DATA_FILE}: code {code!r}: unexplained must be true or false")
    return AttendanceCode(
        code=code,
        meaning=meaning.strip(),
        category=cast(Category, category),
        counting=cast(Counting, counting),
        set_by=cast(SetBy, set_by),
        placement_kind=cast(PlacementKind | None, kind),
        unexplained=unexplained,
        only_at_a_school=only_at_a_school,
        group=str(entry.get("group", "")),
    )


@functools.cache
def all_codes() -> dict[str, AttendanceCode]:
    """Every code, keyed by code, in the regulations' order (loaded once from `codes.toml`).

    Raises ValueError if the data file is malformed (a missing meaning, an unknown category,
    a duplicate code).
    """
    raw = resources.files(__package__).joinpath(DATA_FILE).read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    codes: dict[str, AttendanceCode] = {}
    for entry in data.get("codes", []):
        parsed = _parse(entry)
        key = parsed.code.upper()
        if key in codes:
            raise ValueError(f"{DATA_FILE}: code {parsed.code!r} is listed twice")
        codes[key] = parsed
    return codes


def get(code: str) -> AttendanceCode:
    """The code with this name, ignoring case and surrounding spaces ("c2" finds C2).

    Raises KeyError with a message naming the unknown code and the known ones.
    """
    codes = all_codes()
    try:
        return codes[code.strip().upper()]
    except KeyError:
        known = ", ".join(codes)
        raise KeyError(f"Unknown attendance code {code!r}; known codes are: {known}") from None


def placement_codes() -> list[AttendanceCode]:
    """The codes an AP placement can be recorded under: B, D and K (in that order)."""
    return [get(c) for c in (SCHOOL_ARRANGED_CODE, DUAL_REGISTERED_CODE, LA_ARRANGED_CODE)]


def absence_codes() -> list[AttendanceCode]:
    """The codes a provider's absence report may use, commonest first (N, I, M, O, then the rest).

    Leaves out codes for being present or attending elsewhere. Includes the codes only the
    school may set (see `school_decides`): a provider picks one as a proposal.
    """
    absences = [c for c in all_codes().values() if c.category == "absence"]
    first = [c for key in _ABSENCE_REPORT_FIRST for c in absences if c.code == key]
    return first + [c for c in absences if c.code not in _ABSENCE_REPORT_FIRST]


def unexplained_codes() -> list[AttendanceCode]:
    """Codes meaning nobody yet knows why the pupil is away (N, O): the missing-education signal."""
    return [c for c in all_codes().values() if c.unexplained]


def suggested_placement_code(*, commissioner_is_la: bool, provider_is_school: bool) -> str:
    """The attendance code to suggest for a new placement.

    D when the provider is a school, where the pupil is dual registered (a PRU, an AP academy or
    free school, or another registered school, independent schools included), whoever
    commissions: an LA place at a PRU is D, not K. Otherwise K when the local authority arranged
    it (provision that is not such a school), and B when the school did.
    """
    if provider_is_school:
        return DUAL_REGISTERED_CODE
    if commissioner_is_la:
        return LA_ARRANGED_CODE
    return SCHOOL_ARRANGED_CODE


def placement_code_warning(
    code: str, *, commissioner_is_la: bool, provider_is_school: bool
) -> str | None:
    """A judgement worth a second look (a warning naming the rule), or None.

    K at a school: K is LA-arranged provision that is not a school where the pupil is dual
    registered. B when the LA commissions: B is for provision the school itself arranged.
    """
    code = code.strip().upper()
    if code == LA_ARRANGED_CODE and provider_is_school:
        return (
            "K is for provision the local authority arranges that isn't a school where the pupil "
            "is registered. If the pupil is dual registered at this school, the code is D."
        )
    if code == SCHOOL_ARRANGED_CODE and commissioner_is_la:
        return (
            "B is for approved educational activity that the school arranges; a place the local "
            "authority arranges is K (or D at a school where the pupil is dual registered)."
        )
    return None


def absence(code: str) -> AttendanceCode:
    """An absence code a report may use, or ValueError in words for the person."""
    try:
        found = get(code)
    except KeyError:
        raise ValueError(f"{code.strip()[:10]!r} isn't an attendance code I know.") from None
    if found.category != "absence":
        raise ValueError(f"{found.code} isn't an absence code ({found.meaning}).")
    return found


def placement_code_problem(code: str, *, provider_is_school: bool) -> str | None:
    """Why this placement code can't be used with this provider, or None if it can.

    D is only for a place that is itself a school at which the pupil is registered (a PRU,
    AP academy or free school, or another registered school, independent ones included): never
    an unregistered provider.
    """
    found = get(code)
    if found.placement_kind is None:
        return f"{found.code} isn't a code for an AP placement; use B, D or K."
    if found.only_at_a_school and not provider_is_school:
        return (
            f"{found.code} ({found.meaning}) is only for a provider that is itself a school "
            "where the pupil is registered, never an unregistered provider. This provider "
            "isn't a school: use B if your school arranged it, K if the local authority did."
        )
    return None
