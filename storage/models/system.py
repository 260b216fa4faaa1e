"""The bot's own records: the audit log, dialog state, and the outbox of messages to send."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedJSON, EncryptedText
from storage.models.base import Base, UtcDateTime, enum_column
from storage.models.enums import OutboxStatus


class AuditEntry(Base):
    """Who changed what, when, from which channel. Append-only: the application never updates
    or deletes a row, and database triggers refuse it (migration 0003_privacy). Each row carries
    its place in a hash chain (`seq`, `hash`), filled in as it is written (see
    `storage.models.audit_chain`), so a row changed, removed or forged later shows."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    # A plain number, not a foreign key: the log outlives records purged after retention.
    placement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The row's position in the chain: 1, 2, 3, ... with no gaps, in the order rows were written.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    # SHA-256 (hex) of the previous row's hash and this row's contents.
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheck(Base):
    """One day's check of the audit log's hash chain (by the scheduler): how far it reached and
    what it found. Inserted once a day, never changed."""

    __tablename__ = "audit_checks"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, autoincrement=False)
    checked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    instance: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(BigInteger)
    # The last row the chain reached intact: the next check can tell if it was later cut back.
    head_seq: Mapped[int | None] = mapped_column(BigInteger)
    head_hash: Mapped[str | None] = mapped_column(String(64))
    # The first break found (None when the chain was intact).
    broken_at_id: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[str | None] = mapped_column(Text)


class DialogState(Base):
    """Where one person is in one dialog, in one conversation. Saved after every answer, so a
    restart loses nothing; `version` guards against the same answer arriving twice."""

    __tablename__ = "dialog_states"
    __table_args__ = (UniqueConstraint("person_id", "conversation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    conversation: Mapped[str] = mapped_column(String(200))
    dialog: Mapped[str] = mapped_column(String(40))
    # Answers can name a pupil or hold what they said: encrypted at rest.
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    # Field names in the order they were answered, so `back` can undo the last one.
    history: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __mapper_args__ = {"version_id_col": version}


class OutboxMessage(Base):
    """A message the bot owes someone (a nudge, an alert, a notice). Inserted once per `key`,
    delivered at least once by whichever channel reaches the recipient."""

    __tablename__ = "outbox"
    __table_args__ = (
        # Delivery claims the pending rows due, oldest first, however many were sent before.
        Index("ix_outbox_status_due_at", "status", "due_at"),
        # A person's previous digest ("new since the last digest").
        Index("ix_outbox_recipient_id_kind_due_at", "recipient_id", "kind", "due_at"),
        # The day's prepared reminders (only they have a preparation: no entry for the rest).
        Index(
            "ix_outbox_preparation_id",
            "preparation_id",
            postgresql_where=text("preparation_id IS NOT NULL"),
            sqlite_where=text("preparation_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # No index of its own on `kind`, `recipient_id`, `status` or `next_attempt_at`: the two
    # above answer every look-up (migration 0029), and each index is written on every insert.
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # A shared channel, when the message goes to a channel rather than a person.
    channel_ref: Mapped[str | None] = mapped_column(String(200))
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placements.id"), index=True)
    # Messages to a DSL name the pupil: encrypted at rest like the pupil's record.
    text: Mapped[str] = mapped_column(EncryptedText)
    # Structured content (a digest's sections) names pupils too: encrypted like the text.
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, "outbox_status"))
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Delivery bookkeeping: when to try next, and which bot instance holds the row until when.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The channel that delivered it (slack, teams, log).
    delivered_via: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # A reminder prepared ahead of the reminder time: held (neither delivered nor shown) until
    # its preparation is released (`ReminderPreparation`); None for every other message.
    preparation_id: Mapped[int | None] = mapped_column(Integer)
