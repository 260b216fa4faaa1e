"""Attack: the Slack channel keeps a copy of the last question it asked each person (to take
its buttons off once answered). A provider's absence report put "Reason: mum says he was hit
at home" there, in clear, for anyone reading the database. The copy is sealed now."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, text

from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.models import ConversationRef
from tests.fakes.slack_api import FakeSlackApi
from tests.support.database import Database
from tests.support.factories import build_world, place
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, SlackWorkspace

PROVIDER = "UPROVIDER"
DISCLOSURE = "mum says he was hit at home"


@pytest.fixture
async def workspace(db: Database, clock) -> AsyncIterator[SlackWorkspace]:  # type: ignore[no-untyped-def]
    async with FakeSlackApi() as api:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db.url,
            slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
            slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
            slack_api_url=api.api_url,
        )
        runtime = Runtime(settings=settings, engine=db.engine, sessions=db.sessions, clock=clock)
        async with TestClient(TestServer(build_app(runtime))) as client:
            slack = SlackWorkspace(client=client, api=api)
            yield slack
            await slack.slack.work.drain()


async def test_the_copy_of_a_slack_question_is_not_in_clear(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(PROVIDER, email=world.provider_staff.email)
    async with db.sessions() as session, session.begin():
        await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=clock.now().date(),
        )  # fmt: skip
    for typed in ("absent", "1", "today", "both", DISCLOSURE, "N"):
        await workspace.dm(PROVIDER, typed)
    asked = workspace.last(user=PROVIDER)  # "Save this?" with the report, reason included
    assert asked.field == "confirm", asked.words
    async with db.engine.connect() as connection:
        raw = [
            str(row[0])
            for row in await connection.execute(text("SELECT reference FROM conversation_refs"))
        ]
    assert raw and all(value.startswith("enc1:") for value in raw)
    assert not any(DISCLOSURE in value or "hit at home" in value for value in raw)
    # The channel still reads its copy back (to close the question when it is answered).
    async with db.sessions() as session:
        ref = await session.scalar(select(ConversationRef))
    assert ref is not None and ref.reference["open_prompt"]["prompt_id"] == asked.prompt_id
    assert DISCLOSURE in ref.reference["open_prompt"]["text"]
