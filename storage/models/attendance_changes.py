"""Changes to an attendance mark after it was first reported (N becoming I, say): from which
code to which, why, by whom and when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime


class AttendanceChange(Base):
    """One change to a session's mark after it was first reported: from which code to which,
    why, by whom and when. Kept beside the audit log so the register's history reads plainly."""

    __tablename__ = "attendance_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendance.id"), index=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    from_code: Mapped[str] = mapped_column(String(3))
    to_status: Mapped[str] = mapped_column(String(16))
    to_code: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(EncryptedText)
    # What made the change: "welfare_call", "explain" or "late".
    source: Mapped[str] = mapped_column(String(20))
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
