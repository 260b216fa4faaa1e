"""The day's reminders, queued once per school day rather than every minute.

Overdue checks, QA visits, weekly contact, reviews and planned ends (and the LA's alert that
an unregistered provider may need to register) are day-level: keyed by the
day (or the date they are about) and first due at the reminder time (08:30). The first pass at
or after that time gathers and queues them and records the day in `reminder_sweeps`, in the
same transaction: a sweep that fails or dies half-way leaves neither reminders nor record, and
the next pass does it again. Later passes that day see the record and skip the work, so a
reminder that becomes due later in the day (a check's due date moved into the past) goes out
with the next school day's reminders.

The day can be swept in `parts`, each a fixed set of LAs (an LA's id modulo `parts`; the
placements of schools with no LA go with part 0): each part is claimed, gathered, queued and
recorded in a transaction of its own, so several instances (several `apbot worker`s on
PostgreSQL) share the sweep, each taking the parts nobody else holds, and a part that fails is
left to the next pass while the parts done stay done. Every instance must use the same number
of parts. One part (the default, and what SQLite's single process uses) is the whole day in
one transaction.

Two instances racing for a part: on PostgreSQL each part is first taken with a transaction's
advisory lock that does not wait (`pg_try_advisory_xact_lock`), so an instance skips a part
another one is sweeping and goes on to the next; the record is then inserted if absent (a part
swept and committed meanwhile is found done). A part skipped that way and never committed (its
instance died) is done by the next pass. Each nudge's own key keeps it once whatever happens.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, case, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import insert_for, transaction
from storage.models import Organisation, OrgKind, ReminderSweep
from storage.rules.calendar import london_date
from storage.rules.nudges import NudgeTimes, due_nudges
from storage.services.la_view import registration_alerts
from storage.services.nudge_facts import gather_facts, name_fresh, reminders_are_due
from storage.services.nudges import not_yet_queued, queue_nudges
from storage.services.reminder_preparation import (
    discard_unreleased,
    held_preparation,
    preparation_is_due,
    prepare_part,
    prepared_parts,
    reconcile_preparation,
)

# Any fixed number: the advisory locks of the sweep's parts are (SWEEP_LOCK, day * 1000 + part).
SWEEP_LOCK = 1717
# Parts a day's sweep is split into where several instances are to share it (PostgreSQL,
# REMINDER_SWEEP_PARTS; the default is 1, the whole day by one instance). Each part costs
# PostgreSQL a few fixed scans (about 0.25 s at national scale), so a few more parts than
# instances, not one per LA.
SHARED_PARTS = 4


async def swept_parts(session: AsyncSession, day: dt.date) -> set[int]:
    """The parts of `day`'s sweep that have been queued (by committed sweeps)."""
    return set(await session.scalars(select(ReminderSweep.part).where(ReminderSweep.day == day)))


async def swept(session: AsyncSession, day: dt.date, *, parts: int = 1) -> bool:
    """Whether `day`'s reminders have been queued, every part of them."""
    return set(range(parts)) <= await swept_parts(session, day)


async def claim_sweep(
    session: AsyncSession, day: dt.date, *, now: dt.datetime, instance: str, part: int = 0
) -> bool:
    """Record `day`'s `part` as swept by `instance`, in the caller's transaction, unless it
    already is (False). On PostgreSQL this waits for another instance's sweep of the same part
    in progress (`take_part` first avoids that)."""
    statement = (
        insert_for(session, ReminderSweep)
        .values(day=day, part=part, swept_at=now, instance=instance, queued=0)
        .on_conflict_do_nothing(index_elements=["day", "part"])
        .returning(ReminderSweep.day)
    )
    return (await session.execute(statement)).first() is not None


async def take_part(session: AsyncSession, day: dt.date, part: int) -> bool:
    """Hold `day`'s `part` for this transaction, unless another instance holds it (False, at
    once). PostgreSQL only; SQLite's one writer at a time needs nothing more."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = await session.scalar(
        select(func.pg_try_advisory_xact_lock(SWEEP_LOCK, day.toordinal() * 1000 + part))
    )
    return bool(taken)


def la_key() -> ColumnElement[int]:
    """An organisation's LA as a number: an LA's own id, a school's LA's, 0 for none."""
    return case(
        (Organisation.kind == OrgKind.local_authority, Organisation.id),
        else_=func.coalesce(Organisation.la_id, 0),
    )


def commissioners_in(part: int, parts: int) -> Select[int]:
    """The commissioners (schools and LAs) whose LA is in `part` of `parts`."""
    return select(Organisation.id).where(la_key() % parts == part)


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
    parts: int = 1,
) -> int:
    """Queue today's reminders if they are due and not yet queued today, each of the day's
    `parts` not held by another instance; how many were new."""
    if not reminders_are_due(now, times):
        return 0
    today = london_date(now)
    queued = 0
    if parts == 1:
        async with transaction(sessions) as session:
            # A plain read first: the usual answer, without touching the record's lock.
            if await swept(session, today):
                return 0
            # Held by another instance's sweep or a preparation running late: the next pass.
            if not await take_part(session, today, 0):
                return 0
            await discard_unreleased(session, today, parts=parts, at=now)
            return await _sweep_part(session, now, times, instance=instance, part=0, parts=1)
    async with transaction(sessions) as session:
        done = await swept_parts(session, today)
        if len(done) < parts:
            await discard_unreleased(session, today, parts=parts, at=now)
    for part in range(parts):
        if part in done:
            continue
        async with transaction(sessions) as session:
            if await take_part(session, today, part):
                queued += await _sweep_part(
                    session, now, times, instance=instance, part=part, parts=parts
                )
    return queued


async def prepare_day_reminders(
    sessions: async_sessionmaker[AsyncSession],
    now: dt.datetime,
    times: NudgeTimes,
    *,
    prepare_at: dt.time,
    instance: str,
    parts: int = 1,
) -> int:
    """Prepare today's reminders ahead of the reminder time if it is time to, each of the day's
    `parts` not prepared or held by another instance, each in a transaction of its own; how
    many were written (held until the reminder time: `storage.services.reminder_preparation`).
    A part is held with the same lock as its sweep, so a preparation running late and the
    reminder time's pass never work on one part at once."""
    if not preparation_is_due(now, times, prepare_at):
        return 0
    today = london_date(now)
    async with transaction(sessions) as session:
        done = await prepared_parts(session, today) | await swept_parts(session, today)
        if len(done) >= parts:
            return 0
        await discard_unreleased(session, today, parts=parts, at=now)
    prepared = 0
    for part in range(parts):
        if part in done:
            continue
        async with transaction(sessions) as session:
            if await take_part(session, today, part):
                await without_jit(session)
                commissioners = (
                    None
                    if parts == 1
                    else set(await session.scalars(commissioners_in(part, parts)))
                )
                prepared += await prepare_part(
                    session, now, times, instance=instance, part=part, parts=parts,
                    commissioners=commissioners,
                )  # fmt: skip
    return prepared


async def _sweep_part(
    session: AsyncSession,
    now: dt.datetime,
    times: NudgeTimes,
    *,
    instance: str,
    part: int,
    parts: int,
) -> int:
    """Claim, gather and queue one part of today's reminders in the caller's transaction: its
    preparation reconciled and released, if it was prepared (see
    `storage.services.reminder_preparation`), else the whole part gathered and queued."""
    today = london_date(now)
    if not await claim_sweep(session, today, now=now, instance=instance, part=part):
        return 0
    await without_jit(session)
    commissioners = (
        None if parts == 1 else set(await session.scalars(commissioners_in(part, parts)))
    )
    preparation = await held_preparation(session, today, part, parts)
    reconciled = (
        None
        if preparation is None
        else await reconcile_preparation(
            session, preparation, now, times, commissioners=commissioners
        )
    )
    if reconciled is not None:
        queued = reconciled
    else:
        facts = await gather_facts(session, now, times, timely=False, commissioners=commissioners)
        fresh = await not_yet_queued(session, due_nudges(facts, timely=False))
        named = await name_fresh(session, facts, fresh)
        queued = await queue_nudges(session, named, looked_up=True)
    # Unregistered providers that may need to register: each LA officer once per provider
    # and trigger (the key), checked with the day's reminders (this part's LAs').
    alerts = await registration_alerts(session, now, part=None if parts == 1 else (part, parts))
    queued += await queue_nudges(session, alerts)
    await session.execute(
        update(ReminderSweep)
        .where(ReminderSweep.day == today, ReminderSweep.part == part)
        .values(queued=queued)
    )
    return queued
