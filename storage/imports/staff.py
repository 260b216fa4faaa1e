"""`apbot import staff`: the staff of one organisation from its MIS export (name, email, role).

A person is matched by email. Someone new is added; someone whose name or role changed is
updated; nobody is removed. A role is read in the words MIS exports use ("Designated
Safeguarding Lead", "Head of Year"); a role we do not know refuses the line rather than guess."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.imports.table import ImportReport, Line, heading_key, read_lines, why
from storage.models import Organisation, Person, Role
from storage.services import directory
from storage.services.audit import Change, audit_updated, snapshot

COLUMNS = {
    "name": ("Name", "Full name", "Staff name", "Display name"),
    "first_name": ("Preferred forename", "Forename", "First name", "Legal forename"),
    "last_name": ("Preferred surname", "Surname", "Last name", "Legal surname"),
    "email": ("Email", "Email address", "Work email", "School email", "E-mail"),
    "role": ("Role", "Staff role", "Job title", "Post", "Position"),
}
LABELS = {
    "name": "Name",
    "first_name": "Forename",
    "last_name": "Surname",
    "email": "Email",
    "role": "Role",
}

# The words an MIS export uses for a role, reduced as headings are (`heading_key`).
ROLE_WORDS: dict[str, Role] = {
    heading_key(word): role
    for words, role in (
        (
            (
                "dsl",
                "designated safeguarding lead",
                "deputy dsl",
                "ddsl",
                "deputy designated safeguarding lead",
                "safeguarding lead",
            ),
            Role.dsl,
        ),
        (
            (
                "teacher",
                "class teacher",
                "teaching assistant",
                "ta",
                "head of year",
                "assistant head of year",
                "form tutor",
                "tutor",
                "pastoral lead",
                "senco",
            ),
            Role.teacher,
        ),
        (("provider", "ap provider", "provider staff"), Role.provider),
        (("la officer", "la_officer", "local authority officer"), Role.la_officer),
    )
    for word in words
}


class StaffLine(BaseModel):
    """One member of staff as the file gives them."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str
    role: Role

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: str) -> str:
        email = directory.normalise_email(value)
        if not email:
            raise ValueError("missing")
        if not directory.EMAIL_PATTERN.match(email):
            raise ValueError(f"{value!r} does not look like an email address")
        return email

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: str) -> Role:
        role = ROLE_WORDS.get(heading_key(value or ""))
        if role is None:
            known = "teacher, Teaching Assistant, Head of Year, DSL, Deputy DSL, ..."
            raise ValueError(f"{value or 'nothing'!r} is not a role we know ({known})")
        return role

    @model_validator(mode="after")
    def _full_name(self) -> StaffLine:
        if not self.name:
            self.name = " ".join(part for part in (self.first_name, self.last_name) if part)
        if not self.name:
            raise ValueError("the name is missing")
        return self


async def import_staff(
    session: AsyncSession, change: Change, *, organisation: Organisation, text: str
) -> ImportReport:
    """Add or update the staff of `organisation` from the CSV `text` (the caller commits, or
    rolls back for a dry run)."""
    lines = read_lines(
        text,
        COLUMNS,
        required=("email", "role"),
        labels=LABELS,
        one_of=("name", "first_name", "last_name"),
    )
    report = ImportReport("staff")
    seen: dict[str, int] = {}
    for line in lines:
        await _import_line(session, change, organisation, line, report, seen)
    held = await session.scalars(
        select(Person.email).where(Person.organisation_id == organisation.id)
    )
    emails = {directory.normalise_email(line.values.get("email", "")) for line in lines}
    report.not_in_file = sum(1 for email in held if email not in emails)
    return report


async def _import_line(
    session: AsyncSession,
    change: Change,
    organisation: Organisation,
    line: Line,
    report: ImportReport,
    seen: dict[str, int],
) -> None:
    try:
        staff = StaffLine.model_validate(line.values)
    except ValidationError as error:
        report.refuse(line.number, why(error, LABELS))
        return
    if staff.email in seen:
        report.refuse(line.number, f"{staff.email} is on line {seen[staff.email]} too")
        return
    seen[staff.email] = line.number
    person = await directory.find_person_by_email(session, staff.email)
    if person is None:
        try:
            await directory.add_person(
                session,
                change,
                name=staff.name,
                email=staff.email,
                role=staff.role,
                organisation_id=organisation.id,
            )
        except directory.DirectoryError as error:
            report.refuse(line.number, str(error))
            return
        report.added += 1
        return
    if person.organisation_id != organisation.id:
        where = person.organisation.name if person.organisation else "no organisation (an admin)"
        report.refuse(
            line.number,
            f"{staff.email} is already set up at {where}; change them there by hand",
        )
        return
    needed = directory.ROLE_ORG_KIND.get(staff.role)
    if needed is not None and needed != organisation.kind:
        report.refuse(
            line.number,
            f"someone with the role {staff.role.value} works at "
            f"{directory.KIND_WORDS[needed]}; {organisation.name} is not one",
        )
        return
    before = snapshot(person)
    person.name = staff.name
    person.role = staff.role
    if await audit_updated(session, change, person, before) is None:
        report.unchanged += 1
    else:
        report.updated += 1
