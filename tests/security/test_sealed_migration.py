"""Attack: a database made before these fields were sealed still holds their text in clear,
in every backup taken from now on. `apbot migrate` (migration 0015_sealed_fields, then the
encryption of what is still plain) seals the rows already there, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.settings import get_settings
from storage.db import admin_execute, create_engine, normalise_url, session_factory
from storage.migrate import upgrade
from storage.models import ChecklistItem, Contact, ConversationRef, Placement, Pupil, QaVisit
from tests.support.database import BACKENDS, POSTGRES_URL, TEST_KEY

BEFORE = "0009_reminder_sweeps"  # the last revision with these fields in clear
AT = "2026-11-27 10:00:00"

ROWS = [
    "INSERT INTO organisations (id, kind, name, full_time_hours, qa_interval_days, created_at)"
    f" VALUES (1, 'school', 'Elm Park School', 32.5, 42, '{AT}'),"
    f" (2, 'provider', 'Pathways', 32.5, 42, '{AT}')",
    "INSERT INTO people (id, name, email, role, organisation_id, time_zone, active, created_at)"
    f" VALUES (1, 'Dee Lead', 'dsl@elm.example', 'dsl', 1, 'Europe/London', true, '{AT}')",
    "INSERT INTO pupils (id, home_org_id, first_name, last_name, upn, year_group, fsm_eligible,"
    " ehcp, cp_plan, cin_plan, looked_after, created_at) VALUES (1, 1, 'Peregrine',"
    f" 'Ashcombe', 'H801200001234', 8, false, false, true, false, false, '{AT}')",
    "INSERT INTO placements (id, reference, status, pupil_id, commissioner_id, provider_id,"
    " start_date, provider_days, provider_hours, school_hours, other_hours, other_providers,"
    " full_time_hours, is_full_time, attendance_code, absence_deadline, welfare_call_party,"
    " welfare_call_arrangements, objectives, return_plan, reintegration_notes, created_by_id,"
    " created_at) VALUES (1, 'AP-TEST', 'active', 1, 1, 2, '2026-11-02', 'mon', 15, 7.5, 10,"
    " 'Zephyr Farm Project', 32.5, true, 'B', '09:30:00', 'provider', 'Ring auntie Marguerite',"
    " 'Rebuild trust after the knife incident', 'Return via nurture group Kestrel',"
    f" 'Needs a mentor because of Oswaldo', 1, '{AT}')",
    "INSERT INTO checklist_items (id, placement_id, key, status, na_reason, evidence) VALUES"
    " (1, 1, 'letter_of_assurance', 'done', NULL, 'Letter signed by Ms Quillfeather'),"
    " (2, 1, 'travel_provider_qa', 'not_applicable', 'Walks with grandad Bartholomew', NULL)",
    "INSERT INTO qa_visits (id, placement_id, visit_date, visitor_id, pupil_seen, setting_safe,"
    " register_matches, rating, actions_agreed, next_visit_due, created_at) VALUES (1, 1,"
    " '2026-11-20', 1, true, true, true, 'good', 'Separate him from cousin Thaddeus',"
    f" '2027-01-01', '{AT}')",
    "INSERT INTO contacts (id, placement_id, contact_date, person_id, method, summary,"
    " created_at) VALUES (1, 1, '2026-11-26', 1, 'phone', 'Key worker says stepdad Fitzgerald"
    f" shouts', '{AT}')",
]
SLACK_COPY = {"open_prompt": {"text": "Reason: mum says he was hit at home. Save?"}}
TYPED = (
    "Peregrine",
    "H801200001234",
    "Zephyr",
    "Marguerite",
    "knife incident",
    "Kestrel",
    "Oswaldo",
    "Quillfeather",
    "Bartholomew",
    "Thaddeus",
    "Fitzgerald",
    "hit at home",
)
SEALED = (
    "pupils.first_name",
    "pupils.upn",
    "placements.other_providers",
    "placements.welfare_call_arrangements",
    "placements.objectives",
    "placements.return_plan",
    "placements.reintegration_notes",
    "checklist_items.na_reason",
    "checklist_items.evidence",
    "qa_visits.actions_agreed",
    "contacts.summary",
    "conversation_refs.reference",
)


@pytest.fixture(params=BACKENDS)
def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A database with no tables yet, which `apbot` commands use (DATABASE_URL)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        name = None
    else:
        assert POSTGRES_URL
        name = f"apsg_old_{uuid.uuid4().hex[:10]}"
        asyncio.run(admin_execute(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
        url = (
            make_url(normalise_url(POSTGRES_URL))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()
        if name and POSTGRES_URL:
            asyncio.run(
                admin_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )


async def _write_old_rows(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement in ROWS:
            await connection.execute(text(statement))
        await connection.execute(
            text(
                "INSERT INTO conversation_refs (id, platform, target, person_id, conversation_id,"
                " reference, updated_at) VALUES (1, 'slack', 'person:1', 1, 'DU1', :reference,"
                f" '{AT}')"
            ),
            {"reference": json.dumps(SLACK_COPY)},
        )
    await engine.dispose()


async def _raw(url: str) -> dict[str, str]:
    engine = create_engine(url)
    found = {}
    async with engine.connect() as connection:
        for column in SEALED:
            table, name = column.split(".")
            value = await connection.scalar(
                text(f'SELECT CAST("{name}" AS TEXT) FROM "{table}" WHERE "{name}" IS NOT NULL')
            )
            found[column] = str(value)
    await engine.dispose()
    return found


async def _read(url: str) -> list[object]:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        pupil = await session.scalar(select(Pupil))
        placement = await session.scalar(select(Placement))
        items = list(await session.scalars(select(ChecklistItem).order_by(ChecklistItem.id)))
        visit = await session.scalar(select(QaVisit))
        contact = await session.scalar(select(Contact))
        ref = await session.scalar(select(ConversationRef))
    await engine.dispose()
    assert pupil and placement and visit and contact and ref
    return [
        pupil.upn,
        placement.objectives,
        placement.other_providers,
        items[0].evidence,
        items[1].na_reason,
        visit.actions_agreed,
        contact.summary,
        ref.reference,
    ]


def test_apbot_migrate_seals_the_rows_already_there(empty_database: str, capsys) -> None:  # type: ignore[no-untyped-def]
    upgrade(empty_database, BEFORE)
    asyncio.run(_write_old_rows(empty_database))
    before = asyncio.run(_raw(empty_database))
    assert "Zephyr Farm Project" in before["placements.other_providers"]  # the old state

    assert main(["migrate"]) == 0
    assert "Encrypted" in capsys.readouterr().out

    after = asyncio.run(_raw(empty_database))
    assert [c for c, value in after.items() if not value.startswith("enc1:")] == []
    dump = " ".join(after.values())
    assert [typed for typed in TYPED if typed in dump] == []
    assert asyncio.run(_read(empty_database)) == [
        "H801200001234",
        "Rebuild trust after the knife incident",
        "Zephyr Farm Project",
        "Letter signed by Ms Quillfeather",
        "Walks with grandad Bartholomew",
        "Separate him from cousin Thaddeus",
        "Key worker says stepdad Fitzgerald shouts",
        SLACK_COPY,
    ]
