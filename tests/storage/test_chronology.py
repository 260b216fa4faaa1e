"""The chronology service: append-only entries, sharing with the provider, alerts to the DSL."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from sqlalchemy import func, select

from storage.access import can_read_entry
from storage.models import (
    AuditEntry,
    ChronologyEntry,
    ChronologyKind,
    ChronologySource,
    OutboxMessage,
)
from storage.services import chronology
from storage.services.audit import Change
from storage.services.chronology import ChronologyError, add_entry
from tests.support.factories import build_world, place

START = dt.date(2026, 11, 2)
TODAY = dt.date(2026, 11, 27)


def test_the_chronology_is_append_only() -> None:
    public = {
        name
        for name, value in inspect.getmembers(chronology, inspect.isfunction)
        if value.__module__ == chronology.__name__ and not name.startswith("_")
    }
    assert public == {"add_entry"}


async def test_a_provider_entry_is_shared_with_it_and_alerts_the_dsl(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        entry = await add_entry(
            session,
            Change(person_id=world.provider_staff.id, channel="test", at=clock.now()),
            placement=placement,
            kind=ChronologyKind.update,
            source=ChronologySource.provider,
            text="  Arrived hungry; breakfast given.  ",
            entry_date=TODAY,
            shared_with=[],
        )
        assert entry.text == "Arrived hungry; breakfast given."
        assert entry.shared_with == [world.provider.id]
        assert entry.pupil_id == world.pupil.id and entry.recorded_by_id == world.provider_staff.id
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "chronology_update")
            )
        )
        assert [a.recipient_id for a in alerts] == [world.dsl.id]
        assert alerts[0].key == f"chronology:{entry.id}:{world.dsl.id}"
        assert placement.reference in alerts[0].text
        assert "new chronology update" in alerts[0].text
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.record_type == "ChronologyEntry")
        )
        assert audit is not None and audit.changes["text"] == "(recorded)"
        # The provider may read what it wrote; the DSL reads everything.
        assert can_read_entry(world.provider_staff, placement, entry)
        assert can_read_entry(world.dsl, placement, entry)
        assert not can_read_entry(world.teacher, placement, entry)
        assert not can_read_entry(world.unregistered_staff, placement, entry)


async def test_a_school_entry_stays_with_the_school_unless_shared(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        change = Change(person_id=world.dsl.id, channel="test", at=clock.now())
        private = await add_entry(
            session,
            change,
            placement=placement,
            kind=ChronologyKind.concern,
            source=ChronologySource.school,
            text="Disclosure to form tutor.",
            entry_date=TODAY,
            shared_with=[],
        )
        assert private.shared_with == []
        assert not can_read_entry(world.provider_staff, placement, private)
        assert (
            await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind.like("chronology%"))
            )
            == 0
        )
        shared = await add_entry(
            session,
            change,
            placement=placement,
            kind=ChronologyKind.action,
            source=ChronologySource.school,
            text="Safety plan agreed; provider to watch for signs of distress.",
            entry_date=TODAY,
            shared_with=[world.provider.id, world.provider.id],
        )
        assert shared.shared_with == [world.provider.id]
        assert can_read_entry(world.provider_staff, placement, shared)
        notice = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "chronology_shared")
        )
        assert notice is not None and notice.recipient_id == world.provider_staff.id


async def test_refusals(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        change = Change(person_id=world.dsl.id, channel="test", at=clock.now())
        for text, date, words in (
            ("   ", TODAY, "can't be empty"),
            ("x" * 4001, TODAY, "under 4,000"),
            ("Tomorrow's news", TODAY + dt.timedelta(days=1), "future"),
        ):
            with pytest.raises(ChronologyError, match=words):
                await add_entry(
                    session,
                    change,
                    placement=placement,
                    kind=ChronologyKind.update,
                    source=ChronologySource.school,
                    text=text,
                    entry_date=date,
                    shared_with=[],
                )
        with pytest.raises(ChronologyError, match="who recorded"):
            await add_entry(
                session,
                Change(person_id=None, channel="test", at=clock.now()),
                placement=placement,
                kind=ChronologyKind.update,
                source=ChronologySource.school,
                text="No author",
                entry_date=TODAY,
                shared_with=[],
            )
        assert await session.scalar(select(func.count()).select_from(ChronologyEntry)) == 0
