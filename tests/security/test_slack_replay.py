"""Finding 10: a signed request sent again within Slack's five minutes is not run again.

Someone who captured a signed slash command (a proxy's log, a shared HAR file) could send the
same bytes again for five minutes, and the bot would run it again as that person. Slack makes a
new `trigger_id` for every command typed, so the same one twice is a replay, and is dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage.clock import FixedClock
from storage.models import DialogState
from tests.fakes.slack_api import TEAM_ID
from tests.support.database import Database
from tests.support.factories import build_world, place
from tests.support.slack import SlackWorkspace
from tests.support.slack_world import slack_workspace

PROVIDER = "UPROVIDER"


@pytest.fixture
async def workspace(db: Database, clock: FixedClock) -> AsyncIterator[SlackWorkspace]:
    async with slack_workspace(db, clock) as workspace:
        yield workspace


async def test_a_replayed_slash_command_is_not_run_again(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(PROVIDER, email=world.provider_staff.email)
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
    command = urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": f"D{PROVIDER}",
            "channel_name": "directmessage",
            "user_id": PROVIDER,
            "command": "/ap",
            "text": "present today",
            "response_url": workspace.api.response_url("cmd1"),
            "trigger_id": "trigger.captured",
        }
    )
    signed = workspace.sign(command)  # the same signature and timestamp both times
    assert await workspace.post(command, "application/x-www-form-urlencoded", headers=signed) == 200
    assert workspace.last(user=PROVIDER).field == "confirm"
    await workspace.dm(PROVIDER, "cancel")
    calls = len(workspace.api.calls)

    replayed = await workspace.post(command, "application/x-www-form-urlencoded", headers=signed)
    assert replayed == 200  # acknowledged, as Slack expects, but not run
    assert workspace.api.calls[calls:] == []
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0

    # The person typing the same command again is a new request (a new trigger_id): it runs.
    await workspace.command(PROVIDER, "present today")
    assert workspace.last(user=PROVIDER).field == "confirm"
