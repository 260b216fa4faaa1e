"""The audit log is append-only on both databases: the database itself refuses changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from storage.models import AuditEntry
from tests.support.factories import build_world


async def test_audit_rows_cannot_be_changed_or_deleted(db, clock) -> None:
    await build_world(db, clock)
    async with db.sessions() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert before and before > 10
    for statement in (
        "UPDATE audit_log SET action = 'tampered'",
        "DELETE FROM audit_log",
    ):
        async with db.engine.connect() as connection:
            # (On PostgreSQL the bot's role has no right to try; the triggers refuse the owner.)
            with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
                await connection.execute(text(statement))
            await connection.rollback()
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert (
            await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "tampered")
            )
            == 0
        )
