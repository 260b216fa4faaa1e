"""Retrying outgoing Bot Framework calls that the service asks us to repeat.

The connector answers 429 (too many requests) and 412 (a concurrent change) when we should slow
down, and 502/504 when Teams itself had a moment. Those are retried with exponential backoff,
waiting exactly as long as a `Retry-After` header asks. Anything else (400, 401, 403, 404) is
final: retrying would only repeat the mistake. botbuilder-free, so it is easy to test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

RETRY_STATUSES = frozenset({412, 429, 502, 504})


class ConnectorError(Exception):
    """A call to the Bot Framework connector failed. `status` is the HTTP status (None when the
    connector could not be reached at all); `retry_after` the wait it asked for, in seconds."""

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth trying again later (throttled, a gateway hiccup, or not reachable)."""
        return self.status is None or self.status in RETRY_STATUSES


def retry_after_seconds(header: str | None) -> float | None:
    """A `Retry-After` header in seconds (the Bot Framework sends a number of seconds)."""
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `attempts` in all, waiting `first_wait` then doubling, never longer
    than `longest_wait` (a longer Retry-After gives up at once, for a later retry elsewhere:
    Teams wants an answer to its request within 15 seconds)."""

    attempts: int = 4
    first_wait: float = 1.0
    longest_wait: float = 10.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """The pause before try number `attempt + 1`."""
        if retry_after is not None:
            return retry_after
        return min(self.first_wait * 2 ** (attempt - 1), self.longest_wait)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Run `call`, trying again after transient connector errors; the last error is raised."""
    attempt = 1
    while True:
        try:
            return await call()
        except ConnectorError as error:
            if not error.transient or attempt >= policy.attempts:
                raise
            pause = policy.wait(attempt, error.retry_after)
            if pause > policy.longest_wait:
                raise
            await sleep(pause)
            attempt += 1
