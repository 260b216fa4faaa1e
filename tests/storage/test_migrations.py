"""The Alembic migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.models import Base


async def test_migrations_match_the_models(db) -> None:
    def differences(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_every_record_of_the_product_has_a_table(db) -> None:
    async with db.engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    assert {
        "organisations",
        "sites",
        "people",
        "pupils",
        "placements",
        "checklist_items",
        "qa_visits",
        "contacts",
        "attendance",
        "welfare_calls",
        "chronology",
        "audit_log",
        "dialog_states",
        "outbox",
        "alembic_version",
    } <= tables
