"""Log a concern / chronology update, driven through the `--json` terminal channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import (
    AuditEntry,
    ChronologyEntry,
    ChronologyKind,
    ChronologySource,
    OutboxMessage,
)
from tests.support.chat import JsonChat, prompt
from tests.support.world import jamie_at_pathways


async def test_dsl_adds_a_concern_and_shares_it_with_the_provider(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    out = await chat.answer_all(
        {
            "placement": "1",
            "kind": "concern",
            "severity": "none",
            "entry_date": "26/11/2026",
            "text": "Jamie said he was pushed by an older pupil on the bus home.",
            "share_with_provider": "yes",
            "confirm": "yes",
        },
        start="log concern",
    )
    done = out[-1]
    assert done["type"] == "done" and done["dialog"] == "concern"
    assert "Pathways AP Academy has been sent it" in done["text"]
    assert done["record"]["shared_with_provider"] is True
    async with db.sessions() as session:
        entry = await session.scalar(select(ChronologyEntry))
        assert entry is not None
        assert entry.pupil_id == world.pupil.id and entry.placement_id == placement.id
        assert entry.kind == ChronologyKind.concern and entry.source == ChronologySource.school
        assert entry.entry_date == dt.date(2026, 11, 26)
        assert entry.shared_with == [world.provider.id]
        assert entry.recorded_by_id == world.dsl.id
        notice = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "chronology_shared")
        )
        assert notice is not None and notice.recipient_id == world.provider_staff.id
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.record_type == "ChronologyEntry")
        )
        assert audit is not None and audit.action == "created"
        assert audit.person_id == world.dsl.id and audit.channel == "terminal"
        assert audit.changes["text"] == "(recorded)"


async def test_provider_update_goes_to_the_dsl_and_is_shared_automatically(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    out = await chat.say(f"update {placement.reference}")
    assert prompt(out)["field"] == "kind" and prompt(out)["default"] == "update"
    await chat.say("")  # blank: an update
    await chat.say("")  # today
    confirm = prompt(await chat.say("Jamie arrived upset; said there was shouting at home."))
    assert confirm["field"] == "confirm"  # providers are not asked about sharing
    done = (await chat.say("yes"))[-1]
    assert "designated safeguarding lead" in done["text"]
    async with db.sessions() as session:
        entry = await session.scalar(select(ChronologyEntry))
        assert entry is not None
        assert entry.kind == ChronologyKind.update and entry.source == ChronologySource.provider
        assert entry.shared_with == [world.provider.id]
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "chronology_update")
            )
        )
        assert [a.recipient_id for a in alerts] == [world.dsl.id]
        assert placement.reference in alerts[0].text and "shouting" in alerts[0].text


async def test_bad_answers_cancel_and_back(db, clock) -> None:
    world, _ = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    await chat.say("concern")
    await chat.say("1")
    out = await chat.say("gossip")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "kind"
    await chat.say("action")
    for bad in ("31/02/2026", "tomorrow"):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and prompt(out)["field"] == "entry_date"
    await chat.say("today")
    for bad in ("", "z" * 10_000):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and prompt(out)["field"] == "text"
    out = await chat.say("back")
    assert prompt(out)["field"] == "entry_date"
    await chat.say("today")
    await chat.say("'); DROP TABLE pupils;--")
    await chat.say("no")
    out = await chat.say("cancel")
    assert "Nothing was saved" in out[-1]["text"]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ChronologyEntry)) == 0
    # The same answers, saved: the text is stored exactly as typed.
    done = await chat.answer_all(
        {
            "placement": "1",
            "kind": "action",
            "entry_date": "",
            "text": "'); DROP TABLE pupils;--",
            "share_with_provider": "no",
            "confirm": "yes",
        },
        start="concern",
    )
    assert "Not shared" in done[-1]["text"]
    async with db.sessions() as session:
        entry = await session.scalar(select(ChronologyEntry))
        assert entry is not None and entry.text == "'); DROP TABLE pupils;--"
        assert entry.shared_with == []
        assert (
            await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind.like("chronology%"))
            )
            == 0
        )


async def test_only_the_commissioning_dsl_sees_and_writes_the_chronology(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    # A teacher may log a concern, but not read the chronology.
    refused = await teacher.say(f"chronology {placement.reference}")
    assert refused[-1]["type"] == "error" and "isn't available to teachers" in refused[-1]["text"]
    other_dsl = await JsonChat.as_email(db, clock, world.other_dsl.email)
    stranger = await other_dsl.say(f"concern {placement.reference}")
    assert stranger[-1]["type"] == "error" and placement.reference in stranger[-1]["text"]
    unregistered = await JsonChat.as_email(db, clock, world.unregistered_staff.email)
    assert (await unregistered.say("concern"))[-1]["type"] == "error"

    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    await dsl.answer_all(
        {
            "placement": "1",
            "kind": "concern",
            "severity": "none",
            "entry_date": "",
            "text": "Disclosure recorded.",
            "share_with_provider": "no",
            "confirm": "yes",
        },
        start="concern",
    )
    ref = placement.reference
    assert "Chronology: 1 entry (DSL only)" in (await dsl.say(f"status {ref}"))[-1]["text"]
    assert "Chronology" not in (await teacher.say(f"status {ref}"))[-1]["text"]
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    assert "Chronology" not in (await provider.say(f"status {ref}"))[-1]["text"]
