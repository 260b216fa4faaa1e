"""What a chat turn reads first, in one statement: who wrote (the active person linked to the
platform's user id, with their organisation), that person's stored conversation reference on
the platform (their DM: the question left open, the Teams reference), and their dialog's state
in the turn's conversation, locked for the turn on PostgreSQL as `dialog_states.read` locks it.
For Teams also whether the tenant is mapped to the person's organisation, and whether any
tenant is mapped at all (`identity_links.teams_tenant_admits` decides from those).

It was four statements a turn (the person and reference, the tenant, the state, each a round
trip); the reference and the state are read as columns (no ORM objects to build for them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Select,
    String,
    Table,
    and_,
    bindparam,
    exists,
    literal,
    select,
    true,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, DialogState, Person, WorkspaceLink
from storage.services.conversation_refs import StoredRef
from storage.services.dialog_states import State
from storage.services.identity_links import IDENTITY_COLUMNS


@dataclass(frozen=True)
class TurnRead:
    """What `read_turn` found: the person, their reference (None: none stored yet), their
    dialog's state here (None: no dialog open), and for Teams the tenant's mapping."""

    person: Person
    ref: StoredRef | None
    state: State | None
    tenant_mapped_to_theirs: bool = False
    any_tenant_mapped: bool = False


_STATES = cast(Table, DialogState.__table__)
_S = _STATES.c
_REFS = cast(Table, ConversationRef.__table__)
_R = _REFS.c
_TEAMS_LINK = WorkspaceLink.platform == "teams"


def _read_turn(platform: str, *, postgresql: bool) -> Select[Any]:
    column = getattr(Person, IDENTITY_COLUMNS[platform])
    ref_of_person = and_(
        _R.platform == platform,
        _R.target == literal("person:") + sql_cast(Person.id, String),
    )
    state_here = and_(_S.person_id == Person.id, _S.conversation == bindparam("conversation"))
    state_columns = (_S.id, _S.dialog, _S.answers, _S.history, _S.version)
    if postgresql:
        # Locked as `dialog_states.read` locks it; FOR UPDATE may not name the nullable side of
        # an outer join, so the state is a LATERAL subquery that locks its own row.
        state: Any = select(*state_columns).where(state_here).with_for_update().lateral("state")
        state_join: Any = true()
    else:  # SQLite: `BEGIN IMMEDIATE` holds the whole database for the turn already
        state = _STATES
        state_join = state_here
    c = state.c
    query = (
        select(
            Person,
            _R.conversation_id,
            _R.reference,
            c.id,
            c.dialog,
            c.answers,
            c.history,
            c.version,
        )
        .outerjoin(_REFS, ref_of_person)
        .outerjoin(state, state_join)
        .where(column == bindparam("user_id"), Person.active)
    )
    if platform == "teams":
        mapped_to_theirs = exists().where(
            _TEAMS_LINK,
            WorkspaceLink.external_id == bindparam("tenant_id"),
            WorkspaceLink.organisation_id == Person.organisation_id,
        )
        query = query.add_columns(mapped_to_theirs, exists().where(_TEAMS_LINK)).where(
            Person.teams_tenant_id == bindparam("tenant_id")
        )
    return query


# Built once (every known person's chat turn begins with it; building a statement costs more
# CPU than running it), per platform and database.
_READ_TURN = {
    (platform, postgresql): _read_turn(platform, postgresql=postgresql)
    for platform in IDENTITY_COLUMNS
    for postgresql in (True, False)
}


async def read_turn(
    session: AsyncSession,
    platform: str,
    user_id: str,
    *,
    conversation: str,
    tenant_id: str | None = None,
) -> TurnRead | None:
    """The active person linked to this platform user id (a Teams user: only with a link
    stored for `tenant_id`), their stored reference, and their dialog's state in
    `conversation` (locked until the transaction ends); None for nobody linked."""
    if platform == "teams" and not tenant_id:
        return None
    postgresql = session.get_bind().dialect.name == "postgresql"
    params = {"user_id": user_id, "tenant_id": tenant_id, "conversation": conversation}
    row = (await session.execute(_READ_TURN[platform, postgresql], params)).first()
    if row is None:
        return None
    person, ref_conversation, reference, state_id, dialog, answers, history, version = row[:8]
    ref = None if ref_conversation is None else StoredRef(ref_conversation, dict(reference or {}))
    state = None
    if state_id is not None:
        state = State(state_id, dialog, dict(answers or {}), list(history or []), version)
    if platform != "teams":
        return TurnRead(person, ref, state)
    return TurnRead(person, ref, state, bool(row[8]), bool(row[9]))


def tenant_admits(read: TurnRead, *, listed: bool) -> bool:
    """`identity_links.teams_tenant_admits`, from what `read_turn` read."""
    if read.person.organisation_id is None:
        return listed
    return read.tenant_mapped_to_theirs or (listed and not read.any_tenant_mapped)
