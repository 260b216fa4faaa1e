"""Fault: the database goes away in the middle of a dialog.

The person is told their answer was not saved and to send it again; nothing is half-saved (no
record, no audit entry, the dialog still waiting on the same question); when the database is
back, the same bot (not restarted) saves the answer, once. On PostgreSQL the database also goes
away in the middle of the saving transaction itself, after the record was sent to the server.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

import storage.db
from dialogs import wording
from storage.clock import FixedClock
from storage.models import AuditEntry, Contact, DialogState
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.chat import JsonChat, prompt
from tests.support.database import Database
from tests.support.factories import World, build_world, place
from tests.support.faulty import FaultyDatabase
from tests.support.slack import SlackWorkspace
from tests.support.teams import Chat, TeamsUser, text_of
from tests.support.world import START

TEACHER = "UTEACHER"
SUMMARY = "Spoke to the key worker: a good week, full attendance."
NOT_SAVED = "your last answer was not saved"


async def _to_the_last_question(
    db: Database, faulty: FaultyDatabase, clock: FixedClock
) -> tuple[World, JsonChat, dict]:
    """A teacher logging a weekly contact, waiting on the last question (the summary)."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=START,
        )  # fmt: skip
    chat = await JsonChat.as_email(faulty.for_bot, clock, world.teacher.email)
    await chat.say("contact")
    await chat.say("1")
    await chat.say("provider")
    await chat.say("yesterday")
    question = prompt(await chat.say("phone"))
    assert question["field"] == "summary"
    return world, chat, question


async def _stored(db: Database) -> tuple[int, int, list[DialogState]]:
    """Contacts, their audit entries, and the dialog states, as stored."""
    async with db.sessions() as session:
        contacts = await session.scalar(select(func.count()).select_from(Contact))
        audited = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.record_type == "Contact")
        )
        states = list(await session.scalars(select(DialogState)))
    return contacts or 0, audited or 0, states


async def test_an_answer_sent_while_the_database_is_gone_is_refused_then_saved_once(
    db: Database, faulty: FaultyDatabase, clock: FixedClock
) -> None:
    world, chat, question = await _to_the_last_question(db, faulty, clock)

    await faulty.go_away()
    out = await chat.say(SUMMARY)
    assert [o["type"] for o in out] == ["error"]
    assert NOT_SAVED in out[0]["text"] and "send it again" in out[0]["text"]
    # A second try while it is still gone: the same answer, nothing saved.
    assert NOT_SAVED in (await chat.say(SUMMARY))[0]["text"]
    await faulty.come_back()

    contacts, audited, states = await _stored(db)
    assert (contacts, audited) == (0, 0)
    [state] = states  # still waiting on the same question, its answers kept
    assert state.person_id == world.teacher.id and "summary" not in state.answers
    assert question["prompt_id"].startswith(f"{state.id}.{state.version}.")

    done = await chat.say(SUMMARY)
    assert done[-1]["type"] == "done", done
    contacts, audited, states = await _stored(db)
    assert (contacts, audited, states) == (1, 1, [])
    async with db.sessions() as session:
        contact = await session.scalar(select(Contact))
        assert contact is not None and contact.summary == SUMMARY


async def test_the_database_going_away_mid_save_leaves_nothing_half_saved(
    db: Database, faulty: FaultyDatabase, clock: FixedClock
) -> None:
    if faulty.proxy is None:
        pytest.skip("SQLite takes its write lock before a turn starts: it cannot vanish mid-save")
    world, chat, _ = await _to_the_last_question(db, faulty, clock)

    # The contact row reaches the server; the connection dies as its audit entry is sent.
    faulty.proxy.cut_when(b"INSERT INTO audit_log")
    out = await chat.say(SUMMARY)
    assert faulty.proxy.cuts == 1
    assert out[-1]["type"] == "error" and NOT_SAVED in out[-1]["text"]
    await faulty.come_back()

    contacts, audited, states = await _stored(db)
    assert (contacts, audited) == (0, 0)  # the contact was rolled back with its audit entry
    assert [s.person_id for s in states] == [world.teacher.id]
    assert "summary" not in states[0].answers

    done = await chat.say(SUMMARY)
    assert done[-1]["type"] == "done", done
    assert (await _stored(db))[:2] == (1, 1)


async def test_a_dialog_started_while_the_database_is_gone_is_told_plainly(
    db: Database, faulty: FaultyDatabase, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(faulty.for_bot, clock, world.teacher.email)
    await faulty.go_away()
    out = await chat.say("status")
    await faulty.come_back()
    assert out[0]["type"] == "error"
    assert out[0]["text"].startswith(wording.DATABASE_TROUBLE.split("{ref}")[0][:40])
    assert (await chat.say("help"))[-1]["type"] != "error"  # it recovered by itself


async def test_in_slack_the_person_is_told_and_the_bot_recovers(
    db: Database, faulty: FaultyDatabase, clock: FixedClock, slack_on_faulty: SlackWorkspace
) -> None:
    slack = slack_on_faulty
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=START,
        )  # fmt: skip
    slack.api.add_user(TEACHER, email=world.teacher.email)
    await slack.dm(TEACHER, "contact")
    for answer in ("1", "provider", "yesterday", "phone"):
        await slack.dm(TEACHER, answer)
    question = slack.last(user=TEACHER)
    assert question.field == "summary"

    await faulty.go_away()
    await slack.dm(TEACHER, SUMMARY)
    told = slack.last(user=TEACHER)
    assert NOT_SAVED in told.text and "send it again" in told.text, told.text
    await faulty.come_back()
    assert (await _stored(db))[:2] == (0, 0)

    await slack.dm(TEACHER, SUMMARY)
    assert "Saved" in slack.last(user=TEACHER).words
    assert (await _stored(db)) == (1, 1, [])


async def test_in_teams_the_person_is_told_and_the_bot_recovers(
    db: Database,
    faulty: FaultyDatabase,
    clock: FixedClock,
    teams_on_faulty: TestClient[Any, Any],
    connector: FakeBotConnector,
) -> None:
    world = await build_world(db, clock)
    connector.add_member("29:tess", email=world.teacher.email, aad_object_id="aad-tess")
    tess = TeamsUser(teams_on_faulty, connector, "29:tess", "aad-tess")
    chat = Chat.personal("29:tess")

    await faulty.go_away()
    told = text_of(await tess.say("help", chat))
    assert NOT_SAVED in told and "send it again" in told, told
    assert "went wrong on our side" not in told
    await faulty.come_back()

    assert "Here is what you can do" in text_of(await tess.say("help", chat))


@pytest.mark.parametrize("idle", [True, False])
async def test_a_connection_dropped_while_idle_is_not_used_after_a_pause(
    db: Database,
    faulty: FaultyDatabase,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    idle: bool,
) -> None:
    """The server restarts while nobody types: after a pause (IDLE_BEFORE_PING) the pooled
    connections are checked before use, so the next answer is saved; within the pause they are
    trusted (no round trip per turn), and a dead one costs that one answer."""
    if faulty.proxy is None:
        pytest.skip("an SQLite file is not dropped by a network")
    _, chat, _ = await _to_the_last_question(db, faulty, clock)
    await faulty.go_away()  # every connection the bot holds is dropped
    await faulty.come_back()
    monkeypatch.setattr(storage.db, "IDLE_BEFORE_PING", 0.0 if idle else 3600.0)

    out = await chat.say(SUMMARY)
    if idle:
        assert out[-1]["type"] == "done", out
    else:
        assert out[-1]["type"] == "error" and NOT_SAVED in out[-1]["text"]
