"""Time, injected. Nothing in the product reads the wall clock directly.

Schools work in Europe/London; records store instants in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    """Something that says what time it is now (an aware datetime)."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that only moves when told to: for tests, `apbot tick --at` and scripts."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=LONDON)
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def set(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=LONDON)

    def advance(self, delta: dt.timedelta) -> None:
        self._at = self._at + delta


def london_now(clock: Clock) -> dt.datetime:
    """The clock's now, in the schools' time zone."""
    return clock.now().astimezone(LONDON)


def london_today(clock: Clock) -> dt.date:
    """Today's date in England."""
    return london_now(clock).date()
