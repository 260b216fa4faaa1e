"""Migration 0026_placement_changes on a school's real database: a placement's free-text
objectives become its one objective (no target date), still sealed and still readable; the new
tables and the pupil's view at the end come and go with the migration, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from storage.crypto import keyring
from storage.db import admin_execute, create_engine, normalise_url, session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import ObjectiveStatus, PlacementObjective
from tests.support.database import BACKENDS, POSTGRES_URL

BEFORE = "0022_inbound_queue"
AFTER = "0026_placement_changes"
AT = "2026-11-27 10:00:00"
OLD_OBJECTIVES = "Rebuild trust after the incident with Oswaldo; attend every session"


def _rows() -> list[str]:
    sealed = keyring().encrypt(OLD_OBJECTIVES)
    placement = (
        "INSERT INTO placements (id, reference, status, pupil_id, commissioner_id, provider_id,"
        " start_date, provider_days, provider_hours, school_hours, other_hours, full_time_hours,"
        " is_full_time, attendance_code, absence_deadline, welfare_call_party, objectives,"
        " created_by_id, created_at) VALUES ({id}, '{ref}', 'active', 1, 1, 2, '2026-11-02',"
        " 'mon', 15, 7.5, 10, 32.5, true, 'B', '09:30:00', 'provider', {objectives}, 1, '{at}')"
    )
    return [
        "INSERT INTO organisations (id, kind, name, full_time_hours, qa_interval_days,"
        f" created_at) VALUES (1, 'school', 'Elm Park School', 32.5, 42, '{AT}'),"
        f" (2, 'provider', 'Pathways', 32.5, 42, '{AT}')",
        "INSERT INTO people (id, name, email, role, organisation_id, time_zone, active,"
        f" created_at) VALUES (1, 'Dee Lead', 'dsl@elm.example', 'dsl', 1, 'Europe/London',"
        f" true, '{AT}')",
        "INSERT INTO pupils (id, home_org_id, first_name, last_name, upn, year_group,"
        " fsm_eligible, ehcp, cp_plan, cin_plan, looked_after, created_at) VALUES (1, 1,"
        f" 'Peregrine', 'Ashcombe', 'H801200001234', 8, false, false, false, false, false,"
        f" '{AT}')",
        placement.format(id=1, ref="AP-OLD1", objectives=f"'{sealed}'", at=AT),
        placement.format(id=2, ref="AP-OLD2", objectives="NULL", at=AT),
    ]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    assert POSTGRES_URL
    name = f"apsg_ob_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(normalise_url(POSTGRES_URL))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(admin_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(url: str, *statements: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            result = None
            for statement in statements:
                result = await connection.execute(text(statement))
            return list(result) if result is not None and result.returns_rows else []
    finally:
        await engine.dispose()


async def _objectives(url: str) -> list[tuple[int, str, object, ObjectiveStatus]]:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        rows = [
            (o.placement_id, o.text, o.target_date, o.status)
            for o in await session.scalars(select(PlacementObjective))
        ]
    await engine.dispose()
    return rows


def test_old_free_text_objectives_become_one_objective_with_no_target(empty_database: str) -> None:
    url = empty_database
    upgrade(url, BEFORE)
    asyncio.run(_execute(url, *_rows()))

    upgrade(url, AFTER)

    assert asyncio.run(_objectives(url)) == [(1, OLD_OBJECTIVES, None, ObjectiveStatus.open)]
    # Still sealed at rest: the words are not in the table.
    [(stored,)] = asyncio.run(_execute(url, "SELECT text FROM placement_objectives"))
    assert "Oswaldo" not in stored

    command.downgrade(alembic_config(url), BEFORE)
    tables = asyncio.run(
        _execute(
            url,
            "SELECT objectives FROM placements WHERE id = 1",
        )
    )
    assert keyring().decrypt(tables[0][0]) == OLD_OBJECTIVES
    upgrade(url, AFTER)
    assert len(asyncio.run(_objectives(url))) == 1
