"""Who is who: organisations (with sites), the people who use the bot, and pupils.

Each function checks what a person could get wrong, adds the record and writes its audit entry in
the caller's transaction. Problems a person can fix raise `DirectoryError` with a plain message.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.clock import LONDON
from storage.models import (
    Organisation,
    OrgKind,
    Person,
    Pupil,
    RegistrationStatus,
    Role,
    Site,
    SiteKind,
)
from storage.services.audit import Change, audit_created

# Which organisation each role belongs to (an admin may belong to one or to none).
ROLE_ORG_KIND: dict[Role, OrgKind] = {
    Role.teacher: OrgKind.school,
    Role.dsl: OrgKind.school,
    Role.provider: OrgKind.provider,
    Role.la_officer: OrgKind.local_authority,
}
KIND_WORDS = {
    OrgKind.school: "a school",
    OrgKind.provider: "an AP provider",
    OrgKind.local_authority: "a local authority",
}

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# A UPN: a check letter, then 12 digits, or 11 digits and a letter (a temporary UPN).
UPN_PATTERN = re.compile(r"^[A-Z](\d{12}|\d{11}[A-Z])$")
# A UK postcode, loosely: outward code, a space (optional), inward code.
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
YEAR_GROUPS = range(0, 15)  # 0 is reception; 14 the last year of post-16.


class DirectoryError(ValueError):
    """Something about a new organisation, site, person or pupil that the person can fix."""


def _required(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DirectoryError(f"Please give the {what}.")
    return text


def _optional(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _number(value: str | None, what: str, digits: int) -> str | None:
    text = _optional(value)
    if text is not None and not (text.isdigit() and len(text) == digits):
        raise DirectoryError(f"A {what} is {digits} digits; {text!r} is not.")
    return text


async def add_organisation(
    session: AsyncSession,
    change: Change,
    *,
    kind: OrgKind,
    name: str,
    urn: str | None = None,
    ukprn: str | None = None,
    la_id: int | None = None,
    registration_status: RegistrationStatus | None = None,
    address: str | None = None,
    full_time_hours: Decimal | None = None,
) -> Organisation:
    """Set up a school, an AP provider (which needs its registration status) or an LA."""
    name = _required(name, "organisation's name")
    if await _organisation_named(session, name) is not None:
        raise DirectoryError(f"An organisation called {name} is already set up.")
    if kind == OrgKind.provider and registration_status is None:
        raise DirectoryError(
            f"Say how {name} is registered (a registered school, PRU, AP academy, AP free "
            "school, or unregistered)."
        )
    if kind != OrgKind.provider and registration_status is not None:
        raise DirectoryError("Only AP providers have a registration status.")
    if la_id is not None:
        if kind == OrgKind.local_authority:
            raise DirectoryError("A local authority does not sit in another local authority.")
        la = await session.get(Organisation, la_id)
        if la is None or la.kind != OrgKind.local_authority:
            raise DirectoryError(f"Organisation {la_id} is not a local authority.")
    if full_time_hours is not None and not Decimal(0) < full_time_hours <= Decimal(60):
        raise DirectoryError("A full-time week is more than 0 and at most 60 hours.")

    organisation = Organisation(
        kind=kind,
        name=name,
        urn=_number(urn, "URN", 6),
        ukprn=_number(ukprn, "UKPRN", 8),
        la_id=la_id,
        registration_status=registration_status,
        address=_optional(address),
        created_at=change.at,
    )
    if full_time_hours is not None:
        organisation.full_time_hours = full_time_hours
    session.add(organisation)
    await audit_created(session, change, organisation)
    # A new provider has no sites yet; say so rather than lazy-load later.
    await session.refresh(organisation, attribute_names=["sites"])
    return organisation


async def add_site(
    session: AsyncSession,
    change: Change,
    *,
    provider_id: int,
    name: str,
    address: str,
    postcode: str | None = None,
    kind: SiteKind = SiteKind.main,
    subcontractor_name: str | None = None,
    subcontractor_urn: str | None = None,
    phone: str | None = None,
) -> Site:
    """Add an address where a provider teaches pupils: its main site, a satellite site, or a
    subcontracted provider's site (then the subcontractor's name is required; its URN if it
    has one)."""
    provider = await session.get(Organisation, provider_id)
    if provider is None or provider.kind != OrgKind.provider:
        raise DirectoryError(f"Organisation {provider_id} is not an AP provider.")
    subcontractor_name = _optional(subcontractor_name)
    subcontractor_urn = _optional(subcontractor_urn)
    if kind == SiteKind.subcontracted and subcontractor_name is None:
        raise DirectoryError(
            "A subcontracted provider's site needs the subcontractor's name (and its URN if it "
            "has one)."
        )
    if kind != SiteKind.subcontracted and (subcontractor_name or subcontractor_urn):
        raise DirectoryError(
            "Only a subcontracted provider's site has a subcontractor: give the kind as "
            "subcontracted, or leave the subcontractor out."
        )
    if subcontractor_urn is not None and not subcontractor_urn.isdigit():
        raise DirectoryError(f"{subcontractor_urn} is not a URN (a URN is digits, e.g. 123456).")
    postcode = _optional(postcode)
    if postcode is not None:
        postcode = " ".join(postcode.upper().split())
        if not POSTCODE_PATTERN.match(postcode):
            raise DirectoryError(f"{postcode} does not look like a UK postcode (e.g. NB1 4QT).")
    site = Site(
        provider_id=provider.id,
        name=_required(name, "site's name"),
        address=_required(address, "site's address"),
        postcode=postcode,
        kind=kind,
        subcontractor_name=subcontractor_name,
        subcontractor_urn=subcontractor_urn,
        phone=_optional(phone),
    )
    session.add(site)
    await audit_created(session, change, site)
    await session.refresh(provider, attribute_names=["sites"])
    return site


def normalise_upn(upn: str | None) -> str | None:
    """A UPN as stored (spaces removed, upper case), or DirectoryError if it can't be one."""
    upn = _optional(upn)
    if upn is None:
        return None
    upn = upn.replace(" ", "").upper()
    if not UPN_PATTERN.match(upn):
        raise DirectoryError(
            "A UPN is 13 characters: a letter, then 12 digits (or 11 digits and a letter)."
        )
    return upn


def normalise_email(email: str) -> str:
    """An email as stored: trimmed and lower-case."""
    return (email or "").strip().lower()


async def add_person(
    session: AsyncSession,
    change: Change,
    *,
    name: str,
    email: str,
    role: Role,
    organisation_id: int | None,
    slack_user_id: str | None = None,
    teams_aad_object_id: str | None = None,
) -> Person:
    """Set up someone who uses the bot, in a role that fits their organisation."""
    name = _required(name, "person's name")
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise DirectoryError(f"{email or 'An empty email'} does not look like an email address.")
    if await find_person_by_email(session, email) is not None:
        raise DirectoryError(f"Someone with the email {email} is already set up.")

    organisation = None
    if organisation_id is not None:
        organisation = await session.get(Organisation, organisation_id)
        if organisation is None:
            raise DirectoryError(f"There is no organisation {organisation_id}.")
    needed = ROLE_ORG_KIND.get(role)
    if needed is not None and (organisation is None or organisation.kind != needed):
        where = f"{organisation.name} is not one" if organisation else "say which"
        raise DirectoryError(
            f"Someone with the role {role.value} works at {KIND_WORDS[needed]}; {where}."
        )

    slack_user_id = _optional(slack_user_id)
    teams_aad_object_id = _optional(teams_aad_object_id)
    if slack_user_id and await session.scalar(
        select(Person.id).where(Person.slack_user_id == slack_user_id)
    ):
        raise DirectoryError(f"The Slack user {slack_user_id} is already linked to someone.")
    if teams_aad_object_id and await session.scalar(
        select(Person.id).where(Person.teams_aad_object_id == teams_aad_object_id)
    ):
        raise DirectoryError(f"The Teams user {teams_aad_object_id} is already linked to someone.")

    person = Person(
        name=name,
        email=email,
        role=role,
        organisation_id=organisation_id,
        slack_user_id=slack_user_id,
        teams_aad_object_id=teams_aad_object_id,
        created_at=change.at,
    )
    session.add(person)
    await audit_created(session, change, person)
    await session.refresh(person, attribute_names=["organisation"])
    return person


async def add_pupil(
    session: AsyncSession,
    change: Change,
    *,
    home_org_id: int,
    first_name: str,
    last_name: str,
    year_group: int,
    upn: str | None = None,
    date_of_birth: dt.date | None = None,
    fsm_eligible: bool = False,
    ehcp: bool = False,
    cp_plan: bool = False,
    cin_plan: bool = False,
    looked_after: bool = False,
    preferred_name: str | None = None,
) -> Pupil:
    """Add a pupil of a school (or of an LA, for a permanently excluded pupil); a
    `preferred_name` is the name they go by, if not their legal first name."""
    home = await session.get(Organisation, home_org_id)
    if home is None or home.kind == OrgKind.provider:
        raise DirectoryError("A pupil belongs to a school, or to a local authority.")
    if year_group not in YEAR_GROUPS:
        raise DirectoryError("The year group is 0 (reception) to 14.")
    upn = normalise_upn(upn)
    if date_of_birth is not None and date_of_birth >= change.at.astimezone(LONDON).date():
        raise DirectoryError("The date of birth must be in the past.")
    pupil = Pupil(
        home_org_id=home.id,
        first_name=_required(first_name, "pupil's first name"),
        last_name=_required(last_name, "pupil's last name"),
        preferred_name=(preferred_name or "").strip() or None,
        year_group=year_group,
        upn=upn,
        date_of_birth=date_of_birth,
        fsm_eligible=fsm_eligible,
        ehcp=ehcp,
        cp_plan=cp_plan,
        cin_plan=cin_plan,
        looked_after=looked_after,
        created_at=change.at,
    )
    session.add(pupil)
    await audit_created(session, change, pupil)
    await session.refresh(pupil, attribute_names=["home_org"])
    return pupil


async def find_person_by_email(session: AsyncSession, email: str) -> Person | None:
    """The person with this email (any case, surrounding spaces ignored), if set up."""
    return await session.scalar(
        select(Person).where(func.lower(Person.email) == normalise_email(email))
    )


async def list_people(session: AsyncSession) -> list[Person]:
    """Everyone, by organisation name then name; people with no organisation (admins) last."""
    rows = await session.scalars(
        select(Person)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .order_by(
            case((Organisation.id.is_(None), 1), else_=0),
            func.lower(Organisation.name),
            func.lower(Person.name),
            Person.id,
        )
    )
    return list(rows)


async def list_organisations(
    session: AsyncSession, kind: OrgKind | None = None
) -> list[Organisation]:
    """Organisations by name, optionally only those of one kind."""
    query = select(Organisation).options(selectinload(Organisation.sites))
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    rows = await session.scalars(query.order_by(func.lower(Organisation.name), Organisation.id))
    return list(rows)


async def find_organisation(session: AsyncSession, name_or_id: str) -> Organisation | None:
    """The organisation with this id (digits) or this exact name, in any case."""
    text = (name_or_id or "").strip()
    if not text:
        return None
    if text.isdigit():
        return await session.get(Organisation, int(text))
    return await _organisation_named(session, text)


async def _organisation_named(session: AsyncSession, name: str) -> Organisation | None:
    return await session.scalar(
        select(Organisation)
        .where(func.lower(Organisation.name) == name.strip().lower())
        .order_by(Organisation.id)
        .limit(1)
    )
