"""The scheduler raises a welfare call nobody reached by the end of the school day, once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.scheduler.scheduler import Scheduler
from storage.clock import LONDON, FixedClock
from storage.models import OutboxMessage
from tests.support.answers import report_n
from tests.support.world import jamie_at_pathways


async def test_a_pass_after_the_school_day_raises_the_unreached_call_once(db, clock) -> None:
    world, _ = await jamie_at_pathways(db, clock)
    await report_n(db, clock, world)
    before = Scheduler(db.sessions, FixedClock(dt.datetime(2026, 11, 27, 15, 0, tzinfo=LONDON)), [])
    assert (await before.evaluate()).escalations == 0
    after = Scheduler(db.sessions, FixedClock(dt.datetime(2026, 11, 27, 15, 31, tzinfo=LONDON)), [])
    assert (await after.evaluate()).escalations == 1
    assert (await after.evaluate()).escalations == 0
    async with db.sessions() as session:
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "welfare_alert")
            )
        )
    assert [a.recipient_id for a in alerts] == [world.dsl.id]
