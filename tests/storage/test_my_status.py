"""What is due for me, as facts (`storage.services.my_status`): the same for `status` and the
Slack App Home."""

from __future__ import annotations

import datetime as dt

from storage.models import RegisterSession, WelfareCallParty
from storage.services.attendance import report_absence
from storage.services.audit import Change
from storage.services.my_status import DueKind, my_status
from tests.support.factories import build_world, place
from tests.support.world import jamie_at_pathways

TODAY = dt.date(2026, 11, 27)


async def test_what_is_due_for_each_person(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
    async with db.sessions() as session:
        teacher = await my_status(session, world.teacher, today=TODAY)
        provider = await my_status(session, world.provider_staff, today=TODAY)
        other = await my_status(session, world.other_teacher, today=TODAY)
    assert teacher.placements == 1
    assert {item.placement.reference for item in teacher.items} == {placement.reference}
    letter = [i for i in teacher.items if i.check == "letter_of_assurance"]
    assert [(i.kind, i.due, i.overdue) for i in letter] == [
        (DueKind.check, dt.date(2026, 11, 2), True)
    ]
    # The first QA visit was due by the 10th school day, Friday 13/11/2026.
    assert [(i.due, i.overdue) for i in teacher.items if i.kind == DueKind.qa_visit] == [
        (dt.date(2026, 11, 13), True)
    ]
    assert teacher.counts() == {
        "placements": 1,
        "overdue": len(teacher.items),
        "due_soon": 0,
    }
    # A provider has no checks or visits to do, and no welfare call is open.
    assert (provider.placements, provider.items) == (1, [])
    assert (other.placements, other.items) == (0, [])


async def test_a_schools_welfare_call_is_the_schools_to_make_not_the_la_officers(db, clock) -> None:
    # The school agreed to ring home; the LA's officer sees the placement (every placement in
    # the LA) but the call is not theirs to make.
    world, placement = await jamie_at_pathways(db, clock, welfare=WelfareCallParty.school)
    async with db.sessions() as session, session.begin():
        await report_absence(
            session,
            Change(person_id=world.provider_staff.id, channel="test", at=clock.now()),
            placement=placement,
            date=TODAY,
            sessions=[RegisterSession.am],
            code="N",
            reason="Did not arrive",
        )
    async with db.sessions() as session:
        teacher = await my_status(session, world.teacher, today=TODAY)
        officer = await my_status(session, world.la_officer, today=TODAY)
    assert [i.due for i in teacher.items if i.kind == DueKind.welfare_call] == [TODAY]
    assert officer.placements == 1  # seen,
    assert not [i for i in officer.items if i.kind == DueKind.welfare_call]  # not to make
