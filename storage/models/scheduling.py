"""What the scheduler keeps besides the outbox: term breaks per school or LA, snoozes, and the
school days whose reminders have been queued."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class TermBreakRecord(Base):
    """A school holiday or closure of one school or LA, first to last day inclusive.

    A school's calendar is its own breaks plus its local authority's (bank holidays come from
    the `holidays` package, not from here)."""

    __tablename__ = "term_breaks"
    __table_args__ = (UniqueConstraint("organisation_id", "first_day", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class NudgeSnooze(Base):
    """One person asked not to be reminded about one thing (`subject`, e.g. `check:12`) before
    `until`; on that day they hear about it again if it still applies."""

    __tablename__ = "nudge_snoozes"
    __table_args__ = (UniqueConstraint("subject", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(120))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    until: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ReminderSweep(Base):
    """A part of a school day whose reminders (overdue checks, QA visits, contact, reviews and
    ends) have been queued, by which instance and how many: the day is swept in parts, each a
    fixed set of LAs (see `storage.services.reminder_sweeps`). Written in the same transaction
    as those reminders: a sweep that failed or died half-way leaves no row, so the next pass
    does it."""

    __tablename__ = "reminder_sweeps"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, autoincrement=False)
    part: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, server_default="0"
    )
    swept_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    instance: Mapped[str] = mapped_column(String(100))
    queued: Mapped[int] = mapped_column(Integer, default=0)


class ReminderPreparation(Base):
    """A part of a school day whose reminders were prepared ahead of the reminder time (see
    `storage.services.reminder_preparation`): the outbox rows it wrote carry its id
    (`OutboxMessage.preparation_id`) and are held, not delivered or shown, until the pass at
    the reminder time has reconciled what changed since and `released_at` is set. Written in
    the same transaction as its rows."""

    __tablename__ = "reminder_preparations"
    __table_args__ = (UniqueConstraint("day", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    part: Mapped[int] = mapped_column(Integer)
    # Of how many parts (REMINDER_SWEEP_PARTS then): reconciled only by a sweep in as many.
    parts: Mapped[int] = mapped_column(Integer)
    prepared_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    instance: Mapped[str] = mapped_column(String(100))
    # The audit log's last `seq` before the facts were read: what changed after it is
    # reconciled at the reminder time.
    audit_seq: Mapped[int] = mapped_column(BigInteger)
    # The reminder time the rows were prepared for (their `due_at`).
    reminder_time: Mapped[dt.time] = mapped_column(Time)
    prepared: Mapped[int] = mapped_column(Integer, default=0)
    released_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # How the reminder time's pass settled it: the placements reconciled, or why it swept the
    # whole part again.
    outcome: Mapped[str | None] = mapped_column(String(200))
