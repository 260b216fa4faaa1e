"""Two bot instances run the scheduler at the same moments against one PostgreSQL database: every
nudge is created once and delivered once (rows claimed with FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from bot.scheduler import Scheduler
from storage.clock import LONDON, FixedClock
from storage.db import create_engine, session_factory
from storage.models import OutboxMessage, OutboxStatus, Placement, RegisterSession
from storage.rules.calendar import at_london
from storage.services import directory
from storage.services.attendance import report_absence
from storage.services.audit import Change
from tests.support.database import Database
from tests.support.factories import build_world, place
from tests.support.scheduler import RecordingDeliverer

DAY = dt.date(2027, 3, 23)  # a Tuesday in term


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def test_two_instances_create_and_deliver_each_nudge_exactly_once(
    db: Database, clock: FixedClock
) -> None:
    if db.backend != "postgres":
        pytest.skip("several instances share PostgreSQL; SQLite runs one instance")
    clock.set(dt.datetime(2027, 3, 1, 8, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    change = Change(None, "test", clock.now())
    placements = []
    async with db.sessions() as session, session.begin():
        for n in range(8):
            pupil = await directory.add_pupil(
                session, change, home_org_id=world.school.id, first_name=f"Pupil{n}",
                last_name="Example", year_group=9,
            )  # fmt: skip
            placements.append(
                await place(session, clock, by=world.teacher, pupil=pupil, provider=world.provider,
                            start=dt.date(2027, 3, 1))
            )  # fmt: skip

    second_engine = create_engine(db.url)
    try:
        channels = [RecordingDeliverer(clock), RecordingDeliverer(clock)]
        instances = [
            Scheduler(db.sessions, clock, [channels[0]], instance="a", sleep=_no_wait),
            Scheduler(session_factory(second_engine), clock, [channels[1]], instance="b", sleep=_no_wait),
        ]  # fmt: skip
        moment = at_london(DAY, dt.time(7, 50))
        while moment <= at_london(DAY, dt.time(12, 30)):
            clock.set(moment)
            if moment == at_london(DAY, dt.time(9, 20)):
                async with db.sessions() as session, session.begin():
                    for placement in placements[:3]:
                        p = await session.get(Placement, placement.id)
                        assert p is not None
                        await report_absence(
                            session, Change(world.provider_staff.id, "test", moment),
                            placement=p, date=DAY, sessions=[RegisterSession.am], code="N", reason="",
                        )  # fmt: skip
            await asyncio.gather(*(instance.run_pass() for instance in instances))
            moment += dt.timedelta(minutes=5)
    finally:
        await second_engine.dispose()

    sent = [notice.key for channel in channels for notice in channel.sent]
    async with db.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    assert len(rows) > 50
    assert all(row.status == OutboxStatus.sent and row.attempts == 1 for row in rows)
    assert Counter(sent) == Counter(row.key for row in rows)  # each row sent exactly once
    assert max(Counter(sent).values()) == 1
    assert channels[0].sent and channels[1].sent  # both instances did some of the work
    assert {row.delivered_via for row in rows} == {"slack"}
    kinds = Counter(row.kind for row in rows)
    assert kinds["no_report"] == 5 and kinds["no_report_dsl"] == 5
    assert kinds["welfare_overdue"] == 3 and kinds["digest"] == 2
