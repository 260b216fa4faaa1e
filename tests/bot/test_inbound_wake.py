"""A worker hears at once of a turn another process kept (PostgreSQL's LISTEN and NOTIFY), so
a web process that only acknowledges does not leave each answer waiting for the worker's next
look at the queue (`inbound_poll_seconds`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.channels.inbound import InboundQueue
from bot.channels.work import Work
from bot.settings import Settings
from storage.clock import FixedClock
from tests.support.database import Database

# Long enough that a turn run within the test's deadline was not found by looking.
NEVER = 3600.0
DEADLINE = 30.0  # seconds of real time for the woken worker to run the turn


def _queue(db: Database, clock: FixedClock, *, runs_turns: bool, name: str) -> InboundQueue:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=db.url,
        SERVE_RUNS_TURNS=runs_turns,
        INBOUND_POLL_SECONDS=NEVER,
        INSTANCE_NAME=name,
    )
    return InboundQueue(
        platform="slack", settings=settings, sessions=db.sessions, clock=clock, work=Work()
    )


async def test_a_worker_runs_a_turn_kept_by_a_web_process_without_waiting_to_look(
    db: Database, clock: FixedClock
) -> None:
    if db.backend == "sqlite":
        pytest.skip("with SQLite, `apbot serve` runs its own turns: no worker to wake")
    web = _queue(db, clock, runs_turns=False, name="web-1")
    worker = _queue(db, clock, runs_turns=True, name="worker-1")
    ran: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def turn(payload: dict[str, Any]) -> None:
        await ran.put(payload)

    web.handle("message", turn)
    worker.handle("message", turn)
    stop = asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop))
    try:
        await asyncio.wait_for(worker.listening.wait(), DEADLINE)
        # The worker has looked once and found nothing; it would look again in an hour.
        await web.accept("message", {"text": "AM"}, sender="U1")
        assert await asyncio.wait_for(ran.get(), DEADLINE) == {"text": "AM"}
        await web.accept("message", {"text": "yes"}, sender="U1")
        assert await asyncio.wait_for(ran.get(), DEADLINE) == {"text": "yes"}
    finally:
        stop.set()
        await asyncio.wait_for(running, DEADLINE)
    assert ran.empty()  # each once
