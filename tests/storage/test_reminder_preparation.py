"""The day's reminders prepared at 06:00 and only what changed reconciled at 08:30 (issue 17:
the 08:30 pass at national scale). What is deliverable after the two passes is exactly what one
sweep at 08:30 would have queued, whatever changed in between; a prepared reminder is neither
delivered nor shown before 08:30's pass has reconciled it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from storage.clock import LONDON, FixedClock
from storage.db import create_engine, session_factory
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    ContactMethod,
    OutboxMessage,
    OutboxStatus,
    Placement,
    QaRating,
    ReminderPreparation,
    ReminderSweep,
    Role,
)
from storage.rules.nudges import NudgeTimes
from storage.services import directory, reminder_preparation
from storage.services.audit import Change
from storage.services.contacts import log_contact
from storage.services.notices import unread_notices
from storage.services.nudges import act_on_nudge
from storage.services.outbox import deliverable
from storage.services.placements import end_placement, update_checklist_item
from storage.services.reminder_sweeps import (
    SHARED_PARTS,
    prepare_day_reminders,
    queue_day_reminders,
)
from storage.services.visits import log_visit
from storage.wording import NoticeKind
from tests.support.database import Database
from tests.support.factories import place
from tests.support.more_las import another_la
from tests.support.world import START, AcrossSchools, providers_across_schools

FRIDAY = dt.datetime(2026, 11, 27, 8, 30, tzinfo=LONDON)
PREPARE = dt.datetime(2026, 11, 30, 6, 0, tzinfo=LONDON)
MEANWHILE = dt.datetime(2026, 11, 30, 7, 0, tzinfo=LONDON)
REMINDERS = dt.datetime(2026, 11, 30, 8, 30, tzinfo=LONDON)
SIX = dt.time(6, 0)

Row = tuple[str, int | None, int | None, str, str, dict[str, Any], dt.datetime]


async def _england(db: Database, clock: FixedClock) -> AcrossSchools:
    """Three LAs with placements at two providers since 02/11/2026 (overdue checks, no contact,
    QA visits, reviews), and Friday's reminders queued and sent (one-off reminders keyed by
    date are not queued again on Monday)."""
    across = await providers_across_schools(db, clock)
    for n in range(2):
        await another_la(db, clock, across.world, n=n, provider=across.world.unregistered, pupils=2)
    await queue_day_reminders(db.sessions, FRIDAY, NudgeTimes(), instance="friday")
    async with db.sessions() as session, session.begin():
        for row in await session.scalars(select(OutboxMessage)):
            row.status, row.sent_at = OutboxStatus.sent, FRIDAY
    return across


async def _last_id(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0))))


async def _deliverable(db: Database, after: int) -> dict[str, Row]:
    """Monday's reminders that delivery may send: key -> what a person would get (not the
    notices the morning's changes queued themselves, due when they were made)."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.id > after,
                OutboxMessage.due_at >= REMINDERS,
                OutboxMessage.status == OutboxStatus.pending,
                deliverable(),
            )
        )
        return {
            row.key: (
                row.kind,
                row.recipient_id,
                row.placement_id,
                row.text,
                row.channel_ref or "",
                row.payload,
                row.due_at,
            )
            for row in rows
        }


async def _one_sweep_instead(db: Database, after: int, *, parts: int = 1) -> dict[str, Row]:
    """What one sweep at 08:30, with no preparation, queues on the same facts (Monday's
    messages and records removed first)."""
    async with db.sessions() as session, session.begin():
        await session.execute(
            delete(OutboxMessage).where(OutboxMessage.id > after, OutboxMessage.due_at >= REMINDERS)
        )
        await session.execute(delete(ReminderSweep).where(ReminderSweep.day == REMINDERS.date()))
        await session.execute(
            delete(ReminderPreparation).where(ReminderPreparation.day == REMINDERS.date())
        )
    await queue_day_reminders(db.sessions, REMINDERS, NudgeTimes(), instance="whole", parts=parts)
    return await _deliverable(db, after)


async def _outcomes(db: Database) -> list[str]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(ReminderPreparation.outcome).order_by(ReminderPreparation.part)
        )
        return [row or "" for row in rows]


async def _overdue_check(session: Any, placement_id: int) -> ChecklistItem:
    item = await session.scalar(
        select(ChecklistItem)
        .where(
            ChecklistItem.placement_id == placement_id,
            ChecklistItem.status == ChecklistStatus.not_done,
            ChecklistItem.due_date < REMINDERS.date(),
            ChecklistItem.key != "letter_of_assurance",
        )
        .order_by(ChecklistItem.id)
        .limit(1)
    )
    assert item is not None
    return item


async def _a_morning_of_changes(db: Database, clock: FixedClock, across: AcrossSchools) -> None:
    """Between 06:00 and 08:30: a check ticked, a visit logged, a contact logged, a placement
    ended, a reminder snoozed, a new placement started, a check's due date moved."""
    world = across.world
    teacher = Change(person_id=world.teacher.id, channel="test", at=MEANWHILE)
    other = Change(person_id=world.other_teacher.id, channel="test", at=MEANWHILE)
    ada, ben, cal, dee, eve, fin = across.at_wheels
    async with db.sessions() as session, session.begin():
        placements = {
            p.id: p
            for p in await session.scalars(
                select(Placement).where(Placement.id.in_([p.id for p in across.at_wheels]))
            )
        }
        # A check ticked.
        item = await _overdue_check(session, ada.id)
        await update_checklist_item(
            session, teacher, item, status=ChecklistStatus.done, evidence="Seen today."
        )
        # A QA visit logged.
        await log_visit(
            session, teacher, placement=placements[ben.id], visit_date=MEANWHILE.date(),
            pupil_seen=True, pupil_voice="Fine.", setting_safe=True, register_matches=True,
            concerns=None, rating=QaRating.good, actions_agreed=None,
            next_visit_due=dt.date(2027, 1, 8),
        )  # fmt: skip
        # The weekly contact with the provider.
        await log_contact(
            session, teacher, placement=placements[cal.id], contact_date=MEANWHILE.date(),
            method=ContactMethod.phone, summary="Rang the provider.",
        )  # fmt: skip
        # A placement ended.
        await end_placement(
            session, other, placements[eve.id], ended_on=MEANWHILE.date(),
            outcome="returned_to_school", return_date=MEANWHILE.date(), reintegration_notes=None,
        )  # fmt: skip
        # A check's due date moved into next week.
        moved = await _overdue_check(session, dee.id)
        await update_checklist_item(
            session, other, moved, status=ChecklistStatus.not_done,
            due_date=REMINDERS.date() + dt.timedelta(days=7), reason="Waiting for the LA.",
        )  # fmt: skip
        # A new placement, started a fortnight ago and entered today.
        pupil = await directory.add_pupil(
            session, teacher, home_org_id=world.school.id, first_name="Hal",
            last_name="Newcomer", year_group=9,
        )  # fmt: skip
        await place(
            session, FixedClock(MEANWHILE), by=world.teacher, pupil=pupil,
            provider=world.provider, start=START,
        )  # fmt: skip
        # Friday's reminder about one of Fin's overdue checks, snoozed for a week.
        friday = await session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.placement_id == fin.id,
                OutboxMessage.kind == NoticeKind.check_overdue,
                OutboxMessage.created_at == FRIDAY,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        assert friday is not None and friday.recipient_id is not None
        await act_on_nudge(
            session,
            Change(person_id=friday.recipient_id, channel="test", at=MEANWHILE),
            outbox_id=friday.id,
            action="snooze_week",
        )


async def test_prepared_and_reconciled_is_what_one_sweep_at_0830_queues(
    db: Database, clock: FixedClock
) -> None:
    across = await _england(db, clock)
    after = await _last_id(db)
    prepared = await prepare_day_reminders(
        db.sessions, PREPARE, NudgeTimes(), prepare_at=SIX, instance="early"
    )
    assert prepared > 20
    await _a_morning_of_changes(db, clock, across)
    # 08:30 on an instance started since (a restart between the passes: all is in the database).
    reconciled = await queue_day_reminders(db.sessions, REMINDERS, NudgeTimes(), instance="later")
    [outcome] = await _outcomes(db)
    assert outcome.startswith("7 placement(s) reconciled"), outcome
    after_both = await _deliverable(db, after)
    assert reconciled == len(after_both)
    whole = await _one_sweep_instead(db, after)
    assert after_both == whole
    # The changes mattered: the prepared reminders were not all still owed, and some were new.
    eve = across.at_wheels[4].id
    assert not any(row[2] == eve for row in whole.values())
    assert any(row[0] == NoticeKind.contact_overdue for row in whole.values())
    assert len(whole) != prepared


async def test_a_change_about_many_placements_sweeps_the_day_whole(
    db: Database, clock: FixedClock
) -> None:
    across = await _england(db, clock)
    after = await _last_id(db)
    await prepare_day_reminders(db.sessions, PREPARE, NudgeTimes(), prepare_at=SIX, instance="a")
    await _a_morning_of_changes(db, clock, across)
    # A second DSL at Elm Park: every reminder its safeguarding leads get changes recipients.
    async with db.sessions() as session, session.begin():
        await directory.add_person(
            session, Change(person_id=across.world.admin.id, channel="test", at=MEANWHILE),
            name="Dana Deputy", email="dana@elmpark.test", role=Role.dsl,
            organisation_id=across.world.school.id,
        )  # fmt: skip
    await queue_day_reminders(db.sessions, REMINDERS, NudgeTimes(), instance="b")
    [outcome] = await _outcomes(db)
    assert outcome == "swept whole: a Person created (not about one placement)"
    after_both = await _deliverable(db, after)
    assert after_both == await _one_sweep_instead(db, after)


async def test_prepared_reminders_are_not_shown_or_sent_before_they_are_reconciled(
    db: Database, clock: FixedClock
) -> None:
    across = await _england(db, clock)
    after = await _last_id(db)
    await prepare_day_reminders(db.sessions, PREPARE, NudgeTimes(), prepare_at=SIX, instance="a")
    teacher = across.world.teacher.id
    async with db.sessions() as session:
        held = await session.scalar(
            select(func.count()).where(
                OutboxMessage.id > after, OutboxMessage.recipient_id == teacher
            )
        )
        # 08:30 has come, but no pass has reconciled the day yet.
        unread = await unread_notices(session, teacher, now=REMINDERS + dt.timedelta(seconds=5))
    assert held and not [n for n in unread.notices if n.id > after]
    assert await _deliverable(db, after) == {}
    await queue_day_reminders(db.sessions, REMINDERS, NudgeTimes(), instance="a")
    async with db.sessions() as session:
        unread = await unread_notices(session, teacher, now=REMINDERS + dt.timedelta(seconds=5))
    assert [n for n in unread.notices if n.id > after]


async def test_a_preparation_that_dies_half_way_leaves_nothing_and_0830_sweeps_whole(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _england(db, clock)
    after = await _last_id(db)

    async def dies(*args: object, **kwargs: object) -> object:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(reminder_preparation, "name_fresh", dies)
    with pytest.raises(ConnectionError):
        await prepare_day_reminders(
            db.sessions, PREPARE, NudgeTimes(), prepare_at=SIX, instance="a"
        )
    monkeypatch.undo()
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReminderPreparation)) == 0
        assert await session.scalar(select(func.count()).where(OutboxMessage.id > after)) == 0
    # Too late to prepare once the reminder time has come: 08:30 sweeps the day whole.
    assert not await prepare_day_reminders(
        db.sessions, REMINDERS, NudgeTimes(), prepare_at=SIX, instance="a"
    )
    await queue_day_reminders(db.sessions, REMINDERS, NudgeTimes(), instance="a")
    swept = await _deliverable(db, after)
    assert swept and swept == await _one_sweep_instead(db, after)


async def test_a_preparation_never_reconciled_that_day_is_withdrawn_the_next(
    db: Database, clock: FixedClock
) -> None:
    await _england(db, clock)
    after = await _last_id(db)
    await prepare_day_reminders(db.sessions, PREPARE, NudgeTimes(), prepare_at=SIX, instance="a")
    # Down from 07:00 Monday until Tuesday 08:30: Monday's prepared reminders never go out,
    # and Tuesday's sweep queues what is owed then (one-off reminders included).
    tuesday = REMINDERS + dt.timedelta(days=1)
    await queue_day_reminders(db.sessions, tuesday, NudgeTimes(), instance="a")
    async with db.sessions() as session:
        monday = await session.scalar(
            select(func.count()).where(
                OutboxMessage.id > after, OutboxMessage.created_at == REMINDERS
            )
        )
        [outcome] = await session.scalars(select(ReminderPreparation.outcome))
    assert monday == 0
    assert outcome == "withdrawn: not reconciled that day"
    assert any(
        key.startswith("qa-due:") or ":2026-12-01" in key for key in await _deliverable(db, after)
    )


async def test_two_instances_prepare_and_reconcile_each_reminder_once(
    db: Database, clock: FixedClock
) -> None:
    if db.backend != "postgres":
        pytest.skip("several instances share PostgreSQL; SQLite runs one instance")
    across = await _england(db, clock)
    after = await _last_id(db)
    second_engine = create_engine(db.url)
    second = session_factory(second_engine)
    try:
        await asyncio.gather(
            *(
                prepare_day_reminders(
                    sessions,
                    PREPARE,
                    NudgeTimes(),
                    prepare_at=SIX,
                    instance=name,
                    parts=SHARED_PARTS,
                )
                for sessions, name in ((db.sessions, "one"), (second, "two"))
            )
        )
        await _a_morning_of_changes(db, clock, across)
        counts = await asyncio.gather(
            *(
                queue_day_reminders(
                    sessions, REMINDERS, NudgeTimes(), instance=name, parts=SHARED_PARTS
                )
                for sessions, name in ((db.sessions, "one"), (second, "two"))
            )
        )
    finally:
        await second_engine.dispose()
    outcomes = await _outcomes(db)
    assert len(outcomes) == SHARED_PARTS
    assert all("reconciled" in outcome for outcome in outcomes), outcomes
    after_both = await _deliverable(db, after)
    assert sum(counts) == len(after_both)
    assert after_both == await _one_sweep_instead(db, after, parts=SHARED_PARTS)
