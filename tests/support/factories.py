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
    ReasonForAp,
    RegistrationStatus,
    Role,
    WelfareCallParty,
)
from storage.services import directory
from storage.services.audit import Change
from storage.services.part_time import PartTimePlan
from storage.services.placements import ChecklistAnswer, PlacementPlan, create_placement
from tests.support.database import Database


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
    part_time: PartTimePlan | None = None,
    reason: ReasonForAp = ReasonForAp.other,
    reason_first_day: dt.date | None = None,
    suspension_days: int | None = None,
) -> Placement:
    """A placement made directly through the service (for tests that need one to exist).
    `part_time`: the agreement behind a part-time timetable (reviewed 4 weeks in, so its time
    limit is at least that)."""
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
        reason=reason,
        reason_first_day=reason_first_day,
        suspension_days=suspension_days,
        reason_detail="Re-engagement programme" if reason == ReasonForAp.other else None,
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
        part_time=part_time,
    )
    return await create_placement(
        session, Change(person_id=by.id, channel="test", at=clock.now()), plan
    )


@dataclass
class RecordToRead:
    """A placement with something of every kind in its record, each carrying a marker word
    that says who may read it (see `record_to_read`)."""

    placement: Placement


# Marker words in `record_to_read`, by who may read them.
VISIT_VOICE = "VOICE-workshop"  # commissioning staff
CONTACT_NOTE = "CONTACT-weekly"  # commissioning staff
PRIVATE_ENTRY = "PRIVATE-worries"  # the commissioner's DSLs only
SHARED_ENTRY = "SHARED-lunchtimes"  # DSLs, and the provider it was shared with
PROVIDER_ENTRY = "PROVIDERNOTE-upset"  # DSLs, and the provider that wrote it
AUTOMATIC_ENTRY = "AUTO-raised"  # DSLs only; written by the system
PROVIDER_REPORT = "PROVREPORT-unwell"  # commissioning staff, and the provider that reported it
SCHOOL_REPORT = "SCHOOLREPORT-dentist"  # commissioning staff only
CHANGE_REASON = "CHANGEWHY-review"  # commissioning staff (why the placement was changed)
EVERY_MARKER = (
    VISIT_VOICE,
    CONTACT_NOTE,
    PRIVATE_ENTRY,
    SHARED_ENTRY,
    PROVIDER_ENTRY,
    AUTOMATIC_ENTRY,
    PROVIDER_REPORT,
    SCHOOL_REPORT,
    CHANGE_REASON,
)


async def record_to_read(db: Database, clock: Clock, world: World) -> RecordToRead:
    """Elm Park's placement of Jamie at Pathways (from 02/11/2026) with a QA visit, a contact,
    four chronology entries (private, shared with the provider, the provider's own, an
    automatic one), an absence the provider reported and one the school reported, and a change
    of its planned end."""
    from storage.models import (
        ChronologyKind,
        ChronologySource,
        ContactMethod,
        PlacementChangeKind,
        QaRating,
        RegisterSession,
    )
    from storage.services.attendance import report_absence
    from storage.services.chronology import add_entry
    from storage.services.contacts import log_contact
    from storage.services.placement_changes import PlacementUpdate, change_placement
    from storage.services.visits import log_visit

    def by(person: Person) -> Change:
        return Change(person_id=person.id, channel="test", at=clock.now())

    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
        await log_visit(
            session,
            by(world.teacher),
            placement=placement,
            visit_date=dt.date(2026, 11, 20),
            pupil_seen=True,
            pupil_voice=f"{VISIT_VOICE}: I like the workshop",
            setting_safe=True,
            register_matches=True,
            concerns=None,
            rating=QaRating.good,
            actions_agreed=None,
            next_visit_due=dt.date(2026, 12, 18),
        )
        await log_contact(
            session,
            by(world.teacher),
            placement=placement,
            contact_date=dt.date(2026, 11, 25),
            method=ContactMethod.phone,
            summary=f"{CONTACT_NOTE}: settled week",
        )
        entries = (
            (world.dsl, ChronologySource.school, PRIVATE_ENTRY, [], 24, False),
            (world.dsl, ChronologySource.school, SHARED_ENTRY, [world.provider.id], 25, False),
            (world.provider_staff, ChronologySource.provider, PROVIDER_ENTRY, [], 26, False),
            (world.dsl, ChronologySource.school, AUTOMATIC_ENTRY, [], 26, True),
        )
        for person, source, text, shared, day, automatic in entries:
            await add_entry(
                session,
                Change(person_id=None if automatic else person.id, channel="test", at=clock.now()),
                placement=placement,
                kind=ChronologyKind.concern,
                source=source,
                text=f"{text}: something to note",
                entry_date=dt.date(2026, 11, day),
                shared_with=shared,
                automatic=automatic,
            )
        await report_absence(
            session,
            by(world.provider_staff),
            placement=placement,
            date=dt.date(2026, 11, 26),
            sessions=[RegisterSession.am],
            code="N",
            reason=f"{PROVIDER_REPORT}: did not arrive",
        )
        await report_absence(
            session,
            by(world.teacher),
            placement=placement,
            date=dt.date(2026, 11, 23),
            sessions=[RegisterSession.pm],
            code="M",
            reason=f"{SCHOOL_REPORT}: appointment",
        )
        await change_placement(
            session,
            by(world.teacher),
            placement,
            update=PlacementUpdate(
                kind=PlacementChangeKind.planned_end, planned_end_date=dt.date(2027, 2, 12)
            ),
            reason=f"{CHANGE_REASON}: agreed at the review",
        )
    return RecordToRead(placement=placement)
