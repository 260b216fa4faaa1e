"""Pacing messages per conversation, as the platforms ask: Slack about one message a second per
channel, Teams seven a second per conversation. A 429's Retry-After holds that conversation."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping

from bot.delivery import Recipient
from storage.clock import Clock

# Seconds between two messages to the same conversation, per platform.
SPACING: Mapping[str, float] = {"slack": 1.0, "teams": 1 / 7}


def conversation_of(platform: str, recipient: Recipient) -> str:
    """The conversation a notice lands in, as far as rate limits go: the shared channel, or the
    person's direct message on that platform."""
    if recipient.channel_external_id:
        return f"channel:{recipient.channel_external_id}"
    identity = {"slack": recipient.slack_user_id, "teams": recipient.teams_aad_object_id}
    return f"person:{identity.get(platform) or recipient.person_id}"


class Limiter:
    """Spaces sends per (platform, conversation), waiting through the injected `sleep`."""

    def __init__(
        self,
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        spacing: Mapping[str, float] = SPACING,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.spacing = spacing
        self._next: dict[tuple[str, str], dt.datetime] = {}

    async def wait(self, platform: str, conversation: str) -> None:
        """Wait until a message may go to this conversation, and book the next slot."""
        key = (platform, conversation)
        ready = self._next.get(key)
        now = self.clock.now()
        if ready is not None and ready > now:
            await self.sleep((ready - now).total_seconds())
            now = max(self.clock.now(), ready)
        self._next[key] = now + dt.timedelta(seconds=self.spacing.get(platform, 0.0))

    def hold(self, platform: str, conversation: str, seconds: float) -> None:
        """The platform said to wait `seconds` before the next message here."""
        key = (platform, conversation)
        until = self.clock.now() + dt.timedelta(seconds=max(seconds, 0.0))
        self._next[key] = max(self._next.get(key, until), until)
