"""A small, realistic world for tests: an LA, a school, providers, staff and pupils.

Built through the same service functions the product uses, so the audit log is real too.
Names are obviously fictional.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock
from storage.models import (
    ChecklistStatus,
    Organisation,
    OrgKind,
    Person,
    Placement,
    Pupil,
    RegistrationStatus,
    Role,
    WelfareCallParty,
)
from storage.services import directory
from storage.services.audit import Change
from storage.services.placements import ChecklistAnswer, PlacementPlan, create_placement
from tests.conftest import Database


@dataclass
class World:
    la: Organisation
    school: Organisation
    other_school: Organisation
    provider: Organisation
    unregistered: Organisation
    teacher: Person
    dsl: Person
    other_teacher: Person
    other_dsl: Person
    provider_staff: Person
    unregistered_staff: Person
    la_officer: Person
    admin: Person
    pupil: Pupil
    fsm_pupil: Pupil
    other_pupil: Pupil


async def build_world(db: Database, clock: Clock) -> World:
    """Two schools in one LA, a registered and an unregistered provider, everyone's roles."""
    change = Change(person_id=None, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        s = session
        la = await directory.add_organisation(
            s, change, kind=OrgKind.local_authority, name="Testshire Council"
        )
        school = await directory.add_organisation(
            s, change, kind=OrgKind.school, name="Elm Park School", urn="900001", la_id=la.id
        )
        other = await directory.add_organisation(
            s, change, kind=OrgKind.school, name="Birch Lane School", urn="900002", la_id=la.id
        )
        provider = await directory.add_organisation(
            s,
            change,
            kind=OrgKind.provider,
            name="Pathways AP Academy",
            urn="900100",
            la_id=la.id,
            registration_status=RegistrationStatus.ap_academy,
        )
        await directory.add_site(
            s,
            change,
            provider_id=provider.id,
            name="Main site",
            address="1 Test Road, Testtown",
            postcode="TT1 1AA",
        )
        await directory.add_site(
            s,
            change,
            provider_id=provider.id,
            name="Farm site",
            address="Test Farm, Testtown",
            postcode="TT1 2BB",
        )
        unregistered = await directory.add_organisation(
            s,
            change,
            kind=OrgKind.provider,
            name="Wheels Workshop",
            la_id=la.id,
            registration_status=RegistrationStatus.unregistered,
        )
        await directory.add_site(
            s,
            change,
            provider_id=unregistered.id,
            name="Workshop",
            address="Unit 4, Test Estate",
            postcode="TT2 3CC",
        )

        async def person(name: str, email: str, role: Role, org: Organisation | None) -> Person:
            return await directory.add_person(
                s,
                change,
                name=name,
                email=email,
                role=role,
                organisation_id=org.id if org else None,
            )

        teacher = await person("Tess Teacher", "teacher@elmpark.test", Role.teacher, school)
        dsl = await person("Dee Lead", "dsl@elmpark.test", Role.dsl, school)
        other_teacher = await person("Otto Teacher", "teacher@birchlane.test", Role.teacher, other)
        other_dsl = await person("Olive Lead", "dsl@birchlane.test", Role.dsl, other)
        provider_staff = await person("Pat Office", "office@pathways.test", Role.provider, provider)
        unregistered_staff = await person(
            "Wyn Office", "office@wheels.test", Role.provider, unregistered
        )
        la_officer = await person("Lara Officer", "officer@testshire.test", Role.la_officer, la)
        admin = await person("Ada Admin", "admin@apsafeguard.test", Role.admin, None)
        pupil = await directory.add_pupil(
            s,
            change,
            home_org_id=school.id,
            first_name="Jamie",
            last_name="Testpupil",
            year_group=9,
        )
        fsm_pupil = await directory.add_pupil(
            s,
            change,
            home_org_id=school.id,
            first_name="Robin",
            last_name="Mealsworth",
            year_group=10,
            fsm_eligible=True,
            cp_plan=True,
        )
        other_pupil = await directory.add_pupil(
            s,
            change,
            home_org_id=other.id,
            first_name="Casey",
            last_name="Otherschool",
            year_group=8,
        )
    return World(
        la,
        school,
        other,
        provider,
        unregistered,
        teacher,
        dsl,
        other_teacher,
        other_dsl,
        provider_staff,
        unregistered_staff,
        la_officer,
        admin,
        pupil,
        fsm_pupil,
        other_pupil,
    )


async def place(
    session: AsyncSession,
    clock: Clock,
    *,
    by: Person,
    pupil: Pupil,
    provider: Organisation,
    start: dt.date,
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri"),
    provider_hours: str = "25",
    school_hours: str = "7.5",
    welfare: WelfareCallParty = WelfareCallParty.provider,
    all_done: bool = False,
) -> Placement:
    """A placement made directly through the service (for tests that need one to exist)."""
    assert by.organisation_id is not None
    check = {}
    if all_done:
        from storage.rules.checklist import ALL_ITEMS

        check = {item.key: ChecklistAnswer(status=ChecklistStatus.done) for item in ALL_ITEMS}
    total = Decimal(provider_hours) + Decimal(school_hours)
    plan = PlacementPlan(
        pupil_id=pupil.id,
        commissioner_id=by.organisation_id,
        provider_id=provider.id,
        start_date=start,
        planned_end_date=start + dt.timedelta(weeks=10),
        review_date=None if total >= Decimal("32.5") else start + dt.timedelta(weeks=4),
        provider_days=list(days),
        provider_hours=Decimal(provider_hours),
        school_hours=Decimal(school_hours),
        attendance_code="B",
        absence_deadline=dt.time(9, 30),
        welfare_call_party=welfare,
        welfare_call_arrangements="Provider rings home by 10:00",
        checklist=check,
    )
    return await create_placement(
        session, Change(person_id=by.id, channel="test", at=clock.now()), plan
    )
