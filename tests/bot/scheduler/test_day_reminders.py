"""The day's reminders (overdue checks, QA visits, contact, reviews and ends) are gathered once
per school day, by the first pass at or after 08:30, not every minute: recorded in the same
transaction as the reminders, so a sweep that fails is done again by the next pass."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.scheduler import Scheduler
from storage.clock import FixedClock
from storage.db import create_engine, session_factory
from storage.models import ChecklistItem, ChecklistStatus, OutboxMessage, Placement, ReminderSweep
from storage.rules.calendar import at_london
from storage.services import reminder_sweeps
from storage.services.audit import Change
from storage.services.nudges import act_on_nudge
from storage.services.outbox import deliverable
from tests.support.database import Database
from tests.support.scheduler import RecordingDeliverer, clock_sleep

# The world: a placement with no contact and no QA visit yet, its Letter of Assurance overdue
# since Friday 19/03.
from tests.support.world import letter_of_assurance_outstanding

TUESDAY = dt.date(2027, 3, 23)
WEDNESDAY = TUESDAY + dt.timedelta(days=1)
DAY_KINDS = {"check_overdue", "qa_due", "qa_overdue", "contact_overdue", "review_soon",
             "ending_soon", "part_time_review", "letter_of_assurance_missing"}  # fmt: skip


def _scheduler(db: Database, clock: FixedClock, instance: str = "one") -> Scheduler:
    channel = RecordingDeliverer(clock)
    return Scheduler(db.sessions, clock, [channel], instance=instance, sleep=clock_sleep(clock))


async def _reminders(db: Database, *, held: bool = False) -> list[str]:
    """The keys of the day-level reminders queued in the outbox (or prepared and `held`, not
    yet deliverable), sorted."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage.key).where(
                OutboxMessage.kind.in_(DAY_KINDS), ~deliverable() if held else deliverable()
            )
        )
        return sorted(rows)


async def _sweeps(db: Database) -> list[tuple[dt.date, str, int]]:
    async with db.sessions() as session:
        rows = await session.scalars(select(ReminderSweep).order_by(ReminderSweep.day))
        return [(r.day, r.instance, r.queued) for r in rows]


async def test_the_day_s_reminders_are_queued_once_by_the_first_pass_after_half_past_eight(
    db: Database, clock: FixedClock
) -> None:
    _, placement = await letter_of_assurance_outstanding(db, clock)
    scheduler = _scheduler(db, clock)
    clock.set(at_london(TUESDAY, dt.time(8, 29)))
    # Before 08:30 they are prepared (REMINDER_PREPARE_AT, 06:00), but held: none queued yet.
    assert (await scheduler.evaluate()).prepared == 4
    assert await _reminders(db) == [] and await _sweeps(db) == []
    assert len(await _reminders(db, held=True)) == 4

    # Started (or back) at 10:05: today's reminders on the first pass.
    clock.set(at_london(TUESDAY, dt.time(10, 5)))
    assert (await scheduler.evaluate()).nudges >= 3
    tuesday = await _reminders(db)
    # The Letter of Assurance: overdue for its owner, and missing for the DSL (the pupil attends).
    assert [key.split(":")[0] for key in tuesday] == [
        "check-overdue", "contact-overdue", "letter-missing", "qa-overdue"
    ]  # fmt: skip
    assert all(TUESDAY.isoformat() in key for key in tuesday)
    assert await _sweeps(db) == [(TUESDAY, "one", 4)]

    # At 10:30 another check's due date is moved back to Monday: it is overdue now, but the
    # day's reminders are done; it is in tomorrow morning's, with the Letter of Assurance's.
    async with db.sessions() as session, session.begin():
        other = await session.scalar(
            select(ChecklistItem.id)
            .where(ChecklistItem.placement_id == placement.id, ChecklistItem.key != "letter_of_assurance")
            .limit(1)
        )  # fmt: skip
        await session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.id == other)
            .values(status=ChecklistStatus.not_done, due_date=TUESDAY - dt.timedelta(days=1))
        )
    for minute in (31, 45):
        clock.set(at_london(TUESDAY, dt.time(10, minute)))
        await scheduler.evaluate()
    assert await _reminders(db) == tuesday

    clock.set(at_london(WEDNESDAY, dt.time(8, 30)))
    await scheduler.evaluate()
    wednesday = [key for key in await _reminders(db) if WEDNESDAY.isoformat() in key]
    assert len(wednesday) == 5
    assert f"check-overdue:{other}:{WEDNESDAY.isoformat()}" in " ".join(wednesday)
    assert await _sweeps(db) == [(TUESDAY, "one", 4), (WEDNESDAY, "one", 5)]


async def test_a_sweep_that_fails_half_way_is_done_again_by_the_next_pass(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await letter_of_assurance_outstanding(db, clock)
    scheduler = _scheduler(db, clock)
    real = reminder_sweeps.queue_nudges

    async def queue_then_die(*args: object, **kwargs: object) -> int:
        await real(*args, **kwargs)  # type: ignore[arg-type]
        raise ConnectionError("the database went away")

    monkeypatch.setattr(reminder_sweeps, "queue_nudges", queue_then_die)
    clock.set(at_london(TUESDAY, dt.time(8, 30)))
    with pytest.raises(ConnectionError):
        await scheduler.evaluate()
    assert await _reminders(db) == [] and await _sweeps(db) == []

    monkeypatch.setattr(reminder_sweeps, "queue_nudges", real)
    clock.set(at_london(TUESDAY, dt.time(8, 31)))
    assert (await scheduler.evaluate()).nudges == 4
    assert len(await _reminders(db)) == 4
    assert await _sweeps(db) == [(TUESDAY, "one", 4)]


async def test_a_one_off_reminder_snoozed_for_a_day_comes_once_more_on_the_next_day_s_sweep(
    db: Database, clock: FixedClock
) -> None:
    world, placement = await letter_of_assurance_outstanding(db, clock)
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(Placement)
            .where(Placement.id == placement.id)
            .values(next_qa_due=TUESDAY + dt.timedelta(days=3))
        )
    scheduler = _scheduler(db, clock)
    clock.set(at_london(TUESDAY, dt.time(8, 30)))
    await scheduler.evaluate()
    async with db.sessions() as session, session.begin():
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "qa_due"))
        assert row is not None
        change = Change(world.teacher.id, "test", at_london(TUESDAY, dt.time(9, 0)))
        await act_on_nudge(session, change, outbox_id=row.id, action="snooze_day")

    clock.set(at_london(WEDNESDAY, dt.time(8, 30)))
    await scheduler.evaluate()
    qa = [key for key in await _reminders(db) if key.startswith("qa-due")]
    assert qa == [
        f"qa-due:{placement.id}:2027-03-26:{world.teacher.id}",
        f"qa-due:{placement.id}:2027-03-26:after-snooze:{WEDNESDAY.isoformat()}:{world.teacher.id}",
    ]


async def test_two_instances_at_half_past_eight_queue_the_day_s_reminders_once(
    db: Database, clock: FixedClock
) -> None:
    if db.backend != "postgres":
        pytest.skip("several instances share PostgreSQL; SQLite runs one instance")
    await letter_of_assurance_outstanding(db, clock)
    second_engine = create_engine(db.url)
    try:
        one = _scheduler(db, clock, "one")
        two = Scheduler(
            session_factory(second_engine), clock, [RecordingDeliverer(clock)], instance="two"
        )
        clock.set(at_london(TUESDAY, dt.time(8, 30)))
        reports = await asyncio.gather(one.evaluate(), two.evaluate())
    finally:
        await second_engine.dispose()
    assert sorted(r.nudges for r in reports) == [0, 4]
    assert len(await _reminders(db)) == 4
    [(day, instance, queued)] = await _sweeps(db)
    assert (day, queued) == (TUESDAY, 4)
    assert instance == ("one" if reports[0].nudges else "two")
