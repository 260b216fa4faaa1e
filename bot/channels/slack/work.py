"""Work done after Slack has been answered: Slack wants an acknowledgement within 3 seconds,
and a dialog turn (database, Web API calls) can take longer. Each piece is an asyncio task
kept here, so shutdown and tests can wait for all of it to finish."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Work:
    """The background tasks of one Slack channel."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, job: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run `job` after the acknowledgement; a failure is logged with a reference."""
        task = asyncio.get_running_loop().create_task(self._guarded(job, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, job: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await job
        except Exception:
            log.exception("slack: %s failed (ref %s)", name, secrets.token_hex(3).upper())

    async def drain(self) -> None:
        """Wait until every task (and any task they started) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def pending(self) -> int:
        return len(self._tasks)
