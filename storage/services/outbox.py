"""Queueing messages the bot owes people. Each message has a unique key, so queueing the same
notice twice (a retried request, two bot instances) still sends it once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, OrgKind, OutboxMessage, OutboxStatus, Person, Role


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    text: str,
    due_at: dt.datetime,
    recipient_id: int | None = None,
    channel_ref: str | None = None,
    placement_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Insert the message unless one with the same key exists. True if it was new."""
    values = {
        "key": key[:200],
        "kind": kind,
        "recipient_id": recipient_id,
        "channel_ref": channel_ref,
        "placement_id": placement_id,
        "text": text,
        "payload": payload or {},
        "status": OutboxStatus.pending,
        "due_at": due_at,
        "attempts": 0,
        "created_at": due_at,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def safeguarding_leads(session: AsyncSession, organisation_id: int) -> list[Person]:
    """Who hears about safeguarding matters for a commissioner: a school's DSLs, or an LA's
    officers when the LA commissions."""
    organisation = await session.get(Organisation, organisation_id)
    role = (
        Role.la_officer
        if organisation and organisation.kind == OrgKind.local_authority
        else Role.dsl
    )
    rows = await session.scalars(
        select(Person)
        .where(Person.organisation_id == organisation_id, Person.role == role, Person.active)
        .order_by(Person.id)
    )
    return list(rows)


async def staff_of(session: AsyncSession, organisation_id: int, *roles: Role) -> list[Person]:
    """Active people of an organisation, optionally only those with the given roles."""
    query = select(Person).where(Person.organisation_id == organisation_id, Person.active)
    if roles:
        query = query.where(Person.role.in_(roles))
    return list(await session.scalars(query.order_by(Person.id)))
