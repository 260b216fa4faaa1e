"""Who and where on a chat platform: linking a person's chat identity, linking a shared channel
to an organisation, and remembering which platform deliveries were already handled.

Platform-neutral (Slack today, Teams can use the same functions); every change is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import (
    ChatChannel,
    ConversationRef,
    InboundEvent,
    Organisation,
    Person,
    Role,
)
from storage.services.audit import Change, audit, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue

PLATFORMS = ("slack", "teams")
IDENTITY_COLUMNS = {"slack": "slack_user_id", "teams": "teams_aad_object_id"}


TEAMS_FIRST_CONTACT = "Teams first contact from tenant {tenant}, object {object_id}"
LINK_CONFLICT_KIND = "identity_conflict"


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
    session: AsyncSession, *, key: str, kind: str, text: str, at: dt.datetime
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
    session: AsyncSession, change: Change, *, person: Person, platform: str, user_id: str
) -> Person:
    """Record that `user_id` on `platform` is `person`. Refuses to take an id linked to someone
    else, or to overwrite a person's different existing link (an admin unlinks first)."""
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
    if current == user_id:
        return person
    if current:
        raise LinkError(
            f"{person.email} is already linked to another {platform.title()} user ({current})."
        )
    before = snapshot(person)
    setattr(person, attribute, user_id)
    await audit_updated(session, change, person, before)
    return person


async def find_channel(
    session: AsyncSession, platform: str, external_id: str
) -> ChatChannel | None:
    """The shared channel with this platform id, if it is linked to an organisation."""
    return await session.scalar(
        select(ChatChannel).where(
            ChatChannel.platform == platform, ChatChannel.external_id == external_id
        )
    )


async def link_channel(
    session: AsyncSession,
    change: Change,
    *,
    platform: str,
    external_id: str,
    organisation: Organisation,
    name: str | None = None,
) -> ChatChannel:
    """Link a shared channel to an organisation (usually a provider). Linking it again to the
    same organisation changes nothing; to another one is refused (unlink first)."""
    if platform not in PLATFORMS:
        raise LinkError(f"Unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}.")
    external_id = external_id.strip()
    if not external_id:
        raise LinkError("Give the channel's id (e.g. C0123ABCD).")
    existing = await find_channel(session, platform, external_id)
    if existing is not None:
        if existing.organisation_id != organisation.id:
            raise LinkError(
                f"That channel is already linked to {existing.organisation.name}; unlink it first."
            )
        return existing
    channel = ChatChannel(
        platform=platform,
        external_id=external_id,
        organisation_id=organisation.id,
        name=name,
        created_at=change.at,
    )
    session.add(channel)
    await audit_created(session, change, channel)
    await session.refresh(channel, attribute_names=["organisation"])
    return channel


async def unlink_channel(session: AsyncSession, change: Change, channel: ChatChannel) -> None:
    """Forget a shared channel (the bot stops treating it as the organisation's)."""
    await audit(session, change, action="deleted", record=channel)
    await session.delete(channel)


async def list_channels(session: AsyncSession, platform: str | None = None) -> list[ChatChannel]:
    """Linked shared channels, by platform then id."""
    query = select(ChatChannel)
    if platform:
        query = query.where(ChatChannel.platform == platform)
    return list(await session.scalars(query.order_by(ChatChannel.platform, ChatChannel.id)))


async def first_delivery(
    session: AsyncSession, *, platform: str, event_id: str, at: dt.datetime
) -> bool:
    """Remember a platform delivery; True the first time, False for a repeat (a retry, a
    second click), even when two bot instances race."""
    values = {"platform": platform, "event_id": event_id[:200], "received_at": at}
    statement = insert_for(session, InboundEvent).values(**values).on_conflict_do_nothing()
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def person_ref(
    session: AsyncSession, platform: str, person_id: int
) -> ConversationRef | None:
    """A person's stored conversation reference on a platform (their DM), if any."""
    return await session.scalar(
        select(ConversationRef).where(
            ConversationRef.platform == platform,
            ConversationRef.target == f"person:{person_id}",
        )
    )


async def save_person_ref(
    session: AsyncSession,
    *,
    platform: str,
    person_id: int,
    conversation_id: str,
    reference: dict[str, Any],
    at: dt.datetime,
) -> ConversationRef:
    """Create or update a person's conversation reference, merging `reference` into what is
    there (other keys are kept)."""
    ref = await person_ref(session, platform, person_id)
    if ref is None:
        # Two first messages at once may both get here: insert if absent, then read it back.
        await session.execute(
            insert_for(session, ConversationRef)
            .values(
                platform=platform,
                target=f"person:{person_id}",
                person_id=person_id,
                conversation_id=conversation_id,
                reference={},
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["platform", "target"])
        )
        ref = await person_ref(session, platform, person_id)
        assert ref is not None
    ref.conversation_id = conversation_id
    ref.reference = {**(ref.reference or {}), **reference}
    ref.updated_at = at
    await session.flush()
    return ref
