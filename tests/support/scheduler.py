"""A small in-test channel for the scheduler: records what it sends, fails when told to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.delivery import DeliveryFailed, Notice, Recipient
from storage.clock import FixedClock


class RecordingDeliverer:
    """A channel that reaches people with a Slack id (or everyone), records each notice and
    the clock time it was sent, and raises the failures queued in `failures` first."""

    def __init__(
        self,
        clock: FixedClock,
        *,
        platform: str = "slack",
        reaches: Callable[[Recipient], bool] | None = None,
    ) -> None:
        self.platform = platform
        self.clock = clock
        self.reaches = reaches or (lambda recipient: True)
        self.sent: list[Notice] = []
        self.times: list[dt.datetime] = []
        self.failures: list[DeliveryFailed] = []

    async def can_reach(self, recipient: Recipient) -> bool:
        return self.reaches(recipient)

    async def send(self, notice: Notice) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(notice)
        self.times.append(self.clock.now())

    def keys(self) -> list[str]:
        return [n.key for n in self.sent]


def clock_sleep(clock: FixedClock, slept: list[float] | None = None) -> Callable[[float], object]:
    """A `sleep` that moves the injected clock instead of waiting."""

    async def sleep(seconds: float) -> None:
        if slept is not None:
            slept.append(seconds)
        clock.advance(dt.timedelta(seconds=seconds))

    return sleep
