"""Wording a person notices: no doubled signs or stops, no "first question" after a `back`
that worked, no error cross on good news, and a reason for every re-asked question."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from bot.channels.terminal import TerminalChannel, render_text
from dialogs.prompts import Message
from dialogs.runner import DialogRunner
from storage.models import OutboxMessage
from tests.support.chat import JsonChat, prompt, texts
from tests.support.database import Database
from tests.support.factories import build_world, place


def _human(db: Database, clock, person) -> TerminalChannel:
    return TerminalChannel(
        DialogRunner(db.sessions, clock),
        person,
        json_mode=False,
        stdin=io.StringIO(),
        stdout=io.StringIO(),
        clock=clock,
    )


async def test_a_blank_answer_to_a_required_question_says_why_it_is_asked_again(db, clock) -> None:
    world = await build_world(db, clock)
    terminal = _human(db, clock, world.teacher)
    await terminal.turn("start\n")
    replies = await terminal.turn("\n")
    shown = [render_text(r) for r in replies]
    assert shown[0].startswith("✗ ") and "needs an answer" in shown[0]
    assert shown[-1].startswith("Which pupil is being placed?")


async def test_back_that_works_does_not_say_first_question(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say("start")
    assert prompt(await chat.say(f"pupil-{world.pupil.id}"))["field"] == "reason"
    back = await chat.say("back")
    assert prompt(back)["field"] == "pupil"
    assert "first question" not in texts(back)
    again = await chat.say("back")  # nothing left to take back
    assert prompt(again)["field"] == "pupil"
    assert "no earlier answer to change" in texts(again)


async def test_nothing_to_do_is_good_news_not_an_error(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    out = await chat.say("welfare")
    assert out[-1]["type"] == "message" and "no open welfare calls" in out[-1]["text"]
    terminal = _human(db, clock, world.provider_staff)
    shown = [render_text(r) for r in await terminal.turn("welfare\n")]
    assert not any(line.startswith("✗") for line in shown)


def test_a_warning_sign_is_shown_once() -> None:
    assert render_text(Message(level="warning", text="⚠ Not registered")) == "⚠ Not registered"
    assert render_text(Message(level="warning", text="⚠️ Not registered")) == "⚠ Not registered"


async def test_start_warnings_carry_one_sign(db, clock) -> None:
    world = await build_world(db, clock)
    terminal = _human(db, clock, world.teacher)
    await terminal.turn("start\n")
    await terminal.turn(f"{1}\n")
    await terminal.turn("Health needs\n")
    labels = [render_text(r) for r in await terminal.turn("Wheels Workshop\n")]
    assert any(line.startswith("⚠ Wheels Workshop is NOT registered") for line in labels), labels
    assert not any("⚠ ⚠" in line for line in labels)


async def test_a_reason_typed_with_a_full_stop_gets_no_second_one(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    answers = {
        "placement": "1",
        "date": "",
        "sessions": "both",
        "reason": "Mum rang: he has a temperature.",
        "code": "I",
        "confirm": "yes",
    }
    out = await chat.answer_all(answers, start="absent")
    assert out[-1]["type"] == "done"
    async with db.sessions() as session:
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "absence_alert")
            )
        )
    assert alerts and all(".." not in alert.text for alert in alerts)
    assert "he has a temperature. Reported by" in alerts[0].text
