"""Keeping encrypted columns under the current key: encrypt what was written in plain text,
and re-encrypt everything after a new key is put first (`apbot rotate-key`); and checking that
the key in use opens what is stored (at start, and in `/healthz`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Table, inspect, literal, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.types import Text

from storage.crypto import PREFIX, EncryptedText, EncryptionNotConfigured, KeyDoesNotOpen, keyring
from storage.db import insert_for
from storage.models import Base, KeyCanary


def encrypted_columns() -> list[tuple[Table, str]]:
    """Every (table, column) stored encrypted, found from the models themselves."""
    return [
        (table, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


async def reencrypt(session: AsyncSession, *, only_plain: bool) -> dict[str, int]:
    """Rewrite encrypted columns under the current key: only plain-text values (after switching
    encryption on), or every value (after a key rotation). Returns rows changed per column."""
    ring = keyring()
    changed: dict[str, int] = {}
    for table, column in encrypted_columns():
        rows = await session.execute(
            select(table.c.id, type_coerce(table.c[column], Text)).where(
                table.c[column].is_not(None)
            )
        )
        count = 0
        for row_id, stored in rows.all():
            if only_plain and stored.startswith(PREFIX):
                continue
            await session.execute(
                text(f'UPDATE "{table.name}" SET "{column}" = :value WHERE id = :id'),
                {"value": ring.rotate(stored), "id": row_id},
            )
            count += 1
        if count:
            changed[f"{table.name}.{column}"] = count
    return changed


# The key check: a fixed text, encrypted under the current key in `key_canary` (row 1).
CANARY_TEXT = "AP Safeguard key check"
CANARY_ID = 1


async def _raw_canary(session: AsyncSession) -> str | None:
    value: str | None = await session.scalar(
        select(type_coerce(KeyCanary.__table__.c.value, Text)).where(
            KeyCanary.__table__.c.id == CANARY_ID
        )
    )
    return value


def _opens(stored: str) -> bool:
    try:
        return keyring().decrypt(stored) == CANARY_TEXT
    except EncryptionNotConfigured:
        return False


async def _some_encrypted_value(session: AsyncSession) -> str | None:
    """Any one value stored encrypted (None when nothing is)."""
    for table, column in encrypted_columns():
        value: str | None = await session.scalar(
            select(type_coerce(table.c[column], Text))
            .where(type_coerce(table.c[column], Text).like(PREFIX + "%"))
            .limit(1)
        )
        if value is not None:
            return value
    return None


async def holds_encrypted_data(connection: AsyncConnection) -> bool:
    """Whether the database holds anything encrypted (tables not yet made count as empty)."""

    def columns_held(sync: Connection) -> set[tuple[str, str]]:
        found = inspect(sync)
        return {
            (name, column["name"])
            for name in found.get_table_names()
            for column in found.get_columns(name)
        }

    # A database a migration behind may lack a sealed column this version has: not held yet.
    held = await connection.run_sync(columns_held)
    for table, column in encrypted_columns():
        if (table.name, column) in held and await connection.scalar(
            select(literal(1))
            .select_from(table)
            .where(type_coerce(table.c[column], Text).like(PREFIX + "%"))
            .limit(1)
        ):
            return True
    return False


async def key_opens_data(session: AsyncSession) -> bool:
    """Whether the configured key decrypts the stored key check (before one is stored: any
    value stored encrypted, if there is one). Reads only; for /healthz."""
    stored = await _raw_canary(session)
    if stored is not None:
        return _opens(stored)
    sample = await _some_encrypted_value(session)
    if sample is None:
        return True
    try:
        keyring().decrypt(sample)
    except EncryptionNotConfigured:
        return False
    return True


async def check_key(session: AsyncSession, *, at: dt.datetime) -> None:
    """At start: the configured key must open what the database holds. The first time, the
    key is tried on any value already encrypted, then the key check is stored.

    Raises `KeyDoesNotOpen` with what to do."""
    stored = await _raw_canary(session)
    if stored is not None:
        if not _opens(stored):
            raise KeyDoesNotOpen(KEY_DOES_NOT_OPEN)
        return
    sample = await _some_encrypted_value(session)
    if sample is not None:
        try:
            keyring().decrypt(sample)
        except EncryptionNotConfigured as error:
            raise KeyDoesNotOpen(KEY_DOES_NOT_OPEN) from error
    await session.execute(
        insert_for(session, KeyCanary)
        .values(id=CANARY_ID, value=CANARY_TEXT, created_at=at)
        .on_conflict_do_nothing(index_elements=["id"])
    )


KEY_DOES_NOT_OPEN = (
    "The encryption key does not open this database: pupils' names and safeguarding notes "
    "stored in it were encrypted under another key. Put back the key they were written with "
    "(the data folder's encryption.key from your backup, or the old key in ENCRYPTION_KEYS after "
    "the new one) and start again. The bot will not run with a key that cannot read them."
)
