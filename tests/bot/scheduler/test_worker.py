"""Delivering the outbox with a small in-test channel: sent once, retries, parking, pacing."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from bot.delivery import DeliveryFailed
from bot.scheduler import OutboxWorker
from storage.clock import FixedClock
from storage.models import OutboxMessage, OutboxStatus
from storage.services.outbox import enqueue
from tests.support.database import Database
from tests.support.factories import build_world
from tests.support.scheduler import RecordingDeliverer, clock_sleep


async def _queue(
    db: Database, clock: FixedClock, person_id: int, *keys: str, **extra: object
) -> None:
    async with db.sessions() as session, session.begin():
        for key in keys:
            await enqueue(
                session,
                key=key,
                kind="test",
                text=f"Message {key}",
                due_at=clock.now(),
                recipient_id=person_id,
                **extra,  # type: ignore[arg-type]
            )


async def _rows(db: Database) -> dict[str, OutboxMessage]:
    async with db.sessions() as session:
        return {row.key: row for row in await session.scalars(select(OutboxMessage))}


async def test_a_due_message_is_sent_once_and_marked_sent(db: Database, clock: FixedClock) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "hello")
    channel = RecordingDeliverer(clock)
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock))

    first = await worker.deliver_due()
    second = await worker.deliver_due()

    assert channel.keys() == ["hello"]
    assert channel.sent[0].recipient.email == "dsl@elmpark.test"
    assert (first.sent, second.sent) == (1, 0)
    row = (await _rows(db))["hello"]
    assert row.status == OutboxStatus.sent
    assert row.delivered_via == "slack"
    assert row.attempts == 1
    assert row.claimed_by is None


async def test_a_message_not_yet_due_waits(db: Database, clock: FixedClock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await enqueue(
            session,
            key="later",
            kind="test",
            text="Later",
            due_at=clock.now() + dt.timedelta(minutes=5),
            recipient_id=world.dsl.id,
        )
    channel = RecordingDeliverer(clock)
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock))
    await worker.deliver_due()
    assert channel.sent == []
    clock.advance(dt.timedelta(minutes=5))
    await worker.deliver_due()
    assert channel.keys() == ["later"]


async def test_a_429_with_a_short_retry_after_is_waited_out(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "busy")
    channel = RecordingDeliverer(clock)
    channel.failures.append(DeliveryFailed("HTTP 429 ratelimited", retry_after=3))
    slept: list[float] = []
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock, slept))
    start = clock.now()

    report = await worker.deliver_due()

    assert channel.keys() == ["busy"]
    assert channel.times[0] - start >= dt.timedelta(seconds=3)
    assert sum(slept) >= 3
    assert (report.sent, report.retried) == (1, 1)
    row = (await _rows(db))["busy"]
    assert row.status == OutboxStatus.sent
    assert row.attempts == 2


async def test_a_long_retry_after_reschedules_the_message(db: Database, clock: FixedClock) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "later")
    channel = RecordingDeliverer(clock)
    channel.failures.append(DeliveryFailed("HTTP 503", retry_after=120))
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock))

    await worker.deliver_due()
    row = (await _rows(db))["later"]
    assert row.status == OutboxStatus.pending
    assert row.next_attempt_at == clock.now() + dt.timedelta(seconds=120)
    assert row.last_error == "HTTP 503"

    clock.advance(dt.timedelta(seconds=60))
    await worker.deliver_due()
    assert channel.sent == []
    clock.advance(dt.timedelta(seconds=60))
    await worker.deliver_due()
    assert channel.keys() == ["later"]


async def test_a_message_failing_five_times_is_parked_not_lost(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "doomed")
    channel = RecordingDeliverer(clock)
    channel.failures.extend(DeliveryFailed(f"HTTP 500 (try {n})") for n in range(1, 7))
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock))

    for _ in range(10):
        await worker.deliver_due()
        clock.advance(dt.timedelta(hours=2))

    row = (await _rows(db))["doomed"]
    assert row.status == OutboxStatus.parked
    assert row.attempts == 5
    assert row.last_error == "HTTP 500 (try 5)"
    assert channel.sent == []


async def test_a_permanent_failure_is_parked_at_once(db: Database, clock: FixedClock) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "gone")
    channel = RecordingDeliverer(clock)
    channel.failures.append(DeliveryFailed("user_not_found", permanent=True))
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock))
    report = await worker.deliver_due()
    row = (await _rows(db))["gone"]
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.parked, 1, "user_not_found")
    assert report.parked == 1


async def test_nobody_to_reach_is_retried_then_parked_with_the_reason(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "unreachable")
    channel = RecordingDeliverer(
        clock, reaches=lambda recipient: recipient.slack_user_id is not None
    )
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock))
    for _ in range(6):
        await worker.deliver_due()
        clock.advance(dt.timedelta(hours=2))
    row = (await _rows(db))["unreachable"]
    assert row.status == OutboxStatus.parked
    assert "no channel can reach Dee Lead" in (row.last_error or "")


async def test_the_first_channel_that_can_reach_the_person_sends(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "teams-only")
    slack = RecordingDeliverer(clock, platform="slack", reaches=lambda r: False)
    teams = RecordingDeliverer(clock, platform="teams")
    worker = OutboxWorker(db.sessions, clock, [slack, teams], sleep=clock_sleep(clock))
    await worker.deliver_due()
    assert (slack.sent, teams.keys()) == ([], ["teams-only"])
    assert (await _rows(db))["teams-only"].delivered_via == "teams"


async def test_messages_to_one_slack_conversation_go_a_second_apart(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world.dsl.id, "one", "two", "three")
    await _queue(db, clock, world.teacher.id, "other")
    channel = RecordingDeliverer(clock)
    worker = OutboxWorker(db.sessions, clock, [channel], sleep=clock_sleep(clock))
    await worker.deliver_due()
    to_dsl = [t for n, t in zip(channel.sent, channel.times, strict=True) if n.key != "other"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(to_dsl)]
    assert len(to_dsl) == 3
    assert all(gap >= dt.timedelta(seconds=1) for gap in gaps)
    assert len(channel.sent) == 4
