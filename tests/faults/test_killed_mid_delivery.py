"""Fault: a bot process is killed (SIGKILL) while it is sending a nudge.

A real `apbot tick` runs as a child process against the test database, with Slack played by
the local fake, which holds the nudge's `chat.postMessage` unanswered. Once the request has
arrived, the child is killed. The row stays claimed by the dead process until its five-minute
lease runs out; then the next pass (a new bot, here the same scheduler `apbot tick` builds, in
this process) sends it.

What "once" means here: the killed process's request reached Slack, and Slack may well have
posted it, but the bot died before hearing so. The outbox cannot know, so the nudge is sent
again after the lease: at least once, never lost. What we guarantee and assert: it is sent
exactly once more after the restart, not before the lease is over, and never again after
Slack confirmed it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

from bot.channels.slack.delivery import SlackDeliverer
from bot.runtime import Runtime
from bot.scheduler import OutboxWorker
from bot.scheduler.background import deliverers_for, scheduler_for
from bot.server import build_app
from storage.clock import LONDON, FixedClock
from storage.models import OutboxStatus
from tests.fakes.slack_api import FakeSlackApi
from tests.support.database import TEST_KEY, Database
from tests.support.nudges import outbox_row, slack_setup
from tests.support.scheduler import clock_sleep
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, slack_settings

# Saturday: no digest or school-day reminder is owed, only the nudge this test queues.
KILLED_AT = dt.datetime(2026, 11, 28, 10, 0, tzinfo=LONDON)


def _child_env(db: Database, slack_api: FakeSlackApi) -> dict[str, str]:
    """`apbot`'s settings for the child, from the environment only (no .env, no host config)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "DATABASE_URL": db.url,
        "ENCRYPTION_KEYS": TEST_KEY,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.api_url,
        "HOST": "127.0.0.1",
        "INSTANCE_NAME": "doomed",
        "LOG_LEVEL": "WARNING",
    }


async def test_a_nudge_whose_sender_was_killed_is_sent_once_after_the_lease(
    db: Database, clock: FixedClock, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    clock.set(KILLED_AT)
    await slack_setup(db, clock)
    held = slack_api.hold("chat.postMessage")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "tick", "--at", f"{KILLED_AT:%Y-%m-%d %H:%M}",
        env=_child_env(db, slack_api), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    arrived = asyncio.ensure_future(held.wait_arrived(60))
    exited = asyncio.ensure_future(child.wait())
    await asyncio.wait([arrived, exited], return_when=asyncio.FIRST_COMPLETED)
    if not arrived.done():
        arrived.cancel()
        _, err = await child.communicate()
        raise AssertionError(f"apbot tick ended before sending: {err.decode()[-2000:]}")
    child.kill()  # SIGKILL: no clean-up, no "finally"
    assert await exited == -9

    row = await outbox_row(db)
    assert (row.status, row.claimed_by, row.attempts) == (OutboxStatus.pending, "doomed", 0)
    assert row.claimed_until == KILLED_AT + dt.timedelta(minutes=5)
    # Slack got the request and posts it, but nobody is left to hear the answer.
    held.release()
    await held.wait_done()
    assert len(slack_api.calls_to("chat.postMessage")) == 1

    # Another instance a minute later: the row is still leased to the dead one, left alone.
    runtime = Runtime(slack_settings(db, slack_api), db.engine, db.sessions, clock)
    app = build_app(runtime)
    clock.advance(dt.timedelta(minutes=1))
    deliverers = deliverers_for(app, runtime)
    assert isinstance(deliverers[0], SlackDeliverer)
    early = OutboxWorker(db.sessions, clock, deliverers, sleep=clock_sleep(clock))
    assert (await early.deliver_due()).sent == 0

    # The bot restarted after the lease: the pass `apbot tick` runs sends it, once.
    clock.set(KILLED_AT + dt.timedelta(minutes=5, seconds=1))
    restarted = scheduler_for(runtime, deliverers)
    assert (await restarted.run_pass()).delivery.sent == 1
    for _ in range(3):
        clock.advance(dt.timedelta(hours=1))
        await restarted.run_pass()

    posted = slack_api.calls_to("chat.postMessage")
    assert len(posted) == 2 and {c.args["channel"] for c in posted} == {"UDEE"}
    row = await outbox_row(db)
    assert (row.status, row.attempts, row.claimed_by) == (OutboxStatus.sent, 1, None)
