"""What one typed answer costs the database in Teams: once the person is known, a turn is one
transaction (first delivery, who, the conversation reference kept, the dialog); the replies
go to the connector after it; besides, a short write keeps the activity before the 202.
See docs/performance.md."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from storage.models import AttendanceRecord
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.factories import build_world, place
from tests.support.teams import (
    LA_TENANT,
    PROVIDER_TENANT,
    Chat,
    TeamsUser,
    cards_in,
    field_of,
    map_tenant,
)
from tests.support.teams_apps import local_trial

ANSWERS = {"date": "today", "sessions": "AM, PM", "reason": "Unwell", "code": "I", "confirm": "yes"}


async def test_a_known_persons_turn_is_one_transaction(db, clock, client, connector) -> None:
    await _absence_costs_one_transaction_a_turn(
        db, clock, client, connector, statements={"sqlite": 86, "postgres": 51}
    )


async def test_in_a_tenant_mapped_but_not_listed_a_turn_is_still_one_transaction(db, clock) -> None:
    """The mapping lets the tenant in (read once a minute at most); who the person is in that
    tenant is checked in the turn's own transaction."""
    async with (
        await local_trial(db, clock, teams_allowed_tenants=LA_TENANT) as client,
        FakeBotConnector(tenant_id=PROVIDER_TENANT) as connector,
    ):
        await _absence_costs_one_transaction_a_turn(
            db,
            clock,
            client,
            connector,
            tenant=PROVIDER_TENANT,
            statements={"sqlite": 86, "postgres": 51},
        )


async def _absence_costs_one_transaction_a_turn(
    db, clock, client, connector, *, statements: dict[str, int], tenant: str | None = None
) -> None:
    world = await build_world(db, clock)
    if tenant:
        await map_tenant(db, clock, tenant, world.school, world.provider)
    async with db.sessions() as session, session.begin():
        await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=clock.now().date(),
        )  # fmt: skip
    person = world.provider_staff
    connector.add_member("29:provider", email=person.email, aad_object_id="aad-provider")
    user = TeamsUser(client, connector, "29:provider", "aad-provider")
    chat = Chat.personal("29:provider")
    await user.say("help", chat)  # the first contact: linked by user principal name
    begun: list[Any] = []

    def count(connection: Any) -> None:
        begun.append(connection)

    event.listen(db.engine.sync_engine, "begin", count)
    sent: list[str] = []

    def statement(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        sent.append(text)

    event.listen(db.engine.sync_engine, "before_cursor_execute", statement)
    turns = 0
    said = "absent"
    for _ in range(10):
        found = cards_in(await user.say(said, chat))
        turns += 1
        field = field_of(found[-1]) if found and found[-1].get("actions") else None
        if field is None:
            break
        said = "1" if field == "placement" else ANSWERS[field]
    event.remove(db.engine.sync_engine, "begin", count)
    event.remove(db.engine.sync_engine, "before_cursor_execute", statement)

    async with db.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(AttendanceRecord))
    assert stored == 2  # the report went through: AM and PM
    assert turns == 7
    # One short write before the acknowledgement (the activity kept: bot/channels/inbound.py),
    # and the turn's one transaction (which also forgets it). It was 4 a turn.
    assert len(begun) == 2 * turns
    # Statements a report (BEGIN and COMMIT not counted on PostgreSQL; SQLite's BEGIN is): 32
    # fewer on PostgreSQL (11 on SQLite) since the dialog state is written with Core, the
    # savepoint kept for turns that write more than the state, the first-delivery insert made
    # to delete the kept activity too, and the keep made one statement; 14 fewer on both since
    # who, their reference, their dialog's state and the tenant's mapping are read in one
    # statement, 7 more on PostgreSQL with the first-delivery insert in it too
    # (docs/performance.md). A rise means a turn costs more again.
    assert len(sent) == statements[db.backend], len(sent)
    assert sum(s.startswith("SAVEPOINT") for s in sent) == 2  # the first turn and the save
