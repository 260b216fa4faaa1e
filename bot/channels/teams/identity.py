"""Who is who: a Teams user mapped to a person set up in AP Safeguard.

First by their AAD object id (stored on the person); failing that, by the email or user
principal name Teams gives for them (the connector's member lookup), in which case their AAD
object id is stored for next time (audited). Anyone else is unknown and gets nothing but the
message saying how to get access.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.activities import PLATFORM
from storage.clock import Clock
from storage.db import retry_when_raced, transaction
from storage.models import Person
from storage.services.audit import Change
from storage.services.chat_links import LinkError, link_chat_user, person_by_chat_id
from storage.services.directory import find_person_by_email

log = logging.getLogger(__name__)

MemberLookup = Callable[[str], Awaitable[dict[str, Any] | None]]


async def _by_aad(session: AsyncSession, aad_object_id: str | None) -> Person | None:
    return await person_by_chat_id(session, PLATFORM, aad_object_id) if aad_object_id else None


async def identify(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    user_id: str,
    aad_object_id: str | None,
    lookup: MemberLookup,
) -> Person | None:
    """The active person this Teams user is, or None (unknown, or not allowed in)."""
    async with transaction(sessions) as session:
        person = await _by_aad(session, aad_object_id)
    if person is not None:
        return person
    member = await lookup(user_id) if user_id else None  # an HTTP call: outside any transaction
    if not member:
        return None
    aad_object_id = aad_object_id or member.get("aadObjectId")
    addresses = [str(a) for a in (member.get("email"), member.get("userPrincipalName")) if a]
    return await retry_when_raced(
        lambda: _link(sessions, clock, aad_object_id, addresses),
        what=f"teams: linking {user_id}",
    )


async def _link(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    aad_object_id: str | None,
    addresses: list[str],
) -> Person | None:
    """The person with one of these addresses, linked to this AAD object id (in one
    transaction: two first messages at once may race here)."""
    async with transaction(sessions) as session:
        person = await _by_aad(session, aad_object_id)
        if person is not None:
            return person
        for address in addresses:
            person = await find_person_by_email(session, address)
            if person is not None:
                break
        if person is None or not person.active:
            return None
        if aad_object_id:
            try:
                await link_chat_user(
                    session,
                    Change(person_id=person.id, channel=PLATFORM, at=clock.now()),
                    person=person,
                    platform=PLATFORM,
                    user_id=aad_object_id,
                )
            except LinkError as error:
                # Same email, different Teams account: don't guess, an admin sorts it out.
                log.warning("Teams user not linked to person %s: %s", person.id, error)
                return None
        return person
