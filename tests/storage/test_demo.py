"""The demo data: something real to show on a first try, loaded once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storage.clock import LONDON, FixedClock, london_today
from storage.demo import DEMO_TEACHER_EMAIL, seed_demo
from storage.models import (
    AuditEntry,
    ChecklistItem,
    ChecklistStatus,
    Organisation,
    OrgKind,
    Person,
    Placement,
    PlacementStatus,
    Pupil,
    Role,
    Site,
)
from storage.services.audit import Change
from tests.support.database import Database

TABLES = (Organisation, Site, Person, Pupil, Placement, ChecklistItem, AuditEntry)


async def _seed(db: Database, clock: FixedClock) -> None:
    async with db.sessions() as session, session.begin():
        summary = await seed_demo(session, clock=clock)
    assert summary.created


async def _row_counts(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        return {
            model.__name__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in TABLES
        }


async def test_the_demo_has_every_role_and_an_unregistered_provider(
    db: Database, clock: FixedClock
) -> None:
    await _seed(db, clock)
    async with db.sessions() as session:
        people = list(await session.scalars(select(Person)))
        organisations = list(
            await session.scalars(select(Organisation).options(selectinload(Organisation.sites)))
        )
        teacher = await session.scalar(select(Person).where(Person.email == DEMO_TEACHER_EMAIL))

    assert {person.role for person in people} == set(Role)
    assert teacher is not None and teacher.role == Role.teacher
    assert teacher.organisation is not None and teacher.organisation.name == "Oakfield Academy"
    for org in organisations:
        roles = {p.role for p in people if p.organisation_id == org.id}
        expected = {
            OrgKind.school: {Role.teacher, Role.dsl},
            OrgKind.provider: {Role.provider},
            OrgKind.local_authority: {Role.la_officer},
        }[org.kind]
        assert roles == expected, org.name

    kinds = sorted(org.kind.value for org in organisations)
    assert kinds == ["local_authority", "provider", "provider", "provider", "school", "school"]
    unregistered = [org for org in organisations if org.is_unregistered]
    assert [org.name for org in unregistered] == ["Second Chance Motor Project"]
    providers = [org for org in organisations if org.kind == OrgKind.provider]
    assert all(org.sites for org in providers), "every provider has at least one site"


async def test_the_demo_has_placements_in_every_state_with_due_dates_on_open_checks(
    db: Database, clock: FixedClock
) -> None:
    await _seed(db, clock)
    today = london_today(clock)
    async with db.sessions() as session:
        placements = list(
            await session.scalars(
                select(Placement).options(selectinload(Placement.checklist)).order_by(Placement.id)
            )
        )

    assert len(placements) == 5
    statuses = [p.status for p in placements]
    assert statuses.count(PlacementStatus.active) == 4
    assert statuses.count(PlacementStatus.ended) == 1
    assert {p.attendance_code for p in placements} == {"B", "D", "K"}

    for placement in placements:
        assert placement.start_date < today
        assert placement.checklist, placement.reference
        for item in placement.checklist:
            if item.status == ChecklistStatus.not_done:
                assert item.due_date is not None, (placement.reference, item.key)

    # The LA commissions the excluded pupil's placement.
    by_la = [p for p in placements if p.commissioner.kind == OrgKind.local_authority]
    assert len(by_la) == 1 and by_la[0].attendance_code == "K"
    assert by_la[0].pupil.home_org_id == by_la[0].commissioner_id

    # The part-time placement at the unregistered provider: no Letter of Assurance yet.
    unregistered = next(p for p in placements if p.provider.is_unregistered)
    assert not unregistered.is_full_time and len(unregistered.days) == 2
    assert unregistered.review_date is not None and unregistered.review_date > today
    letter = next(i for i in unregistered.checklist if i.key == "letter_of_assurance")
    assert letter.status == ChecklistStatus.not_done

    ended = next(p for p in placements if p.status == PlacementStatus.ended)
    assert ended.ended_on is not None and ended.ended_on < today
    assert ended.next_qa_due is None

    full_time = [p for p in placements if p.is_full_time and p.status == PlacementStatus.active]
    oakfield_full_time = next(p for p in full_time if p.commissioner.name == "Oakfield Academy")
    open_items = [i for i in oakfield_full_time.checklist if i.status == ChecklistStatus.not_done]
    done_items = [i for i in oakfield_full_time.checklist if i.status == ChecklistStatus.done]
    assert 1 <= len(open_items) <= 3 < len(done_items)


async def test_the_demo_pupils_have_varied_flags(db: Database, clock: FixedClock) -> None:
    await _seed(db, clock)
    async with db.sessions() as session:
        pupils = list(await session.scalars(select(Pupil)))
    assert len(pupils) == 6
    for flag in ("fsm_eligible", "ehcp", "cp_plan", "looked_after"):
        assert any(getattr(pupil, flag) for pupil in pupils), flag
    homes = {pupil.home_org.kind for pupil in pupils}
    assert homes == {OrgKind.school, OrgKind.local_authority}


async def test_dates_follow_the_clock(db: Database) -> None:
    later = FixedClock(dt.datetime(2031, 3, 12, 9, 0, tzinfo=LONDON))
    await _seed(db, later)
    async with db.sessions() as session:
        starts = list(await session.scalars(select(Placement.start_date)))
    assert all(dt.date(2030, 9, 1) < start < dt.date(2031, 3, 12) for start in starts)


async def test_seeding_twice_creates_nothing_the_second_time(
    db: Database, clock: FixedClock
) -> None:
    await _seed(db, clock)
    first = await _row_counts(db)

    async with db.sessions() as session, session.begin():
        again = await seed_demo(session, clock=clock)

    assert not again.created
    assert await _row_counts(db) == first


async def test_the_summary_counts_what_was_made_and_everything_is_audited(
    db: Database, clock: FixedClock
) -> None:
    async with db.sessions() as session, session.begin():
        summary = await seed_demo(session, clock=clock)
    counts = await _row_counts(db)
    assert (summary.local_authorities, summary.schools, summary.providers) == (1, 2, 3)
    assert summary.people == counts["Person"]
    assert summary.pupils == counts["Pupil"]
    assert summary.placements == counts["Placement"]
    assert summary.sites == counts["Site"]

    async with db.sessions() as session:
        created = {
            (entry.record_type, entry.record_id)
            for entry in await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "created")
            )
        }
        channels = set(await session.scalars(select(AuditEntry.channel)))
        for model in (Organisation, Site, Person, Pupil, Placement, ChecklistItem):
            for record_id in await session.scalars(select(model.id)):
                assert (model.__name__, record_id) in created
        ended = await session.scalar(
            select(Placement.id).where(Placement.status == PlacementStatus.ended)
        )
        ending = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "updated", AuditEntry.placement_id == ended
            )
        )
    assert channels == {"demo"}
    assert ending is not None and ending.changes["status"]["to"] == "ended"


async def test_the_demo_loads_through_the_importers_and_they_find_nothing_new_after(
    db: Database, clock: FixedClock
) -> None:
    from storage.demo.school import demo_file
    from storage.imports import import_pupils, import_staff

    await _seed(db, clock)
    async with db.sessions() as session:
        callum = next(p for p in await session.scalars(select(Pupil)) if p.first_name == "Callum")
        # The MIS export's preferred forename is kept, and used when staff are told.
        assert callum.known_as == "Cal (legal name Callum Price)"
        assert callum.date_of_birth == dt.date(2011, 6, 21)
    before = await _row_counts(db)
    async with db.sessions() as session, session.begin():
        oakfield = await session.scalar(
            select(Organisation).where(Organisation.name == "Oakfield Academy")
        )
        assert oakfield is not None
        change = Change(person_id=None, channel="demo", at=clock.now())
        pupils = await import_pupils(
            session, change, organisation=oakfield, text=demo_file("pupils_oakfield.csv")
        )
        staff = await import_staff(
            session, change, organisation=oakfield, text=demo_file("staff_oakfield.csv")
        )
    assert (pupils.added, pupils.updated, pupils.unchanged) == (0, 0, 4)
    assert (staff.added, staff.updated, staff.unchanged) == (0, 0, 3)
    assert await _row_counts(db) == before
