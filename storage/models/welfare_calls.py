"""Welfare calls after an absence: each attempt at a call, and each escalation of a call to the
commissioner's safeguarding leads. (The call itself is `WelfareCall`, in `records.py`.)"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime, enum_column


class WelfareContact(enum.StrEnum):
    """Who the person making a welfare call spoke to (or that nobody answered)."""

    parent_carer = "parent_carer"
    pupil = "pupil"
    other = "other"
    not_reached = "not_reached"


class WelfareNextStep(enum.StrEnum):
    """What happens after a welfare call that reached someone."""

    none = "none"
    home_visit = "home_visit"
    refer_dsl = "refer_dsl"
    police_or_social_care = "police_or_social_care"


class WelfareEscalationReason(enum.StrEnum):
    """Why a welfare call went to the DSL at once."""

    not_safe = "not_safe"
    unreached = "unreached"
    refer_dsl = "refer_dsl"
    police_or_social_care = "police_or_social_care"


class WelfareCallAttempt(Base):
    """One try at a welfare call: when, by whom, who was reached and what was found."""

    __tablename__ = "welfare_call_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    welfare_call_id: Mapped[int] = mapped_column(ForeignKey("welfare_calls.id"), index=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    called_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    made_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    spoke_to: Mapped[WelfareContact] = mapped_column(enum_column(WelfareContact, "welfare_contact"))
    # Unknown (None) when nobody was reached.
    pupil_seen_or_heard: Mapped[bool | None] = mapped_column(Boolean)
    pupil_safe: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(EncryptedText)
    # The absence code the reason found means (I for illness, say), if the caller set one.
    outcome_code: Mapped[str | None] = mapped_column(String(3))
    next_step: Mapped[WelfareNextStep | None] = mapped_column(
        enum_column(WelfareNextStep, "welfare_next_step")
    )
    # When nobody was reached: when the next try is due.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WelfareEscalation(Base):
    """A welfare call raised with the commissioner's safeguarding leads. One per call and reason,
    so two bot instances (or a retried request) raise it once."""

    __tablename__ = "welfare_escalations"
    __table_args__ = (UniqueConstraint("welfare_call_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    welfare_call_id: Mapped[int] = mapped_column(ForeignKey("welfare_calls.id"), index=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    reason: Mapped[WelfareEscalationReason] = mapped_column(
        enum_column(WelfareEscalationReason, "welfare_escalation_reason")
    )
    chronology_entry_id: Mapped[int | None] = mapped_column(ForeignKey("chronology.id"))
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
