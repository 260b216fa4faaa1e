"""The dialog runner: double clicks, racing answers, a database that isn't there."""

from __future__ import annotations

import asyncio
import shutil

from sqlalchemy import func, select

from dialogs.runner import DialogRunner, Incoming
from storage.db import create_engine, session_factory
from storage.models import DialogState, Placement
from tests.chat import JsonChat, prompt
from tests.dialogs.test_start_placement import full_time_answers
from tests.factories import build_world


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
    assert prompt(await chat.say(click))["field"] == "provider"
    again = await chat.say(click)
    assert again[0]["type"] == "message" and "already been answered" in again[0]["text"]
    assert prompt(again)["field"] == "provider"


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
    assert prompt(await chat.say(f"pupil-{world.pupil.id}"))["field"] == "provider"
    out = await chat.say({"text": "cancel", "prompt_id": first["prompt_id"]})
    assert "already been answered" in out[0]["text"] and prompt(out)["field"] == "provider"
