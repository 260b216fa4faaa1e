"""The scheduler walks the audit log's hash chain once a day (06:00 by default) and tells the
admins when someone has changed it: a tampering nobody runs `apbot audit verify` for is still
found the next morning. Each day's result is kept, and the next check holds the log to the
head the last one saw, so cutting off the newest rows shows too."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from bot.scheduler import Scheduler
from storage.models import AuditCheck, AuditEntry
from storage.rules.calendar import at_london
from tests.support.factories import build_world
from tests.support.scheduler import RecordingDeliverer, clock_sleep
from tests.support.tamper import tamper

SATURDAY = dt.date(2026, 11, 28)
SUNDAY = SATURDAY + dt.timedelta(days=1)


async def _checks(db) -> list[tuple[dt.date, str | None]]:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        rows = await session.scalars(select(AuditCheck).order_by(AuditCheck.day))
        return [(row.day, row.problem) for row in rows]


async def test_a_changed_row_is_found_by_the_next_morning_s_check_and_the_admin_told(
    db, clock
) -> None:
    world = await build_world(db, clock)
    channel = RecordingDeliverer(clock)
    scheduler = Scheduler(db.sessions, clock, [channel], instance="one", sleep=clock_sleep(clock))

    clock.set(at_london(SATURDAY, dt.time(5, 59)))
    await scheduler.run_pass()
    assert await _checks(db) == []
    clock.set(at_london(SATURDAY, dt.time(6, 0)))
    assert not (await scheduler.run_pass()).audit_chain_broken
    clock.set(at_london(SATURDAY, dt.time(6, 1)))
    await scheduler.run_pass()  # once a day
    assert await _checks(db) == [(SATURDAY, None)]
    assert not [n for n in channel.sent if n.kind == "audit_chain_broken"]

    async with db.sessions() as session:
        target = await session.scalar(select(AuditEntry).order_by(AuditEntry.seq).offset(4))
    assert target is not None
    async with tamper(db) as connection:
        await connection.execute(
            text("UPDATE audit_log SET action = 'viewed' WHERE id = :id"), {"id": target.id}
        )

    clock.set(at_london(SUNDAY, dt.time(6, 0)))
    assert (await scheduler.run_pass()).audit_chain_broken
    line = f"Audit log chain BROKEN at row id {target.id} (seq {target.seq})"
    assert [(day, problem and problem[: len(line)]) for day, problem in await _checks(db)] == [
        (SATURDAY, None),
        (SUNDAY, line),
    ]
    alerts = [n for n in channel.sent if n.kind == "audit_chain_broken"]
    assert [n.recipient.person_id for n in alerts] == [world.admin.id]
    assert alerts[0].text.startswith(line)
    assert "apbot audit verify" in alerts[0].text


async def test_the_newest_rows_cut_off_after_a_check_are_found_by_the_next(db, clock) -> None:
    await build_world(db, clock)
    channel = RecordingDeliverer(clock)
    scheduler = Scheduler(db.sessions, clock, [channel], instance="one", sleep=clock_sleep(clock))
    clock.set(at_london(SATURDAY, dt.time(6, 0)))
    await scheduler.run_pass()
    async with tamper(db) as connection:
        await connection.execute(text("DELETE FROM audit_log WHERE seq > 3"))

    clock.set(at_london(SUNDAY, dt.time(6, 0)))
    assert (await scheduler.run_pass()).audit_chain_broken
    (_, problem), *_ = [c for c in await _checks(db) if c[0] == SUNDAY]
    assert problem is not None and "the log ends at seq 3" in problem
    assert "the newest rows were removed" in problem
