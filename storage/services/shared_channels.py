"""Shared channels: a Slack channel or a Teams channel (or group chat) linked to an organisation,
whose placements alone are named there. Every change is audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatChannel, Organisation
from storage.services.audit import Change, audit, audit_created, audit_updated, snapshot
from storage.services.identity_links import LinkError

PLATFORMS = ("slack", "teams")


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
    workspace_id: str | None = None,
) -> ChatChannel:
    """Link a shared channel to an organisation (usually a provider); `workspace_id`: the Slack
    workspace whose bot posts there (many workspaces). Linking it again to the same
    organisation changes nothing (but notes a workspace not known before); to another one is
    refused (unlink first)."""
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
        if workspace_id and existing.workspace_id is None:
            before = snapshot(existing)
            existing.workspace_id = workspace_id
            await audit_updated(session, change, existing, before)
        return existing
    channel = ChatChannel(
        platform=platform,
        external_id=external_id,
        organisation_id=organisation.id,
        name=name,
        workspace_id=workspace_id,
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
