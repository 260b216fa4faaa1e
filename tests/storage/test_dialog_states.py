"""The dialog state written with Core keeps the ORM's optimistic version check: a turn that
read the state before another turn moved it on writes nothing (storage/services/dialog_states.py)."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from storage.models import DialogState
from storage.services import dialog_states
from storage.services.dialog_states import StaleState
from tests.support.factories import build_world


async def test_a_save_or_remove_from_an_older_read_is_refused_and_writes_nothing(db, clock) -> None:
    world = await build_world(db, clock)
    person = world.provider_staff.id
    async with db.sessions() as session, session.begin():
        await dialog_states.start(
            session,
            person_id=person,
            conversation="dm",
            dialog="absent",
            answers={"placement": "AP-1"},
            at=clock.now(),
        )
    async with db.sessions() as session, session.begin():
        read = await dialog_states.read(session, person, "dm")
        assert read is not None and read.version == 1 and read.answers == {"placement": "AP-1"}
        older = copy.deepcopy(read)
        answers = {"placement": "AP-1", "date": "2026-11-27"}
        await dialog_states.save(session, read, answers=answers, history=["date"], at=clock.now())
        assert read.version == 2
        with pytest.raises(StaleState):
            await dialog_states.save(session, older, answers={}, history=[], at=clock.now())
        with pytest.raises(StaleState):
            await dialog_states.remove(session, older)
    async with db.sessions() as session:
        stored = await session.scalar(select(DialogState))
        assert stored is not None
        assert (stored.version, stored.answers, stored.history) == (2, answers, ["date"])
    async with db.sessions() as session, session.begin():
        current = await dialog_states.read(session, person, "dm")
        assert current is not None
        await dialog_states.remove(session, current)
    async with db.sessions() as session:
        assert await session.scalar(select(DialogState)) is None
