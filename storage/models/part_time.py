"""A part-time timetable, agreed the way the regulations allow one: with a parent, in
exceptional circumstances, for a limited time, and reviewed with the pupil and parents.

One row per agreement (a placement whose hours fall short of the full-time week has one);
each review is a row of its own, so the history is never overwritten. A change of the time
limit or the next review date after a review is also in the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime


class PartTimeTimetable(Base):
    """The agreement behind a part-time timetable (C2 on the sessions it leaves uncovered)."""

    __tablename__ = "part_time_timetables"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    # The day a parent or carer agreed to it (never recorded without it).
    parent_agreed_on: Mapped[dt.date] = mapped_column(Date)
    # Why full-time education is not possible for now: about the pupil, so sealed.
    circumstances: Mapped[str | None] = mapped_column(EncryptedText)
    # The agreed dates: the first day and the time limit (the last day).
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date, index=True)
    # The weekdays with education planned (at the provider, at school, at another provider),
    # e.g. "mon,tue"; the other weekdays' sessions are the part-time ones (C2).
    covered_days: Mapped[str] = mapped_column(String(40))
    # The next review with the pupil and parents.
    review_date: Mapped[dt.date] = mapped_column(Date)
    # Set when it stops before its time limit (a review returns the pupil to full time, or
    # the placement ends).
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(d for d in self.covered_days.split(",") if d)


class PartTimeReview(Base):
    """One review of a part-time timetable with the pupil and parents (append-only)."""

    __tablename__ = "part_time_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    timetable_id: Mapped[int] = mapped_column(ForeignKey("part_time_timetables.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    with_pupil: Mapped[bool] = mapped_column(Boolean)
    with_parents: Mapped[bool] = mapped_column(Boolean)
    # What the pupil and parents said, and what was agreed: sealed.
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    # "continue" (a new time limit and review date) or "full_time" (it ends).
    outcome: Mapped[str] = mapped_column(String(20))
    new_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    next_review_date: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
