"""What changed on a placement after it started, and the placement's objectives with their
progress at each QA visit.

A change keeps who, when, why, and the value before and after, in words (sealed: a welfare-call
arrangement or an objective is about the pupil). Objectives are a list, each with a target
date; each QA visit records how the pupil is getting on with each one."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime, enum_column


class PlacementChangeKind(enum.StrEnum):
    """What part of the arrangements was changed (`change AP-XXXX`)."""

    timetable = "timetable"
    site = "site"
    planned_end = "planned_end"
    review_date = "review_date"
    absence_deadline = "absence_deadline"
    welfare_calls = "welfare_calls"
    objectives = "objectives"


class PlacementChange(Base):
    """One change to a started placement's arrangements: by whom, when, why, from what to what."""

    __tablename__ = "placement_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    kind: Mapped[PlacementChangeKind] = mapped_column(
        enum_column(PlacementChangeKind, "placement_change_kind")
    )
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # In words, as the person confirmed them (sealed: they can name the pupil's arrangements).
    before: Mapped[str | None] = mapped_column(EncryptedText)
    after: Mapped[str | None] = mapped_column(EncryptedText)
    reason: Mapped[str] = mapped_column(EncryptedText)


class ObjectiveStatus(enum.StrEnum):
    """Whether an objective still stands."""

    open = "open"
    achieved = "achieved"
    # Replaced by a `change` of the objectives (kept, with its progress, on the record).
    replaced = "replaced"


class ObjectiveProgress(enum.StrEnum):
    """How the pupil is getting on with an objective, as the teacher judged it at a QA visit."""

    not_started = "not_started"
    some_progress = "some_progress"
    good_progress = "good_progress"
    achieved = "achieved"

    @property
    def label(self) -> str:
        return PROGRESS_LABELS[self]


PROGRESS_LABELS = {
    ObjectiveProgress.not_started: "not started",
    ObjectiveProgress.some_progress: "some progress",
    ObjectiveProgress.good_progress: "good progress",
    ObjectiveProgress.achieved: "achieved",
}


class PlacementObjective(Base):
    """One of the placement's objectives, with the date it should be met by (None for an
    objective carried over from before objectives had dates)."""

    __tablename__ = "placement_objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(EncryptedText)
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[ObjectiveStatus] = mapped_column(
        enum_column(ObjectiveStatus, "objective_status")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ObjectiveReview(Base):
    """How the pupil was progressing against one objective at one QA visit."""

    __tablename__ = "objective_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("placement_objectives.id"), index=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("qa_visits.id"), index=True)
    progress: Mapped[ObjectiveProgress] = mapped_column(
        enum_column(ObjectiveProgress, "objective_progress")
    )
    note: Mapped[str | None] = mapped_column(EncryptedText)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
