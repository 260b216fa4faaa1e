"""A chat turn's first read (`turn_reads`): who wrote, their stored reference, their dialog's
state in the turn's conversation and (Teams) the tenant's mapping, in one statement; on
PostgreSQL also the first-delivery insert and the kept delivery's delete (`read_turn_once`),
which say "seen before" the second time and forget the kept row either way."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.clock import FixedClock
from storage.db import transaction
from storage.models import InboundEvent, Person, QueuedTurn
from storage.services import dialog_states
from storage.services.conversation_refs import save_person_ref
from storage.services.turn_reads import FirstDelivery, read_turn, read_turn_once, tenant_admits
from tests.support.database import Database
from tests.support.factories import build_world


async def _linked(db: Database, clock: FixedClock) -> int:
    world = await build_world(db, clock)
    async with transaction(db.sessions) as session:
        person = await session.get(Person, world.provider_staff.id)
        assert person is not None
        person.slack_user_id = "UPROVIDER"
        person.teams_aad_object_id = "aad-provider"
        person.teams_tenant_id = "tenant-a"
    return world.provider_staff.id


async def test_who_their_reference_and_their_dialog_here_in_one_read(
    db: Database, clock: FixedClock
) -> None:
    person_id = await _linked(db, clock)
    async with transaction(db.sessions) as session:
        assert await read_turn(session, "slack", "UNOBODY", conversation="slack:UNOBODY") is None
        found = await read_turn(session, "slack", "UPROVIDER", conversation="slack:UPROVIDER")
        assert found is not None and found.person.id == person_id
        assert found.ref is None and found.state is None
        await save_person_ref(
            session,
            platform="slack",
            person_id=person_id,
            conversation_id="DPROVIDER",
            reference={"open_prompt": {"ts": "1.2", "prompt_id": "p"}},
            at=clock.now(),
        )
        started = await dialog_states.start(
            session,
            person_id=person_id,
            conversation="slack:UPROVIDER",
            dialog="absent",
            answers={"placement": 7},
            at=clock.now(),
        )
    async with transaction(db.sessions) as session:
        found = await read_turn(session, "slack", "UPROVIDER", conversation="slack:UPROVIDER")
        assert found is not None and found.ref is not None and found.state is not None
        assert found.ref.conversation_id == "DPROVIDER"
        assert found.ref.reference == {"open_prompt": {"ts": "1.2", "prompt_id": "p"}}
        assert (found.state.id, found.state.dialog, found.state.version) == (
            started.id,
            "absent",
            1,
        )
        assert found.state.answers == {"placement": 7}
        # Another conversation of theirs has no dialog open.
        elsewhere = await read_turn(
            session, "slack", "UPROVIDER", conversation="slack:C1:UPROVIDER"
        )
        assert elsewhere is not None and elsewhere.state is None


async def test_a_teams_user_is_theirs_only_in_the_tenant_stored_and_mapped(
    db: Database, clock: FixedClock
) -> None:
    await _linked(db, clock)
    async with transaction(db.sessions) as session:
        key = "teams:a:aad-provider"
        assert await read_turn(session, "teams", "aad-provider", conversation=key) is None
        assert (
            await read_turn(session, "teams", "aad-provider", conversation=key, tenant_id="b")
            is None
        )
        found = await read_turn(
            session, "teams", "aad-provider", conversation=key, tenant_id="tenant-a"
        )
        assert found is not None
        # No tenant mapped at all yet: a listed tenant lets them in, an unlisted one does not.
        assert tenant_admits(found, listed=True) and not tenant_admits(found, listed=False)


async def test_a_delivery_is_recorded_once_and_the_kept_one_forgotten(
    db: Database, clock: FixedClock
) -> None:
    if db.backend != "postgres":
        pytest.skip("one statement on PostgreSQL only; SQLite checks the delivery on its own")
    person_id = await _linked(db, clock)
    async with transaction(db.sessions) as session:
        kept = QueuedTurn(
            platform="slack",
            kind="message",
            sender="UPROVIDER",
            payload={},
            received_at=clock.now(),
            attempts=1,
        )
        session.add(kept)
        await session.flush()
        turn_id = kept.id
    first = FirstDelivery("slack", "Ev1", clock.now(), turn_id)
    read = {"conversation": "slack:UPROVIDER", "first": first}
    async with transaction(db.sessions) as session:
        new, found = await read_turn_once(session, "slack", "UPROVIDER", **read)
        assert new and found is not None and found.person.id == person_id
    async with transaction(db.sessions) as session:
        new, found = await read_turn_once(session, "slack", "UPROVIDER", **read)
        assert not new and found is not None  # seen before: the caller drops it
        # Nobody linked: the delivery is still recorded (a row comes back, with no one in it).
        other = FirstDelivery("slack", "Ev2", clock.now())
        new, found = await read_turn_once(
            session, "slack", "UNOBODY", conversation="slack:UNOBODY", first=other
        )
        assert new and found is None
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(QueuedTurn)) == 0
        keys = set(await session.scalars(select(InboundEvent.event_id)))
    assert keys == {"Ev1", "Ev2"}
