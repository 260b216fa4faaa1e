"""Catching up after downtime without stale duplicates, and a nudge's buttons (Done, Snooze,
Open) acting on the records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.delivery import DeliveryFailed
from bot.scheduler import Scheduler
from storage.clock import FixedClock
from storage.models import (
    AuditEntry,
    ChecklistItem,
    ChecklistStatus,
    NudgeSnooze,
    OutboxMessage,
    OutboxStatus,
)
from storage.rules.calendar import at_london
from storage.services.attendance import confirm_all_present
from storage.services.audit import Change
from storage.services.nudges import act_on_nudge
from tests.support.database import Database
from tests.support.scheduler import RecordingDeliverer, clock_sleep
from tests.support.world import letter_of_assurance_outstanding

TUESDAY = dt.date(2027, 3, 23)


def _at(hhmm: str) -> dt.datetime:
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return at_london(TUESDAY, dt.time(hours, minutes))


async def _kinds(db: Database) -> dict[str, OutboxMessage]:
    async with db.sessions() as session:
        return {
            f"{r.kind}:{r.recipient_id}": r for r in await session.scalars(select(OutboxMessage))
        }


async def test_after_an_hour_down_what_fell_due_is_sent_once_and_the_stale_prompt_is_not(
    db: Database, clock: FixedClock
) -> None:
    world, _ = await letter_of_assurance_outstanding(db, clock)
    channel = RecordingDeliverer(clock)
    scheduler = Scheduler(db.sessions, clock, [channel], sleep=clock_sleep(clock))
    clock.set(_at("07:30"))
    await scheduler.run_pass()
    # Down from 07:30 to 10:05: the digest (08:00), reminders (08:30), the register prompt
    # (09:00, stale after the 09:30 deadline), no report (09:30) and the DSL alert (10:00).
    clock.set(_at("10:05"))
    await scheduler.run_pass()
    clock.set(_at("10:06"))
    await scheduler.run_pass()

    sent = sorted(
        (n.kind, n.recipient.person_id) for n in channel.sent if n.kind != "placement_started"
    )
    assert sent == sorted(
        [
            ("digest", world.dsl.id),
            ("digest", world.la_officer.id),
            ("check_overdue", world.teacher.id),
            # The pupil attends without a Letter of Assurance: the DSL hears each school day.
            ("letter_of_assurance_missing", world.dsl.id),
            ("qa_overdue", world.teacher.id),
            ("contact_overdue", world.teacher.id),
            ("no_report", world.provider_staff.id),
            ("no_report_dsl", world.dsl.id),
        ]
    )
    assert "register_prompt" not in {k.split(":")[0] for k in await _kinds(db)}


async def test_a_queued_nudge_that_no_longer_applies_is_not_sent(
    db: Database, clock: FixedClock
) -> None:
    world, _ = await letter_of_assurance_outstanding(db, clock)
    channel = RecordingDeliverer(clock, reaches=lambda r: r.person_id == world.provider_staff.id)
    scheduler = Scheduler(db.sessions, clock, [channel], sleep=clock_sleep(clock))
    # Slack is down for the provider at 09:30 (retry in an hour); the register comes in at 09:40.
    clock.set(_at("08:59"))
    await scheduler.run_pass()
    clock.set(_at("09:00"))
    await scheduler.run_pass()  # the register prompt goes
    channel.failures.append(DeliveryFailed("HTTP 503", retry_after=3600))
    clock.set(_at("09:30"))
    await scheduler.run_pass()  # no report yet: the provider's nudge fails
    clock.set(_at("09:40"))
    async with db.sessions() as session, session.begin():
        change = Change(world.provider_staff.id, "test", clock.now())
        await confirm_all_present(session, change, provider_id=world.provider.id, date=TUESDAY)
    clock.set(_at("10:31"))
    report = await scheduler.run_pass()

    rows = await _kinds(db)
    nudge = rows[f"no_report:{world.provider_staff.id}"]
    assert nudge.status == OutboxStatus.expired
    assert nudge.last_error == "not sent: the attendance was reported"
    assert report.delivery.expired == 1
    assert f"no_report_dsl:{world.dsl.id}" not in rows  # never alerted: the register came first
    assert [n.kind for n in channel.sent if n.kind != "placement_started"] == ["register_prompt"]


async def _nudge(db: Database, kind: str, person_id: int) -> int:
    async with db.sessions() as session:
        row_id = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.kind == kind, OutboxMessage.recipient_id == person_id)
        )  # fmt: skip
    assert row_id is not None
    return row_id


async def test_done_ticks_the_check_and_records_who(db: Database, clock: FixedClock) -> None:
    world, placement = await letter_of_assurance_outstanding(db, clock)
    clock.set(_at("08:30"))
    await Scheduler(
        db.sessions, clock, [RecordingDeliverer(clock)], sleep=clock_sleep(clock)
    ).run_pass()
    row_id = await _nudge(db, "check_overdue", world.teacher.id)

    async with db.sessions() as session, session.begin():
        someone_else = Change(world.dsl.id, "slack", clock.now())
        refused = await act_on_nudge(session, someone_else, outbox_id=row_id, action="done")
        change = Change(world.teacher.id, "slack", clock.now())
        done = await act_on_nudge(session, change, outbox_id=row_id, action="done")
        again = await act_on_nudge(session, change, outbox_id=row_id, action="done")
    assert refused.text == "That reminder was for someone else, so I left it alone."
    assert (
        done.text == f"Ticked: Letter of Assurance received for {placement.reference}. Thank you."
    )
    assert again.text.startswith("That's already done")
    async with db.sessions() as session:
        item = await session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.placement_id == placement.id, ChecklistItem.key == "letter_of_assurance"
            )
        )  # fmt: skip
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.record_type == "ChecklistItem", AuditEntry.channel == "slack")
        )  # fmt: skip
    assert item is not None and item.status == ChecklistStatus.done
    assert item.done_by_id == world.teacher.id and item.evidence == "Ticked from a reminder."
    assert audit is not None and audit.person_id == world.teacher.id


async def test_open_starts_the_right_dialog_and_alerts_cannot_be_snoozed(
    db: Database, clock: FixedClock
) -> None:
    world, placement = await letter_of_assurance_outstanding(db, clock)
    clock.set(_at("10:00"))
    await Scheduler(
        db.sessions, clock, [RecordingDeliverer(clock)], sleep=clock_sleep(clock)
    ).run_pass()
    qa = await _nudge(db, "qa_overdue", world.teacher.id)
    alert = await _nudge(db, "no_report_dsl", world.dsl.id)
    prompt = await _nudge(db, "no_report", world.provider_staff.id)
    async with db.sessions() as session, session.begin():
        teacher, dsl = (
            Change(world.teacher.id, "teams", clock.now()),
            Change(world.dsl.id, "teams", clock.now()),
        )
        provider = Change(world.provider_staff.id, "teams", clock.now())
        opened = await act_on_nudge(session, teacher, outbox_id=qa, action="open")
        snoozed = await act_on_nudge(session, teacher, outbox_id=qa, action="snooze_day")
        refused = await act_on_nudge(session, dsl, outbox_id=alert, action="snooze_week")
        register = await act_on_nudge(session, provider, outbox_id=prompt, action="done")
        nothing_to_tick = await act_on_nudge(session, dsl, outbox_id=alert, action="done")
        snoozes = list(await session.scalars(select(NudgeSnooze)))
    assert opened.start_command == f"visit {placement.reference}"
    assert snoozed.text == "OK, I won't remind you about this before Wed 24/03/2027."
    assert [(s.subject, s.person_id, s.until) for s in snoozes] == [
        (f"qa:{placement.id}", world.teacher.id, dt.date(2027, 3, 24))
    ]
    assert refused.text.startswith("A safeguarding alert can't be snoozed")
    assert register.start_command == "present"
    assert nothing_to_tick.start_command == f"status {placement.reference}"
