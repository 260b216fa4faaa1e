"""What is due for me, as facts (`storage.services.my_status`): the same for `status` and the
Slack App Home."""

from __future__ import annotations

import datetime as dt

from storage.services.my_status import DueKind, my_status
from tests.support.factories import build_world, place

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
