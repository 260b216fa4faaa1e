"""Fault: the work behind a request is slow (the platform's API hangs, the database is held by
someone else). Slack wants its acknowledgement within 3 seconds and Teams within 15: the ack
comes first, while the work is still stuck, and the reply follows once it is unstuck.

Each test sends a real signed request (or activity) and waits for the HTTP answer under the
platform's own deadline, while the slow part is held; only then is it released. Nothing here
sleeps: the deadlines only end a test that would otherwise hang.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.channels.teams.routes import TEAMS
from storage.clock import FixedClock
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.factories import build_world
from tests.support.faulty import Waits
from tests.support.slack import SlackWorkspace
from tests.support.teams import Chat, TeamsUser, text_of

SLACK_DEADLINE = 3.0  # seconds: Slack shows the person an error after this
TEAMS_DEADLINE = 15.0
TEACHER = "UTEACHER"
HELP = "Here is what you can do"


async def _ack(workspace: SlackWorkspace, user: str, typed: str) -> int:
    """`user` types in their DM with the bot; the HTTP status of Slack's request, without
    waiting for the work done after it."""
    event = {
        "type": "message", "channel": f"D{user}", "channel_type": "im", "user": user,
        "text": typed, "ts": "1800000000.000001", "event_ts": "1800000000.000001",
    }  # fmt: skip
    body = workspace.event_body(event)
    headers = {"Content-Type": "application/json", **workspace.sign(body)}
    response = await asyncio.wait_for(
        workspace.client.post("/slack/events", data=body.encode(), headers=headers),
        SLACK_DEADLINE,
    )
    await response.read()
    return response.status


async def test_slack_acks_in_time_while_the_web_api_hangs(
    db: Database, clock: FixedClock, slack_workspace: SlackWorkspace
) -> None:
    world = await build_world(db, clock)
    slack_workspace.api.add_user(TEACHER, email=world.teacher.email)
    held = slack_workspace.api.hold("chat.postMessage")

    assert await _ack(slack_workspace, TEACHER, "help") == 200
    await held.wait_arrived()  # the reply is on its way, stuck in Slack
    assert slack_workspace.api.calls_to("chat.postMessage") == []

    held.release()
    await slack_workspace.slack.work.drain()
    assert HELP in slack_workspace.last(user=TEACHER).words


@asynccontextmanager
async def _database_held(db: Database) -> AsyncIterator[None]:
    """Someone else holds the tables the bot writes first (SQLite: the write lock; PostgreSQL:
    an exclusive lock on `inbound_events`), until the block ends."""
    if db.backend == "sqlite":
        holder = sqlite3.connect(make_url(db.url).database or "", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    async with db.engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text("LOCK TABLE inbound_events IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            await transaction.rollback()


async def test_slack_acks_in_time_while_the_database_is_held(
    db: Database, clock: FixedClock, slack_workspace: SlackWorkspace
) -> None:
    world = await build_world(db, clock)
    slack_workspace.api.add_user(TEACHER, email=world.teacher.email)
    assert await _ack(slack_workspace, TEACHER, "help") == 200  # links the teacher first
    await slack_workspace.slack.work.drain()
    slack_workspace.api.clear()

    async with _database_held(db):
        assert await _ack(slack_workspace, TEACHER, "help") == 200
        assert slack_workspace.slack.work.pending == 1  # the turn waits for the database
    await slack_workspace.slack.work.drain()
    assert HELP in slack_workspace.last(user=TEACHER).words


async def test_teams_acks_in_time_while_the_connector_hangs(
    db: Database,
    clock: FixedClock,
    teams_client: tuple[TestClient[Any, Any], Waits],
    connector: FakeBotConnector,
) -> None:
    client, _ = teams_client
    await build_world(db, clock)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    held = connector.hold()

    response = await asyncio.wait_for(
        client.post("/api/messages", json=tess.activity(Chat.personal("tess"), text="help")),
        TEAMS_DEADLINE,
    )
    assert response.status == 202
    await held.wait_arrived()
    assert connector.delivered() == []

    held.release()
    await client.app[TEAMS].adapter.work.drain()
    assert HELP in text_of(connector.delivered())
