"""The turn contract: the same scenarios, with the same assertions, through the terminal, Slack
and Teams (one base class, one subclass per channel with its driver), so that what one channel
does right the others cannot forget. The channels share one pipeline (bot/channels/turn.py);
these tests hold each channel's side of it to the same behaviour. Each channel runs the nudge
buttons' contract too (`nudge_contract.py`)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from dialogs import wording
from storage.clock import FixedClock
from storage.models import (
    AttendanceRecord,
    ConcernReview,
    Contact,
    ContactWith,
    DialogState,
    OutboxMessage,
    PartTimeReview,
    PartTimeTimetable,
    PlacementChange,
    ReviewDecision,
)
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.drivers import Driver, SlackDriver, TeamsDriver, TerminalDriver
from tests.support.factories import World
from tests.support.faulty import FaultyDatabase
from tests.support.nudge_contract import NudgeButtonContract
from tests.support.slack import SlackWorkspace
from tests.support.world import (
    jamie_at_pathways,
    jamie_part_time_at_pathways,
    providers_across_schools,
)

NOT_SAVED = "your last answer was not saved"
REASON = "Unwell; parent rang at 08:40"
ABSENT = {
    "date": "today",
    "sessions": "AM, PM",
    "reason": REASON,
    "code": "I",
    "confirm": "yes",
}

REVIEW = {
    "held_on": "today",
    "with_pupil": "yes",
    "with_parents": "yes",
    "notes": "Jamie wants Wednesdays at school too; mum agrees.",
    "outcome": "continue",
    "parent_agreed": "yes",
    "new_ends_on": "08/01/2027",
    "next_review_date": "18/12/2026",
    "confirm": "yes",
}

CONTACT = {"contact_date": "today", "method": "phone", "summary": "Mum says he is sleeping better"}


async def _asked_for_the_date(driver: Driver, db: Database, clock: FixedClock) -> World:
    """A provider has started `absent` and picked the pupil: the day is asked."""
    world, _ = await jamie_at_pathways(db, clock, start=clock.now().date())
    await driver.sign_in(world.provider_staff)
    await driver.say("absent")
    assert (await driver.say("1")).field == "date"
    return world


async def _report_absence(driver: Driver) -> str:
    """The provider's whole `absent` report, typed: everything the bot showed them."""
    shown = await driver.say("absent")
    said = [shown.text]
    assert shown.field == "placement", shown
    shown = await driver.say("1")
    for _ in range(10):
        said.append(shown.text)
        if shown.field is None:
            return "\n".join(said)
        assert shown.field in ABSENT, shown
        shown = await driver.say(ABSENT[shown.field])
    raise AssertionError("the report never finished")


class TurnContract:
    """Every channel: subclasses supply `driver`."""

    async def test_a_provider_reports_an_absence_and_the_dsl_is_alerted(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, placement = await jamie_at_pathways(db, clock, start=clock.now().date())
        await driver.sign_in(world.provider_staff)
        said = await _report_absence(driver)
        assert "designated safeguarding lead has been alerted" in said, said
        async with db.sessions() as session:
            records = list(await session.scalars(select(AttendanceRecord)))
            assert {(r.session.value, r.code, r.proposed_code) for r in records} == {
                ("AM", "N", "I"),
                ("PM", "N", "I"),
            }
            assert all(r.reason == REASON for r in records)
            alert = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.recipient_id == world.dsl.id)
            )
        assert alert is not None and world.pupil.full_name in alert.text
        assert placement.reference in alert.text

    async def test_a_teacher_logs_a_contact_with_a_parent_apart_from_the_providers(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, placement = await jamie_at_pathways(db, clock, start=clock.now().date())
        await driver.sign_in(world.teacher)
        assert (await driver.say("contact")).field == "placement"
        shown = await driver.say("1")
        assert shown.field == "with_whom" and "Who was the contact with?" in shown.text, shown
        shown = await driver.click(driver.hold(), "2")  # "Parent or carer", by its button
        for _ in range(5):
            if shown.field is None:
                break
            assert shown.field in CONTACT, shown
            shown = await driver.say(CONTACT[shown.field])
        assert "Saved your contact with a parent or carer" in shown.text, shown
        assert "It is not the weekly contact with Pathways AP Academy" in shown.text, shown
        async with db.sessions() as session:
            [contact] = list(await session.scalars(select(Contact)))
        assert contact.with_whom == ContactWith.parent_carer
        assert contact.summary == CONTACT["summary"]
        log = await driver.say(f"contacts {placement.reference}")
        assert "contact with a parent or carer (phone call): Mum says he is sleeping" in log.text

    async def test_a_teacher_changes_the_planned_end_and_the_provider_is_told(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, placement = await jamie_at_pathways(db, clock)
        await driver.sign_in(world.teacher)
        assert (await driver.say(f"change {placement.reference}")).field == "what"
        assert (await driver.say("planned end")).field == "planned_end_date"
        assert (await driver.say("12/02/2027")).field == "reason"
        shown = await driver.say("Extended at the review meeting.")
        assert shown.field == "confirm" and "Was: 11/01/2027" in shown.text, shown
        shown = await driver.say("yes")
        assert "Changed the planned end of" in shown.text, shown
        async with db.sessions() as session:
            [change] = list(await session.scalars(select(PlacementChange)))
            told = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.recipient_id == world.provider_staff.id)
            )
        assert (change.before, change.after) == ("11/01/2027", "12/02/2027")
        assert told is not None and placement.reference in told.text
        assert world.pupil.first_name not in told.text
        history = await driver.say(f"history {placement.reference}")
        assert "changed the planned end: was 11/01/2027; now 12/02/2027" in history.text

    async def test_an_la_officer_sees_the_providers_across_the_la_schools(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        across = await providers_across_schools(db, clock)
        await driver.sign_in(across.world.la_officer)
        shown = await driver.say("providers")
        assert "may need to register as an independent school" in shown.text, shown
        assert across.at_wheels[0].reference in shown.text and "Acrosspupil" not in shown.text
        assert "NOT VISITED by any school this half-term" in shown.text

    async def test_a_dsl_pages_through_the_audit_trail(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, placement = await jamie_at_pathways(db, clock)
        await driver.sign_in(world.dsl)
        shown = await driver.say(f"audit {placement.reference}")
        assert "newest first" in shown.text and "Type more for the next" in shown.text, shown
        shown = await driver.say("more")
        assert "(continued)" in shown.text and "added the placement" in shown.text, shown

    async def test_a_part_time_timetable_is_reviewed_with_the_pupil_and_parents(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, placement = await jamie_part_time_at_pathways(db, clock)
        await driver.sign_in(world.teacher)
        shown = await driver.say(f"review {placement.reference}")
        assert shown.field == "held_on" and "C2 on Wed, Fri" in shown.text, shown
        refused = False
        for _ in range(12):
            if shown.field is None:
                break
            assert shown.field in REVIEW, shown
            if shown.field == "parent_agreed" and not refused:
                shown = await driver.say("no")
                assert "without a parent's or carer's agreement" in shown.text, shown
                assert shown.field == "parent_agreed"
                refused = True
            shown = await driver.say(REVIEW[shown.field])
        assert refused and "now runs until 08/01/2027" in shown.text, shown
        async with db.sessions() as session:
            [review] = list(await session.scalars(select(PartTimeReview)))
            [timetable] = list(await session.scalars(select(PartTimeTimetable)))
        assert review.outcome == "continue" and review.notes == REVIEW["notes"]
        assert timetable.ends_on.isoformat() == "2027-01-08"

    async def test_cancel_mid_dialog_saves_nothing(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        await _asked_for_the_date(driver, db, clock)
        shown = await driver.say("cancel")
        assert "Nothing was saved" in shown.text and shown.field is None
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(DialogState)) == 0
            assert await session.scalar(select(func.count()).select_from(AttendanceRecord)) == 0

    async def test_a_bad_answer_is_refused_and_the_question_asked_again(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        await _asked_for_the_date(driver, db, clock)
        shown = await driver.say("the day after never")
        assert shown.field == "date", shown
        assert (await driver.say("today")).field == "sessions"

    async def test_an_old_question_clicked_after_it_moved_on_is_refused(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, _ = await jamie_at_pathways(db, clock, start=clock.now().date())
        await driver.sign_in(world.provider_staff)
        assert (await driver.say("absent")).field == "placement"
        old = driver.hold()
        assert (await driver.say("1")).field == "date"
        shown = await driver.click(old, "1")
        assert wording.ALREADY_ANSWERED in shown.text, shown
        async with db.sessions() as session:
            [state] = list(await session.scalars(select(DialogState)))
        assert "date" not in state.answers  # still waiting on the date
        assert (await driver.say("today")).field == "sessions"

    async def test_an_old_cancel_button_does_not_cancel_the_question_asked_since(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, _ = await jamie_at_pathways(db, clock, start=clock.now().date())
        await driver.sign_in(world.provider_staff)
        shown = await driver.say("absent")
        shown = await driver.say("1")
        while shown.field != "confirm":
            shown = await driver.say(ABSENT[str(shown.field)])
        old = driver.hold()
        assert (await driver.say("back")).field == "code"
        shown = await driver.click(old, "cancel")
        assert wording.ALREADY_ANSWERED in shown.text, shown
        assert (await driver.say("I")).field == "confirm"  # the dialog carries on

    async def test_a_person_the_bot_does_not_know_is_told_to_ask_their_admin(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        await jamie_at_pathways(db, clock, start=clock.now().date())
        await driver.sign_in_stranger()
        shown = await driver.say("help")
        assert wording.NO_ACCESS in shown.text.replace("&#x27;", "'"), shown
        assert "Here is what you can do" not in shown.text

    async def test_the_database_down_mid_turn_is_said_and_nothing_is_half_saved(
        self, driver: Driver, db: Database, clock: FixedClock, faulty: FaultyDatabase
    ) -> None:
        await _asked_for_the_date(driver, db, clock)
        await faulty.go_away()
        try:
            shown = await driver.say("today")
        finally:
            await faulty.come_back()
        assert NOT_SAVED in shown.text and "send it again" in shown.text, shown
        async with db.sessions() as session:
            [state] = list(await session.scalars(select(DialogState)))
        assert "date" not in state.answers
        assert (await driver.say("today")).field == "sessions"  # it recovered by itself

    async def test_a_shared_place_names_pupils_by_reference_only(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        if not driver.has_shared_places:
            pytest.skip(f"the {driver.name} channel has no shared place")
        world, placement = await jamie_at_pathways(db, clock, start=clock.now().date())
        await driver.sign_in(world.provider_staff, shared_with=world.provider)
        said = await _report_absence(driver)
        pupil = world.pupil
        for private in (pupil.full_name, pupil.first_name, "Unwell", "parent rang"):
            assert private not in said  # not even to the reporter, in a shared place
            assert private not in driver.seen_by_others()
        assert placement.reference in driver.seen_by_others()
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(AttendanceRecord)) == 2

    async def test_a_teachers_serious_concern_is_decided_by_the_dsl(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, placement = await jamie_at_pathways(db, clock, start=clock.now().date())
        ref = placement.reference
        await driver.sign_in(world.teacher)
        concern = {
            "severity": "disclosure",
            "entry_date": "today",
            "text": "Said an adult at home hurts him.",
            "confirm": "yes",
        }
        shown = await driver.say(f"concern {ref}")
        for _ in range(6):
            if shown.field is None:
                break
            shown = await driver.say(concern[shown.field])
        assert "review the placement now" in shown.text, shown
        await driver.sign_in(world.dsl)
        decision = {"decision": "suspend", "actions": "Strategy meeting first.", "confirm": "yes"}
        shown = await driver.say(f"decide {ref}")
        for _ in range(6):
            if shown.field is None:
                break
            shown = await driver.say(decision[shown.field])
        assert "suspend the placement" in shown.text, shown
        async with db.sessions() as session:
            review = await session.scalar(select(ConcernReview))
            assert review is not None and review.decision == ReviewDecision.suspend

    async def test_where_says_where_the_pupil_is_now_and_never_in_a_shared_place(
        self, driver: Driver, db: Database, clock: FixedClock
    ) -> None:
        world, placement = await jamie_at_pathways(db, clock, start=clock.now().date())
        await driver.sign_in(world.teacher)
        shown = await driver.say(f"where {placement.reference}")
        assert shown.field is None
        assert "Today is a school day. By the timetable the pupil is at: Pathways AP Academy" in (
            shown.text
        )
        assert "No absence has been reported today." in shown.text
        if not driver.has_shared_places:
            return
        # The teacher in the provider's shared channel: refused there, nothing said about where.
        await driver.sign_in(world.teacher, shared_with=world.provider)
        before = driver.seen_by_others()
        shown = await driver.say(f"where {placement.reference}")
        said = driver.seen_by_others().removeprefix(before) + shown.text
        assert "By the timetable" not in said and world.pupil.first_name not in said, said


class TestTerminal(TurnContract, NudgeButtonContract):
    @pytest.fixture
    def driver(
        self, faulty: FaultyDatabase, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> Driver:
        return TerminalDriver(faulty, clock, monkeypatch)


class TestSlack(TurnContract, NudgeButtonContract):
    @pytest.fixture
    def driver(
        self, faulty: FaultyDatabase, clock: FixedClock, slack_on_faulty: SlackWorkspace
    ) -> Driver:
        return SlackDriver(faulty, clock, slack_on_faulty)


class TestTeams(TurnContract, NudgeButtonContract):
    @pytest.fixture
    def driver(
        self,
        faulty: FaultyDatabase,
        clock: FixedClock,
        teams_on_faulty: TestClient[Any, Any],
        connector: FakeBotConnector,
    ) -> Driver:
        return TeamsDriver(faulty, clock, teams_on_faulty, connector)
