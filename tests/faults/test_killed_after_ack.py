"""Fault: the bot is killed (SIGKILL) right after it acknowledged a message (issue 17).

Slack and Teams never send again what was acknowledged: a message acknowledged and then lost
with the process is a person's answer silently gone. Here real processes run on the test
database (`apbot serve`; on PostgreSQL, the web process only acknowledges and an `apbot worker`
runs the turns), Slack and the Bot Framework connector played by the local fakes. Each signed
Slack DM and each Teams activity is sent, and as soon as its acknowledgement arrives every
process is killed with SIGKILL and started again; its reply must then come from the restarted
processes before the next message is sent (so a kill never lands inside an earlier message's
turn: one killed between its commit and its reply would lose the reply, which is sent at most
once; see docs/architecture.md). At the end every message has had exactly one reply, each
delivery is recorded once, and nothing is left in the inbound queue.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from storage.models import InboundEvent, QueuedTurn
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import TEST_KEY, Database
from tests.support.factories import build_world
from tests.support.instances import KillableBot, RemoteSlack, WatchedSlackApi, bot_environment
from tests.support.load_balancer import free_port
from tests.support.teams import BOT, TENANT, Chat, text_of

SLACK_USER = "UKILLED"
TEAMS_USER = "29:killed"
TEAMS_AAD = "aad-killed"
MESSAGES = 3  # per platform
HELP = "Here is what you can do"
WITHIN = 60.0  # seconds for every reply to arrive after the last restart


def _teams_message(connector: FakeBotConnector, text: str) -> dict[str, Any]:
    """A message activity, as Teams posts it, from the Teams user in their personal chat."""
    chat = Chat.personal(TEAMS_USER)
    return {
        "type": "message",
        "id": f"killed-{uuid.uuid4().hex[:8]}",
        "timestamp": "2026-11-27T10:00:00.000Z",
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "from": {"id": TEAMS_USER, "name": "Tess Teacher", "aadObjectId": TEAMS_AAD},
        "recipient": BOT,
        "conversation": {**chat.conversation, "tenantId": TENANT["id"]},
        "channelData": {"tenant": TENANT},
        "locale": "en-GB",
        "text": text,
    }


async def _replied(
    api: WatchedSlackApi, connector: FakeBotConnector, db: Database, *, slack: int, teams: int
) -> None:
    """Wait until Slack and Teams have had this many replies and the queue is empty."""
    deadline = time.monotonic() + WITHIN
    while True:
        async with db.sessions() as session:
            waiting = await session.scalar(select(func.count()).select_from(QueuedTurn))
        got_slack, got_teams = api.count_in(f"D{SLACK_USER}"), len(connector.delivered())
        if got_slack >= slack and got_teams >= teams and waiting == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"after {WITHIN:.0f} s: {got_slack} of {slack} Slack replies, "
                f"{got_teams} of {teams} Teams replies, {waiting} turns waiting"
            )
        await asyncio.sleep(0.2)  # polling the fakes and the database, with a deadline


async def test_every_message_acknowledged_before_a_kill_gets_exactly_one_reply(
    db: Database, clock, tmp_path: Path
) -> None:
    world = await build_world(db, clock)
    postgres = db.backend == "postgres"
    async with WatchedSlackApi() as api, FakeBotConnector() as connector:
        api.add_user(SLACK_USER, email=world.teacher.email)
        connector.add_member(TEAMS_USER, email=world.teacher.email, aad_object_id=TEAMS_AAD)
        port = free_port()
        env = bot_environment(
            database_url=db.url,
            slack_api_url=api.api_url,
            encryption_key=TEST_KEY,
            port=port,
            name="killed",
            log_level="INFO",
        )
        env.update(TEAMS_LOCAL_TRIAL="true", INBOUND_LEASE_SECONDS="2", INBOUND_POLL_SECONDS="0.2")
        bot = KillableBot(env, tmp_path, port, worker_too=postgres)
        async with aiohttp.ClientSession() as http:
            slack = RemoteSlack(api=api, base_url=bot.url, session=http)
            try:
                for n in range(MESSAGES):
                    await bot.start()
                    assert await slack.dm(SLACK_USER, "help") == 200
                    await bot.kill()  # right after Slack's 200
                    await bot.start()
                    await _replied(api, connector, db, slack=n + 1, teams=n)
                    async with http.post(
                        bot.url + "/api/messages", json=_teams_message(connector, "help")
                    ) as response:
                        assert response.status == 202, n
                    await bot.kill()  # right after Teams' 202
                await bot.start()
                await _replied(api, connector, db, slack=MESSAGES, teams=MESSAGES)
                await asyncio.sleep(3 * 2)  # two leases: a turn run twice would show now
            except Exception as error:
                raise AssertionError(f"{error}\n{bot.logs()}") from error
            finally:
                await bot.stop()

    # Exactly one reply to each message: the help text, once, on each platform.
    slack_replies = [posted.text for posted in api.posts_in(f"D{SLACK_USER}")]
    assert len(slack_replies) == MESSAGES, slack_replies
    assert all(HELP in reply for reply in slack_replies), slack_replies
    teams_replies = [text_of([activity]) for activity in connector.delivered()]
    assert len(teams_replies) == MESSAGES, teams_replies
    assert all(HELP in reply for reply in teams_replies), teams_replies
    # Each delivery recorded once; nothing acknowledged is still waiting.
    async with db.sessions() as session:
        seen = list(await session.scalars(select(InboundEvent.platform)))
        waiting = await session.scalar(select(func.count()).select_from(QueuedTurn))
    assert sorted(seen) == ["slack"] * MESSAGES + ["teams"] * MESSAGES
    assert waiting == 0
