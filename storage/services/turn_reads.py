"""What a chat turn reads first, in one statement: who wrote (the active person linked to the
platform's user id, with their organisation), that person's stored conversation reference on
the platform (their DM: the question left open, the Teams reference), and their dialog's state
in the turn's conversation, locked for the turn on PostgreSQL as `dialog_states.read` locks it.
For Teams also whether the tenant is mapped to the person's organisation, and whether any
tenant is mapped at all (`identity_links.teams_tenant_admits` decides from those). On
PostgreSQL the turn's first-delivery insert, with the kept delivery's delete, can go in the
same statement (`read_turn_once`: data-modifying CTEs, as `inbound_queue.first_delivery_and_finish`).

It was four statements a turn (the person and reference, the tenant, the state, each a round
trip); the reference and the state are read as columns (no ORM objects to build for them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Select,
    String,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ConversationRef,
    DialogState,
    InboundEvent,
    Person,
    QueuedTurn,
    WorkspaceLink,
)
from storage.services.conversation_refs import StoredRef
from storage.services.dialog_states import State
from storage.services.identity_links import IDENTITY_COLUMNS, tenant_admits_person
from storage.services.inbound_events import delivery_row


@dataclass(frozen=True)
class TurnRead:
    """What `read_turn` found: the person, their reference (None: none stored yet), their
    dialog's state here (None: no dialog open), and for Teams the tenant's mapping."""

    person: Person
    ref: StoredRef | None
    state: State | None
    tenant_mapped_to_theirs: bool = False
    any_tenant_mapped: bool = False


@dataclass(frozen=True)
class FirstDelivery:
    """A delivery to record as seen in `read_turn_once`'s statement (`inbound_events`), and
    the kept delivery (`inbound_queue` row, if any) to forget with it."""

    platform: str
    event_id: str
    at: dt.datetime
    turn_id: int | None = None


_STATES = cast(Table, DialogState.__table__)
_S = _STATES.c
_REFS = cast(Table, ConversationRef.__table__)
_R = _REFS.c
_TEAMS_LINK = WorkspaceLink.platform == "teams"
_EVENTS = cast(Table, InboundEvent.__table__)
_QUEUE = cast(Table, QueuedTurn.__table__)


def _read_turn(platform: str, *, postgresql: bool, once: bool = False) -> Select[Any]:
    column = getattr(Person, IDENTITY_COLUMNS[platform])
    who = and_(column == bindparam("user_id"), Person.active)
    if platform == "teams":
        who = and_(who, Person.teams_tenant_id == bindparam("tenant_id"))
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
    columns = (Person, _R.conversation_id, _R.reference, c.id, c.dialog, c.answers, c.history)
    if once:
        # The row is there whether or not anyone is linked: its first column says whether the
        # delivery is new (the INSERT's RETURNING gave a row), the rest are NULL for nobody.
        first = (
            pg.insert(_EVENTS)
            .values(
                platform=bindparam("event_platform"),
                event_id=bindparam("event_id"),
                received_at=bindparam("received_at", type_=_EVENTS.c.received_at.type),
            )
            .on_conflict_do_nothing()
            .returning(literal_column("1").label("one"))
            .cte("first")
        )
        finished = delete(_QUEUE).where(_QUEUE.c.id == bindparam("turn_id")).cte("finished")
        new = select(func.count().label("new")).select_from(first).subquery("new")
        query = (
            select(new.c.new, *columns, c.version)
            .select_from(new)
            .outerjoin(Person, who)
            .add_cte(finished)
        )
    else:
        query = select(*columns, c.version).where(who)
    query = query.outerjoin(_REFS, ref_of_person).outerjoin(state, state_join)
    if platform == "teams":
        mapped_to_theirs = exists().where(
            _TEAMS_LINK,
            WorkspaceLink.external_id == bindparam("tenant_id"),
            WorkspaceLink.organisation_id == Person.organisation_id,
        )
        query = query.add_columns(mapped_to_theirs, exists().where(_TEAMS_LINK))
    return query


# Built once (every known person's chat turn begins with it; building a statement costs more
# CPU than running it), per platform and database.
_READ_TURN = {
    (platform, postgresql): _read_turn(platform, postgresql=postgresql)
    for platform in IDENTITY_COLUMNS
    for postgresql in (True, False)
}
_READ_TURN_ONCE = {
    platform: _read_turn(platform, postgresql=True, once=True) for platform in IDENTITY_COLUMNS
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
    return _turn_read(platform, row) if row is not None else None


async def read_turn_once(
    session: AsyncSession,
    platform: str,
    user_id: str,
    *,
    conversation: str,
    first: FirstDelivery,
    tenant_id: str | None = None,
) -> tuple[bool, TurnRead | None]:
    """On PostgreSQL, `inbound_events.first_delivery` and `inbound_queue.finish` (of
    `first.turn_id`, if given) and `read_turn`, in one statement: whether the delivery is new,
    and what `read_turn` reads (None for nobody linked). The delivery is recorded, and the kept
    one forgotten, when the transaction commits."""
    params = {
        "user_id": user_id,
        "tenant_id": tenant_id or "",  # no tenant: nobody (a Teams link always has one)
        "conversation": conversation,
        "turn_id": first.turn_id,
        **{
            ("event_platform" if key == "platform" else key): value
            for key, value in delivery_row(first.platform, first.event_id, first.at).items()
        },
    }
    row = (await session.execute(_READ_TURN_ONCE[platform], params)).one()
    new = bool(row[0])
    if row[1] is None:
        return new, None
    return new, _turn_read(platform, row[1:])


def _turn_read(platform: str, row: Any) -> TurnRead:
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
    return tenant_admits_person(
        read.person,
        mapped_to_theirs=read.tenant_mapped_to_theirs,
        any_mapped=read.any_tenant_mapped,
        listed=listed,
    )
