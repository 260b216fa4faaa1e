"""Need-to-know: who may see and do what, over every role."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import selectinload

from storage.access import Action, can, can_set_code, placements_query, pupils_query
from storage.models import Placement
from tests.support.factories import build_world, place

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


async def test_who_may_set_which_code(db, clock) -> None:
    """The register is the school's: a provider sets only N, L and U; authorised absences,
    leave, exceptional circumstances and the other unauthorised codes are the school's staff's."""
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
    async with db.sessions() as session:
        ours = await session.get(Placement, ours.id, options=[selectinload(Placement.commissioner)])
        assert ours is not None
        for code in ("N", "L", "U", "n"):
            assert can_set_code(world.provider_staff, ours, code), code
        for code in ("C", "C1", "C2", "S", "J1", "M", "I", "T", "Y1", "Y7", "Q", "G", "O", "X"):
            assert not can_set_code(world.provider_staff, ours, code), code
            assert can_set_code(world.teacher, ours, code), code
            assert can_set_code(world.dsl, ours, code), code
        # Only for their own pupils, and never an unknown code.
        assert not can_set_code(world.unregistered_staff, ours, "N")
        assert not can_set_code(world.other_dsl, ours, "I")
        assert not can_set_code(world.dsl, ours, "H")
