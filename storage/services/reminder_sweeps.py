"""The day's reminders, queued once per school day rather than every minute.

Overdue checks, QA visits, weekly contact, reviews and planned ends (and the LA's alert that
an unregistered provider may need to register) are day-level: keyed by the
day (or the date they are about) and first due at the reminder time (08:30). The first pass at
or after that time, on whichever instance gets there first, gathers and queues them and records
the day in `reminder_sweeps`, in the same transaction: a sweep that fails or dies half-way
leaves neither reminders nor record, and the next pass does it again. Later passes that day see
the record and skip the work, so a reminder that becomes due later in the day (a check's due
date moved into the past) goes out with the next school day's reminders.

Two instances racing: the record is claimed (inserted if absent) before the work, so on
PostgreSQL the second waits for the first to commit and then finds the day done (or does it
itself if the first rolled back); each nudge's own key keeps it once either way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import insert_for, transaction
from storage.models import ReminderSweep
from storage.rules.calendar import london_date
from storage.rules.nudges import NudgeTimes, due_nudges
from storage.services.la_view import registration_alerts
from storage.services.nudge_facts import gather_facts, name_fresh, reminders_are_due
from storage.services.nudges import not_yet_queued, queue_nudges


async def swept(session: AsyncSession, day: dt.date) -> bool:
    """Whether `day`'s reminders have been queued (by a committed sweep)."""
    return (
        await session.scalar(select(ReminderSweep.day).where(ReminderSweep.day == day)) is not None
    )


async def claim_sweep(
    session: AsyncSession, day: dt.date, *, now: dt.datetime, instance: str
) -> bool:
    """Record `day` as swept by `instance`, in the caller's transaction, unless it already is
    (False). On PostgreSQL this waits for another instance's sweep of the day in progress."""
    statement = (
        insert_for(session, ReminderSweep)
        .values(day=day, swept_at=now, instance=instance, queued=0)
        .on_conflict_do_nothing(index_elements=["day"])
        .returning(ReminderSweep.day)
    )
    return (await session.execute(statement)).first() is not None


async def without_jit(session: AsyncSession) -> None:
    """No JIT compilation for the rest of this transaction (PostgreSQL). The sweep's reads are
    estimated costly enough for PostgreSQL to compile them, and at national scale compiling the
    candidates' query took about 1.1 s of its 2.3 s; run once, it never pays back."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))


async def queue_day_reminders(
    sessions: async_sessionmaker[AsyncSession],
    now: dt.datetime,
    times: NudgeTimes,
    *,
    instance: str,
) -> int:
    """Queue today's reminders if they are due and not yet queued today; how many were new."""
    if not reminders_are_due(now, times):
        return 0
    today = london_date(now)
    async with transaction(sessions) as session:
        # A plain read first: the usual answer, without touching the record's lock.
        if await swept(session, today) or not await claim_sweep(
            session, today, now=now, instance=instance
        ):
            return 0
        await without_jit(session)
        facts = await gather_facts(session, now, times, timely=False)
        fresh = await not_yet_queued(session, due_nudges(facts, timely=False))
        named = await name_fresh(session, facts, fresh)
        queued = await queue_nudges(session, named, looked_up=True)
        # Unregistered providers that may need to register: each LA officer once per provider
        # and trigger (the key), checked with the day's reminders.
        queued += await queue_nudges(session, await registration_alerts(session, now))
        await session.execute(
            update(ReminderSweep).where(ReminderSweep.day == today).values(queued=queued)
        )
    return queued
