"""The day's reminders swept in parts, each a set of LAs, so that several scheduler instances
share the 08:30 sweep (issue 17): every reminder and registration alert is queued once, every
part is recorded once, and a part that fails is left to the next pass while the parts done
stay done."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import delete, select

from storage.clock import LONDON, FixedClock
from storage.db import create_engine, session_factory
from storage.models import Organisation, OrgKind, OutboxMessage, ReminderSweep
from storage.rules.nudges import NudgeTimes
from storage.services import reminder_sweeps
from storage.services.reminder_sweeps import SHARED_PARTS, queue_day_reminders
from storage.wording import NoticeKind
from tests.support.database import Database
from tests.support.more_las import another_la
from tests.support.world import providers_across_schools

MONDAY = dt.datetime(2026, 11, 30, 8, 30, tzinfo=LONDON)


async def _england(db: Database, clock: FixedClock) -> dict[str, tuple[str, int | None]]:
    """Seven LAs (the LA view's two and five more), and what one sweep of the whole day in one
    part queues there: each message's key with its kind and recipient. The outbox and the
    sweeps' record are emptied again."""
    across = await providers_across_schools(db, clock)
    for n in range(5):
        await another_la(db, clock, across.world, n=n, provider=across.world.unregistered, pupils=3)
    await _empty(db)
    await queue_day_reminders(db.sessions, MONDAY, NudgeTimes(), instance="whole")
    queued = await _queued(db)
    await _empty(db)
    return queued


async def _empty(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(delete(OutboxMessage))
        await session.execute(delete(ReminderSweep))


async def _queued(db: Database) -> dict[str, tuple[str, int | None]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.key, OutboxMessage.kind, OutboxMessage.recipient_id)
        )
        return {key: (kind, recipient) for key, kind, recipient in rows}


async def _parts(db: Database) -> dict[int, tuple[str, int]]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(ReminderSweep).where(ReminderSweep.day == MONDAY.date())
        )
        return {row.part: (row.instance, row.queued) for row in rows}


async def test_two_instances_share_the_sweep_and_queue_each_reminder_once(
    db: Database, clock: FixedClock
) -> None:
    if db.backend != "postgres":
        pytest.skip("several instances share PostgreSQL; SQLite runs one instance")
    whole = await _england(db, clock)
    assert sum(kind == NoticeKind.registration_needed for kind, _ in whole.values()) >= 6
    second_engine = create_engine(db.url)
    try:
        counts = await asyncio.gather(
            queue_day_reminders(
                db.sessions, MONDAY, NudgeTimes(), instance="one", parts=SHARED_PARTS
            ),
            queue_day_reminders(
                session_factory(second_engine), MONDAY, NudgeTimes(), instance="two",
                parts=SHARED_PARTS,
            ),
        )  # fmt: skip
    finally:
        await second_engine.dispose()
    # The same messages as one sweep of the whole day, each counted by the instance that
    # queued it, and every part of the day recorded once.
    assert await _queued(db) == whole
    assert sum(counts) == len(whole)
    parts = await _parts(db)
    assert sorted(parts) == list(range(SHARED_PARTS))
    assert sum(queued for _, queued in parts.values()) == len(whole)
    # A later pass finds the day done.
    later = MONDAY + dt.timedelta(minutes=1)
    assert await queue_day_reminders(db.sessions, later, NudgeTimes(), instance="one", parts=SHARED_PARTS) == 0  # fmt: skip


async def test_a_part_that_fails_is_left_to_the_next_pass_and_the_parts_done_stay_done(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await _england(db, clock)
    # The last part with an LA in it fails (the parts before it have LAs too).
    async with db.sessions() as session:
        las = await session.scalars(
            select(Organisation.id).where(Organisation.kind == OrgKind.local_authority)
        )
        with_las = sorted({la % SHARED_PARTS for la in las})
    assert len(with_las) >= 2
    failing = with_las[-1]
    real = reminder_sweeps.registration_alerts

    async def fail_in_that_part(*args: object, part: tuple[int, int] | None = None, **kwargs: object) -> object:  # fmt: skip
        if part == (failing, SHARED_PARTS):
            raise ConnectionError("the database went away")
        return await real(*args, part=part, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reminder_sweeps, "registration_alerts", fail_in_that_part)
    with pytest.raises(ConnectionError):
        await queue_day_reminders(db.sessions, MONDAY, NudgeTimes(), instance="one", parts=SHARED_PARTS)  # fmt: skip
    # The parts before it are done; its own reminders (and its LA's alert) are not queued.
    first = await _queued(db)
    assert sorted(await _parts(db)) == list(range(failing))
    assert first and set(first) < set(whole)
    alerts = [k for k, (kind, _) in whole.items() if kind == NoticeKind.registration_needed]
    assert any(key not in first for key in alerts) and any(key in first for key in alerts)

    monkeypatch.setattr(reminder_sweeps, "registration_alerts", real)
    later = MONDAY + dt.timedelta(minutes=1)
    rest = await queue_day_reminders(db.sessions, later, NudgeTimes(), instance="two", parts=SHARED_PARTS)  # fmt: skip
    assert await _queued(db) == whole
    assert rest == len(whole) - len(first)
    parts = await _parts(db)
    assert sorted(parts) == list(range(SHARED_PARTS))
    assert {instance for part, (instance, _) in parts.items() if part < failing} == {"one"}
    assert parts[failing][0] == "two"
