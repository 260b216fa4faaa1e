"""Two writers appending to the audit log at once (two turns, two bot instances) must not fork
the chain: the second waits for the first to commit and chains after its rows. Without the
lock, both would read the same tip and the second turn would fail on the taken `seq` (or, with
no unique `seq`, the chain would fork and the next check would cry tampering)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text

from storage.models import AuditEntry
from storage.services.audit_chain import verify_chain
from tests.support.database import Database


def _entry(clock, action: str) -> AuditEntry:  # type: ignore[no-untyped-def]
    return AuditEntry(
        at=clock.now(), person_id=None, channel="scheduler", action=action,
        record_type="Placement", record_id=1, placement_id=None, changes={"n": action},
    )  # fmt: skip


async def _until_the_second_waits(db: Database) -> None:
    """Until the second writer waits for the chain's lock (PostgreSQL); on SQLite it waits for
    the database's write lock, which nothing here can observe, so the first goes on."""
    if db.backend != "postgres":
        return
    for _ in range(500):
        async with db.engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid IN "
                    "(SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)  # polling the server's lock table, not waiting out time
    raise AssertionError("the second writer never waited for the first")


async def test_two_writers_at_once_make_one_chain(db: Database, clock) -> None:
    async def second() -> None:
        async with db.sessions() as session, session.begin():
            session.add(_entry(clock, "second"))

    async with db.sessions() as first, first.begin():
        first.add(_entry(clock, "first-a"))
        await first.flush()  # its row is in, uncommitted: the chain's tip is taken
        other = asyncio.create_task(second())
        await _until_the_second_waits(db)
        first.add(_entry(clock, "first-b"))
    await other

    async with db.sessions() as session:
        written = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        report = await verify_chain(session)
    assert [(e.seq, e.action) for e in written] == [(1, "first-a"), (2, "first-b"), (3, "second")]
    assert report.intact and report.rows == 3
