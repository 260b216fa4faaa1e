"""Encryption at rest: the raw rows hold no names or safeguarding text; the app reads them;
a key rotation keeps everything readable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from storage import crypto
from storage.models import DialogState, OutboxMessage, Pupil
from storage.services.encryption import encrypted_columns, reencrypt
from storage.services.outbox import enqueue
from tests.support.chat import JsonChat
from tests.support.database import TEST_KEY
from tests.support.factories import build_world


@pytest.fixture
def restore_key() -> Iterator[None]:
    yield
    crypto.configure([TEST_KEY])


async def _raw(db, sql: str) -> list[str]:  # type: ignore[no-untyped-def]
    async with db.engine.connect() as connection:
        return [row[0] for row in await connection.execute(text(sql))]


async def test_names_are_not_in_the_raw_rows_but_read_back(db, clock) -> None:
    world = await build_world(db, clock)
    raw = await _raw(db, "SELECT first_name || ' ' || last_name FROM pupils")
    assert all("Jamie" not in value and "Testpupil" not in value for value in raw)
    assert all(
        value.startswith("enc1:") for value in await _raw(db, "SELECT first_name FROM pupils")
    )
    async with db.sessions() as session:
        pupil = await session.get(Pupil, world.pupil.id)
        assert pupil is not None and pupil.full_name == "Jamie Testpupil"
    assert {f"{t.name}.{c}" for t, c in encrypted_columns()} >= {
        "pupils.first_name",
        "pupils.last_name",
        "qa_visits.pupil_voice",
        "qa_visits.concerns",
        "chronology.text",
        "attendance.reason",
        "welfare_calls.outcome",
    }


async def test_rotation_keeps_everything_readable(db, clock, restore_key) -> None:
    world = await build_world(db, clock)
    before = await _raw(db, "SELECT first_name FROM pupils ORDER BY id")
    new = crypto.new_key()
    crypto.configure([new, TEST_KEY])
    async with db.sessions() as session, session.begin():
        changed = await reencrypt(session, only_plain=False)
    assert changed["pupils.first_name"] == 3
    after = await _raw(db, "SELECT first_name FROM pupils ORDER BY id")
    assert after != before
    crypto.configure([new])  # the old key is gone: still readable
    async with db.sessions() as session:
        names = {p.first_name for p in await session.scalars(select(Pupil))}
    assert names == {"Jamie", "Robin", "Casey"}
    crypto.configure([crypto.new_key()])  # a wrong key: a clear error, not garbage
    async with db.sessions() as session:
        with pytest.raises(crypto.EncryptionNotConfigured, match="cannot be decrypted"):
            await session.get(Pupil, world.pupil.id)


async def test_values_written_before_encryption_are_encrypted_by_migrate(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE pupils SET first_name = 'Plainly' WHERE id = :id"), {"id": world.pupil.id}
        )
    async with db.sessions() as session:
        pupil = await session.get(Pupil, world.pupil.id)
        assert pupil is not None and pupil.first_name == "Plainly"
    async with db.sessions() as session, session.begin():
        assert await reencrypt(session, only_plain=True) == {"pupils.first_name": 1}
    assert "Plainly" not in " ".join(await _raw(db, "SELECT first_name FROM pupils"))


async def test_answers_in_progress_and_queued_messages_are_encrypted_too(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say("start")
    await chat.say("Add a new pupil")
    await chat.say("Zebedee")
    async with db.sessions() as session, session.begin():
        await enqueue(
            session,
            key="digest:test",
            kind="digest",
            text="Zebedee was absent",
            due_at=clock.now(),
            recipient_id=world.dsl.id,
            payload={"sections": [{"title": "Absences", "lines": ["Zebedee: ill"]}]},
        )
    raw = " ".join(await _raw(db, "SELECT answers FROM dialog_states"))
    raw += " ".join(await _raw(db, "SELECT text || payload FROM outbox"))
    assert "Zebedee" not in raw
    async with db.sessions() as session:
        state = await session.scalar(select(DialogState))
        message = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.key == "digest:test")
        )
    assert state is not None and state.answers["first_name"] == "Zebedee"
    assert message is not None and message.payload["sections"][0]["lines"] == ["Zebedee: ill"]
