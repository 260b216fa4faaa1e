"""Rebuilding a table on SQLite while other tables point at it.

SQLite changes a column's type or constraint by copying the table and dropping the old one.
With foreign keys on, that DROP TABLE fails as soon as a row elsewhere points at the table, so
a migration that works on an empty database fails on a school's real one. SQLite's own recipe:
foreign keys off (only possible between transactions), rebuild, check that every reference
still holds, foreign keys on. Migrations before this point in the same run are committed then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op


@contextmanager
def foreign_keys_off(table: str) -> Iterator[None]:
    """Run the block with SQLite's foreign keys off, then check them; elsewhere just run it."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    yield
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"References broken by rebuilding {table}: {broken[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
