"""Part-time timetables: recorded when a placement starts part-time, reviewed with the pupil
and parents, and read by the register marks (C2) and the scheduler (the time limit).

Each function changes records and writes the audit log in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PartTimeReview, PartTimeTimetable, Placement
from storage.rules import part_time
from storage.rules.part_time import PartTimeAgreement
from storage.services.audit import Change, audit_created, audit_updated, snapshot


class PartTimeError(ValueError):
    """A part-time timetable that can't be recorded as asked, in words for the person."""


class PartTimePlan(BaseModel):
    """What was agreed with the parent (the start dialog's part-time answers)."""

    model_config = ConfigDict(frozen=True)

    parent_agreed_on: dt.date
    circumstances: str = Field(min_length=1)
    ends_on: dt.date
    # Weekdays with education planned (the provider's, the school's and any other provider's).
    covered_days: list[str]


class ReviewPlan(BaseModel):
    """A review held with the pupil and parents."""

    model_config = ConfigDict(frozen=True)

    held_on: dt.date
    with_pupil: bool
    with_parents: bool
    notes: str | None = None
    # Continue (with a new time limit and review date), or back to full time.
    back_to_full_time: bool
    new_ends_on: dt.date | None = None
    next_review_date: dt.date | None = None


def agreement_of(row: PartTimeTimetable) -> PartTimeAgreement:
    """The stored agreement as the plain facts the register rules read."""
    return PartTimeAgreement(
        starts_on=row.starts_on, ends_on=row.ends_on, covered=row.covered, ended_on=row.ended_on
    )


async def record_part_time(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    plan: PartTimePlan,
    *,
    review_date: dt.date,
) -> PartTimeTimetable:
    """Record the agreement behind a placement's part-time timetable, from its start."""
    if change.person_id is None:
        raise PartTimeError("A part-time timetable is agreed by a person; say who.")
    problem = part_time.time_limit_problem(
        plan.ends_on, start=placement.start_date, planned_end=placement.planned_end_date
    ) or part_time.review_problem(review_date, start=placement.start_date, ends=plan.ends_on)
    if problem:
        raise PartTimeError(problem)
    row = PartTimeTimetable(
        placement_id=placement.id,
        parent_agreed_on=plan.parent_agreed_on,
        circumstances=plan.circumstances,
        starts_on=placement.start_date,
        ends_on=plan.ends_on,
        covered_days=",".join(d for d in part_time.WEEKDAYS if d in set(plan.covered_days)),
        review_date=review_date,
        created_by_id=change.person_id,
        created_at=change.at,
    )
    session.add(row)
    await session.flush()
    await audit_created(session, change, row, placement_id=placement.id)
    return row


async def current_timetable(session: AsyncSession, placement_id: int) -> PartTimeTimetable | None:
    """The placement's latest part-time agreement (None: it has none)."""
    return await session.scalar(
        select(PartTimeTimetable)
        .where(PartTimeTimetable.placement_id == placement_id)
        .order_by(PartTimeTimetable.id.desc())
        .limit(1)
    )


async def agreements_for(
    session: AsyncSession, placement_ids: Collection[int]
) -> dict[int, PartTimeAgreement]:
    """Each placement's latest part-time agreement, for the register marks."""
    if not placement_ids:
        return {}
    rows = await session.scalars(
        select(PartTimeTimetable)
        .where(PartTimeTimetable.placement_id.in_(list(placement_ids)))
        .order_by(PartTimeTimetable.id)
    )
    return {row.placement_id: agreement_of(row) for row in rows}


async def history_of(session: AsyncSession, placement_id: int) -> list[dict[str, object]]:
    """The placement's part-time timetables and their reviews, oldest first, as plain values
    for the record export (sealed text decrypted: the export is the DSL's)."""
    timetables = list(
        await session.scalars(
            select(PartTimeTimetable)
            .where(PartTimeTimetable.placement_id == placement_id)
            .order_by(PartTimeTimetable.id)
        )
    )
    found: list[dict[str, object]] = []
    for row in timetables:
        reviews = await session.scalars(
            select(PartTimeReview)
            .where(PartTimeReview.timetable_id == row.id)
            .order_by(PartTimeReview.held_on, PartTimeReview.id)
        )
        found.append(
            {
                "parent_agreed_on": row.parent_agreed_on.isoformat(),
                "circumstances": row.circumstances,
                "starts_on": row.starts_on.isoformat(),
                "ends_on": row.ends_on.isoformat(),
                "c2_days": part_time.c2_days(row.covered),
                "review_date": row.review_date.isoformat(),
                "ended_on": row.ended_on.isoformat() if row.ended_on else None,
                "reviews": [
                    {
                        "held_on": r.held_on.isoformat(),
                        "with_pupil": r.with_pupil,
                        "with_parents": r.with_parents,
                        "notes": r.notes,
                        "outcome": r.outcome,
                        "new_ends_on": r.new_ends_on.isoformat() if r.new_ends_on else None,
                        "next_review_date": (
                            r.next_review_date.isoformat() if r.next_review_date else None
                        ),
                    }
                    for r in reviews
                ],
            }
        )
    return found


async def record_review(
    session: AsyncSession,
    change: Change,
    timetable: PartTimeTimetable,
    plan: ReviewPlan,
) -> PartTimeReview:
    """Record a review with the pupil and parents; the agreement takes its outcome (a new time
    limit and review date, or it ends on the review day). The review row is the history."""
    if change.person_id is None:
        raise PartTimeError("A review is recorded by a person; say who.")
    if timetable.ended_on is not None:
        raise PartTimeError(
            f"That part-time timetable already ended on {timetable.ended_on:%d/%m/%Y}."
        )
    if plan.held_on < timetable.starts_on:
        raise PartTimeError(
            f"The review can't be before the timetable started ({timetable.starts_on:%d/%m/%Y})."
        )
    before = snapshot(timetable)
    if plan.back_to_full_time:
        timetable.ended_on = plan.held_on
    else:
        if plan.new_ends_on is None or plan.next_review_date is None:
            raise PartTimeError("To continue it, give a new time limit and the next review date.")
        problem = part_time.time_limit_problem(
            plan.new_ends_on, start=plan.held_on, planned_end=None
        ) or part_time.review_problem(
            plan.next_review_date, start=plan.held_on, ends=plan.new_ends_on
        )
        if problem:
            raise PartTimeError(problem)
        timetable.ends_on = plan.new_ends_on
        timetable.review_date = plan.next_review_date
    review = PartTimeReview(
        timetable_id=timetable.id,
        held_on=plan.held_on,
        with_pupil=plan.with_pupil,
        with_parents=plan.with_parents,
        notes=plan.notes,
        outcome="full_time" if plan.back_to_full_time else "continue",
        new_ends_on=None if plan.back_to_full_time else plan.new_ends_on,
        next_review_date=None if plan.back_to_full_time else plan.next_review_date,
        recorded_by_id=change.person_id,
        recorded_at=change.at,
    )
    session.add(review)
    await session.flush()
    await audit_created(session, change, review, placement_id=timetable.placement_id)
    await audit_updated(session, change, timetable, before, placement_id=timetable.placement_id)
    placement = await session.get(Placement, timetable.placement_id)
    if placement is not None:
        # The placement's review date follows the agreement's (the scheduler reads it).
        placement_before = snapshot(placement)
        if not plan.back_to_full_time:
            placement.review_date = plan.next_review_date
        elif placement.is_full_time:
            placement.review_date = None
        # Back to full time while the timetable's hours still fall short: the review date
        # stays (and is reminded) until `change` records the full-time week.
        await audit_updated(session, change, placement, placement_before, placement_id=placement.id)
    return review


async def end_with_placement(
    session: AsyncSession, change: Change, placement_id: int, *, ended_on: dt.date
) -> None:
    """A placement that ends takes its part-time timetable with it (nothing is reminded)."""
    timetable = await current_timetable(session, placement_id)
    if timetable is None or timetable.ended_on is not None:
        return
    before = snapshot(timetable)
    timetable.ended_on = min(ended_on, timetable.ends_on)
    await audit_updated(session, change, timetable, before, placement_id=placement_id)


async def cover_days(
    session: AsyncSession, change: Change, placement_id: int, *, days: Collection[str]
) -> None:
    """Education now planned on more days (another placement started alongside): those days'
    sessions are no longer C2 in a running part-time timetable."""
    timetable = await current_timetable(session, placement_id)
    if timetable is None or timetable.ended_on is not None:
        return
    covered = set(timetable.covered) | set(days)
    joined = ",".join(d for d in part_time.WEEKDAYS if d in covered)
    if joined == timetable.covered_days:
        return
    before = snapshot(timetable)
    timetable.covered_days = joined
    await audit_updated(session, change, timetable, before, placement_id=placement_id)
