"""The dialog runner: double clicks, racing answers, a database that isn't there."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil

import pytest
from sqlalchemy import func, select, text

from dialogs import wording
from dialogs.prompts import Prompt
from dialogs.runner import DialogRunner, Incoming
from storage.db import create_engine, session_factory
from storage.models import DialogState, Placement
from tests.support.answers import full_time_answers
from tests.support.chat import JsonChat, prompt
from tests.support.factories import build_world, place


async def _to_confirm(chat: JsonChat, answers: dict[str, str]) -> dict:
    out = await chat.say("start")
    while prompt(out)["field"] != "confirm":
        out = await chat.say(answers[prompt(out)["field"]])
    return prompt(out)


async def test_a_second_click_on_the_same_button_is_ignored(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    first = prompt(await chat.say("start"))
    click = {"value": f"pupil-{world.pupil.id}", "prompt_id": first["prompt_id"]}
    assert prompt(await chat.say(click))["field"] == "reason"
    again = await chat.say(click)
    assert again[0]["type"] == "message" and "already been answered" in again[0]["text"]
    assert prompt(again)["field"] == "reason"


async def test_confirm_clicked_twice_saves_one_placement(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    confirm = await _to_confirm(chat, full_time_answers(world.pupil.id, world.provider.id))
    click = {"value": "yes", "prompt_id": confirm["prompt_id"]}
    first = await chat.say(click)
    second = await chat.say(click)
    assert first[-1]["type"] == "done"
    assert second[-1]["type"] == "message" and "already been answered" in second[-1]["text"]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Placement)) == 1


async def test_two_racing_confirmations_save_one_placement(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    confirm = await _to_confirm(chat, full_time_answers(world.pupil.id, world.provider.id))
    runner = DialogRunner(db.sessions, clock)
    incoming = Incoming(value="yes", prompt_id=confirm["prompt_id"])
    conversation = f"terminal:{world.teacher.id}"
    results = await asyncio.gather(
        *(
            runner.handle(world.teacher.id, incoming, channel="terminal", conversation=conversation)
            for _ in range(2)
        )
    )
    kinds = sorted(r[-1].type for r in results)
    assert kinds == ["done", "message"]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Placement)) == 1
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


async def test_no_at_the_summary_keeps_the_answers(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await _to_confirm(chat, full_time_answers(world.pupil.id, world.provider.id))
    out = await chat.say("no")
    assert "Not saved yet" in out[0]["text"] and prompt(out)["field"] == "confirm"
    assert prompt(await chat.say("back"))["field"] != "confirm"


async def test_unknown_words_and_people(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say("make me a sandwich")
    assert out[0]["type"] == "error" and "Type help" in out[0]["text"]
    runner = DialogRunner(db.sessions, clock)
    stranger = await runner.handle(
        999_999, Incoming(text="help"), channel="terminal", conversation="x"
    )
    assert stranger[0].type == "error" and "don't know you" in stranger[0].text


async def test_a_slip_of_the_keyboard_is_answered_with_the_command_meant(db, clock) -> None:
    world = await build_world(db, clock)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await teacher.say("stauts")
    assert out[0]["type"] == "error"
    assert (
        out[0]["text"]
        == "I don't know 'stauts'. Did you mean status? Type help to see what I can do."
    )
    assert "Did you mean visit?" in (await teacher.say("visti"))[0]["text"]
    assert "Did you mean" not in (await teacher.say("make me a sandwich"))[0]["text"]
    # Only commands the person may use are suggested: a provider doesn't log QA visits.
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    assert "Did you mean" not in (await provider.say("visti"))[0]["text"]
    # "placements" is what people type for their list of placements: it is status.
    out = await teacher.say("placements")
    assert out[0]["type"] != "error" and "active placement" in out[0]["text"]


async def test_database_unreachable_is_told_not_crashed(tmp_path, clock) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/folder/none.db")
    shutil.rmtree(tmp_path / "missing")  # the folder vanishes: no database can be opened
    runner = DialogRunner(session_factory(engine), clock)
    replies = await runner.handle(1, Incoming(text="help"), channel="terminal", conversation="x")
    await engine.dispose()
    assert replies[0].type == "error" and "couldn't reach the database" in replies[0].text


async def test_cancel_on_an_old_card_does_not_cancel_the_newer_question(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    first = prompt(await chat.say("start"))
    assert prompt(await chat.say(f"pupil-{world.pupil.id}"))["field"] == "reason"
    out = await chat.say({"text": "cancel", "prompt_id": first["prompt_id"]})
    assert "already been answered" in out[0]["text"] and prompt(out)["field"] == "reason"


async def test_two_first_messages_crossing_on_two_instances_the_second_is_told_plainly(
    db, clock
) -> None:
    """On PostgreSQL, two instances can each start a dialog for the same person at the same
    moment; the second insert waits for the first and then clashes. (SQLite takes its write
    lock at the start of a turn, so there the turns queue and never cross.)"""
    if db.backend != "postgres":
        pytest.skip("only PostgreSQL lets two turns start a dialog at the same moment")
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=clock.now().date() - dt.timedelta(days=7),
        )  # fmt: skip
    runner = DialogRunner(db.sessions, clock)
    conversation = "slack:UTEACHER"
    async with db.sessions() as other, other.begin():  # the other instance, its `contact` turn
        other.add(
            DialogState(
                person_id=world.teacher.id, conversation=conversation, dialog="contact",
                answers={}, history=[], started_at=clock.now(), updated_at=clock.now(),
            )
        )  # fmt: skip
        await other.flush()
        this = asyncio.create_task(
            runner.handle(
                world.teacher.id, Incoming(text="visit"), channel="slack", conversation=conversation
            )
        )
        await _until_waiting_for_a_lock(db)
    replies = await this  # the other turn committed: this one's dialog clashed with it

    assert replies[0].text == wording.CROSSED
    waiting = replies[-1]
    assert isinstance(waiting, Prompt) and waiting.field == "placement"
    async with db.sessions() as session:
        states = list(await session.scalars(select(DialogState)))
    assert [s.dialog for s in states] == ["contact"]


async def _until_waiting_for_a_lock(db) -> None:
    """Until some transaction waits for a lock another holds (here: the unique index)."""
    for _ in range(500):
        async with db.engine.connect() as connection:
            waiting = await connection.scalar(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted")
            )
        if waiting:
            return
        await asyncio.sleep(0.01)  # polling the server's lock table, not waiting out time
    raise AssertionError("the turn never waited for the other one")


async def test_a_nul_character_typed_is_dropped_not_sent_to_the_database(db, clock) -> None:
    """PostgreSQL cannot store NUL; found by the property tests as `absent <NUL>`."""
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    out = await chat.say("absent \x00")
    assert out[0]["type"] == "error" and "couldn't reach the database" not in out[0]["text"]
    out = await chat.say("help\x00")
    assert "Here is what you can do" in out[-1]["text"]


@pytest.mark.parametrize("word", ["cancel", "back"])
async def test_cancel_or_back_with_nothing_in_progress_says_so(db, clock, word) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say(word)
    assert out[-1]["type"] == "message"
    assert out[-1]["text"] == wording.NOTHING_TO_CANCEL


async def test_a_command_typed_mid_dialog_says_how_to_do_it_instead(db, clock) -> None:
    """A teacher half-way through `start` types `status`: it is not an answer, and the reply
    says how to do that instead (cancel first), not only that it is not a valid answer."""
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    asked = prompt(await chat.say("start"))
    out = await chat.say("status")
    assert out[0]["type"] == "error"
    hint = out[1]
    assert hint["type"] == "message"
    assert hint["text"] == wording.ANOTHER_COMMAND.format(typed="status", title="start placement")
    assert prompt(out)["field"] == asked["field"]  # the same question, asked again
    # An ordinary wrong answer gets no such hint.
    out = await chat.say("not a pupil anyone knows")
    assert [r["type"] for r in out] == ["error", "prompt"]
    # And the way out it names works: cancel, then the command.
    await chat.say("cancel")
    out = await chat.say("status")
    assert out[-1]["type"] == "done" and "placement" in out[-1]["text"]
