"""SQLite's REPLACE deletes the row in the way and inserts the new one, and the DELETE trigger
does not fire for it (unless a connection turns recursive_triggers on): an `INSERT OR REPLACE`
rewrote an audit row in place. It is refused now, from the bot's own engine and from any other
program that opens the file."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage.models import AuditEntry
from storage.services.audit_chain import verify_chain
from tests.support.factories import build_world

COLUMNS = (
    "id, at, person_id, channel, action, record_type, record_id, placement_id, changes, seq, hash"
)


async def _first_row(db) -> AuditEntry:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        first = await session.scalar(select(AuditEntry).order_by(AuditEntry.seq).limit(1))
    assert first is not None
    return first


async def test_insert_or_replace_cannot_rewrite_an_audit_row(db, clock) -> None:
    if db.backend != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    await build_world(db, clock)
    first = await _first_row(db)
    forged = (
        f"INTO audit_log ({COLUMNS}) VALUES ({first.id}, '2026-01-01 00:00:00.000000', NULL,"
        f" 'cli', 'created', 'Pupil', 1, NULL, '{{}}', {first.seq}, '{first.hash}')"
    )
    other_id = (
        f"INTO audit_log ({COLUMNS}) VALUES (999999, '2026-01-01 00:00:00.000000', NULL,"
        f" 'cli', 'created', 'Pupil', 1, NULL, '{{}}', {first.seq}, '{first.hash}')"
    )
    # Through the bot's own engine.
    for statement in (f"INSERT OR REPLACE {forged}", f"REPLACE {other_id}"):
        async with db.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text(statement))
            await connection.rollback()
    # Through any other program (the sqlite3 shell is the same library), triggers as they are.
    with sqlite3.connect(make_url(db.url).database or "") as shell:
        for statement in (f"INSERT OR REPLACE {forged}", f"REPLACE {other_id}"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                shell.execute(statement)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            shell.execute(f"INSERT {forged} ON CONFLICT(id) DO UPDATE SET channel = 'cli'")
    assert (await _first_row(db)).hash == first.hash
    async with db.sessions() as session:
        assert (await verify_chain(session)).intact
