"""Fault: the Slack Web API or the Bot Framework connector answers 500 or 429, or never answers.

A nudge in the outbox is sent by the real channel (the Web API client and retry policy
`apbot serve` builds) to the local fakes, and the scheduler's worker retries it: nothing is
lost, and what the platform refused is not shown twice. Waits (Retry-After, backoff) move the
injected clock; nothing sleeps.

What "once" means when an answer never comes back: the platform may have shown the message
and we cannot know. We send it again (the person may then see it twice); we never drop it, and
we never send again a message the platform confirmed. At least once, not exactly once.

Already covered elsewhere (not repeated here): a 429 waited out in the same pass and five
failures parking a message, through Slack (tests/bot/scheduler/test_channel_delivery.py) and
Teams (tests/bot/teams/test_scheduler_delivery.py); the Teams retry policy on 429/412/502/504
(tests/bot/teams/test_proactive.py); the worker's backoff and parking rules
(tests/bot/scheduler/test_worker.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp.test_utils import TestClient

from bot.channels.slack.app import create_slack
from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.delivery import SlackDeliverer
from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.scheduler import OutboxWorker
from storage.clock import FixedClock
from storage.models import OutboxStatus
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.support.database import Database
from tests.support.factories import build_world
from tests.support.faulty import Waits
from tests.support.nudges import nudge_for, outbox_row, slack_setup
from tests.support.scheduler import clock_sleep
from tests.support.slack import SlackWorkspace, slack_settings
from tests.support.teams import Chat, TeamsUser

NUDGE = "QA visit OVERDUE for AP-TEST."
RETRY_AFTER = dt.timedelta(seconds=120)


def _slack(db: Database, clock: FixedClock, api: FakeSlackApi) -> SlackChannel:
    """The Slack channel as `apbot serve` builds it, its Retry-After waits moving the clock."""
    slack = create_slack(Runtime(slack_settings(db, api), db.engine, db.sessions, clock))
    assert slack is not None
    slack.rate_limits.sleep = clock_sleep(clock)
    return slack


def _posts(api: FakeSlackApi) -> list[tuple[int, bool]]:
    """Every chat.postMessage the fake received: (HTTP status, whether it was posted)."""
    return [(c.status, c.ok) for c in api.calls if c.method == "chat.postMessage"]


async def test_slack_500_then_429_the_nudge_arrives_once(
    db: Database, clock: FixedClock, slack_api: FakeSlackApi
) -> None:
    await slack_setup(db, clock)
    slack = _slack(db, clock, slack_api)
    worker = OutboxWorker(
        db.sessions, clock, [SlackDeliverer(slack.client)], sleep=clock_sleep(clock)
    )
    slack_api.fail_http("chat.postMessage", 500)
    slack_api.rate_limit(1, retry_after=120, method="chat.postMessage")

    await worker.deliver_due()  # Slack is down: HTTP 500
    row = await outbox_row(db)
    assert (row.status, row.attempts) == (OutboxStatus.pending, 1)
    assert "500" in (row.last_error or "")
    assert row.next_attempt_at == clock.now() + dt.timedelta(minutes=1)
    await worker.deliver_due()  # not before the backoff
    assert _posts(slack_api) == [(500, False)]

    clock.advance(dt.timedelta(minutes=1))
    start = clock.now()
    # 429 asking for two minutes: longer than a delivery may hold its claim waiting, so the
    # row goes back to the outbox until then, rather than the wait being spent in the request.
    report = await worker.deliver_due()
    assert (report.sent, report.retried, slack.rate_limits.waits) == (0, 1, [])
    row = await outbox_row(db)
    assert (row.status, row.next_attempt_at) == (OutboxStatus.pending, start + RETRY_AFTER)
    clock.advance(RETRY_AFTER - dt.timedelta(seconds=1))
    assert (await worker.deliver_due()).sent == 0  # not before Slack said
    clock.advance(dt.timedelta(seconds=1))
    assert (await worker.deliver_due()).sent == 1
    for _ in range(3):  # later passes send nothing more
        clock.advance(dt.timedelta(hours=1))
        await worker.deliver_due()

    assert _posts(slack_api) == [(500, False), (429, False), (200, True)]
    assert [c.args["text"] for c in slack_api.calls_to("chat.postMessage")] == [NUDGE]
    row = await outbox_row(db)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.sent, 3, None)


async def test_slack_timing_out_the_nudge_is_sent_again_never_dropped(
    db: Database, clock: FixedClock, slack_api: FakeSlackApi
) -> None:
    await slack_setup(db, clock)
    slack = _slack(db, clock, slack_api)
    slack.client.timeout = 1  # seconds (30 in production): the fault is real, only shorter
    worker = OutboxWorker(
        db.sessions, clock, [SlackDeliverer(slack.client)], sleep=clock_sleep(clock)
    )
    held = slack_api.hold("chat.postMessage")

    report = await worker.deliver_due()  # Slack never answers: the client gives up
    assert (report.sent, report.retried) == (0, 1)
    row = await outbox_row(db)
    assert row.status == OutboxStatus.pending and "TimeoutError" in (row.last_error or "")
    # Slack did post it after all, too late for its answer to be heard.
    held.release()
    await held.wait_done()
    assert len(slack_api.calls_to("chat.postMessage")) == 1

    clock.advance(dt.timedelta(minutes=1))
    assert (await worker.deliver_due()).sent == 1
    for _ in range(3):
        clock.advance(dt.timedelta(hours=1))
        await worker.deliver_due()

    # At least once: the person may see it twice, never zero times, never a third time.
    assert len(slack_api.calls_to("chat.postMessage")) == 2
    row = await outbox_row(db)
    assert (row.status, row.attempts) == (OutboxStatus.sent, 2)


async def _tess_in_teams(
    db: Database, clock: FixedClock, client: TestClient[Any, Any], connector: FakeBotConnector
) -> OutboxWorker:
    """The teacher has talked to the bot in Teams (so a reference is stored) and has a nudge;
    the worker that delivers it through the app's Teams channel."""
    world = await build_world(db, clock)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    await TeamsUser(client, connector, "29:tess", "aad-tess").say("help", Chat.personal("tess"))
    connector.clear()
    await nudge_for(db, clock, world.teacher.id)
    teams = client.app[TEAMS]
    return OutboxWorker(
        db.sessions, clock, [TeamsDeliverer(teams.adapter, db.sessions)], sleep=clock_sleep(clock)
    )


def _cards(connector: FakeBotConnector) -> list[str]:
    return [a["attachments"][0]["content"]["body"][0]["text"] for a in connector.delivered()]


async def test_teams_500_then_a_long_429_the_nudge_arrives_once(
    db: Database,
    clock: FixedClock,
    teams_client: tuple[TestClient[Any, Any], Waits],
    connector: FakeBotConnector,
) -> None:
    client, waits = teams_client
    worker = await _tess_in_teams(db, clock, client, connector)
    connector.fail_next(1, status=500)
    connector.fail_next(1, status=429, retry_after=60)

    await worker.deliver_due()  # 500: not retried at once, the worker's backoff
    clock.advance(dt.timedelta(minutes=1))
    await worker.deliver_due()  # 429 asking for a minute: longer than a pass waits
    row = await outbox_row(db)
    assert (row.status, row.attempts) == (OutboxStatus.pending, 2)
    assert row.next_attempt_at == clock.now() + dt.timedelta(seconds=60)
    clock.advance(dt.timedelta(seconds=59))
    await worker.deliver_due()
    assert connector.delivered() == []

    clock.advance(dt.timedelta(seconds=1))
    assert (await worker.deliver_due()).sent == 1
    for _ in range(3):
        clock.advance(dt.timedelta(hours=1))
        await worker.deliver_due()

    assert [c.status for c in connector.sent] == [500, 429, 200]
    assert _cards(connector) == [NUDGE]
    assert waits.seconds == []  # nothing waited inside a pass: the outbox held it
    row = await outbox_row(db)
    assert (row.status, row.attempts, row.delivered_via) == (OutboxStatus.sent, 3, "teams")


async def test_teams_connection_dropped_the_nudge_is_sent_again_at_once(
    db: Database,
    clock: FixedClock,
    teams_client: tuple[TestClient[Any, Any], Waits],
    connector: FakeBotConnector,
) -> None:
    client, waits = teams_client
    worker = await _tess_in_teams(db, clock, client, connector)
    held = connector.hold()
    delivery = worker.deliver_due()

    async def drop_when_it_arrives() -> None:
        await held.wait_arrived()
        held.drop()

    report, _ = await asyncio.gather(delivery, drop_when_it_arrives())

    # No answer at all: the connector is tried again after a second (the clock's, not slept).
    assert report.sent == 1 and waits.seconds == [1.0]
    assert [c.status for c in connector.sent] == [0, 200]
    assert _cards(connector) == [NUDGE]
    row = await outbox_row(db)
    assert (row.status, row.attempts) == (OutboxStatus.sent, 1)


async def test_a_dialog_reply_slack_refuses_with_500_is_posted_again(
    db: Database, clock: FixedClock, slack_workspace: SlackWorkspace
) -> None:
    """The person's answer is saved before the reply goes out; were the reply lost, they
    would not see the next question, and what they typed next would answer it unseen."""
    world = await build_world(db, clock)
    slack_workspace.api.add_user("UTEACHER", email=world.teacher.email)
    slack_workspace.api.fail_http("chat.postMessage", 500)

    assert await slack_workspace.dm("UTEACHER", "help") == 200
    await slack_workspace.slack.work.drain()

    assert _posts(slack_workspace.api) == [(500, False), (200, True)]
    posted = slack_workspace.api.calls_to("chat.postMessage")
    assert len(posted) == 1 and "Here is what you can do" in posted[0].args["text"]
