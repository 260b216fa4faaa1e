"""A nudge waiting in the outbox, for the tests of its delivery (Slack, Teams, and their
faults)."""

from __future__ import annotations

from sqlalchemy import select, update

from storage.clock import FixedClock
from storage.models import OutboxMessage, Person
from storage.services.outbox import enqueue
from tests.support.database import Database
from tests.support.factories import build_world

NUDGE_PAYLOAD = {
    "subject": "qa:1",
    "open": "visit AP-TEST",
    "snoozable": True,
    "reference": "AP-TEST",
}


async def nudge_for(
    db: Database, clock: FixedClock, person_id: int, key: str = "qa-overdue:1"
) -> None:
    """A QA-overdue nudge for the person, due now, in the outbox."""
    async with db.sessions() as session, session.begin():
        await enqueue(
            session, key=key, kind="qa_overdue", text="QA visit OVERDUE for AP-TEST.",
            due_at=clock.now(), recipient_id=person_id, payload=NUDGE_PAYLOAD,
        )  # fmt: skip


async def outbox_row(db: Database, key: str = "qa-overdue:1") -> OutboxMessage:
    """The outbox row of that nudge, as it stands."""
    async with db.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    assert row is not None
    return row


async def slack_setup(db: Database, clock: FixedClock) -> int:
    """The test world, its DSL known in Slack (UDEE) and a nudge due for them; the DSL's id."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(Person).where(Person.id == world.dsl.id).values(slack_user_id="UDEE")
        )
    await nudge_for(db, clock, world.dsl.id)
    return world.dsl.id
