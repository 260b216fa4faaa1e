"""Withdraw a placement that has not started (issue 12 item 8), through the `--json` channel:
closed with a reason, the provider told (reference only) and the DSL told, nothing more sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.scheduler.scheduler import Scheduler
from storage.clock import LONDON, FixedClock
from storage.models import AuditEntry, OutboxMessage, Placement, PlacementStatus
from storage.services.lifecycle import after_close
from tests.support.chat import JsonChat, prompt
from tests.support.database import TEST_NOW
from tests.support.scheduler import RecordingDeliverer
from tests.support.world import jamie_at_pathways

NEXT_MONDAY = dt.date(2026, 11, 30)


async def test_a_placement_not_started_is_withdrawn_and_nothing_more_is_sent(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock, start=NEXT_MONDAY)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say("withdraw")
    choice = prompt(out)["choices"][0]
    assert placement.reference in choice["label"] and "starts 30/11/2026" in choice["label"]
    await chat.say("1")
    confirm = prompt(await chat.say("Started by mistake: the panel has not agreed it yet."))
    assert "Was due to start: 30/11/2026" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["record"]["status"] == "withdrawn"
    assert "provider has been told (the reference only), and your DSL" in done["text"]

    async with db.sessions() as session:
        stored = await session.get(Placement, placement.id)
        assert stored is not None and stored.status == PlacementStatus.withdrawn
        assert stored.status.is_closed and stored.next_qa_due is None
        assert stored.closed_at == clock.now() and stored.ended_on == dt.date(2026, 11, 27)
        assert stored.reintegration_notes and "panel" in stored.reintegration_notes
        told = list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "placement_withdrawn")
                .order_by(OutboxMessage.id)
            )
        )
        assert [m.recipient_id for m in told] == [world.provider_staff.id, world.dsl.id]
        assert placement.reference in told[0].text and "Jamie" not in told[0].text
        assert "panel" in told[1].text
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "Placement", AuditEntry.action == "updated"
            )
        )
        assert audit is not None and audit.changes["status"]["to"] == "withdrawn"

    # What was queued up to now goes; from its would-be first day on, nothing about it.
    now = FixedClock(TEST_NOW)
    await Scheduler(db.sessions, now, [RecordingDeliverer(now)]).run_pass()
    for day, time in ((NEXT_MONDAY, dt.time(8, 31)), (NEXT_MONDAY, dt.time(10, 30))):
        at = FixedClock(dt.datetime.combine(day, time, tzinfo=LONDON))
        deliverer = RecordingDeliverer(at)
        await Scheduler(db.sessions, at, [deliverer]).run_pass()
        assert [n for n in deliverer.sent if n.placement_reference == placement.reference] == []
        assert [n.kind for n in deliverer.sent if n.kind == "register_prompt"] == []
    async with db.sessions() as session:
        assert await after_close(session) == []
    status = (await chat.say(f"status {placement.reference}"))[-1]["text"]
    assert "Status: withdrawn" in status and "withdrawn 27/11/2026 before it started" in status
    # It is gone from the lists, and can't be ended or withdrawn again.
    assert "has been withdrawn" in (await chat.say(f"end {placement.reference}"))[-1]["text"]
    again = await chat.say(f"withdraw {placement.reference}")
    assert again[-1]["type"] == "error" and "has been withdrawn" in again[-1]["text"]


async def test_a_started_placement_is_ended_not_withdrawn(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock, start=dt.date(2026, 11, 2))
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    refused = await chat.say(f"withdraw {placement.reference}")
    assert refused[-1]["type"] == "error"
    assert "can't be withdrawn: end it instead" in refused[-1]["text"]
    assert "no placements still to start" in (await chat.say("withdraw"))[-1]["text"]
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    assert (await provider.say("withdraw"))[-1]["type"] == "error"


async def test_ending_one_not_started_points_to_withdraw(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock, start=NEXT_MONDAY)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say(f"end {placement.reference}")
    assert out[-1]["type"] == "error" and f"withdraw {placement.reference}" in out[-1]["text"]
