"""Fixtures for the property tests: one world per test function, shared by all its examples
(hypothesis runs many examples inside one call of the test, so fixtures are built once)."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.clock import FixedClock
from storage.models import Placement
from tests.support.database import Database
from tests.support.factories import World, build_world, place

# The channels' own fixtures (a signed Slack workspace; the Teams app and its fake connector),
# shared rather than copied.
from tests.support.slack import slack_api, workspace
from tests.support.teams import client, connector, waits

__all__ = ["client", "connector", "slack_api", "waits", "workspace"]


@pytest.fixture
async def world(db: Database, clock: FixedClock) -> World:
    """The test world, with a live placement for each school's pupil so that the dialogs that
    need one (absence, visit, welfare, end...) go past their first question."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        for by, pupil in (
            (world.teacher, world.pupil),
            (world.teacher, world.fsm_pupil),
            (world.other_teacher, world.other_pupil),
        ):
            placement: Placement = await place(
                session,
                clock,
                by=by,
                pupil=pupil,
                provider=world.provider,
                start=clock.now().date() - dt.timedelta(days=14),
                all_done=pupil is world.fsm_pupil,
            )
            assert placement.reference
    return world
