"""Keeping encrypted columns under the current key: encrypt what was written in plain text,
and re-encrypt everything after a new key is put first (`apbot rotate-key`)."""

from __future__ import annotations

from sqlalchemy import Table, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from storage.crypto import PREFIX, EncryptedText, keyring
from storage.models import Base


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
