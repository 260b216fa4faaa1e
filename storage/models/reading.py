"""What a person has read: where they are in a long record (`more`), and which notices the
terminal channel has shown them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class ReadingCursor(Base):
    """The last page of a record one person read in one conversation (`chronology AP-7K3Q`),
    so `more` shows the next. One per person and conversation: a new reading replaces it."""

    __tablename__ = "reading_cursors"
    __table_args__ = (UniqueConstraint("person_id", "conversation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    conversation: Mapped[str] = mapped_column(String(200))
    # Which reading (chronology, visits, contacts, history) of which placement.
    reading: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(20))
    # The sort key of the last item shown (newest first): the next page starts after it.
    after: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class NoticeRead(Base):
    """A notice (an outbox message) its recipient has read in the terminal channel."""

    __tablename__ = "notice_reads"
    __table_args__ = (UniqueConstraint("outbox_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    read_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
