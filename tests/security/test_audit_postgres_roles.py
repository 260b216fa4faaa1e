"""On PostgreSQL the bot runs as a role of its own, not as the tables' owner: the owner can
switch the append-only triggers off, the bot's role cannot, and it can only add to the audit
log and read it. `apbot migrate` runs as the owner (MIGRATION_DATABASE_URL) and grants the bot's
role (DATABASE_APP_ROLE) what it needs."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from bot.settings import get_settings
from storage.migrate import AppRoleError, grant_app_role
from storage.models import AuditEntry
from tests.support.database import POSTGRES_APP_ROLE, POSTGRES_OWNER_ROLE, TEST_KEY, postgres_url
from tests.support.factories import build_world

REFUSED = (
    "UPDATE audit_log SET action = 'tampered'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "ALTER TABLE audit_log DROP CONSTRAINT uq_audit_log_seq",
    "DROP TABLE audit_log",
    "SET session_replication_role = replica",
    "CREATE OR REPLACE FUNCTION audit_chain_tip(OUT tip_seq bigint, OUT tip_hash text) "
    "LANGUAGE sql AS $$ SELECT 0::bigint, ''::text $$",
    "UPDATE audit_checks SET problem = NULL",
    "DELETE FROM audit_checks",
)


async def test_the_bot_s_role_cannot_change_the_audit_log_or_switch_its_triggers_off(
    db, clock
) -> None:
    if db.backend != "postgres":
        pytest.skip("roles are PostgreSQL's")
    assert make_url(db.url).username == POSTGRES_APP_ROLE  # the bot's connection in this suite
    await build_world(db, clock)  # it can do its work: records, and the audit log appended
    async with db.sessions() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert before and before > 10
    for statement in REFUSED:
        async with db.engine.connect() as connection:
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
                await connection.execute(text(statement))
            await connection.rollback()
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_apbot_migrate_runs_as_the_owner_and_grants_the_bot_s_role(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's")
    database = make_url(db_url).database or ""
    owner = postgres_url(database, POSTGRES_OWNER_ROLE)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", owner)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    monkeypatch.setenv("DATABASE_APP_ROLE", POSTGRES_APP_ROLE)
    get_settings.cache_clear()
    try:
        assert main(["migrate"]) == 0
        assert f"Granted role {POSTGRES_APP_ROLE} what the bot needs" in capsys.readouterr().out
        # The owner itself (or a superuser) is no restricted role: refused, with the reason.
        monkeypatch.setenv("DATABASE_APP_ROLE", POSTGRES_OWNER_ROLE)
        get_settings.cache_clear()
        assert main(["migrate"]) == 1
        assert "owns the tables" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    with pytest.raises(AppRoleError, match="use lower-case letters"):
        asyncio.run(grant_app_role(owner, 'app"; DROP TABLE audit_log; --'))
