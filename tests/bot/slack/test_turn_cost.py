"""What one typed answer costs the database in Slack: once the person is known, a turn is one
transaction (first delivery, who, the dialog, the open question read), and at most one short
one after the replies are posted (the open question remembered: on PostgreSQL a statement
committed by itself, no transaction), besides the short write that
keeps the delivery before it is acknowledged. See docs/performance.md."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from storage.models import AttendanceRecord
from tests.support.factories import build_world, place
from tests.support.slack import Posted

PROVIDER = "UPROVIDER"
ANSWERS = {"date": "today", "sessions": "AM, PM", "reason": "Unwell", "code": "I", "confirm": "yes"}


async def test_a_known_persons_turn_is_one_transaction_and_one_short_write(
    db, clock, workspace
) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=clock.now().date(),
        )  # fmt: skip
    workspace.api.add_user(PROVIDER, email=world.provider_staff.email)
    assert await workspace.dm(PROVIDER, "help") == 200  # the first contact: linked by email
    begun: list[Any] = []
    keeping: list[str] = []  # the statements that keep a delivery before its acknowledgement

    def count(connection: Any) -> None:
        begun.append(connection)

    sent: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        sent.append(sql)
        if "inbound_queue" in sql and "DELETE" not in sql:
            keeping.append(sql)
        elif "synchronous_commit" in sql:
            keeping.append(sql)

    event.listen(db.engine.sync_engine, "begin", count)
    event.listen(db.engine.sync_engine, "before_cursor_execute", statement)

    turns = 0
    said = "absent"
    for _ in range(10):
        before = len(workspace.api.calls)
        assert await workspace.dm(PROVIDER, said) == 200
        turns += 1
        posted = [
            Posted.from_call(c)
            for c in workspace.api.calls[before:]
            if c.method == "chat.postMessage"
        ]
        field = posted[-1].field if posted else None
        if field is None:
            break
        said = "1" if field == "placement" else ANSWERS[field]

    event.remove(db.engine.sync_engine, "begin", count)
    event.remove(db.engine.sync_engine, "before_cursor_execute", statement)
    async with db.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(AttendanceRecord))
    assert stored == 2  # the report went through: AM and PM
    assert turns == 7
    # One short write before the acknowledgement (the delivery kept, so a killed process loses
    # nothing: bot/channels/inbound.py), one per turn (which also forgets the kept delivery),
    # and one short one after it writing back the question left open (each new question, to
    # take its buttons off later; after the last turn, none). It was 5 or 6 a turn.
    assert len(begun) == 3 * turns
    # On PostgreSQL the keep and that last write are each a statement on its own (autocommit:
    # no BEGIN and COMMIT round trips), so a turn opens one transaction.
    autocommit = [c for c in begun if c.get_execution_options().get("isolation_level")]
    assert len(autocommit) == (2 * turns if db.backend == "postgres" else 0)
    # Keeping a delivery: on PostgreSQL one statement (the busy-sender check inside the INSERT,
    # `synchronous_commit` off inside it too); on SQLite the busy read and the INSERT.
    assert len(keeping) == (1 if db.backend == "postgres" else 2) * turns
    # Statements a report (BEGIN and COMMIT not counted on PostgreSQL; SQLite's BEGIN is).
    # 108 on PostgreSQL before the dialog state was written with Core, the savepoint kept for
    # turns that write more than the state, the first-delivery insert made to delete the kept
    # delivery too, the keep made one statement, and who, their reference and their dialog's
    # state read in one statement, on PostgreSQL with the first-delivery insert; and `absent`
    # reading the school calendar only when a day is given and taking the day's welfare call
    # and whether a lead was alerted from the save (76 and 111 before both:
    # docs/performance.md): a rise means a turn costs more again.
    assert len(sent) == (58 if db.backend == "postgres" else 100), len(sent)
    assert sum(s.startswith("SAVEPOINT") for s in sent) == 2  # the first turn and the save
