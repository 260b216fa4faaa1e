"""End a placement, driven through the `--json` terminal channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import AuditEntry, OutboxMessage, Placement, PlacementStatus
from tests.chat import JsonChat, prompt
from tests.conftest import Database
from tests.factories import World, build_world, place

START = dt.date(2026, 11, 2)


async def _world(db: Database, clock) -> tuple[World, Placement]:
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
    return world, placement


async def _stored(db: Database, placement: Placement) -> Placement:
    async with db.sessions() as session:
        stored = await session.get(Placement, placement.id)
    assert stored is not None
    return stored


async def test_teacher_ends_a_placement_with_a_return_to_school(db, clock) -> None:
    world, placement = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say("end placement")
    assert prompt(out)["field"] == "placement"
    await chat.say("1")
    await chat.say("")
    outcome = prompt(await chat.say(""))  # blank end date -> today; then the outcome
    assert outcome["field"] == "outcome"
    assert outcome["choices"][0]["label"] == "Returned to our school"
    assert prompt(await chat.say("1"))["field"] == "return_date"
    await chat.say("30/11/2026")
    confirm = prompt(await chat.say("Phased return: mornings for two weeks, mentor Mr Oak."))
    assert "Starts back: 30/11/2026" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["dialog"] == "end"
    assert "returned to our school, starting back 30/11/2026" in done["text"]
    assert done["record"]["status"] == "ended"

    stored = await _stored(db, placement)
    assert stored.status == PlacementStatus.ended and stored.ended_on == dt.date(2026, 11, 27)
    assert stored.end_outcome == "returned_to_school"
    assert stored.return_date == dt.date(2026, 11, 30)
    assert "mentor" in (stored.reintegration_notes or "") and stored.next_qa_due is None
    async with db.sessions() as session:
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "Placement", AuditEntry.action == "updated"
            )
        )
        assert audit is not None and audit.person_id == world.teacher.id
        assert audit.channel == "terminal"
        assert audit.changes["status"] == {"from": "active", "to": "ended"}
        told = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "placement_ended")
            )
        )
        assert [m.recipient_id for m in told] == [world.provider_staff.id]
        assert placement.reference in told[0].text and "Jamie" not in told[0].text

    # Once ended, it is no longer offered, and nothing more can be logged against it.
    again = await chat.say(f"visit {placement.reference}")
    assert again[-1]["type"] == "error" and "has ended" in again[-1]["text"]
    assert (await chat.say("end"))[-1]["type"] == "error"


async def test_moving_to_another_ap_skips_the_return_date(db, clock) -> None:
    world, placement = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    out = await chat.answer_all(
        {
            "placement": placement.reference,
            "ended_on": "26/11/2026",
            "outcome": "Moved to another AP",
            "reintegration_notes": "Moving to a PRU nearer home; file transferred.",
            "confirm": "yes",
        },
        start="finish placement",
    )
    assert out[-1]["record"]["return_date"] is None
    fields = [o["field"] for o in chat.transcript if o["type"] == "prompt"]
    assert "return_date" not in fields
    stored = await _stored(db, placement)
    assert stored.end_outcome == "moved_to_other_ap" and stored.return_date is None


async def test_bad_dates_and_cancel(db, clock) -> None:
    world, placement = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say(f"end {placement.reference}")
    for bad, words in (
        ("31/02/2026", "not a real date"),
        ("01/11/2026", "can't end before"),
        ("tomorrow", "on the day itself"),
    ):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and words in out[0]["text"], out
    await chat.say("today")
    out = await chat.say("expelled")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "outcome"
    assert prompt(await chat.say("1"))["field"] == "return_date"
    out = await chat.say("back")
    assert prompt(out)["field"] == "outcome"
    await chat.say("2")
    out = await chat.say("01/01/2020")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "return_date"
    await chat.say("cancel")
    stored = await _stored(db, placement)
    assert stored.status == PlacementStatus.active and stored.ended_on is None


async def test_another_school_cannot_end_it(db, clock) -> None:
    world, placement = await _world(db, clock)
    other = await JsonChat.as_email(db, clock, world.other_dsl.email)
    refused = await other.say(f"end {placement.reference}")
    assert refused[-1]["type"] == "error" and placement.reference in refused[-1]["text"]
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    assert "isn't available" in (await provider.say("end"))[-1]["text"]
    assert (await _stored(db, placement)).status == PlacementStatus.active
