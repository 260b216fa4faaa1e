"""Setting up who is who: organisations, sites, people and pupils, each with its audit entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storage.clock import FixedClock
from storage.models import AuditEntry, Organisation, OrgKind, Person, RegistrationStatus, Role
from storage.services import directory
from storage.services.audit import Change
from storage.services.directory import DirectoryError
from tests.support.database import Database


def _change(clock: FixedClock) -> Change:
    return Change(person_id=None, channel="test", at=clock.now())


async def _la_school_provider(
    db: Database, clock: FixedClock
) -> tuple[Organisation, Organisation, Organisation]:
    async with db.sessions() as session, session.begin():
        la = await directory.add_organisation(
            session, _change(clock), kind=OrgKind.local_authority, name="Testshire Council"
        )
        school = await directory.add_organisation(
            session,
            _change(clock),
            kind=OrgKind.school,
            name="Elm Park School",
            urn="900001",
            la_id=la.id,
            full_time_hours=Decimal("31"),
        )
        provider = await directory.add_organisation(
            session,
            _change(clock),
            kind=OrgKind.provider,
            name="Wheels Workshop",
            la_id=la.id,
            registration_status=RegistrationStatus.unregistered,
        )
    return la, school, provider


async def _count(db: Database, model: type[object]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_organisations_sites_people_and_pupils_are_set_up_and_audited(
    db: Database, clock: FixedClock
) -> None:
    la, school, provider = await _la_school_provider(db, clock)
    async with db.sessions() as session, session.begin():
        site = await directory.add_site(
            session,
            _change(clock),
            provider_id=provider.id,
            name="Workshop",
            address="Unit 4, Test Estate",
            postcode=" tt2  3cc ",
        )
        teacher = await directory.add_person(
            session,
            Change(person_id=None, channel="cli", at=clock.now()),
            name="Tess Teacher",
            email="  Tess.Teacher@ElmPark.TEST ",
            role=Role.teacher,
            organisation_id=school.id,
        )
        pupil = await directory.add_pupil(
            session,
            _change(clock),
            home_org_id=school.id,
            first_name="Jamie",
            last_name="Testpupil",
            year_group=0,
            upn="a12345678901 2",
            fsm_eligible=True,
        )

    assert school.full_time_hours == Decimal("31")
    assert provider.is_unregistered and provider.la_id == la.id
    assert site.postcode == "TT2 3CC"
    assert teacher.email == "tess.teacher@elmpark.test"
    assert teacher.organisation is not None and teacher.organisation.name == "Elm Park School"
    assert teacher.created_at == clock.now()
    assert pupil.upn == "A123456789012" and pupil.year_group == 0 and pupil.fsm_eligible

    async with db.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    audited = {(e.record_type, e.record_id) for e in entries if e.action == "created"}
    assert audited >= {
        ("Organisation", la.id),
        ("Organisation", school.id),
        ("Organisation", provider.id),
        ("Site", site.id),
        ("Person", teacher.id),
        ("Pupil", pupil.id),
    }
    person_entry = next(e for e in entries if e.record_type == "Person")
    assert person_entry.channel == "cli"
    assert person_entry.changes["email"] == "tess.teacher@elmpark.test"
    pupil_entry = next(e for e in entries if e.record_type == "Pupil")
    # A pupil's name never goes into the audit log.
    assert pupil_entry.changes["first_name"] == "(recorded)"


async def test_a_duplicate_email_is_refused_and_nothing_is_saved(
    db: Database, clock: FixedClock
) -> None:
    _, school, _ = await _la_school_provider(db, clock)
    async with db.sessions() as session, session.begin():
        await directory.add_person(
            session,
            _change(clock),
            name="Dee Lead",
            email="dsl@elmpark.test",
            role=Role.dsl,
            organisation_id=school.id,
        )
    people_before = await _count(db, Person)
    audit_before = await _count(db, AuditEntry)

    with pytest.raises(DirectoryError) as refused:
        async with db.sessions() as session, session.begin():
            await directory.add_person(
                session,
                _change(clock),
                name="Dee Lead Again",
                email=" DSL@ElmPark.test",
                role=Role.teacher,
                organisation_id=school.id,
            )

    assert str(refused.value) == "Someone with the email dsl@elmpark.test is already set up."
    assert await _count(db, Person) == people_before
    assert await _count(db, AuditEntry) == audit_before


@pytest.mark.parametrize(
    ("role", "org_key", "fits"),
    [
        (Role.teacher, "school", True),
        (Role.dsl, "school", True),
        (Role.provider, "provider", True),
        (Role.la_officer, "la", True),
        (Role.admin, None, True),
        (Role.admin, "la", True),
        (Role.teacher, "provider", False),
        (Role.dsl, "la", False),
        (Role.provider, "school", False),
        (Role.la_officer, "school", False),
        (Role.teacher, None, False),
    ],
)
async def test_a_role_must_fit_the_organisation(
    db: Database, clock: FixedClock, role: Role, org_key: str | None, fits: bool
) -> None:
    la, school, provider = await _la_school_provider(db, clock)
    orgs = {"la": la, "school": school, "provider": provider}
    organisation_id = orgs[org_key].id if org_key else None
    async with db.sessions() as session, session.begin():
        add = directory.add_person(
            session,
            _change(clock),
            name="Robin Example",
            email="robin@example.test",
            role=role,
            organisation_id=organisation_id,
        )
        if fits:
            person = await add
            assert person.role == role
        else:
            with pytest.raises(DirectoryError, match=f"role {role.value} works at"):
                await add


@pytest.mark.parametrize("email", ["", "not-an-email", "two@@example.test", "a b@example.test"])
async def test_an_email_must_look_like_one(db: Database, clock: FixedClock, email: str) -> None:
    async with db.sessions() as session, session.begin():
        with pytest.raises(DirectoryError, match="does not look like an email address"):
            await directory.add_person(
                session,
                _change(clock),
                name="Ada Admin",
                email=email,
                role=Role.admin,
                organisation_id=None,
            )


async def test_organisations_are_checked(db: Database, clock: FixedClock) -> None:
    la, school, _ = await _la_school_provider(db, clock)
    async with db.sessions() as session, session.begin():
        change = _change(clock)
        with pytest.raises(DirectoryError, match="Say how Pathways is registered"):
            await directory.add_organisation(
                session, change, kind=OrgKind.provider, name="Pathways"
            )
        with pytest.raises(DirectoryError, match="not a local authority"):
            await directory.add_organisation(
                session,
                change,
                kind=OrgKind.school,
                name="Ash School",
                la_id=school.id,
            )
        with pytest.raises(DirectoryError, match="already set up"):
            await directory.add_organisation(
                session, change, kind=OrgKind.school, name="  elm park school "
            )
        with pytest.raises(DirectoryError, match="Please give"):
            await directory.add_organisation(session, change, kind=OrgKind.school, name="  ")
        with pytest.raises(DirectoryError, match="URN is 6 digits"):
            await directory.add_organisation(
                session, change, kind=OrgKind.school, name="Ash School", urn="12ab"
            )
        with pytest.raises(DirectoryError, match="Only AP providers"):
            await directory.add_organisation(
                session,
                change,
                kind=OrgKind.school,
                name="Ash School",
                registration_status=RegistrationStatus.pru,
            )
        with pytest.raises(DirectoryError, match="not an AP provider"):
            await directory.add_site(
                session, change, provider_id=la.id, name="Hall", address="1 Road"
            )


@pytest.mark.parametrize(
    ("year_group", "upn", "message"),
    [
        (15, None, "year group is 0"),
        (-1, None, "year group is 0"),
        (9, "A12345", "A UPN is 13 characters"),
        (9, "1234567890123", "A UPN is 13 characters"),
    ],
)
async def test_pupils_are_checked(
    db: Database, clock: FixedClock, year_group: int, upn: str | None, message: str
) -> None:
    _, school, provider = await _la_school_provider(db, clock)
    async with db.sessions() as session, session.begin():
        with pytest.raises(DirectoryError, match=message):
            await directory.add_pupil(
                session,
                _change(clock),
                home_org_id=school.id,
                first_name="Casey",
                last_name="Example",
                year_group=year_group,
                upn=upn,
            )
        with pytest.raises(DirectoryError, match="belongs to a school"):
            await directory.add_pupil(
                session,
                _change(clock),
                home_org_id=provider.id,
                first_name="Casey",
                last_name="Example",
                year_group=9,
            )


async def test_a_temporary_upn_and_a_birthday_are_accepted(db: Database, clock: FixedClock) -> None:
    la, _, _ = await _la_school_provider(db, clock)
    async with db.sessions() as session, session.begin():
        pupil = await directory.add_pupil(
            session,
            _change(clock),
            home_org_id=la.id,  # a permanently excluded pupil belongs to the LA
            first_name="Kai",
            last_name="Example",
            year_group=10,
            upn="b12345678901c",
            date_of_birth=dt.date(2011, 5, 4),
            looked_after=True,
        )
        assert pupil.upn == "B12345678901C"
        with pytest.raises(DirectoryError, match="must be in the past"):
            await directory.add_pupil(
                session,
                _change(clock),
                home_org_id=la.id,
                first_name="Kai",
                last_name="Example",
                year_group=10,
                date_of_birth=dt.date(2027, 1, 1),
            )


async def test_people_and_organisations_are_found_and_listed_in_order(
    db: Database, clock: FixedClock
) -> None:
    la, school, provider = await _la_school_provider(db, clock)
    async with db.sessions() as session, session.begin():
        for name, email, role, org in [
            ("Zoe Lead", "zoe@elmpark.test", Role.dsl, school),
            ("Ada Admin", "ada@apsafeguard.test", Role.admin, None),
            ("Amir Teacher", "amir@elmpark.test", Role.teacher, school),
            ("Wyn Office", "wyn@wheels.test", Role.provider, provider),
            ("Lara Officer", "lara@testshire.test", Role.la_officer, la),
        ]:
            await directory.add_person(
                session,
                _change(clock),
                name=name,
                email=email,
                role=role,
                organisation_id=org.id if org else None,
            )

    async with db.sessions() as session:
        found = await directory.find_person_by_email(session, " ZOE@elmpark.TEST")
        assert found is not None and found.name == "Zoe Lead"
        assert await directory.find_person_by_email(session, "nobody@elmpark.test") is None

        people = await directory.list_people(session)
        assert [p.name for p in people] == [
            "Amir Teacher",  # Elm Park School
            "Zoe Lead",
            "Lara Officer",  # Testshire Council
            "Wyn Office",  # Wheels Workshop
            "Ada Admin",  # no organisation: last
        ]

        everyone = await directory.list_organisations(session)
        assert [o.name for o in everyone] == [
            "Elm Park School",
            "Testshire Council",
            "Wheels Workshop",
        ]
        providers = await directory.list_organisations(session, OrgKind.provider)
        assert [o.name for o in providers] == ["Wheels Workshop"]

        by_name = await directory.find_organisation(session, "  testshire COUNCIL ")
        assert by_name is not None and by_name.id == la.id
        by_id = await directory.find_organisation(session, str(school.id))
        assert by_id is not None and by_id.name == "Elm Park School"
        assert await directory.find_organisation(session, "Testshire") is None
        assert await directory.find_organisation(session, "") is None
