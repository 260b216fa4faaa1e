"""The scheduler delivering through the real Teams channel, against the local Bot Framework
connector: a 429 with Retry-After is waited out (recorded, not slept); a message failing five
times is parked, not lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp.test_utils import TestClient

from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS
from bot.scheduler import OutboxWorker
from storage.clock import FixedClock
from storage.models import OutboxStatus
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.factories import build_world
from tests.support.nudges import nudge_for, outbox_row
from tests.support.scheduler import clock_sleep
from tests.support.teams import Chat, TeamsUser, Waits


async def _tess_in_teams(
    db: Database, clock: FixedClock, client: TestClient[Any, Any], connector: FakeBotConnector
) -> int:
    world = await build_world(db, clock)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    await TeamsUser(client, connector, "29:tess", "aad-tess").say("help", Chat.personal("tess"))
    connector.clear()
    await nudge_for(db, clock, world.teacher.id)
    return world.teacher.id


async def test_teams_429_with_retry_after_is_waited_out(
    db: Database,
    clock: FixedClock,
    client: TestClient[Any, Any],
    connector: FakeBotConnector,
    waits: Waits,
) -> None:
    await _tess_in_teams(db, clock, client, connector)
    teams = client.app[TEAMS]
    connector.fail_next(1, status=429, retry_after=2)
    worker = OutboxWorker(
        db.sessions,
        clock,
        [TeamsDeliverer(teams.adapter, teams.sessions)],
        sleep=clock_sleep(clock),
    )
    report = await worker.deliver_due()
    assert report.sent == 1
    assert 2 in waits.seconds  # Retry-After honoured (recorded, not slept)
    assert [a["attachments"][0]["content"]["body"][0]["text"] for a in connector.delivered()] == [
        "QA visit OVERDUE for AP-TEST."
    ]
    row = await outbox_row(db)
    assert (row.status, row.delivered_via) == (OutboxStatus.sent, "teams")


async def test_teams_failing_five_times_is_parked_not_lost(
    db: Database,
    clock: FixedClock,
    client: TestClient[Any, Any],
    connector: FakeBotConnector,
    waits: Waits,
) -> None:
    await _tess_in_teams(db, clock, client, connector)
    teams = client.app[TEAMS]
    connector.fail_next(100, status=500)
    worker = OutboxWorker(
        db.sessions,
        clock,
        [TeamsDeliverer(teams.adapter, teams.sessions)],
        sleep=clock_sleep(clock),
    )
    for _ in range(8):
        await worker.deliver_due()
        clock.advance(dt.timedelta(hours=2))
    row = await outbox_row(db)
    assert (row.status, row.attempts) == (OutboxStatus.parked, 5)
    assert "500" in (row.last_error or "")
    assert connector.delivered() == []
