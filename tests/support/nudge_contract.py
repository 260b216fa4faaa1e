"""The nudge buttons' contract (Done, Snooze, Open under a nudge): the same scenarios, with the
same assertions, on every channel; `test_turns.py` runs them through the terminal, Slack and
Teams with the turn contract. What a button does is written once (bot/channels/nudge_actions.py)
and runs inside the one turn pipeline; these hold each platform's side of it to that."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from dialogs import wording
from storage.clock import LONDON, FixedClock
from storage.models import (
    AuditEntry,
    ChecklistItem,
    ChecklistStatus,
    NudgeSnooze,
    OutboxMessage,
    Placement,
)
from storage.services.outbox import enqueue
from storage.wording import nudges as nudge_wording
from tests.support.database import Database
from tests.support.drivers import Driver
from tests.support.factories import World
from tests.support.faulty import FaultyDatabase
from tests.support.world import jamie_at_pathways

DUE = "Letter of Assurance is due: please chase it."
NOT_SAVED = "your last answer was not saved"


@dataclass(frozen=True)
class Nudged:
    """A teacher holding a nudge about their placement's Letter of Assurance."""

    world: World
    placement: Placement
    check: int  # the checklist item the nudge is about
    held: object  # the nudge as the driver holds it


async def _nudged(driver: Driver, db: Database, clock: FixedClock) -> Nudged:
    world, placement = await jamie_at_pathways(db, clock, start=clock.now().date())
    async with db.sessions() as session, session.begin():
        check = await session.scalar(
            select(ChecklistItem.id).where(
                ChecklistItem.placement_id == placement.id,
                ChecklistItem.key == "letter_of_assurance",
            )
        )
        assert check is not None
        await enqueue(
            session,
            key="contract-nudge",
            kind="check_due",
            text=DUE,
            due_at=clock.now(),
            recipient_id=world.teacher.id,
            placement_id=placement.id,
            payload={
                "subject": f"check:{check}",
                "reference": placement.reference,
                "open": f"check {placement.reference}",
                "done": "tick",
                "snoozable": True,
                "expires_at": None,
            },
        )
        outbox_id = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.key == "contract-nudge")
        )
    assert outbox_id is not None
    await driver.sign_in(world.teacher)
    held = await driver.nudge(outbox_id, DUE)
    return Nudged(world, placement, check, held)


async def _check_status(db: Database, check: int) -> ChecklistStatus:
    async with db.sessions() as session:
        item = await session.get(ChecklistItem, check)
    assert item is not None
    return item.status


async def _audit_rows(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


class NudgeButtonContract:
    """Every channel: subclasses supply `driver`."""

    async def test_done_ticks_the_check_the_nudge_is_about(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        nudged = await _nudged(driver, db, clock)
        shown = await driver.press(nudged.held, "done")
        assert "Ticked: " in shown.text and nudged.placement.reference in shown.text, shown
        assert await _check_status(db, nudged.check) == ChecklistStatus.done

    async def test_snooze_puts_the_reminder_off_for_a_week(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        nudged = await _nudged(driver, db, clock)
        shown = await driver.press(nudged.held, "snooze_week")
        until = clock.now().astimezone(LONDON).date() + dt.timedelta(days=7)
        assert nudge_wording.SNOOZED.format(until=f"{until:%a %d/%m/%Y}") in shown.text, shown
        async with db.sessions() as session:
            [snooze] = list(await session.scalars(select(NudgeSnooze)))
        assert (snooze.person_id, snooze.subject) == (
            nudged.world.teacher.id,
            f"check:{nudged.check}",
        )
        assert snooze.until == until
        assert await _check_status(db, nudged.check) == ChecklistStatus.not_done

    async def test_open_starts_the_dialog_as_if_typed(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        nudged = await _nudged(driver, db, clock)
        shown = await driver.press(nudged.held, "open")
        assert (
            nudge_wording.OPENING.format(command=f"check {nudged.placement.reference}")
            in shown.text
        )
        assert shown.field is not None, shown  # the check dialog asks its first question

    async def test_a_replayed_press_is_ignored(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        nudged = await _nudged(driver, db, clock)
        assert "Ticked: " in (await driver.press(nudged.held, "done")).text
        audited = await _audit_rows(db)
        again = await driver.press_again()
        assert again.text.strip() == "", again  # not even "that's already done"
        assert await _audit_rows(db) == audited

    async def test_a_press_from_someone_the_bot_does_not_know_is_refused(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        nudged = await _nudged(driver, db, clock)
        audited = await _audit_rows(db)
        await driver.sign_in_stranger()
        shown = await driver.press(nudged.held, "done")
        assert wording.NO_ACCESS in shown.text.replace("&#x27;", "'"), shown
        assert await _check_status(db, nudged.check) == ChecklistStatus.not_done
        assert await _audit_rows(db) == audited

    async def test_a_press_on_someone_elses_nudge_is_refused(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        nudged = await _nudged(driver, db, clock)
        await driver.sign_in(nudged.world.dsl)
        shown = await driver.press(nudged.held, "snooze_week")
        assert nudge_wording.NOT_YOURS in shown.text, shown
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(NudgeSnooze)) == 0

    async def test_the_database_down_during_a_press_is_said_and_the_press_works_after(
        self, driver: Driver, db: Database, clock: FixedClock, faulty: FaultyDatabase
    ) -> None:
        nudged = await _nudged(driver, db, clock)
        await faulty.go_away()
        try:
            shown = await driver.press(nudged.held, "done")
        finally:
            await faulty.come_back()
        assert NOT_SAVED in shown.text, shown
        assert await _check_status(db, nudged.check) == ChecklistStatus.not_done
        assert "Ticked: " in (await driver.press_again()).text  # not taken for a replay
        assert await _check_status(db, nudged.check) == ChecklistStatus.done
