"""Bringing a database's tables up to date with Alembic (`apbot migrate`)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from storage.db import create_engine, ensure_sqlite_folder, is_sqlite, normalise_url
from storage.models import Base

# Tables the bot may only add to and read: the audit log and the record of its daily checks.
APPEND_ONLY = ("audit_log", "audit_checks")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class AppRoleError(Exception):
    """DATABASE_APP_ROLE cannot be used as the bot's restricted role (the message says why)."""


MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is an INI file underneath: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to `revision`. Safe to run again: it does nothing when current."""
    ensure_sqlite_folder(normalise_url(url))
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """The same, from inside a running event loop (Alembic's env starts a loop of its own)."""
    await asyncio.to_thread(upgrade, url, revision)


def app_role_grants(role: str) -> list[str]:
    """The statements that give the bot's PostgreSQL role what it needs and no more: read and
    write the records (not the audit log: only add to it and read it), use the id sequences,
    read the schema version. No ownership, so it cannot alter, disable triggers or truncate."""
    if not ROLE_NAME.match(role):
        raise AppRoleError(f"DATABASE_APP_ROLE {role!r}: use lower-case letters, digits and _")
    tables = [table.name for table in Base.metadata.sorted_tables]
    ordinary = ", ".join(f'"{name}"' for name in tables if name not in APPEND_ONLY)
    append_only = ", ".join(f'"{name}"' for name in APPEND_ONLY)
    return [
        f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON {ordinary} TO "{role}"',
        f'GRANT SELECT, INSERT ON {append_only} TO "{role}"',
        f'GRANT SELECT ON alembic_version TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'GRANT EXECUTE ON FUNCTION audit_chain_tip() TO "{role}"',
    ]


async def grant_app_role(url: str, role: str) -> None:
    """Apply `app_role_grants` on PostgreSQL, as the owner at `url` (after every migration, so
    new tables are covered). Nothing on SQLite: a file has no roles."""
    if is_sqlite(normalise_url(url)):
        return
    statements = app_role_grants(role)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            owns = await connection.scalar(
                text(
                    "SELECT r.rolsuper OR pg_has_role(r.oid, c.relowner, 'MEMBER') FROM pg_roles r,"
                    " pg_class c WHERE r.rolname = :role AND c.oid = 'audit_log'::regclass"
                ),
                {"role": role},
            )
            if owns is None:
                raise AppRoleError(f"DATABASE_APP_ROLE {role}: there is no such role; create it.")
            if owns:
                raise AppRoleError(
                    f"DATABASE_APP_ROLE {role} is a superuser or owns the tables (or is a member "
                    "of the role that does): it could change the audit log. Use a role of its own."
                )
            for statement in statements:
                await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()
