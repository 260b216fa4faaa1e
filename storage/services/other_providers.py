"""A pupil at more than one provider: each provider is told which others are involved
(provider name and placement reference, never the pupil's name), at the start and when one
ends, and each placement's full-time total counts the others' real hours from their timetables.

The guidance note asks that providers are told which other providers are involved, so they can
take a contextual approach to safeguarding; the bot tells them and ticks that check itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChecklistItem, ChecklistStatus, Placement, PlacementStatus, Role
from storage.rules import fulltime
from storage.services import part_time
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue, safeguarding_leads, staff_of
from storage.wording import NoticeKind, alerts, provider_notices

CHECK_KEY = "other_providers_told"

# A week that fell short because another placement ended is reviewed within this many days.
REVIEW_AFTER_SHORTFALL_DAYS = 14


async def others_running(
    session: AsyncSession, *, pupil_id: int, on: dt.date, excluding: int | None = None
) -> list[Placement]:
    """The pupil's other active placements still running on `on` (not past their planned end)."""
    rows = await session.scalars(
        select(Placement)
        .where(Placement.pupil_id == pupil_id, Placement.status == PlacementStatus.active)
        .order_by(Placement.start_date, Placement.id)
    )
    return [
        p
        for p in rows.unique()
        if p.id != excluding and (p.planned_end_date is None or p.planned_end_date >= on)
    ]


def real_hours(others: list[Placement]) -> Decimal:
    """The others' hours at their providers, from their timetables."""
    return sum((p.provider_hours for p in others), Decimal(0))


def _named(others: list[Placement]) -> list[tuple[str, str]]:
    return [(p.provider.name, p.reference) for p in others]


async def recount(
    session: AsyncSession, change: Change, placement: Placement, *, on: dt.date
) -> bool:
    """Set the placement's hours at other providers to the others' real hours, and whether
    it is full time, if they changed (audited). True if it was full time and no longer is."""
    hours = real_hours(
        await others_running(session, pupil_id=placement.pupil_id, on=on, excluding=placement.id)
    )
    if hours == placement.other_hours:
        return False
    was_full_time = placement.is_full_time
    before = snapshot(placement)
    placement.other_hours = hours
    placement.is_full_time = fulltime.check_full_time(
        provider_hours=placement.provider_hours,
        school_hours=placement.school_hours,
        other_hours=hours,
        full_time_hours=placement.full_time_hours,
    ).is_full_time
    if not placement.is_full_time and placement.review_date is None:
        # A part-time week is always reviewed: within two weeks, as the leads are told.
        placement.review_date = review_after_shortfall(on, placement.planned_end_date)
    await audit_updated(session, change, placement, before, placement_id=placement.id)
    return was_full_time and not placement.is_full_time


def review_after_shortfall(on: dt.date, planned_end: dt.date | None) -> dt.date:
    """When a week that fell short (another placement ended) is to be reviewed: in two weeks,
    or by the planned end if that is sooner."""
    review = on + dt.timedelta(days=REVIEW_AFTER_SHORTFALL_DAYS)
    return min(review, planned_end) if planned_end is not None else review


async def _tell(
    session: AsyncSession, change: Change, placement: Placement, *, key: str, text: str
) -> int:
    told = 0
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"other-providers:{placement.id}:{key}:{person.id}",
            kind=NoticeKind.other_providers,
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=text,
        )
        told += 1
    return told


async def _tick(
    session: AsyncSession, change: Change, placement: Placement, others: list[Placement]
) -> None:
    """Tick "providers told which other providers are involved" (adding it if the placement
    started alone), with what was said as its evidence."""
    item = await session.scalar(
        select(ChecklistItem).where(
            ChecklistItem.placement_id == placement.id, ChecklistItem.key == CHECK_KEY
        )
    )
    evidence = f"Told by the bot on {change.at:%d/%m/%Y}: " + "; ".join(
        f"{name} ({ref})" for name, ref in _named(others)
    )
    if item is None:
        item = ChecklistItem(
            placement_id=placement.id,
            key=CHECK_KEY,
            status=ChecklistStatus.done,
            evidence=evidence,
            owner_id=placement.created_by_id,
            done_by_id=change.person_id,
            done_at=change.at,
        )
        session.add(item)
        await audit_created(session, change, item, placement_id=placement.id)
        return
    if item.status == ChecklistStatus.done and item.evidence == evidence:
        return
    before = snapshot(item)
    item.status = ChecklistStatus.done
    item.due_date = None
    item.na_reason = None
    item.evidence = evidence
    item.done_by_id = change.person_id
    item.done_at = change.at
    await audit_updated(session, change, item, before, placement_id=placement.id)


async def after_start(session: AsyncSession, change: Change, placement: Placement) -> int:
    """A new placement alongside others: every provider involved hears which others are, the
    others count its hours, and each placement's check is ticked. Returns how many other
    placements there are."""
    others = await others_running(
        session, pupil_id=placement.pupil_id, on=placement.start_date, excluding=placement.id
    )
    if not others:
        return 0
    group = [placement, *others]
    for member in group:
        rest = [p for p in group if p.id != member.id]
        await _tell(
            session,
            change,
            member,
            key=f"start-{placement.id}",
            text=provider_notices.other_providers_involved(
                reference=member.reference, others=_named(rest)
            ),
        )
        await _tick(session, change, member, rest)
        if member.id != placement.id:
            await recount(session, change, member, on=placement.start_date)
            await part_time.cover_days(session, change, member.id, days=placement.days)
    return len(others)


async def after_end(session: AsyncSession, change: Change, placement: Placement) -> int:
    """A placement ended: the pupil's other providers hear it is no longer involved, and their
    full-time totals no longer count its hours. Returns notices queued."""
    on = placement.ended_on or change.at.date()
    remaining = await others_running(
        session, pupil_id=placement.pupil_id, on=on, excluding=placement.id
    )
    told = 0
    for member in remaining:
        rest = [p for p in remaining if p.id != member.id]
        told += await _tell(
            session,
            change,
            member,
            key=f"end-{placement.id}",
            text=provider_notices.other_provider_left(
                reference=member.reference,
                left=(placement.provider.name, placement.reference),
                others=_named(rest),
            ),
        )
        if await recount(session, change, member, on=on):
            await _tell_leads_part_time(session, change, member, left=placement)
    return told


async def _tell_leads_part_time(
    session: AsyncSession, change: Change, placement: Placement, *, left: Placement
) -> None:
    """The commissioner's safeguarding leads hear that a placement's week fell short."""
    text = alerts.now_part_time(
        reference=placement.reference,
        left=f"{left.provider.name} ({left.reference})",
        total=fulltime.format_hours(placement.total_hours),
        week=fulltime.format_hours(placement.full_time_hours),
        review=placement.review_date,
    )
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"now-part-time:{placement.id}:{left.id}:{lead.id}",
            kind=NoticeKind.other_providers,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=text,
        )
