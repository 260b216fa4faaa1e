"""A placement's week (where the pupil is each weekday), kept and read; and the facts
`where AP-XXXX` needs about today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    DayPlace,
    Person,
    Placement,
    PlacementDay,
    Role,
    Site,
)
from storage.rules.whereabouts import WEEKDAYS, DayWhere, default_week
from storage.services.audit import Change, audit_created


class WhereaboutsError(ValueError):
    """A week that can't be kept (a site of another provider, a day that is not a weekday)."""


async def set_week(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    week: Mapping[str, DayWhere],
) -> list[PlacementDay]:
    """Record where the pupil is on each weekday of the placement (replacing any week kept)."""
    sites = {
        site.id
        for site in await session.scalars(
            select(Site).where(Site.provider_id == placement.provider_id)
        )
    }
    for day, where in week.items():
        if day not in WEEKDAYS:
            raise WhereaboutsError(f"{day!r} is not a weekday (mon to fri).")
        if where.site_id is not None and (
            where.place != DayPlace.provider or where.site_id not in sites
        ):
            raise WhereaboutsError(f"Site {where.site_id} is not one of the provider's sites.")
    await session.execute(delete(PlacementDay).where(PlacementDay.placement_id == placement.id))
    rows = []
    for day in WEEKDAYS:
        if day not in week:
            continue
        row = PlacementDay(
            placement_id=placement.id,
            weekday=day,
            place=week[day].place,
            site_id=week[day].site_id,
        )
        session.add(row)
        await audit_created(session, change, row, placement_id=placement.id)
        rows.append(row)
    return rows


async def week_of(session: AsyncSession, placement: Placement) -> tuple[dict[str, DayWhere], bool]:
    """The placement's week, and whether it was recorded (False: implied by its provider days,
    for a placement started before days were kept)."""
    rows = list(
        await session.scalars(select(PlacementDay).where(PlacementDay.placement_id == placement.id))
    )
    if rows:
        return {row.weekday: DayWhere(row.place, row.site_id) for row in rows}, True
    implied = default_week(
        placement.days, site_id=placement.site_id, school_hours_given=placement.school_hours > 0
    )
    return implied, False


async def sites_by_id(session: AsyncSession, provider_id: int) -> dict[int, Site]:
    """The provider's sites."""
    rows = await session.scalars(select(Site).where(Site.provider_id == provider_id))
    return {site.id: site for site in rows}


async def absences_on(
    session: AsyncSession, placement: Placement, day: dt.date
) -> list[AttendanceRecord]:
    """The absences reported for the placement on `day`, morning first."""
    rows = await session.scalars(
        select(AttendanceRecord)
        .where(
            AttendanceRecord.placement_id == placement.id,
            AttendanceRecord.date == day,
            AttendanceRecord.status == AttendanceStatus.absent,
        )
        .order_by(AttendanceRecord.session)
    )
    return list(rows)


async def provider_contacts(session: AsyncSession, provider_id: int) -> list[Person]:
    """The provider's staff the bot knows (whom to ask where the pupil is)."""
    rows = await session.scalars(
        select(Person)
        .where(
            Person.organisation_id == provider_id,
            Person.role == Role.provider,
            Person.active.is_(True),
        )
        .order_by(Person.name)
    )
    return list(rows.unique())


async def follow_change(
    session: AsyncSession, change: Change, placement: Placement, *, new_site: bool = False
) -> None:
    """Keep a recorded week true to a placement whose days or site were just changed
    (`change AP-XXXX`): a day no longer at the provider is at school (when the placement has
    school hours) or not arranged; a new day at the provider is at the placement's site; and
    a `new_site` is where the pupil is on every provider day. A week never
    recorded is implied by the provider days already, so it needs nothing."""
    week, recorded = await week_of(session, placement)
    if not recorded:
        return
    new: dict[str, DayWhere] = {}
    for day in WEEKDAYS:
        where = week.get(day)
        if day in placement.days:
            keep = where is not None and where.place == DayPlace.provider and not new_site
            new[day] = (
                DayWhere(DayPlace.provider, where.site_id)
                if keep and where is not None
                else DayWhere(DayPlace.provider, placement.site_id)
            )
        elif placement.school_hours > 0 and (where is None or where.place != DayPlace.none):
            new[day] = DayWhere(DayPlace.school)
        else:
            new[day] = DayWhere(DayPlace.none)
    if new != {day: week.get(day) for day in WEEKDAYS}:
        await set_week(session, change, placement=placement, week=new)
