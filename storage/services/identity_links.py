"""Who a chat user is: a person's Slack user id or Teams (tenant, object id), linked and
unlinked, every change audited; a refused link is told to the admins through the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, Role, WorkspaceLink
from storage.services.audit import Change, audit, audit_updated, snapshot
from storage.services.outbox import enqueue
from storage.wording import NoticeKind

IDENTITY_COLUMNS = {"slack": "slack_user_id", "teams": "teams_aad_object_id"}
TEAMS_FIRST_CONTACT = "Teams first contact from tenant {tenant}, object {object_id}"
LINK_CONFLICT_KIND = NoticeKind.identity_conflict


class LinkError(ValueError):
    """A link that can't be made, with the words to tell an admin why."""


class LinkConflict(LinkError):
    """The person is linked to another user, or the user to another person: never relinked
    silently, an admin decides."""


async def person_by_chat_id(
    session: AsyncSession, platform: str, user_id: str, *, tenant_id: str | None = None
) -> Person | None:
    """The active person linked to this platform user id, if any. A Teams user is a tenant and
    an object id: only a link stored with that tenant counts."""
    column = getattr(Person, IDENTITY_COLUMNS[platform])
    query = select(Person).where(column == user_id, Person.active)
    if platform == "teams":
        if not tenant_id:
            return None
        query = query.where(Person.teams_tenant_id == tenant_id)
    return await session.scalar(query)


_TEAMS_LINK = WorkspaceLink.platform == "teams"
# Built once (it ran on every known person's Teams turn, and building it cost more CPU than
# running it): whether the tenant is mapped to the person's organisation, and whether any
# tenant is mapped at all, in one statement.
_TENANT_ADMITS = select(
    exists().where(
        _TEAMS_LINK,
        WorkspaceLink.external_id == bindparam("tenant_id"),
        WorkspaceLink.organisation_id == bindparam("organisation_id"),
    ),
    exists().where(_TEAMS_LINK),
)


async def teams_tenant_admits(
    session: AsyncSession, *, person: Person, tenant_id: str, listed: bool
) -> bool:
    """Whether `person` may be recognised in this Microsoft 365 tenant (docs/rollout.md):

    - the tenant is mapped to their organisation (`apbot tenants link`); or
    - the tenant is `listed` (TEAMS_ALLOWED_TENANTS, by default the bot's own tenant) and either
      no tenant is mapped at all yet (the quick start: one school, one tenant) or the person
      belongs to no organisation (whoever runs the bot).

    So once tenants are mapped, a person of school A writing from school B's tenant is not
    school A's person, whatever their user principal name says."""
    if person.organisation_id is None:
        return listed  # mapped to no organisation of theirs: only a listed tenant lets them in
    params = {"tenant_id": tenant_id, "organisation_id": person.organisation_id}
    row = (await session.execute(_TENANT_ADMITS, params)).one()
    return tenant_admits_person(
        person, mapped_to_theirs=bool(row[0]), any_mapped=bool(row[1]), listed=listed
    )


def tenant_admits_person(
    person: Person, *, mapped_to_theirs: bool, any_mapped: bool, listed: bool
) -> bool:
    """`teams_tenant_admits`'s rule, from what was read: whether the tenant is mapped to the
    person's organisation, and whether any tenant is mapped (a chat turn reads both with the
    person: `turn_reads.read_turn`)."""
    if person.organisation_id is None:
        return listed
    return mapped_to_theirs or (listed and not any_mapped)


async def teams_tenant_mapped(session: AsyncSession, tenant_id: str) -> bool:
    """Whether this Microsoft 365 tenant is mapped to any organisation (then it is let in)."""
    found = await session.scalar(
        select(WorkspaceLink.id)
        .where(WorkspaceLink.platform == "teams", WorkspaceLink.external_id == tenant_id)
        .limit(1)
    )
    return found is not None


async def link_teams_user(
    session: AsyncSession, *, person: Person, tenant_id: str, object_id: str, at: dt.datetime
) -> Person:
    """Link a Teams user (tenant, object id) to `person` on their first contact, audited as made
    by nobody but that first contact (never in the person's name). Raises `LinkConflict` when
    the person is linked to another Teams user, or the user to another person."""
    await _lock(session, person)
    holder = await session.scalar(select(Person).where(Person.teams_aad_object_id == object_id))
    if holder is not None and holder.id != person.id:
        raise LinkConflict(f"that Teams user is already linked to {holder.email}.")
    if person.teams_aad_object_id == object_id and person.teams_tenant_id == tenant_id:
        return person
    if person.teams_aad_object_id not in (None, object_id) or person.teams_tenant_id not in (
        None,
        tenant_id,
    ):
        raise LinkConflict(f"{person.email} is already linked to another Teams user.")
    before = snapshot(person)
    person.teams_aad_object_id = object_id
    person.teams_tenant_id = tenant_id
    after = snapshot(person)
    changes: dict[str, Any] = {
        key: {"from": before.get(key), "to": value}
        for key, value in after.items()
        if before.get(key) != value
    }
    changes["how"] = TEAMS_FIRST_CONTACT.format(tenant=tenant_id, object_id=object_id)
    await audit(
        session,
        Change(person_id=None, channel="teams", at=at),
        action="updated",
        record=person,
        changes=changes,
    )
    return person


async def unlink_teams_user(session: AsyncSession, change: Change, person: Person) -> bool:
    """Forget a person's Teams link (an admin's decision after a conflict); False if none."""
    if not person.teams_aad_object_id and not person.teams_tenant_id:
        return False
    before = snapshot(person)
    person.teams_aad_object_id = None
    person.teams_tenant_id = None
    await audit_updated(session, change, person, before)
    return True


async def tell_admins(
    session: AsyncSession, *, key: str, kind: NoticeKind, text: str, at: dt.datetime
) -> int:
    """Queue a notice for every active admin (once per `key` and admin); how many were new."""
    admins = await session.scalars(
        select(Person).where(Person.role == Role.admin, Person.active).order_by(Person.id)
    )
    created = 0
    for admin in admins:
        created += await enqueue(
            session, key=f"{key}:{admin.id}", kind=kind, text=text, due_at=at, recipient_id=admin.id
        )
    return created


async def _lock(session: AsyncSession, person: Person) -> None:
    """Lock the person's row, and read it again (see `link_chat_user`)."""
    await session.scalar(
        select(Person)
        .where(Person.id == person.id)
        .with_for_update(of=Person)
        .execution_options(populate_existing=True)
    )


async def link_chat_user(
    session: AsyncSession,
    change: Change,
    *,
    person: Person,
    platform: str,
    user_id: str,
    slack_team_id: str | None = None,
) -> Person:
    """Record that `user_id` on `platform` is `person` (a Slack user with their workspace,
    `slack_team_id`, when known: messages to them go with that workspace's token). Refuses to
    take an id linked to someone else, or to overwrite a person's different existing link (an
    admin unlinks first)."""
    attribute = IDENTITY_COLUMNS[platform]
    column = getattr(Person, attribute)
    # Lock the person's row first, and read it again: several first messages at once each try
    # to link them, and this way they queue here (the later ones find the link made) instead
    # of deadlocking on PostgreSQL over the row and the rows that refer to it.
    await session.scalar(
        select(Person)
        .where(Person.id == person.id)
        .with_for_update(of=Person)
        .execution_options(populate_existing=True)
    )
    holder = await session.scalar(select(Person).where(column == user_id))
    if holder is not None and holder.id != person.id:
        raise LinkError(f"That {platform.title()} user is already linked to {holder.email}.")
    current = getattr(person, attribute)
    new_team = platform == "slack" and slack_team_id and person.slack_team_id != slack_team_id
    if current == user_id and not new_team:
        return person
    if current and current != user_id:
        raise LinkError(
            f"{person.email} is already linked to another {platform.title()} user ({current})."
        )
    before = snapshot(person)
    setattr(person, attribute, user_id)
    if new_team:
        person.slack_team_id = slack_team_id
    await audit_updated(session, change, person, before)
    return person
