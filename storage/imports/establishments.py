"""`apbot import organisations`: schools, pupil referral units, AP academies and AP free schools
from the DfE's Get Information about Schools (GIAS) establishment export ("edubasealldata").

An establishment is matched by URN (or, for one set up by hand without a URN, by name). Its type
says what it is to us: a PRU, an AP academy or an AP free school is an AP provider with that
registration status; any other school is a school. Each sits in the local authority of its
`LA (name)` (set up if missing) unless `la` names one. Closed establishments are not added.
Unregistered providers are not in GIAS: they are still added by hand (`apbot orgs add`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.imports.table import ImportReport, heading_key, read_lines, why
from storage.models import Organisation, OrgKind, RegistrationStatus
from storage.services import directory
from storage.services.audit import Change, audit_updated, snapshot

COLUMNS = {
    "urn": ("URN",),
    "ukprn": ("UKPRN",),
    "name": ("EstablishmentName", "Establishment name"),
    "type": ("TypeOfEstablishment (name)", "Type of establishment"),
    "status": ("EstablishmentStatus (name)", "Establishment status"),
    "street": ("Street",),
    "locality": ("Locality",),
    "address3": ("Address3",),
    "town": ("Town",),
    "postcode": ("Postcode",),
    "la_code": ("LA (code)", "LA code"),
    "la_name": ("LA (name)", "LA name"),
    "phase": ("PhaseOfEducation (name)", "Phase of education"),
}
LABELS = {
    "urn": "URN",
    "ukprn": "UKPRN",
    "name": "EstablishmentName",
    "type": "TypeOfEstablishment (name)",
    "status": "EstablishmentStatus (name)",
    "la_code": "LA (code)",
    "la_name": "LA (name)",
}
# GIAS establishment types that are AP, by the registration status they give a provider.
AP_TYPES = {
    heading_key("Pupil referral unit"): RegistrationStatus.pru,
    heading_key("Academy alternative provision converter"): RegistrationStatus.ap_academy,
    heading_key("Academy alternative provision sponsor led"): RegistrationStatus.ap_academy,
    heading_key("Free schools alternative provision"): RegistrationStatus.ap_free_school,
}
# Establishments in GIAS that are not schools a placement starts from or goes to.
NOT_SCHOOLS = frozenset(
    heading_key(kind)
    for kind in (
        "Higher education institutions",
        "Welsh establishment",
        "British schools overseas",
        "Offshore schools",
        "Miscellaneous",
    )
)
CLOSED = heading_key("Closed")


class EstablishmentLine(BaseModel):
    """One establishment as GIAS lists it."""

    model_config = ConfigDict(str_strip_whitespace=True)

    urn: str
    ukprn: str | None = None
    name: str
    type: str
    status: str = "Open"
    street: str = ""
    locality: str = ""
    address3: str = ""
    town: str = ""
    postcode: str = ""
    la_code: str = ""
    la_name: str = ""
    phase: str = ""

    @field_validator("urn")
    @classmethod
    def _urn(cls, value: str) -> str:
        if not (value.isdigit() and len(value) == 6):
            raise ValueError(f"a URN is 6 digits; {value or 'nothing'!r} is not")
        return value

    @field_validator("ukprn", mode="before")
    @classmethod
    def _ukprn(cls, value: str | None) -> str | None:
        text = (value or "").strip()
        if text and not (text.isdigit() and len(text) == 8):
            raise ValueError(f"a UKPRN is 8 digits; {text!r} is not")
        return text or None

    @field_validator("name", "type")
    @classmethod
    def _present(cls, value: str) -> str:
        if not value:
            raise ValueError("missing")
        return value

    @property
    def kind(self) -> OrgKind:
        return OrgKind.provider if heading_key(self.type) in AP_TYPES else OrgKind.school

    @property
    def registration_status(self) -> RegistrationStatus | None:
        return AP_TYPES.get(heading_key(self.type))

    @property
    def address(self) -> str | None:
        parts = (self.street, self.locality, self.address3, self.town, self.postcode)
        return ", ".join(part for part in parts if part) or None


async def import_establishments(
    session: AsyncSession,
    change: Change,
    *,
    text: str,
    la_code: str | None = None,
    la: Organisation | None = None,
) -> ImportReport:
    """Add or update the establishments in the GIAS CSV `text`, only those of `la_code` if
    given; each sits in `la` if given, else in the LA organisation named as its `LA (name)`."""
    lines = read_lines(text, COLUMNS, required=("urn", "name", "type"), labels=LABELS)
    if la_code is not None:
        lines = [line for line in lines if line.values.get("la_code", "") == la_code.strip()]
        if not lines:
            raise directory.DirectoryError(
                f"No establishment in the file has the LA code {la_code}; nothing was imported."
            )
    report = ImportReport("establishments")
    seen: dict[str, int] = {}
    closed = not_schools = 0
    local_authorities: dict[str, Organisation] = {}
    for line in lines:
        try:
            establishment = EstablishmentLine.model_validate(line.values)
        except ValidationError as error:
            report.refuse(line.number, why(error, LABELS))
            continue
        if establishment.urn in seen:
            report.refuse(
                line.number, f"the URN {establishment.urn} is on line {seen[establishment.urn]} too"
            )
            continue
        seen[establishment.urn] = line.number
        if heading_key(establishment.type) in NOT_SCHOOLS:
            not_schools += 1
            continue
        held = await _held(session, establishment)
        if heading_key(establishment.status) == CLOSED and held is None:
            closed += 1
            continue
        home = la or await _local_authority(
            session, change, establishment, local_authorities, report
        )
        reason = await _add_or_update(session, change, establishment, held, home, report)
        if reason is not None:
            report.refuse(line.number, reason)
        elif heading_key(establishment.status) == CLOSED:
            report.notes.append(
                f"line {line.number}: {establishment.name} is closed in GIAS but set up here; "
                "check it has no open placements."
            )
    if closed:
        report.notes.append(f"{closed} closed establishment(s) skipped.")
    if not_schools:
        report.notes.append(
            f"{not_schools} establishment(s) that are not schools (universities, overseas, "
            "Welsh, miscellaneous) skipped."
        )
    return report


async def _held(session: AsyncSession, establishment: EstablishmentLine) -> Organisation | None:
    """The organisation set up for this establishment: by URN, else by name without a URN."""
    by_urn = await session.scalar(
        select(Organisation)
        .where(Organisation.urn == establishment.urn)
        .order_by(Organisation.id)
        .limit(1)
    )
    if by_urn is not None:
        return by_urn
    return await session.scalar(
        select(Organisation)
        .where(
            func.lower(Organisation.name) == establishment.name.lower(),
            Organisation.urn.is_(None),
            Organisation.kind == establishment.kind,
        )
        .limit(1)
    )


async def _local_authority(
    session: AsyncSession,
    change: Change,
    establishment: EstablishmentLine,
    made: dict[str, Organisation],
    report: ImportReport,
) -> Organisation | None:
    """The LA organisation called as the establishment's `LA (name)`, set up if missing."""
    name = establishment.la_name
    if not name:
        return None
    if name.lower() in made:
        return made[name.lower()]
    found = await session.scalar(
        select(Organisation)
        .where(
            func.lower(Organisation.name) == name.lower(),
            Organisation.kind == OrgKind.local_authority,
        )
        .limit(1)
    )
    if found is None:
        found = await directory.add_organisation(
            session, change, kind=OrgKind.local_authority, name=name
        )
        report.notes.append(f"Set up the local authority {name} (the file's LA name).")
    made[name.lower()] = found
    return found


async def _add_or_update(
    session: AsyncSession,
    change: Change,
    establishment: EstablishmentLine,
    held: Organisation | None,
    la: Organisation | None,
    report: ImportReport,
) -> str | None:
    """Add or update one establishment; why not, if it cannot be."""
    if held is None:
        try:
            await directory.add_organisation(
                session,
                change,
                kind=establishment.kind,
                name=establishment.name,
                urn=establishment.urn,
                ukprn=establishment.ukprn,
                la_id=la.id if la else None,
                registration_status=establishment.registration_status,
                address=establishment.address,
            )
        except directory.DirectoryError as error:
            return str(error).rstrip(".")
        report.added += 1
        return None
    if held.kind != establishment.kind:
        said = "an AP provider" if establishment.kind == OrgKind.provider else "a school"
        return (
            f"{held.name} is set up here as {directory.KIND_WORDS[held.kind]}, but GIAS says "
            f"{said} ({establishment.type}); change it by hand"
        )
    if held.name.lower() != establishment.name.lower() and await session.scalar(
        select(Organisation.id).where(
            func.lower(Organisation.name) == establishment.name.lower(), Organisation.id != held.id
        )
    ):
        return f"another organisation is already called {establishment.name}"
    before = snapshot(held)
    held.name = establishment.name
    held.urn = establishment.urn
    if establishment.ukprn:
        held.ukprn = establishment.ukprn
    if establishment.address:
        held.address = establishment.address
    if la is not None:
        held.la_id = la.id
    if establishment.registration_status is not None:
        held.registration_status = establishment.registration_status
    if await audit_updated(session, change, held, before) is None:
        report.unchanged += 1
    else:
        report.updated += 1
    return None
