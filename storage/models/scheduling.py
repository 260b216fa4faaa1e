"""What the scheduler keeps besides the outbox: term breaks per school or LA, snoozes, and the
school days whose reminders have been queued."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
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
