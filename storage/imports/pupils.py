"""`apbot import pupils`: a school's (or LA's) pupils from its MIS export.

A pupil is matched by UPN, or, on a line without one (or one not held yet), by legal name and
date of birth, then by legal name for a pupil held without a date of birth. New pupils are added, changed ones updated, none removed. A column the file does
not have (often the CP, CiN and looked-after flags) leaves what is held alone. Names and UPNs
are sealed at rest by the model, as everywhere; UPNs are compared here, after decrypting, since
they cannot be looked up in SQL."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.imports.table import ImportReport, Line, day, read_lines, why, yes_no
from storage.models import Organisation, Pupil
from storage.services import directory
from storage.services.audit import Change, audit_updated, snapshot

COLUMNS = {
    "upn": ("UPN", "Unique pupil number"),
    "first_name": ("Legal forename", "Legal first name", "Forename", "First name"),
    "last_name": ("Legal surname", "Legal last name", "Surname", "Last name"),
    # The name a pupil goes by is kept beside the legal names (`Pupil.preferred_name`).
    "preferred_first_name": ("Preferred forename", "Preferred first name", "Known as"),
    "preferred_last_name": ("Preferred surname", "Preferred last name"),
    "date_of_birth": ("Date of birth", "DOB", "Birth date"),
    "year_group": ("Year group", "NC year", "National curriculum year", "Curriculum year", "Year"),
    "fsm_eligible": ("FSM", "FSM eligible", "Free school meals", "FSM eligibility"),
    "ehcp": ("EHCP", "EHC plan", "SEN status", "SEN provision"),
    "cp_plan": ("CP", "CP plan", "Child protection", "Child protection plan"),
    "cin_plan": ("CiN", "CiN plan", "Child in need", "Child in need plan"),
    "looked_after": ("Looked after", "CLA", "LAC", "Looked after child", "In care"),
}
LABELS = {
    "upn": "UPN",
    "first_name": "Legal forename",
    "last_name": "Legal surname",
    "preferred_first_name": "Preferred forename",
    "preferred_last_name": "Preferred surname",
    "date_of_birth": "Date of birth",
    "year_group": "Year group",
    "fsm_eligible": "FSM",
    "ehcp": "EHCP",
    "cp_plan": "CP",
    "cin_plan": "CiN",
    "looked_after": "Looked after",
}
FLAGS = ("fsm_eligible", "ehcp", "cp_plan", "cin_plan", "looked_after")

# DfE's check letters: the remainder (mod 23) of the weighted sum of characters 2 to 13.
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
# SEN provision codes: E an EHC plan (S a statement, before 2014); K, A, P support without one.
SEN_CODES = {"e": True, "s": True, "k": False, "a": False, "p": False}
YEAR_PATTERN = re.compile(r"^(?:year|yr|y|nc)?\s*(\d{1,2})$")
RECEPTION = frozenset({"r", "yr", "reception", "rec", "year r"})


def upn_check_letter(upn: str) -> str:
    """The check letter a UPN's characters 2 to 13 call for (DfE's UPN guidance): each is
    weighted by its position (2 to 13), a letter counting as its place in `CHECK_LETTERS`."""
    total = sum(
        (int(char) if char.isdigit() else CHECK_LETTERS.index(char)) * position
        for position, char in enumerate(upn[1:13], start=2)
    )
    return CHECK_LETTERS[total % 23]


def checked_upn(text: str) -> str | None:
    """A UPN as stored, its format and check letter checked; None when empty."""
    try:
        upn = directory.normalise_upn(text)
    except directory.DirectoryError as error:
        raise ValueError(str(error).rstrip(".")) from None
    if upn is None:
        return None
    if upn[12].isalpha() and upn[12] not in CHECK_LETTERS:
        raise ValueError(f"{upn} ends in {upn[12]}, which is not a letter a UPN uses")
    expected = upn_check_letter(upn)
    if upn[0] != expected:
        raise ValueError(f"{upn}'s check letter is wrong (its digits call for {expected})")
    return upn


class PupilLine(BaseModel):
    """One pupil as the file gives them; a flag left None is not in the file."""

    model_config = ConfigDict(str_strip_whitespace=True)

    upn: str | None = None
    first_name: str
    last_name: str
    # None: the file has no such column (what is held stays).
    preferred_first_name: str | None = None
    preferred_last_name: str | None = None
    date_of_birth: dt.date
    year_group: int
    fsm_eligible: bool | None = None
    ehcp: bool | None = None
    cp_plan: bool | None = None
    cin_plan: bool | None = None
    looked_after: bool | None = None

    @field_validator("upn", mode="before")
    @classmethod
    def _upn(cls, value: str | None) -> str | None:
        return checked_upn(value or "")

    @field_validator("first_name", "last_name", mode="before")
    @classmethod
    def _name(cls, value: str) -> str:
        if not (value or "").strip():
            raise ValueError("missing")
        return value

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _date_of_birth(cls, value: str) -> dt.date:
        if not (value or "").strip():
            raise ValueError("missing")
        return day(value)

    @field_validator("year_group", mode="before")
    @classmethod
    def _year_group(cls, value: str) -> int:
        text = (value or "").strip().lower()
        if text in RECEPTION:
            return 0
        found = YEAR_PATTERN.match(text)
        if found is None or int(found.group(1)) not in directory.YEAR_GROUPS:
            raise ValueError(f"{value or 'nothing'!r} is not a year group (R, or 1 to 14)")
        return int(found.group(1))

    @field_validator("fsm_eligible", "cp_plan", "cin_plan", "looked_after", mode="before")
    @classmethod
    def _flag(cls, value: str) -> bool:
        return yes_no(value or "", "this flag")

    @field_validator("ehcp", mode="before")
    @classmethod
    def _ehcp(cls, value: str) -> bool:
        code = (value or "").strip().lower()
        return SEN_CODES[code] if code in SEN_CODES else yes_no(code, "EHCP")

    @property
    def has_preferred_name(self) -> bool:
        """Whether the file says what name the pupil goes by (either column)."""
        return self.preferred_first_name is not None or self.preferred_last_name is not None

    @property
    def preferred_name(self) -> str | None:
        """The name the pupil goes by, when it is not their legal name: the forename alone
        when only that differs ("Jamie"), else the whole name; None when it is the same."""
        first = self.preferred_first_name or self.first_name
        last = self.preferred_last_name or self.last_name
        if (first, last) == (self.first_name, self.last_name):
            return None
        return first if last == self.last_name else f"{first} {last}"

    @property
    def name_key(self) -> tuple[str, str, dt.date]:
        return (self.first_name.lower(), self.last_name.lower(), self.date_of_birth)


class _Held:
    """The organisation's pupils, by UPN and by legal name and date of birth."""

    def __init__(self, pupils: list[Pupil]) -> None:
        self.pupils = pupils
        self.by_upn: dict[str, Pupil] = {}
        self.by_name: dict[tuple[str, str, dt.date | None], list[Pupil]] = {}
        for pupil in pupils:
            self.add(pupil)

    def add(self, pupil: Pupil) -> None:
        if pupil.upn:
            self.by_upn[pupil.upn] = pupil
        key = (pupil.first_name.lower(), pupil.last_name.lower(), pupil.date_of_birth)
        self.by_name.setdefault(key, []).append(pupil)


async def import_pupils(
    session: AsyncSession, change: Change, *, organisation: Organisation, text: str
) -> ImportReport:
    """Add or update the pupils of `organisation` (a school or LA) from the CSV `text` (the
    caller commits, or rolls back for a dry run)."""
    if organisation.kind == directory.OrgKind.provider:
        raise directory.DirectoryError(
            f"{organisation.name} is an AP provider: pupils belong to a school or an LA."
        )
    lines = read_lines(
        text,
        COLUMNS,
        required=("first_name", "last_name", "date_of_birth", "year_group"),
        labels=LABELS,
    )
    held = _Held(
        list(await session.scalars(select(Pupil).where(Pupil.home_org_id == organisation.id)))
    )
    report = ImportReport("pupils")
    matched: dict[int, int] = {}  # pupil id: the line that matched them
    upns: dict[str, int] = {}
    for line in lines:
        await _import_line(session, change, organisation, line, held, report, matched, upns)
    report.not_in_file = sum(1 for pupil in held.pupils if pupil.id not in matched)
    return report


def _match(pupil_line: PupilLine, held: _Held, matched: dict[int, int]) -> Pupil | str | None:
    """The held pupil this line is, None if new, or why it cannot be told. After the UPN,
    legal name and date of birth; then legal name alone, for a pupil held without a date of
    birth (one added in chat: `start` does not ask it), who then gets it from the file."""
    if pupil_line.upn and pupil_line.upn in held.by_upn:
        return held.by_upn[pupil_line.upn]
    same = held.by_name.get(pupil_line.name_key, [])
    candidates = [p for p in same if not (p.upn and pupil_line.upn)]
    if len(candidates) > 1:
        return "more than one pupil here has this name and date of birth; add the UPN"
    if candidates:
        return candidates[0]
    if same:
        return "a pupil with this name and date of birth has a different UPN here"
    first, last, _ = pupil_line.name_key
    undated = [
        p
        for p in held.by_name.get((first, last, None), [])
        if p.id not in matched and not (p.upn and pupil_line.upn)
    ]
    if len(undated) > 1:
        return "more than one pupil here has this name and no date of birth; add the UPN"
    return undated[0] if undated else None


async def _import_line(
    session: AsyncSession,
    change: Change,
    organisation: Organisation,
    line: Line,
    held: _Held,
    report: ImportReport,
    matched: dict[int, int],
    upns: dict[str, int],
) -> None:
    try:
        pupil_line = PupilLine.model_validate(line.values)
    except ValidationError as error:
        report.refuse(line.number, why(error, LABELS))
        return
    if pupil_line.upn:
        if pupil_line.upn in upns:
            report.refuse(
                line.number, f"the UPN {pupil_line.upn} is on line {upns[pupil_line.upn]} too"
            )
            return
        upns[pupil_line.upn] = line.number
    if pupil_line.date_of_birth >= change.at.astimezone(LONDON).date():
        report.refuse(line.number, "Date of birth: must be in the past")
        return
    found = _match(pupil_line, held, matched)
    if isinstance(found, str):
        report.refuse(line.number, found)
        return
    if found is not None and found.id in matched:
        report.refuse(line.number, f"this is the same pupil as line {matched[found.id]}")
        return
    if found is None:
        flags = {flag: bool(getattr(pupil_line, flag)) for flag in FLAGS}
        pupil = await directory.add_pupil(
            session,
            change,
            home_org_id=organisation.id,
            first_name=pupil_line.first_name,
            last_name=pupil_line.last_name,
            year_group=pupil_line.year_group,
            upn=pupil_line.upn,
            date_of_birth=pupil_line.date_of_birth,
            preferred_name=pupil_line.preferred_name,
            **flags,
        )
        held.add(pupil)
        matched[pupil.id] = line.number
        report.added += 1
        return
    matched[found.id] = line.number
    before = snapshot(found)
    found.first_name = pupil_line.first_name
    found.last_name = pupil_line.last_name
    found.date_of_birth = pupil_line.date_of_birth
    found.year_group = pupil_line.year_group
    if pupil_line.has_preferred_name:  # sealed: audited as "(changed)", never the name
        found.preferred_name = pupil_line.preferred_name
    if pupil_line.upn:
        found.upn = pupil_line.upn
    for flag in FLAGS:
        value = getattr(pupil_line, flag)
        if value is not None:
            setattr(found, flag, value)
    if await audit_updated(session, change, found, before) is None:
        report.unchanged += 1
    else:
        report.updated += 1
