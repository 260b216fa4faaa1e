"""Migration 0020_contact_with on a school's real database: the contacts already logged were
all with the provider, and stay the weekly contact (the nudge keeps counting them), on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from storage.db import admin_execute, create_engine, normalise_url, session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import Contact, ContactWith
from tests.support.database import BACKENDS, POSTGRES_URL

BEFORE = "0017_reading"
AT = "2026-11-27 10:00:00"
ROWS = [
    "INSERT INTO organisations (id, kind, name, full_time_hours, qa_interval_days, created_at)"
    f" VALUES (1, 'school', 'Elm Park School', 32.5, 42, '{AT}'),"
    f" (2, 'provider', 'Pathways', 32.5, 42, '{AT}')",
    "INSERT INTO people (id, name, email, role, organisation_id, time_zone, active, created_at)"
    f" VALUES (1, 'Dee Lead', 'dsl@elm.example', 'dsl', 1, 'Europe/London', true, '{AT}')",
    "INSERT INTO pupils (id, home_org_id, first_name, last_name, upn, year_group, fsm_eligible,"
    " ehcp, cp_plan, cin_plan, looked_after, created_at) VALUES (1, 1, 'Peregrine', 'Ashcombe',"
    f" 'H801200001234', 8, false, false, false, false, false, '{AT}')",
    "INSERT INTO placements (id, reference, status, pupil_id, commissioner_id, provider_id,"
    " start_date, provider_days, provider_hours, school_hours, other_hours, full_time_hours,"
    " is_full_time, attendance_code, absence_deadline, welfare_call_party, created_by_id,"
    " created_at) VALUES (1, 'AP-TEST', 'active', 1, 1, 2, '2026-11-02', 'mon', 15, 7.5, 10,"
    f" 32.5, true, 'B', '09:30:00', 'provider', 1, '{AT}')",
    "INSERT INTO contacts (id, placement_id, contact_date, person_id, method, summary,"
    f" created_at) VALUES (1, 1, '2026-11-20', 1, 'phone', 'Key worker: settled', '{AT}'),"
    f" (2, 1, '2026-11-26', 1, 'email', 'Good week', '{AT}')",
]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    assert POSTGRES_URL
    name = f"apsg_cw_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(normalise_url(POSTGRES_URL))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(admin_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _contacts(url: str) -> list[tuple[int, ContactWith]]:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        rows = [(c.id, c.with_whom) for c in await session.scalars(select(Contact))]
    await engine.dispose()
    return sorted(rows)


def test_contacts_already_logged_become_contacts_with_the_provider(empty_database: str) -> None:
    url = empty_database
    upgrade(url, BEFORE)
    asyncio.run(_execute(url, *ROWS))

    upgrade(url, "0020_contact_with")

    assert asyncio.run(_contacts(url)) == [(1, ContactWith.provider), (2, ContactWith.provider)]
    # A new contact names who it was with; only the three kinds are taken.
    asyncio.run(
        _execute(
            url,
            "INSERT INTO contacts (id, placement_id, contact_date, person_id, with_whom, method,"
            f" summary, created_at) VALUES (3, 1, '2026-11-27', 1, 'parent_carer', 'phone',"
            f" 'Mum rang', '{AT}')",
        )
    )
    assert asyncio.run(_contacts(url))[-1] == (3, ContactWith.parent_carer)
    with pytest.raises(IntegrityError):
        asyncio.run(
            _execute(
                url,
                "INSERT INTO contacts (id, placement_id, contact_date, person_id, with_whom,"
                f" method, summary, created_at) VALUES (4, 1, '2026-11-27', 1, 'the milkman',"
                f" 'phone', 'Hello', '{AT}')",
            )
        )


def test_a_downgrade_refuses_to_make_a_parents_contact_the_providers(empty_database: str) -> None:
    url = empty_database
    upgrade(url, BEFORE)
    asyncio.run(_execute(url, *ROWS))
    upgrade(url, "0020_contact_with")
    asyncio.run(_execute(url, "UPDATE contacts SET with_whom = 'pupil' WHERE id = 2"))

    with pytest.raises(RuntimeError, match="parents, carers or pupils"):
        command.downgrade(alembic_config(url), BEFORE)

    asyncio.run(_execute(url, "DELETE FROM contacts WHERE id = 2"))
    command.downgrade(alembic_config(url), BEFORE)
    upgrade(url, "0020_contact_with")
    assert asyncio.run(_contacts(url)) == [(1, ContactWith.provider)]
