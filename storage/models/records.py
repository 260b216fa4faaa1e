"""What happens during a placement: QA visits, contacts, attendance, welfare calls, chronology."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime, enum_column
from storage.models.enums import (
    AttendanceStatus,
    ChronologyKind,
    ChronologySource,
    ContactMethod,
    ContactWith,
    QaRating,
    RegisterSession,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.models.people import Person
from storage.models.placements import Placement


class QaVisit(Base):
    """A quality-assurance visit to the setting, with the pupil's own words."""

    __tablename__ = "qa_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    pupil_seen: Mapped[bool] = mapped_column(Boolean)
    pupil_voice: Mapped[str | None] = mapped_column(EncryptedText)
    why_not_seen: Mapped[str | None] = mapped_column(EncryptedText)
    setting_safe: Mapped[bool] = mapped_column(Boolean)
    register_matches: Mapped[bool] = mapped_column(Boolean)
    concerns: Mapped[str | None] = mapped_column(EncryptedText)
    rating: Mapped[QaRating] = mapped_column(enum_column(QaRating, "qa_rating"))
    actions_agreed: Mapped[str | None] = mapped_column(EncryptedText)
    next_visit_due: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    placement: Mapped[Placement] = relationship(lazy="joined")
    visitor: Mapped[Person] = relationship(lazy="joined")


class Contact(Base):
    """Contact about a placement with the provider (the regular, weekly interaction), a parent
    or carer, or the pupil: apart from attendance and concerns."""

    __tablename__ = "contacts"
    # Each placement's latest contact (the weekly-contact rule) without reading its history.
    __table_args__ = (
        Index("ix_contacts_placement_id_contact_date", "placement_id", "contact_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    # Indexed: the weekly-contact rule looks for placements without a contact this week.
    contact_date: Mapped[dt.date] = mapped_column(Date, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # Rows from before 0020_contact_with were all with the provider.
    with_whom: Mapped[ContactWith] = mapped_column(
        enum_column(ContactWith, "contact_with"),
        default=ContactWith.provider,
        server_default=ContactWith.provider.value,
    )
    method: Mapped[ContactMethod] = mapped_column(enum_column(ContactMethod, "contact_method"))
    summary: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AttendanceRecord(Base):
    """One session (AM or PM) of one pupil on one day, as reported."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("placement_id", "date", "session"),
        # Recent unexplained absences (the missing-education rule) without a day's every mark.
        Index("ix_attendance_status_code_date", "status", "code", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    session: Mapped[RegisterSession] = mapped_column(enum_column(RegisterSession, "session"))
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_column(AttendanceStatus, "attendance_status")
    )
    code: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(EncryptedText)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    late_report: Mapped[bool] = mapped_column(Boolean, default=False)
    welfare_call_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    # A code the provider proposed that only the school may set (the session stays N until
    # school staff decide): see `storage.access.can_set_code`.
    proposed_code: Mapped[str | None] = mapped_column(String(3), default=None)


class WelfareCall(Base):
    """A call home (or visit) owed after a pupil did not arrive."""

    __tablename__ = "welfare_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    absence_date: Mapped[dt.date] = mapped_column(Date)
    party: Mapped[WelfareCallParty] = mapped_column(
        enum_column(WelfareCallParty, "welfare_call_party")
    )
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[WelfareCallStatus] = mapped_column(
        enum_column(WelfareCallStatus, "welfare_call_status"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    placement: Mapped[Placement] = relationship(lazy="joined")


class ChronologyEntry(Base):
    """A dated safeguarding entry for a pupil. Append-only: a correction is a new entry."""

    __tablename__ = "chronology"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placements.id"), index=True)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[ChronologyKind] = mapped_column(enum_column(ChronologyKind, "chronology_kind"))
    source: Mapped[ChronologySource] = mapped_column(
        enum_column(ChronologySource, "chronology_source")
    )
    text: Mapped[str] = mapped_column(EncryptedText)
    # Organisation ids this entry has been shared with, beyond the commissioning school.
    shared_with: Mapped[list[int]] = mapped_column(JSON, default=list)
    # None: written by the system ("AP Safeguard, automatic"), never in a person's name.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)

    @property
    def automatic(self) -> bool:
        """Written by AP Safeguard itself (e.g. a welfare call raised by the scheduler)."""
        return self.recorded_by_id is None
