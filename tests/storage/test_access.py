"""Need-to-know: who may see and do what, over every role."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import selectinload

from storage.access import (
    Action,
    Reading,
    can,
    can_set_code,
    placements_query,
    pupils_query,
    readable,
    roles_for,
)
from storage.models import Organisation, OrgKind, Person, Placement, PlacementStatus, Role
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
            Action.log_concern: {"teacher", "dsl", "provider"},
            Action.decide_review: {"dsl"},
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


def _placements() -> list[Placement]:
    """A school's placement (the school in an LA) and an LA's own, both with provider 2."""
    la = Organisation(id=3, kind=OrgKind.local_authority, name="Testshire", la_id=None)
    school = Organisation(id=1, kind=OrgKind.school, name="Elm Park", la_id=la.id)
    return [
        Placement(
            id=id_,
            commissioner_id=commissioner.id,
            commissioner=commissioner,
            provider_id=2,
            status=PlacementStatus.active,
        )
        for id_, commissioner in ((1, school), (2, la))
    ]


def test_roles_for_is_who_can_on_some_placement() -> None:
    """The door to each command (`roles_for`) lets in exactly the roles that `can` (or
    `readable`) allows on some placement: a school's staff, the provider's, the LA's."""
    people = [
        Person(role=role, organisation_id=org, active=True)
        for role in Role
        for org in (1, 2, 3, None)
    ]
    placements = _placements()
    for action in Action:
        allowed = {p.role for p in people for pl in placements if can(p, action, pl)}
        assert roles_for(action) == allowed, action
    for part in Reading:
        allowed = {p.role for p in people for pl in placements if part in readable(p, pl)}
        assert roles_for(part) == allowed, part
