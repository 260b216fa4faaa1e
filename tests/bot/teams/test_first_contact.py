"""Several first messages at once from someone the bot has not met: each is answered, and
the person ends up with one link and one conversation reference (a race on PostgreSQL once
gave a duplicate-key error).

One instance runs a conversation's turns in order; the five come from five conversations, as
they could reach five instances at once, so the turns really do race."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from dialogs import wording
from storage.models import ConversationRef
from tests.support.factories import build_world
from tests.support.teams import Chat, TeamsUser


async def test_five_first_messages_at_once(db, clock, client, connector) -> None:
    world = await build_world(db, clock)
    connector.add_member("29:tess", email=world.teacher.email, aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    statuses = await asyncio.gather(
        *(tess.post(tess.activity(Chat.personal(f"tess-{n}"), text="help")) for n in range(5))
    )
    assert all(status == 202 for status in statuses)
    texts = connector.texts()
    assert len([t for t in texts if "Here is what you can do" in t]) == 5
    assert not any(wording.OUR_FAULT.split(" (")[0][:40] in t for t in texts)
    async with db.sessions() as session:
        refs = await session.scalar(select(func.count()).select_from(ConversationRef))
    assert refs == 1
