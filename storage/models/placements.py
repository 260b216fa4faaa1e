"""Placements and their safeguarding checklist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime, enum_column
from storage.models.enums import (
    ChecklistStatus,
    PlacementStatus,
    ReasonForAp,
    WelfareCallParty,
)
from storage.models.organisations import Organisation, Site
from storage.models.people import Person, Pupil


class Placement(Base):
    """A pupil placed by a commissioner (school or LA) with an AP provider."""

    __tablename__ = "placements"
    # The scheduler finds the active placements with something falling due through these
    # (ended placements keep their old dates, so status comes first).
    __table_args__ = (
        Index("ix_placements_status_next_qa_due", "status", "next_qa_due"),
        Index("ix_placements_status_review_date", "status", "review_date"),
        Index("ix_placements_status_planned_end_date", "status", "planned_end_date"),
        Index("ix_placements_status_absence_deadline", "status", "absence_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[PlacementStatus] = mapped_column(
        enum_column(PlacementStatus, "placement_status"), index=True
    )
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))

    start_date: Mapped[dt.date] = mapped_column(Date)
    planned_end_date: Mapped[dt.date | None] = mapped_column(Date)
    review_date: Mapped[dt.date | None] = mapped_column(Date)

    # The weekly timetable: which weekdays at the AP ("mon,tue"), and hours in each setting.
    provider_days: Mapped[str] = mapped_column(String(40))
    provider_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    school_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    other_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    # Free text about the pupil and their plan: encrypted at rest like the pupil voice.
    other_providers: Mapped[str | None] = mapped_column(EncryptedText)
    full_time_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    is_full_time: Mapped[bool] = mapped_column(Boolean)

    attendance_code: Mapped[str] = mapped_column(String(2))
    absence_deadline: Mapped[dt.time] = mapped_column(Time)
    welfare_call_party: Mapped[WelfareCallParty] = mapped_column(
        enum_column(WelfareCallParty, "welfare_call_party")
    )
    welfare_call_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    welfare_call_arrangements: Mapped[str | None] = mapped_column(EncryptedText)

    # Why the pupil is in AP (storage/rules/reasons.py): None only on placements started before
    # the question was asked. For a suspension or a permanent exclusion: its first day, the
    # suspension's length in school days, and the sixth school day, from which full-time
    # education must be in place. For "other": what it is (free text, sealed).
    reason: Mapped[ReasonForAp | None] = mapped_column(enum_column(ReasonForAp, "reason_for_ap"))
    reason_first_day: Mapped[dt.date | None] = mapped_column(Date)
    suspension_days: Mapped[int | None] = mapped_column(Integer)
    full_time_education_from: Mapped[dt.date | None] = mapped_column(Date)
    reason_detail: Mapped[str | None] = mapped_column(EncryptedText)

    objectives: Mapped[str | None] = mapped_column(EncryptedText)
    return_plan: Mapped[str | None] = mapped_column(EncryptedText)
    la_notified_on: Mapped[dt.date | None] = mapped_column(Date)
    next_qa_due: Mapped[dt.date | None] = mapped_column(Date, index=True)

    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    # When it was ended or withdrawn (the instant recorded; `ended_on` is the last day, which
    # may be earlier). Nothing is raised, nudged or escalated for it after this.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    end_outcome: Mapped[str | None] = mapped_column(String(40))
    return_date: Mapped[dt.date | None] = mapped_column(Date)
    reintegration_notes: Mapped[str | None] = mapped_column(EncryptedText)
    # The pupil's own view of the placement, asked when it ends (their words, sealed).
    pupil_view_at_end: Mapped[str | None] = mapped_column(EncryptedText)

    pupil: Mapped[Pupil] = relationship(lazy="joined")
    commissioner: Mapped[Organisation] = relationship(foreign_keys=[commissioner_id], lazy="joined")
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id], lazy="joined")
    site: Mapped[Site | None] = relationship(lazy="joined")
    welfare_call_person: Mapped[Person | None] = relationship(
        foreign_keys=[welfare_call_person_id], lazy="joined"
    )
    checklist: Mapped[list[ChecklistItem]] = relationship(
        back_populates="placement", order_by="ChecklistItem.id", lazy="raise_on_sql"
    )

    @property
    def days(self) -> list[str]:
        return [d for d in self.provider_days.split(",") if d]

    @property
    def total_hours(self) -> Decimal:
        return self.provider_hours + self.school_hours + self.other_hours


class ChecklistItem(Base):
    """One safeguarding check for one placement: done, not done (due by a date), or not applicable."""

    __tablename__ = "checklist_items"
    __table_args__ = (
        UniqueConstraint("placement_id", "key"),
        # The scheduler and the digest read the items not done and past their due date.
        Index("ix_checklist_items_status_due_date", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    status: Mapped[ChecklistStatus] = mapped_column(
        enum_column(ChecklistStatus, "checklist_status")
    )
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    na_reason: Mapped[str | None] = mapped_column(EncryptedText)
    evidence: Mapped[str | None] = mapped_column(EncryptedText)
    # Who is chased when it falls due (the person who started the placement, by default).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    placement: Mapped[Placement] = relationship(back_populates="checklist")
