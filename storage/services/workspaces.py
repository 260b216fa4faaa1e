"""Slack workspaces and Microsoft 365 tenants mapped to the organisations whose people use them.

A person is recognised only within a workspace or tenant mapped to their own organisation
(`organisations_for`); anything from an unmapped one gets the "ask your admin" answer. A
workspace or tenant may serve several organisations (a trust's schools sharing one tenant), and
an organisation may use several. Every link and unlink is audited in the same transaction.

Ids are kept as the platforms write them: a Slack team id (`T...`) or Enterprise Grid
organisation id (`E...`) in capitals; a Microsoft 365 tenant id as a lower-case GUID.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import SystemClock
from storage.models import Organisation, WorkspaceLink
from storage.services.audit import Change, audit, audit_created
from storage.services.identity_links import LinkError

Platform = Literal["slack", "teams"]
PLATFORMS: tuple[Platform, ...] = ("slack", "teams")
SLACK_ID = re.compile(r"^[TE][A-Z0-9]{2,30}$")
CHANNEL = "cli"


class WorkspaceError(LinkError):
    """A workspace or tenant that can't be linked as asked, with the words to say why."""


def normalised_id(platform: str, external_id: str) -> str:
    """The id as stored: a Slack team or Grid id in capitals, a tenant id as a lower-case GUID.
    Raises `WorkspaceError` for anything that is not one."""
    if platform not in PLATFORMS:
        raise WorkspaceError(f"Unknown platform {platform!r}: use slack or teams.")
    text = (external_id or "").strip()
    if platform == "teams":
        try:
            return str(uuid.UUID(text))  # lower-case, with its hyphens
        except ValueError:
            raise WorkspaceError(
                f"{text!r} is not a Microsoft 365 tenant id: it is a GUID such as "
                "8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b (Microsoft Entra admin centre, Overview, "
                "Tenant ID)."
            ) from None
    text = text.upper()
    if not SLACK_ID.match(text):
        raise WorkspaceError(
            f"{external_id!r} is not a Slack workspace id: a team id starts with T "
            "(e.g. T0123ABCD), an Enterprise Grid organisation id with E."
        )
    return text


def _lookup_ids(platform: str, external_ids: Sequence[str]) -> set[str]:
    """The ids as they would be stored, leaving out any that could not be one."""
    found: set[str] = set()
    for external_id in external_ids:
        if not external_id:
            continue
        try:
            found.add(normalised_id(platform, external_id))
        except WorkspaceError:
            continue
    return found


async def organisations_for(
    session: AsyncSession, *, platform: Literal["slack", "teams"], external_ids: Sequence[str]
) -> set[int]:
    """The ids of the organisations mapped to any of these workspaces or tenants (a Slack
    event may name its team and its Grid organisation); empty when none is mapped."""
    ids = _lookup_ids(platform, external_ids)
    if not ids:
        return set()
    rows = await session.scalars(
        select(WorkspaceLink.organisation_id).where(
            WorkspaceLink.platform == platform, WorkspaceLink.external_id.in_(ids)
        )
    )
    return set(rows)


async def link_workspace(
    session: AsyncSession,
    *,
    platform: Literal["slack", "teams"],
    external_id: str,
    organisation_id: int,
    by_person_id: int | None,
    name: str | None = None,
    at: dt.datetime | None = None,
    channel: str = CHANNEL,
) -> WorkspaceLink:
    """Map a workspace or tenant to an organisation, audited as `by_person_id`'s (None: the
    command line or an install). Linking it again changes nothing (a new `name` is kept)."""
    stored_id = normalised_id(platform, external_id)
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise WorkspaceError(f"There is no organisation number {organisation_id}.")
    change = Change(person_id=by_person_id, channel=channel, at=at or SystemClock().now())
    existing = await _find(session, platform, stored_id, organisation_id)
    if existing is not None:
        if name and existing.name != name:
            before = existing.name
            existing.name = name
            await audit(
                session,
                change,
                action="updated",
                record=existing,
                changes={"name": {"from": before, "to": name}},
            )
        return existing
    link = WorkspaceLink(
        platform=platform,
        external_id=stored_id,
        organisation_id=organisation_id,
        name=(name or "").strip() or None,
        created_at=change.at,
        created_by_id=by_person_id,
    )
    session.add(link)
    await audit_created(session, change, link)
    await session.refresh(link, attribute_names=["organisation"])
    return link


async def unlink_workspace(
    session: AsyncSession,
    *,
    platform: Literal["slack", "teams"],
    external_id: str,
    organisation_id: int,
    by_person_id: int | None,
    at: dt.datetime | None = None,
    channel: str = CHANNEL,
) -> bool:
    """Stop treating a workspace or tenant as an organisation's (its people are then answered
    "ask your admin" there); False if it was not linked. People and channels are kept."""
    stored_id = normalised_id(platform, external_id)
    existing = await _find(session, platform, stored_id, organisation_id)
    if existing is None:
        return False
    change = Change(person_id=by_person_id, channel=channel, at=at or SystemClock().now())
    await audit(session, change, action="deleted", record=existing)
    await session.delete(existing)
    await session.flush()
    return True


async def list_workspaces(
    session: AsyncSession, *, platform: Literal["slack", "teams"] | None = None
) -> list[WorkspaceLink]:
    """Every mapping (or one platform's), by platform, id, then organisation name."""
    query = select(WorkspaceLink).join(WorkspaceLink.organisation)
    if platform:
        query = query.where(WorkspaceLink.platform == platform)
    return list(
        await session.scalars(
            query.order_by(WorkspaceLink.platform, WorkspaceLink.external_id, Organisation.name)
        )
    )


async def _find(
    session: AsyncSession, platform: str, external_id: str, organisation_id: int
) -> WorkspaceLink | None:
    return await session.scalar(
        select(WorkspaceLink).where(
            WorkspaceLink.platform == platform,
            WorkspaceLink.external_id == external_id,
            WorkspaceLink.organisation_id == organisation_id,
        )
    )
