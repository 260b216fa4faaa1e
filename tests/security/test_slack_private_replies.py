"""Finding 3: a person's private question is never posted where others can read it.

A turn is private only where Slack says the channel is a direct message (an IM). A click on a
question left showing in a channel that is no longer linked (an admin unlinked it) used to be
run as a DM turn and its replies posted in the channel for everyone: the pupil's full name
appeared there. Now nothing is run or posted there; the person alone is told to use their DM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.channels.slack import wording
from storage.clock import FixedClock
from storage.models import ChatChannel
from storage.services.audit import Change
from storage.services.shared_channels import unlink_channel
from tests.support.database import Database
from tests.support.factories import build_world, place
from tests.support.slack import SlackWorkspace
from tests.support.slack_world import slack_workspace

ADMIN, PROVIDER = "UADMIN", "UPROVIDER"
CHANNEL = "CPATHWAYS"


@pytest.fixture
async def workspace(db: Database, clock: FixedClock) -> AsyncIterator[SlackWorkspace]:
    async with slack_workspace(db, clock) as workspace:
        yield workspace


async def test_a_click_in_an_unlinked_channel_posts_nothing_there(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(ADMIN, email=world.admin.email)
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
    await workspace.command(ADMIN, "link-channel Pathways AP Academy", channel=CHANNEL)
    await workspace.command(PROVIDER, "absent", channel=CHANNEL)
    left_showing = workspace.last(channel=CHANNEL)
    assert left_showing.ephemeral and left_showing.field == "placement"
    # Meanwhile, in the DM, the same person is asked which pupil (full names: it is private).
    await workspace.dm(PROVIDER, "absent")
    assert world.pupil.full_name in str(workspace.last(user=PROVIDER).blocks)
    # An admin unlinks the channel; the old question is still on the provider's screen.
    async with db.sessions() as session, session.begin():
        channel = await session.scalar(select(ChatChannel))
        assert channel is not None
        await unlink_channel(session, Change(world.admin.id, "test", clock.now()), channel)
    before = len(workspace.api.calls)

    button = left_showing.elements()[0][1]
    await workspace.click(PROVIDER, left_showing, str(button.get("value")))

    after = workspace.api.calls[before:]
    public = [c for c in after if c.method == "chat.postMessage"]
    assert public == [], "nothing may be posted for the channel to read"
    assert world.pupil.full_name not in str([c.args for c in after])
    told = [c for c in after if c.method == "response_url"]
    assert len(told) == 1 and told[0].args["response_type"] == "ephemeral"
    assert told[0].args["text"] == wording.NOT_HERE_ANY_MORE
