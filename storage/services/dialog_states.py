"""Where a person is in a dialog (the `dialog_states` table), read and written with Core.

A chat turn reads its state once and writes it once (or deletes it when the dialog ends or is
cancelled); through the ORM that cost an identity map, a unit of work and a flush for one row,
every turn. Here the statements are built once, at import, and the optimistic version check
the ORM did (`version_id_col`) is the UPDATE's or DELETE's own `WHERE version = :seen`: a turn
that finds the row moved on (another turn answered first) raises `StaleState` and writes
nothing. The answers are encrypted at rest as before (the column's type does it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogState

_TABLE = cast(Table, DialogState.__table__)
_C = _TABLE.c
# Locked for the turn (PostgreSQL): two turns of the same person here take turns.
_READ = (
    select(_C.id, _C.dialog, _C.answers, _C.history, _C.version)
    .where(_C.person_id == bindparam("person_id"), _C.conversation == bindparam("conversation"))
    .with_for_update()
)
_INSERT = insert(_TABLE).returning(_C.id)
_UPDATE = update(_TABLE).where(_C.id == bindparam("state_id"), _C.version == bindparam("seen"))
_DELETE = delete(_TABLE).where(_C.id == bindparam("state_id"), _C.version == bindparam("seen"))


class StaleState(Exception):
    """The state was changed or removed by another turn since it was read."""


@dataclass
class State:
    """One person's place in one dialog in one conversation, as read this turn."""

    id: int
    dialog: str
    answers: dict[str, Any]
    history: list[str]
    version: int


async def read(session: AsyncSession, person_id: int, conversation: str) -> State | None:
    """The state of this person's dialog here, locked until the transaction ends."""
    row = (
        await session.execute(_READ, {"person_id": person_id, "conversation": conversation})
    ).first()
    if row is None:
        return None
    return State(row.id, row.dialog, dict(row.answers or {}), list(row.history or []), row.version)


async def start(
    session: AsyncSession,
    *,
    person_id: int,
    conversation: str,
    dialog: str,
    answers: dict[str, Any],
    at: dt.datetime,
) -> State:
    """A new dialog's state (version 1). Raises IntegrityError when this person already has
    one here (another turn started a dialog at the same moment)."""
    values = {
        "person_id": person_id,
        "conversation": conversation,
        "dialog": dialog,
        "answers": answers,
        "history": [],
        "version": 1,
        "started_at": at,
        "updated_at": at,
    }
    state_id = (await session.execute(_INSERT, values)).scalar_one()
    return State(state_id, dialog, dict(answers), [], 1)


async def save(
    session: AsyncSession,
    state: State,
    *,
    answers: dict[str, Any],
    history: list[str],
    at: dt.datetime,
) -> None:
    """Write the answers and history, and move `state` on to the next version; StaleState if
    another turn moved it first."""
    values = {
        "state_id": state.id,
        "seen": state.version,
        "answers": answers,
        "history": history,
        "version": state.version + 1,
        "updated_at": at,
    }
    result = await session.execute(_UPDATE, values)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleState
    state.answers = dict(answers)
    state.history = list(history)
    state.version += 1


async def remove(session: AsyncSession, state: State) -> None:
    """Delete the state (the dialog ended or was cancelled); StaleState if another turn moved
    it first (of two racing turns only one ends the dialog)."""
    result = await session.execute(_DELETE, {"state_id": state.id, "seen": state.version})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleState
