"""Work after the acknowledgement: one person's turns in order, a bounded number at once, and a
failure logged with a reference rather than lost silently."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.channels.work import Work


async def test_one_persons_turns_run_in_the_order_they_arrived() -> None:
    work = Work()
    done: list[str] = []
    first_may_finish = asyncio.Event()

    async def turn(name: str, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        done.append(name)

    work.spawn(turn("tess: start", first_may_finish), name="a", key="tess")
    work.spawn(turn("tess: answer"), name="b", key="tess")
    work.spawn(turn("pat: help"), name="c", key="pat")
    for _ in range(5):
        await asyncio.sleep(0)  # let every task run as far as it can (no time passes)
    assert done == ["pat: help"]  # Pat is not held up by Tess; Tess's answer waits for her start
    first_may_finish.set()
    await work.drain()
    assert done == ["pat: help", "tess: start", "tess: answer"]


async def test_no_more_than_the_limit_run_at_once() -> None:
    work = Work(limit=2)
    running = 0
    most = 0
    release = asyncio.Event()

    async def turn() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1

    for n in range(6):
        work.spawn(turn(), name=f"turn {n}")
    for _ in range(5):
        await asyncio.sleep(0)
    assert (running, work.pending) == (2, 6)
    release.set()
    await work.drain()
    assert most == 2 and work.pending == 0


async def test_a_failing_turn_is_logged_with_a_reference_and_the_next_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = Work(label="slack")
    done: list[str] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        done.append("fine")

    work.spawn(broken(), name="message", key="tess")
    work.spawn(fine(), name="message", key="tess")
    with caplog.at_level(logging.ERROR):
        await work.drain()
    assert done == ["fine"]
    assert any(r.getMessage().startswith("slack: message failed (ref ") for r in caplog.records)
