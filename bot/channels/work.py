"""Work done after a platform has been answered. Slack wants an acknowledgement within 3 seconds
and Teams within 15; a dialog turn (database, Web API calls) can take longer, so each channel
acknowledges first and hands the turn here.

- Each piece is an asyncio task kept here, so shutdown and tests can wait for all of it.
- At most `limit` pieces run at once; the rest wait their turn without holding a database
  connection. Under a rush the backlog queues here instead of timing out in the connection
  pool (5 + 10 connections), where a waiting turn would be dropped after 30 s.
- Pieces with the same `key` (one person in one conversation) run one after another, in the
  order they arrived: two quick answers are never handled out of order.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

# Below the connection pool's 15, leaving room for the scheduler and /healthz.
DEFAULT_LIMIT = 10


class Work:
    """The background tasks of one channel."""

    def __init__(self, *, limit: int = DEFAULT_LIMIT, label: str = "work") -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(limit)
        self._last: dict[str, asyncio.Task[None]] = {}
        self._label = label

    def spawn(self, job: Coroutine[Any, Any, None], *, name: str, key: str | None = None) -> None:
        """Run `job` after the acknowledgement (after the previous job with the same `key`);
        a failure is logged with a reference."""
        before = self._last.get(key) if key else None
        task = asyncio.get_running_loop().create_task(self._guarded(job, name, before), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if key:
            self._last[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: str, task: asyncio.Task[None]) -> None:
        if self._last.get(key) is task:
            del self._last[key]

    async def _guarded(
        self, job: Coroutine[Any, Any, None], name: str, before: asyncio.Task[None] | None
    ) -> None:
        try:
            if before is not None:
                await asyncio.wait([before])
            async with self._slots:
                await job
        except Exception:
            log.exception("%s: %s failed (ref %s)", self._label, name, secrets.token_hex(3).upper())
        finally:
            job.close()  # never started (cancelled while waiting): no "never awaited" warning

    async def drain(self) -> None:
        """Wait until every task (and any task they started) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def pending(self) -> int:
        return len(self._tasks)
