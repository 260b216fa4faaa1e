"""The school census's AP placement records for one school and census period, as rows for the
school's MIS (`apbot census`). The rules and codes are in `storage.rules.census`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, Placement, PlacementStatus
from storage.rules import census

# The CSV's columns, in order: the pupil (for the MIS to match), the placement, and the
# census's fields.
COLUMNS = (
    "upn",
    "surname",
    "forename",
    "date_of_birth",
    "placement_reference",
    "provider",
    "urn",
    "ukprn",
    "setting_type",
    "entry_date",
    "leaving_date",
    "reason",
    "sessions_per_week",
)


def placement_reason(placement: Placement) -> str | None:
    """The placement's reason for AP (suspension, permanent_exclusion, ...), or None for a
    placement started before `start` asked why."""
    return placement.reason.value if placement.reason is not None else None


@dataclass(frozen=True)
class CensusRecord:
    placement: Placement
    identifier: census.Identifier
    leaving_date: str
    reason: str | None
    sessions_per_week: int

    def row(self) -> dict[str, str]:
        """One CSV row (dates as the census writes them, YYYY-MM-DD)."""
        pupil = self.placement.pupil
        return {
            "upn": pupil.upn or "",
            "surname": pupil.last_name,
            "forename": pupil.first_name,
            "date_of_birth": pupil.date_of_birth.isoformat() if pupil.date_of_birth else "",
            "placement_reference": self.placement.reference,
            "provider": self.placement.provider.name,
            "urn": self.identifier.urn or "",
            "ukprn": self.identifier.ukprn or "",
            "setting_type": self.identifier.setting_type or "",
            "entry_date": self.placement.start_date.isoformat(),
            "leaving_date": self.leaving_date,
            "reason": self.reason or "",
            "sessions_per_week": str(self.sessions_per_week),
        }


async def census_records(
    session: AsyncSession, *, school: Organisation, period: census.CensusPeriod
) -> list[CensusRecord]:
    """The school's placements open at any time in the census period (those that ended in it
    too), by entry date. A withdrawn placement never ran and is not returned."""
    placements = await session.scalars(
        select(Placement)
        .where(
            Placement.commissioner_id == school.id,
            Placement.status.in_([PlacementStatus.active, PlacementStatus.ended]),
            Placement.start_date <= period.census_day,
        )
        .order_by(Placement.start_date, Placement.id)
    )
    records = []
    for placement in placements.unique():
        ended_on = placement.ended_on if placement.status == PlacementStatus.ended else None
        if not period.takes(placement.start_date, ended_on):
            continue
        # A placement that ended after census day was still open on it: no leaving date yet.
        leaving = ended_on.isoformat() if ended_on and ended_on <= period.census_day else ""
        records.append(
            CensusRecord(
                placement=placement,
                identifier=census.identifier(placement.provider.urn, placement.provider.ukprn),
                leaving_date=leaving,
                reason=census.reason_code(placement_reason(placement)),
                sessions_per_week=census.sessions_per_week(len(placement.days)),
            )
        )
    return records
