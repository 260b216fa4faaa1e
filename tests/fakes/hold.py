"""Holding a request in a fake platform server: the fault "the platform hangs".

A test asks a fake to hold the next call (`FakeSlackApi.hold`, `FakeBotConnector.hold`) and gets
a `Hold`. When the bot's request arrives, `arrived` is set, and the request waits, unanswered,
until the test calls `release()` (the platform answers, late) or `drop()` (the connection is
closed with no answer at all, as when a proxy or the platform gives up). A test waits on
`arrived`, never on a timer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Hold:
    """One held request (see the module docstring)."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _let_go: asyncio.Event = field(default_factory=asyncio.Event)
    # Set once the fake has answered (or dropped) the request and recorded it.
    done: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: bool = False

    def release(self) -> None:
        """Answer the held request now (as the platform would have, only late)."""
        self._let_go.set()

    def drop(self) -> None:
        """Close the held request's connection without an answer."""
        self.dropped = True
        self._let_go.set()

    async def wait_arrived(self, deadline: float = 30.0) -> None:
        """Wait until the request has arrived (`deadline` only guards a broken test)."""
        await asyncio.wait_for(self.arrived.wait(), deadline)

    async def wait_done(self, deadline: float = 30.0) -> None:
        """Wait until the fake has answered (or dropped) the request and recorded it."""
        await asyncio.wait_for(self.done.wait(), deadline)

    async def block(self) -> bool:
        """Called by the fake's handler: wait to be let go. True to answer, False to drop."""
        self.arrived.set()
        await self._let_go.wait()
        return not self.dropped
