"""A serious concern puts a decision to the commissioner's safeguarding lead: review this
placement now. One row per serious concern, open until the lead decides (continue with actions,
suspend, or end)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime, enum_column


class ConcernSeverity(enum.StrEnum):
    """What makes a concern serious enough to review the placement at once."""

    unsafe_setting = "unsafe_setting"
    disclosure = "disclosure"
    pupil_missing = "pupil_missing"


class ReviewDecision(enum.StrEnum):
    """What the safeguarding lead decided about the placement."""

    continue_with_actions = "continue_with_actions"
    suspend = "suspend"
    end = "end"


class ConcernReview(Base):
    """A "review this placement now" decision: raised by a serious concern, decided by a DSL (an LA
    officer when the LA commissions). The decision itself is also a chronology entry."""

    __tablename__ = "concern_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    # The concern that raised it.
    chronology_entry_id: Mapped[int] = mapped_column(ForeignKey("chronology.id"), unique=True)
    severity: Mapped[ConcernSeverity] = mapped_column(
        enum_column(ConcernSeverity, "concern_severity")
    )
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Set once, when decided (None: still to decide).
    decision: Mapped[ReviewDecision | None] = mapped_column(
        enum_column(ReviewDecision, "review_decision")
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    # Continue: the actions, who does them, by when. Suspend: what happens meanwhile. End: why.
    actions: Mapped[str | None] = mapped_column(EncryptedText)
    action_by: Mapped[str | None] = mapped_column(EncryptedText)
    action_due: Mapped[dt.date | None] = mapped_column(Date)
    # The chronology entry recording the decision.
    decision_entry_id: Mapped[int | None] = mapped_column(ForeignKey("chronology.id"))

    @property
    def is_open(self) -> bool:
        return self.decided_at is None
