"""Who is who: a Teams user mapped to a person set up in AP Safeguard.

A Teams user is a tenant and an AAD object id, both from the activity (signed by the Bot
Framework when the bot has an app id). The channel lets in only allowed tenants; here:

- first by (tenant, object id), stored with the person's Teams link;
- failing that, on a first contact, by the user principal name the connector's member lookup
  gives (never `email`: a directory's `mail` attribute is whatever someone typed), and only
  when the member is in the same tenant. The link is then stored and audited as made by that
  first contact ("Teams first contact from tenant T, object X"), never in the person's name;
- a person already linked to another Teams user (or a user linked to another person) is never
  relinked: refused, and the admins are told through the outbox;
- either way, only within a tenant mapped to the person's organisation (`apbot tenants link`;
  `teams_tenant_admits` says when a tenant listed in TEAMS_ALLOWED_TENANTS is enough). A
  person found in another tenant is told to ask their admin, and the log names the tenant and
  the person's record number, never what they wrote.

Anyone else is unknown and gets nothing but the message saying how to get access.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import wording as teams_wording
from bot.channels.teams.activities import PLATFORM
from storage.clock import Clock
from storage.db import retry_when_raced, transaction
from storage.models import Person
from storage.services.directory import find_person_by_email
from storage.services.identity_links import (
    LINK_CONFLICT_KIND,
    LinkConflict,
    link_teams_user,
    person_by_chat_id,
    teams_tenant_admits,
    tell_admins,
)
from storage.wording import admin_notices

log = logging.getLogger(__name__)

MemberLookup = Callable[[str], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Refused:
    """A first contact that matched a person whose Teams link is someone else's."""

    text: str = teams_wording.LINK_REFUSED


@dataclass(frozen=True)
class OutsideTenant:
    """A person found, but in a Microsoft 365 tenant not mapped to their organisation."""

    text: str = teams_wording.ORGANISATION_NOT_SET_UP


Identified = Person | Refused | OutsideTenant | None


async def admitted(
    session: AsyncSession, person: Person, tenant_id: str, *, tenant_listed: bool
) -> bool:
    """Whether `person` may be recognised in this tenant; logged (without content) if not."""
    if await teams_tenant_admits(session, person=person, tenant_id=tenant_id, listed=tenant_listed):
        return True
    log.warning(
        "Teams: person %s not recognised in tenant %r (not mapped to their organisation)",
        person.id,
        tenant_id[:64],
    )
    return False


async def identify(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    user_id: str,
    aad_object_id: str | None,
    tenant_id: str | None,
    tenant_listed: bool,
    lookup: MemberLookup,
) -> Identified:
    """The active person this Teams user is; `Refused` when linking them was refused (the
    admins are told); `OutsideTenant` when the tenant is not mapped to their organisation;
    None when unknown. `tenant_listed`: the tenant is in TEAMS_ALLOWED_TENANTS."""
    if not tenant_id:
        return None
    if aad_object_id:
        async with transaction(sessions) as session:
            person = await person_by_chat_id(session, PLATFORM, aad_object_id, tenant_id=tenant_id)
            if person is not None and not await admitted(
                session, person, tenant_id, tenant_listed=tenant_listed
            ):
                return OutsideTenant()
        if person is not None:
            return person
    member = await lookup(user_id) if user_id else None  # an HTTP call: outside any transaction
    if not member:
        return None
    object_id = aad_object_id or member.get("aadObjectId")
    member_tenant = str(member.get("tenantId") or tenant_id).strip().lower()
    upn = member.get("userPrincipalName")
    if not object_id or not upn or member_tenant != tenant_id:
        return None
    if aad_object_id and member.get("aadObjectId") not in (None, aad_object_id):
        return None  # the lookup describes someone else
    return await retry_when_raced(
        lambda: _link(sessions, clock, tenant_id, str(object_id), str(upn), tenant_listed),
        what=f"teams: linking {user_id}",
    )


async def _link(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    tenant_id: str,
    object_id: str,
    upn: str,
    tenant_listed: bool,
) -> Identified:
    """The person with this user principal name, linked to (tenant, object id), in one
    transaction (two first messages at once may race here); never outside a tenant mapped to
    their organisation."""
    async with transaction(sessions) as session:
        person = await person_by_chat_id(session, PLATFORM, object_id, tenant_id=tenant_id)
        if person is None:
            person = await find_person_by_email(session, upn)
            if person is None or not person.active:
                return None
        if not await admitted(session, person, tenant_id, tenant_listed=tenant_listed):
            return OutsideTenant()
        if person.teams_aad_object_id == object_id and person.teams_tenant_id == tenant_id:
            return person
        try:
            return await link_teams_user(
                session, person=person, tenant_id=tenant_id, object_id=object_id, at=clock.now()
            )
        except LinkConflict as conflict:
            log.warning("Teams link refused for person %s: already linked (admins told)", person.id)
            await tell_admins(
                session,
                key=f"{LINK_CONFLICT_KIND}:teams:{person.id}:{tenant_id}:{object_id}",
                kind=LINK_CONFLICT_KIND,
                text=admin_notices.teams_link_conflict(
                    tenant=tenant_id,
                    object_id=object_id,
                    upn=upn,
                    reason=str(conflict),
                    email=person.email,
                ),
                at=clock.now(),
            )
            return Refused()
