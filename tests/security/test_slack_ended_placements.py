"""Finding 10: a provider stops seeing a placement 30 days after it ended.

Before, providers kept seeing ended placements, pupils' names included, for as long as they
were stored. A provider needs them for late corrections and the school's questions for a
while; after `PROVIDER_SEES_ENDED_DAYS` (30) days the pupil is no longer theirs to know about.
The commissioning school keeps seeing them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from storage.access import PROVIDER_SEES_ENDED_DAYS, placements_query
from storage.clock import FixedClock
from storage.services.audit import Change
from storage.services.placements import end_placement
from tests.support.database import Database
from tests.support.factories import build_world, place
from tests.support.slack import SlackWorkspace
from tests.support.slack_world import slack_workspace

PROVIDER, DSL = "UPROVIDER", "UDSL"


@pytest.fixture
async def workspace(db: Database, clock: FixedClock) -> AsyncIterator[SlackWorkspace]:
    async with slack_workspace(db, clock) as workspace:
        yield workspace


async def test_a_provider_stops_seeing_an_ended_placement_after_30_days(
    db, clock, workspace
) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(PROVIDER, email=world.provider_staff.email)
    workspace.api.add_user(DSL, email=world.dsl.email)
    today = clock.now().date()
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=today - dt.timedelta(days=60),
        )
        await end_placement(
            session,
            Change(world.teacher.id, "test", clock.now()),
            placement,
            ended_on=today,
            outcome="returned",
            return_date=today,
            reintegration_notes=None,
        )
    reference = placement.reference

    clock.advance(dt.timedelta(days=PROVIDER_SEES_ENDED_DAYS))
    await workspace.dm(PROVIDER, f"status {reference}")
    assert world.pupil.full_name in workspace.last(user=PROVIDER).words  # still, for corrections
    async with db.sessions() as session:
        provider = await session.get(type(world.provider_staff), world.provider_staff.id)
        assert provider is not None
        seen = placements_query(provider, active_only=False, today=clock.now().date())
        assert [p.reference for p in await session.scalars(seen)] == [reference]

    clock.advance(dt.timedelta(days=1))
    for asked in (f"status {reference}", f"attendance {reference}"):
        await workspace.dm(PROVIDER, asked)
        reply = workspace.last(user=PROVIDER).words
        assert world.pupil.full_name not in reply and "can't find a placement" in reply.replace(
            "&#x27;", "'"
        )
    async with db.sessions() as session:
        provider = await session.get(type(world.provider_staff), world.provider_staff.id)
        assert provider is not None
        seen = placements_query(provider, active_only=False, today=clock.now().date())
        assert list(await session.scalars(seen)) == []
    # The school's DSL still sees it.
    await workspace.dm(DSL, f"status {reference}")
    assert world.pupil.full_name in workspace.last(user=DSL).words
