"""What a dialog step can see: the database session, who is speaking, where, and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock, london_now
from storage.models import Person, Placement
from storage.services.audit import Change

T = TypeVar("T")


@dataclass
class DialogContext:
    session: AsyncSession
    person: Person
    clock: Clock
    channel: str
    conversation: str
    # True where others can read the conversation (a provider's shared channel): replies there
    # name pupils by placement reference only.
    shared: bool = False
    # The organisation a shared channel belongs to (a provider's): only its placements are
    # offered or named there (see storage.access). None in a private chat.
    place: int | None = None
    # Records already looked up in this turn (by reference), so replaying the steps to the
    # next question does not fetch them again.
    found: dict[str, Placement] = field(default_factory=dict)
    # Other reads made while replaying the steps (a calendar, a day's marks, the list to pick
    # from), kept for this turn only by `once`: every turn reads afresh, and the save re-checks.
    memo: dict[Hashable, Any] = field(default_factory=dict)

    @property
    def now(self) -> dt.datetime:
        return london_now(self.clock)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def change(self) -> Change:
        return Change(person_id=self.person.id, channel=self.channel, at=self.clock.now())

    async def once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s result, read once in this turn under `key` (the steps are replayed two
        or three times a turn, and would otherwise read the same rows each time). Only for
        reads that nothing in the turn changes before the dialog's save; `forget` after a
        rollback."""
        if key not in self.memo:
            self.memo[key] = await load()
        return self.memo[key]

    def forget(self) -> None:
        """Drop what this turn has read (after its changes were rolled back)."""
        self.memo.clear()
        self.found.clear()


class Answers:
    """The answers given so far, stored as JSON; typed getters turn them back into values.
    Each field looked for while it has no answer is noted in `looked_for` (see
    `dialogs.engine.Walk`: a step that looks ahead to a later answer)."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = dict(data or {})
        self.looked_for: set[str] = set()

    def _value(self, field: str) -> Any:
        if field not in self.data:
            self.looked_for.add(field)
            return None
        return self.data[field]

    def __contains__(self, field: str) -> bool:
        if field in self.data:
            return True
        self.looked_for.add(field)
        return False

    def given(self, field: str) -> bool:
        """Whether `field` has an answer, without noting a look-ahead: only for a step that
        skips work its own answer makes needless, when nothing after it depends on that work
        (the list to pick from, once one is picked). Anything else reads through `in`."""
        return field in self.data

    def get(self, field: str, default: Any = None) -> Any:
        if field in self.data:
            return self.data[field]
        self.looked_for.add(field)
        return default

    def text(self, field: str) -> str | None:
        value = self._value(field)
        return None if value is None else str(value)

    def number(self, field: str) -> int | None:
        value = self._value(field)
        return None if value in (None, "") else int(value)

    def date(self, field: str) -> dt.date | None:
        value = self._value(field)
        return dt.date.fromisoformat(value) if value else None

    def time(self, field: str) -> dt.time | None:
        value = self._value(field)
        return dt.time.fromisoformat(value) if value else None

    def flag(self, field: str) -> bool:
        return bool(self._value(field))

    def many(self, field: str) -> list[str]:
        value = self._value(field)
        return list(value) if value else []
