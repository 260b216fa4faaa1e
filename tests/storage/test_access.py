"""Need-to-know: who may see and do what, over every role."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import selectinload

from storage.access import Action, can, placements_query, pupils_query
from storage.models import Placement
from tests.factories import build_world, place

START = dt.date(2026, 11, 30)


async def test_access_matrix(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        ours = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        theirs = await place(
            session,
            clock,
            by=world.other_teacher,
            pupil=world.other_pupil,
            provider=world.unregistered,
            start=START,
        )
    async with db.sessions() as session:
        ours = await session.get(Placement, ours.id, options=[selectinload(Placement.commissioner)])
        theirs = await session.get(Placement, theirs.id)
        assert ours is not None and theirs is not None
        people = {
            "teacher": world.teacher,
            "dsl": world.dsl,
            "other_dsl": world.other_dsl,
            "provider": world.provider_staff,
            "other_provider": world.unregistered_staff,
            "la_officer": world.la_officer,
            "admin": world.admin,
        }
        expected = {
            # action: who may, on our school's placement with the registered provider
            Action.view: {"teacher", "dsl", "provider", "la_officer"},
            Action.log_visit: {"teacher", "dsl"},
            Action.report_attendance: {"teacher", "dsl", "provider"},
            Action.confirm_register: {"provider"},
            Action.log_contact: {"teacher", "dsl"},
            Action.read_chronology: {"dsl"},
            Action.write_chronology: {"dsl", "provider"},
            Action.tick_check: {"teacher", "dsl"},
            Action.end_placement: {"teacher", "dsl"},
            Action.see_flags: {"dsl"},
            Action.report: {"dsl"},
        }
        for action, allowed in expected.items():
            got = {name for name, person in people.items() if can(person, action, ours)}
            assert got == allowed, f"{action}: {got} != {allowed}"
        # Nobody at our school or our provider can touch the other school's placement.
        for name in ("teacher", "dsl", "provider"):
            assert not any(can(people[name], action, theirs) for action in Action), name

        visible = {
            name: {p.reference for p in (await session.scalars(placements_query(person))).unique()}
            for name, person in people.items()
        }
        assert visible["teacher"] == visible["dsl"] == visible["provider"] == {ours.reference}
        assert visible["other_provider"] == {theirs.reference}
        assert visible["la_officer"] == {ours.reference, theirs.reference}
        assert visible["admin"] == set()
        pupils = {
            p.first_name for p in (await session.scalars(pupils_query(world.teacher))).unique()
        }
        assert pupils == {"Jamie", "Robin"}
        assert list(await session.scalars(pupils_query(world.provider_staff))) == []
