"""The day's reminders cost a fixed number of statements, however many LAs, placements and
reminders there are (issue 17: the 08:30 sweep at national scale). The registration alert
used to load every LA's placements (with their pupils) one LA at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, event, select

from storage.clock import LONDON, FixedClock
from storage.models import OutboxMessage, ReminderSweep
from storage.rules.nudges import NudgeTimes
from storage.services.reminder_sweeps import queue_day_reminders
from storage.wording import NoticeKind
from tests.support.database import Database
from tests.support.more_las import another_la
from tests.support.world import providers_across_schools

MONDAY = dt.datetime(2026, 11, 30, 8, 30, tzinfo=LONDON)


async def _sweep(db: Database) -> tuple[list[str], list[OutboxMessage]]:
    """Monday's sweep from nothing queued: the statements it ran, and what it queued."""
    async with db.sessions() as session, session.begin():
        await session.execute(delete(OutboxMessage))
        await session.execute(delete(ReminderSweep))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await queue_day_reminders(db.sessions, MONDAY, NudgeTimes(), instance="test")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    async with db.sessions() as session:
        queued = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.key)))
    return statements, queued


async def test_the_sweep_s_statements_do_not_grow_with_las_placements_or_reminders(
    db: Database, clock: FixedClock
) -> None:
    across = await providers_across_schools(db, clock)
    small, queued = await _sweep(db)
    alerts = [m for m in queued if m.kind == NoticeKind.registration_needed]
    assert {m.recipient_id for m in alerts} == {across.world.la_officer.id}

    # Five more LAs, each with an officer and six full-time pupils at the unregistered Wheels:
    # 30 more placements, each with its reminders, and an alert for every new officer.
    for n in range(5):
        await another_la(db, clock, across.world, n=n, provider=across.world.unregistered, pupils=6)
    large, queued_large = await _sweep(db)
    assert len(queued_large) > len(queued) + 30
    alerted = {m.recipient_id for m in queued_large if m.kind == NoticeKind.registration_needed}
    assert len(alerted) == 6  # Elm Park's LA and the five new ones (Farshire's one pupil: none)
    assert len(large) == len(small)
    # On PostgreSQL without JIT compilation: compiling the candidates' query took about half
    # of its time at national scale, for a query run once a day.
    assert ("SET LOCAL jit = off" in large) == (db.backend == "postgres")
