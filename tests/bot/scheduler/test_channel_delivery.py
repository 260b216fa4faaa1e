"""The scheduler delivering through the real Slack channel, against the local Slack Web API
server (the Teams half is in tests/bot/teams/test_scheduler_delivery.py): a 429 with Retry-After is waited out (with an
injected sleep, no real waiting); a message failing five times is parked, not lost."""

from __future__ import annotations

import datetime as dt

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update

from bot.channels.slack.delivery import SlackDeliverer
from bot.scheduler import OutboxWorker
from storage.clock import FixedClock
from storage.models import OutboxMessage, OutboxStatus, Person
from storage.services.outbox import enqueue
from tests.bot.scheduler.helpers import clock_sleep
from tests.conftest import Database
from tests.factories import build_world
from tests.fakes.slack_api import FakeSlackApi

NUDGE_PAYLOAD = {
    "subject": "qa:1",
    "open": "visit AP-TEST",
    "snoozable": True,
    "reference": "AP-TEST",
}


async def _nudge_for(
    db: Database, clock: FixedClock, person_id: int, key: str = "qa-overdue:1"
) -> None:
    async with db.sessions() as session, session.begin():
        await enqueue(
            session, key=key, kind="qa_overdue", text="QA visit OVERDUE for AP-TEST.",
            due_at=clock.now(), recipient_id=person_id, payload=NUDGE_PAYLOAD,
        )  # fmt: skip


async def _row(db: Database, key: str = "qa-overdue:1") -> OutboxMessage:
    async with db.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    assert row is not None
    return row


async def _slack_setup(db: Database, clock: FixedClock) -> int:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(Person).where(Person.id == world.dsl.id).values(slack_user_id="UDEE")
        )
    await _nudge_for(db, clock, world.dsl.id)
    return world.dsl.id


async def test_slack_429_with_retry_after_is_waited_out(db: Database, clock: FixedClock) -> None:
    await _slack_setup(db, clock)
    async with FakeSlackApi() as slack_api:
        slack_api.rate_limit(1, retry_after=3, method="chat.postMessage")
        deliverer = SlackDeliverer(AsyncWebClient(token="xoxb-test", base_url=slack_api.api_url))
        slept: list[float] = []
        worker = OutboxWorker(db.sessions, clock, [deliverer], sleep=clock_sleep(clock, slept))
        start = clock.now()

        report = await worker.deliver_due()

        posts = [c for c in slack_api.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].args["channel"] == "UDEE"
    assert sum(slept) >= 3 and clock.now() - start >= dt.timedelta(seconds=3)
    buttons = [e["text"]["text"] for b in posts[1].args["blocks"] for e in b.get("elements", []) if e.get("type") == "button"]  # fmt: skip
    assert buttons == ["Snooze 1 day", "Snooze 1 week", "Open"]
    row = await _row(db)
    assert (row.status, row.attempts, row.delivered_via) == (OutboxStatus.sent, 2, "slack")
    assert report.sent == 1


async def test_slack_failing_five_times_is_parked_with_its_error(
    db: Database, clock: FixedClock
) -> None:
    await _slack_setup(db, clock)
    async with FakeSlackApi() as slack_api:
        for _ in range(6):
            slack_api.fail_next("chat.postMessage", "internal_error")
        deliverer = SlackDeliverer(AsyncWebClient(token="xoxb-test", base_url=slack_api.api_url))
        worker = OutboxWorker(db.sessions, clock, [deliverer], sleep=clock_sleep(clock))
        for _ in range(8):
            await worker.deliver_due()
            clock.advance(dt.timedelta(hours=2))
        attempts = len(slack_api.calls_to("chat.postMessage")) + sum(
            1 for c in slack_api.calls if c.method == "chat.postMessage" and not c.ok
        )
    row = await _row(db)
    assert (row.status, row.attempts) == (OutboxStatus.parked, 5)
    assert row.last_error == "Slack said internal_error"
    assert attempts == 5  # tried five times, then left for an admin (`apbot nudges list`)
