"""The school every contract scenario starts from: the factory world, with the pupil placed at
the provider from today."""

from __future__ import annotations

from storage.clock import FixedClock
from storage.models import Placement
from tests.conftest import Database
from tests.factories import World, build_world, place


async def placed_world(db: Database, clock: FixedClock) -> tuple[World, Placement]:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
    return world, placement
