"""The scheduler delivering through the real Slack channel, against the local Slack Web API
server (the Teams half is in tests/bot/teams/test_scheduler_delivery.py): a 429 with Retry-After is waited out (with an
injected sleep, no real waiting); a message failing five times is parked, not lost."""

from __future__ import annotations

import datetime as dt

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.delivery import SlackDeliverer
from bot.scheduler import OutboxWorker
from storage.clock import FixedClock
from storage.models import OutboxStatus
from tests.fakes.slack_api import FakeSlackApi
from tests.support.database import Database
from tests.support.nudges import outbox_row, slack_setup
from tests.support.scheduler import clock_sleep


async def test_slack_429_with_retry_after_is_waited_out(db: Database, clock: FixedClock) -> None:
    await slack_setup(db, clock)
    async with FakeSlackApi() as slack_api:
        slack_api.rate_limit(1, retry_after=3, method="chat.postMessage")
        deliverer = SlackDeliverer(AsyncWebClient(token="xoxb-test", base_url=slack_api.api_url))
        slept: list[float] = []
        worker = OutboxWorker(db.sessions, clock, [deliverer], sleep=clock_sleep(clock, slept))
        start = clock.now()

        report = await worker.deliver_due()

        posts = [c for c in slack_api.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].args["channel"] == "UDEE"
    assert sum(slept) >= 3 and clock.now() - start >= dt.timedelta(seconds=3)
    buttons = [e["text"]["text"] for b in posts[1].args["blocks"] for e in b.get("elements", []) if e.get("type") == "button"]  # fmt: skip
    assert buttons == ["Snooze 1 day", "Snooze 1 week", "Open"]
    row = await outbox_row(db)
    assert (row.status, row.attempts, row.delivered_via) == (OutboxStatus.sent, 2, "slack")
    assert report.sent == 1


async def test_slack_failing_five_times_is_parked_with_its_error(
    db: Database, clock: FixedClock
) -> None:
    await slack_setup(db, clock)
    async with FakeSlackApi() as slack_api:
        for _ in range(6):
            slack_api.fail_next("chat.postMessage", "internal_error")
        deliverer = SlackDeliverer(AsyncWebClient(token="xoxb-test", base_url=slack_api.api_url))
        worker = OutboxWorker(db.sessions, clock, [deliverer], sleep=clock_sleep(clock))
        for _ in range(8):
            await worker.deliver_due()
            clock.advance(dt.timedelta(hours=2))
        attempts = len(slack_api.calls_to("chat.postMessage")) + sum(
            1 for c in slack_api.calls if c.method == "chat.postMessage" and not c.ok
        )
    row = await outbox_row(db)
    assert (row.status, row.attempts) == (OutboxStatus.parked, 5)
    assert row.last_error == "Slack said internal_error"
    assert attempts == 5  # tried five times, then left for an admin (`apbot nudges list`)
