"""How the bot reaches people and channels on Slack and Teams, and which deliveries it has seen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.crypto import EncryptedJSON, EncryptedText
from storage.models.base import Base, UtcDateTime
from storage.models.organisations import Organisation


class ChatChannel(Base):
    """A shared channel (a Slack channel, a Teams team channel) belonging to an organisation,
    usually a provider's: replies there name pupils by placement reference only."""

    __tablename__ = "chat_channels"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(10))
    external_id: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # Slack: the workspace (team id) whose installation of the bot posts there (the one the
    # channel was linked through); None with a single workspace, and in Teams.
    workspace_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ConversationRef(Base):
    """Where to send a proactive message to a person (their DM) or a shared channel, as the
    platform needs it (Teams: the whole conversation reference with its serviceUrl)."""

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("platform", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(10))
    # `person:<id>` or `channel:<id>`: one reference per person or channel per platform
    # (a unique key over two nullable columns would let duplicates through).
    target: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("chat_channels.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(300))
    # Teams: the conversation reference; Slack: the last question asked, with its text (which
    # can name a pupil or quote what someone typed): encrypted at rest.
    reference: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class InboundEvent(Base):
    """A delivery from a platform already handled (a Slack event_id, an interaction's id, a
    Teams activity id), so a retried delivery is never handled twice."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(10))
    event_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class QueuedTurn(Base):
    """A delivery acknowledged to the platform whose turn has not run yet (`inbound_queue`):
    what a worker needs to run it (the verified payload, encrypted, as it can quote what a
    person typed about a pupil), whose turn it is (`sender`: one person's turns run in order),
    and which process holds it until when (`lease_until`; a process that dies lets go when it
    expires). Deleted once the turn has run."""

    __tablename__ = "inbound_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    sender: Mapped[str] = mapped_column(String(300), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)


class PendingFile(Base):
    """A file (a report, an export) waiting for a person to accept it in Teams, which asks
    before a bot may put a file in their OneDrive. Encrypted; removed once sent or declined."""

    __tablename__ = "pending_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    # The bytes, base64-encoded, then encrypted like every safeguarding record.
    content: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
