"""Named scenarios: the worlds tests start from, each built once, here, on the test world of
tests/support/factories.py (two schools in one LA, a registered and an unregistered provider,
everyone's roles, three pupils). A test says which it wants by name instead of building it:

    world, placement = await jamie_at_pathways(db, clock)

- `jamie_at_pathways`: a school with a DSL, a teacher, a provider and one active placement
  (Elm Park's Jamie at Pathways from Monday 02/11/2026, five days, Pathways makes the welfare
  calls).
- `jamie_part_time_at_pathways`: Jamie on a part-time timetable a parent agreed (Mondays and
  Tuesdays at Pathways, Thursdays at school, from 16/11/2026 until 14/12/2026): C2 on Wednesdays
  and Fridays.
- `school_with_ap`: a school with two placements and a term's history (a QA visit, an absence),
  Jamie with a UPN and a date of birth: what the governors' report and the exports read.
- `letter_of_assurance_outstanding`: in March 2027, a placement whose checks are all done but
  the Letter of Assurance (due Friday 19/03/2027), no QA visit nor contact yet: what the day's
  reminders are about.
- `providers_across_schools`: the LA's view: both schools place pupils at the unregistered
  Wheels (five full-time there, one of them looked after, and one part-time) and Elm Park one
  at Pathways (visited this week); a school in another LA places a pupil at Wheels too.
- `record_to_read` (in factories.py): a placement with something of every kind in its record,
  each marked with who may read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update

from storage.clock import LONDON, Clock, FixedClock
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    OrgKind,
    Person,
    Placement,
    Pupil,
    QaRating,
    RegisterSession,
    Role,
    WelfareCallParty,
)
from storage.services import directory
from storage.services.attendance import report_absence
from storage.services.audit import Change
from storage.services.part_time import PartTimePlan
from storage.services.visits import log_visit
from tests.support.database import Database
from tests.support.factories import World, build_world, place

# A Monday, some weeks before the test clock's Friday 27/11/2026.
START = dt.date(2026, 11, 2)


async def jamie_at_pathways(
    db: Database,
    clock: Clock,
    *,
    start: dt.date = START,
    all_done: bool = False,
    welfare: WelfareCallParty = WelfareCallParty.provider,
) -> tuple[World, Placement]:
    """The test world, and Jamie (Elm Park) placed at Pathways by the teacher from `start`,
    Monday to Friday, with `welfare` making the welfare calls (Pathways unless said); with every
    check done if `all_done`."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=start,
            all_done=all_done,
            welfare=welfare,
        )
    return world, placement


async def jamie_part_time_at_pathways(db: Database, clock: Clock) -> tuple[World, Placement]:
    """Jamie at Pathways on Mondays and Tuesdays (10 h) and at school on Thursdays (5 h) from
    Monday 16/11/2026: a part-time timetable a parent agreed on 13/11/2026, until 14/12/2026
    (reviewed then), so Wednesdays and Fridays are C2."""
    world = await build_world(db, clock)
    start = dt.date(2026, 11, 16)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=start,
            days=("mon", "tue"),
            provider_hours="10",
            school_hours="5",
            part_time=PartTimePlan(
                parent_agreed_on=dt.date(2026, 11, 13),
                circumstances="Anxiety after a long illness; building up to full time.",
                ends_on=start + dt.timedelta(weeks=4),
                covered_days=["mon", "tue", "thu"],
            ),
        )
    return world, placement


async def school_with_ap(db: Database, clock: Clock) -> tuple[World, Placement, Placement]:
    """Jamie (UPN A123456789012, born 14/03/2012) at Pathways since 07/09/2026, with a good QA
    visit on 01/10 and a day off with flu on 26/11 (coded I by the school); Robin at the
    unregistered Wheels Workshop on Tuesdays and Wednesdays since 05/10/2026."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        pupil = await session.get(type(world.pupil), world.pupil.id)
        assert pupil is not None
        pupil.upn = "A123456789012"
        pupil.date_of_birth = dt.date(2012, 3, 14)
        first = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 9, 7),
        )
        second = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.unregistered,
            start=dt.date(2026, 10, 5),
            provider_hours="10",
            school_hours="10",
            days=("tue", "wed"),
        )
        change = Change(person_id=world.teacher.id, channel="test", at=clock.now())
        await log_visit(
            session,
            change,
            placement=first,
            visit_date=dt.date(2026, 10, 1),
            pupil_seen=True,
            pupil_voice="Jamie says the farm days are the best bit.",
            setting_safe=True,
            register_matches=True,
            concerns=None,
            rating=QaRating.good,
            actions_agreed=None,
            next_visit_due=dt.date(2026, 11, 5),
        )
        await report_absence(  # the school's own staff may code it I (illness)
            session,
            Change(person_id=world.teacher.id, channel="test", at=clock.now()),
            placement=first,
            date=dt.date(2026, 11, 26),
            sessions=[RegisterSession.am, RegisterSession.pm],
            code="I",
            reason="Jamie Testpupil has flu",
        )
    return world, first, second


async def letter_of_assurance_outstanding(
    db: Database, clock: FixedClock
) -> tuple[World, Placement]:
    """The clock set to Monday 01/03/2027 08:00; Jamie at Pathways from that day, every check
    done but the Letter of Assurance, due Friday 19/03/2027; no QA visit nor contact yet."""
    clock.set(dt.datetime(2027, 3, 1, 8, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=dt.date(2027, 3, 1), all_done=True,
        )  # fmt: skip
        await session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.placement_id == placement.id, ChecklistItem.key == "letter_of_assurance")
            .values(status=ChecklistStatus.not_done, due_date=dt.date(2027, 3, 19))
        )  # fmt: skip
    return world, placement


@dataclass
class AcrossSchools:
    """What `providers_across_schools` made."""

    world: World
    # Placements at Wheels (unregistered) and at Pathways, from the LA's two schools.
    at_wheels: list[Placement]
    at_pathways: Placement
    # The looked-after pupil's placement at Wheels (one of `at_wheels`).
    looked_after: Placement
    # A placement at Wheels by a school in another LA (not this LA's officers' to see), and
    # that LA's officer.
    elsewhere: Placement
    far_officer: Person


async def providers_across_schools(db: Database, clock: Clock) -> AcrossSchools:
    """Elm Park places three pupils at Wheels (unregistered) for 20 hours a week, Birch Lane two
    more for 20 hours (one looked after) and one for 10 hours (part-time there); Elm Park places
    one at Pathways, visited on Thursday 26/11/2026. A school in another LA (Farshire's Far
    Hill) places one more at Wheels. All from Monday 02/11/2026."""
    world = await build_world(db, clock)
    change = Change(person_id=world.admin.id, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        far_la = await directory.add_organisation(
            session, change, kind=OrgKind.local_authority, name="Farshire Council"
        )
        far_school = await directory.add_organisation(
            session, change, kind=OrgKind.school, name="Far Hill School", urn="900099",
            la_id=far_la.id,
        )  # fmt: skip
        far_officer = await directory.add_person(
            session, change, name="Fred Farofficer", email="fred@farshire.test",
            role=Role.la_officer, organisation_id=far_la.id,
        )  # fmt: skip
        far_teacher = await directory.add_person(
            session, change, name="Fay Faraway", email="fay@farhill.test",
            role=Role.teacher, organisation_id=far_school.id,
        )  # fmt: skip

        async def pupil(school: int, name: str, *, looked_after: bool = False) -> Pupil:
            return await directory.add_pupil(
                session, change, home_org_id=school, first_name=name, last_name="Acrosspupil",
                year_group=9, looked_after=looked_after,
            )  # fmt: skip

        at_wheels: list[Placement] = []
        looked_after: Placement | None = None
        for by, school, name, hours, cared_for in (
            (world.teacher, world.school.id, "Ada", "20", False),
            (world.teacher, world.school.id, "Ben", "20", False),
            (world.teacher, world.school.id, "Cal", "20", False),
            (world.other_teacher, world.other_school.id, "Dee", "20", True),
            (world.other_teacher, world.other_school.id, "Eve", "20", False),
            (world.other_teacher, world.other_school.id, "Fin", "10", False),
        ):
            placement = await place(
                session, clock, by=by, pupil=await pupil(school, name, looked_after=cared_for),
                provider=world.unregistered, start=START, provider_hours=hours,
                school_hours=str(32.5 - float(hours)),
            )  # fmt: skip
            at_wheels.append(placement)
            if cared_for:
                looked_after = placement
        at_pathways = await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=START,
        )  # fmt: skip
        await log_visit(
            session,
            Change(person_id=world.teacher.id, channel="test", at=clock.now()),
            placement=at_pathways, visit_date=dt.date(2026, 11, 26), pupil_seen=True,
            pupil_voice="Fine.", setting_safe=True, register_matches=True, concerns=None,
            rating=QaRating.good, actions_agreed=None, next_visit_due=dt.date(2026, 12, 18),
        )  # fmt: skip
        elsewhere = await place(
            session, clock, by=far_teacher, pupil=await pupil(far_school.id, "Gus"),
            provider=world.unregistered, start=START, provider_hours="20", school_hours="12.5",
        )  # fmt: skip
    assert looked_after is not None
    return AcrossSchools(world, at_wheels, at_pathways, looked_after, elsewhere, far_officer)
