"""Where a placement's timetable puts the pupil on each weekday: a site of the provider, the
home school, or nowhere (no education arranged). `where AP-XXXX` reads it."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, enum_column
from storage.models.enums import DayPlace
from storage.models.organisations import Site


class PlacementDay(Base):
    """One weekday of a placement's week: where the pupil is expected."""

    __tablename__ = "placement_days"
    __table_args__ = (UniqueConstraint("placement_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    # mon, tue, wed, thu or fri.
    weekday: Mapped[str] = mapped_column(String(3))
    place: Mapped[DayPlace] = mapped_column(enum_column(DayPlace, "day_place"))
    # The provider's site that day (none when the provider has no site recorded).
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))

    site: Mapped[Site | None] = relationship(lazy="joined")
