"""Changing a started placement's arrangements (`change AP-XXXX`), and its objectives.

Each change is kept (`PlacementChange`): who, when, why, and the arrangement before and after in
words. A new timetable has the full-time check redone (a part-time one needs a review date, as at
the start). The provider is told what changed (reference only); the commissioner's safeguarding
leads are told when the change touches the safeguarding arrangements (welfare calls, the
absence deadline). Records and audit log change in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    ObjectiveProgress,
    ObjectiveReview,
    ObjectiveStatus,
    Person,
    Placement,
    PlacementChange,
    PlacementChangeKind,
    PlacementObjective,
    PlacementStatus,
    Role,
    Site,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules import fulltime, start_checks
from storage.services import whereabouts
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue, safeguarding_leads, staff_of
from storage.services.welfare_tasks import give_call
from storage.wording import NoticeKind, alerts, provider_notices

MAX_REASON_LENGTH = 1000
MAX_OBJECTIVES = 10
# Changes the commissioner's safeguarding leads are told of: who calls home, and by when the
# provider says the pupil hasn't arrived.
SAFEGUARDING_CHANGES = frozenset(
    {PlacementChangeKind.welfare_calls, PlacementChangeKind.absence_deadline}
)
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
}


class ChangeError(ValueError):
    """A change that cannot be made, in words for the person."""


class ObjectiveAgreed(BaseModel):
    """One objective as agreed (at the start, or in a change)."""

    model_config = ConfigDict(frozen=True)

    text: str
    target_date: dt.date | None = None


class PlacementUpdate(BaseModel):
    """The new value of one part of the arrangements (only the fields of `kind` are read)."""

    model_config = ConfigDict(frozen=True)

    kind: PlacementChangeKind
    provider_days: list[str] = []
    provider_hours: Decimal | None = None
    school_hours: Decimal | None = None
    other_hours: Decimal | None = None
    other_providers: str | None = None
    review_date: dt.date | None = None
    site_id: int | None = None
    planned_end_date: dt.date | None = None
    absence_deadline: dt.time | None = None
    welfare_call_party: WelfareCallParty | None = None
    welfare_call_person_id: int | None = None
    welfare_call_arrangements: str | None = None
    objectives: list[ObjectiveAgreed] = []


def _days(days: Sequence[str]) -> str:
    return ", ".join(DAY_NAMES.get(day, day) for day in days) or "no days"


def _date(day: dt.date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "none"


def objectives_text(objectives: Sequence[PlacementObjective | ObjectiveAgreed]) -> str:
    """The objectives as lines: `1. Attend every session (by 27/11/2026)`."""
    if not objectives:
        return "none recorded"
    return "\n".join(
        f"{number}. {objective.text}"
        + (f" (by {objective.target_date:%d/%m/%Y})" if objective.target_date else "")
        for number, objective in enumerate(objectives, start=1)
    )


async def current_objectives(session: AsyncSession, placement_id: int) -> list[PlacementObjective]:
    """The placement's objectives that still stand (open or achieved), in order."""
    rows = await session.scalars(
        select(PlacementObjective)
        .where(
            PlacementObjective.placement_id == placement_id,
            PlacementObjective.status != ObjectiveStatus.replaced,
        )
        .order_by(PlacementObjective.position, PlacementObjective.id)
    )
    return list(rows)


async def latest_progress(
    session: AsyncSession, objective_ids: Sequence[int]
) -> dict[int, ObjectiveReview]:
    """Each objective's most recent progress review (objectives never reviewed are left out)."""
    if not objective_ids:
        return {}
    rows = await session.scalars(
        select(ObjectiveReview)
        .where(ObjectiveReview.objective_id.in_(list(objective_ids)))
        .order_by(ObjectiveReview.recorded_at, ObjectiveReview.id)
    )
    return {review.objective_id: review for review in rows}


def describe(
    kind: PlacementChangeKind,
    placement: Placement,
    *,
    objectives: Sequence[PlacementObjective | ObjectiveAgreed] = (),
    welfare_person: str | None = None,
) -> str:
    """One part of the placement's arrangements in words (as kept in the change's history)."""
    match kind:
        case PlacementChangeKind.timetable:
            check = fulltime.check_full_time(
                provider_hours=placement.provider_hours,
                school_hours=placement.school_hours,
                other_hours=placement.other_hours,
                full_time_hours=placement.full_time_hours,
            )
            words = (
                f"{_days(placement.days)} at the provider, "
                f"{fulltime.format_hours(placement.provider_hours)} h a week. {check.summary}"
            )
            if not check.is_full_time and placement.review_date:
                words += f" Review {_date(placement.review_date)}."
            return words
        case PlacementChangeKind.site:
            site = placement.site
            return f"{site.name}, {site.address}" if site else "not named"
        case PlacementChangeKind.planned_end:
            return _date(placement.planned_end_date)
        case PlacementChangeKind.review_date:
            return _date(placement.review_date)
        case PlacementChangeKind.absence_deadline:
            return f"{placement.absence_deadline:%H:%M}"
        case PlacementChangeKind.welfare_calls:
            who = (
                f"the school ({welfare_person})"
                if placement.welfare_call_party == WelfareCallParty.school and welfare_person
                else f"the {placement.welfare_call_party.value}"
            )
            return f"by {who}: {placement.welfare_call_arrangements or 'no arrangement given'}"
        case PlacementChangeKind.objectives:
            return objectives_text(objectives)
    raise AssertionError(kind)  # pragma: no cover - every kind is handled


def provider_words(kind: PlacementChangeKind, placement: Placement) -> str:
    """What the provider is told changed: arrangements only, never the pupil or free text."""
    return provider_notices.what_changed(
        kind.value,
        days=_days(placement.days),
        hours=fulltime.format_hours(placement.provider_hours),
        site=placement.site.name if placement.site else None,
        planned_end=placement.planned_end_date,
        review=placement.review_date,
        deadline=placement.absence_deadline,
        provider_calls=placement.welfare_call_party == WelfareCallParty.provider,
    )


async def set_objectives(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    objectives: Sequence[ObjectiveAgreed],
) -> list[PlacementObjective]:
    """Record the placement's objectives, replacing those that stood (kept, marked replaced,
    with their progress). The placement's objectives text is kept in step (export, report)."""
    if len(objectives) > MAX_OBJECTIVES:
        raise ChangeError(f"Please agree at most {MAX_OBJECTIVES} objectives.")
    for old in await current_objectives(session, placement.id):
        before = snapshot(old)
        old.status = ObjectiveStatus.replaced
        await audit_updated(session, change, old, before, placement_id=placement.id)
    rows = []
    for position, agreed in enumerate(objectives, start=1):
        text = agreed.text.strip()
        if not text:
            continue
        row = PlacementObjective(
            placement_id=placement.id,
            position=position,
            text=text,
            target_date=agreed.target_date,
            status=ObjectiveStatus.open,
            created_at=change.at,
        )
        session.add(row)
        await audit_created(session, change, row, placement_id=placement.id)
        rows.append(row)
    return rows


def _problem(placement: Placement, update: PlacementUpdate, today: dt.date) -> str | None:
    """Why the new value can't stand, or None (the dialog asks the same questions)."""
    match update.kind:
        case PlacementChangeKind.timetable:
            if not update.provider_days or update.provider_hours is None:
                return "Please give the days and hours at the provider."
            total = update.provider_hours + (update.school_hours or 0) + (update.other_hours or 0)
            return fulltime.provider_hours_problem(
                update.provider_hours, days=len(update.provider_days)
            ) or fulltime.week_hours_problem(Decimal(total))
        case PlacementChangeKind.planned_end:
            end = update.planned_end_date
            if end is None:
                return "Please give the planned end date."
            if end <= placement.start_date:
                return "The planned end must be after the start date."
            if end < today:
                return f"The planned end can't be in the past: to end it now, type end {placement.reference}."
            if not placement.is_full_time and placement.review_date and placement.review_date > end:
                return (
                    f"The part-time timetable's review ({_date(placement.review_date)}) is after "
                    "that: change the review date first."
                )
        case PlacementChangeKind.review_date:
            if update.review_date is None:
                return (
                    None if placement.is_full_time else "A part-time timetable needs a review date."
                )
            if update.review_date < today:
                return "The review can't be in the past."
            return start_checks.review_date_problem(
                update.review_date,
                start=placement.start_date,
                planned_end=placement.planned_end_date,
            )
        case PlacementChangeKind.absence_deadline:
            if update.absence_deadline is None:
                return "Please give the time."
            return start_checks.absence_deadline_problem(update.absence_deadline)
        case PlacementChangeKind.welfare_calls:
            if (
                update.welfare_call_party is None
                or not (update.welfare_call_arrangements or "").strip()
            ):
                return "Please say who makes the welfare calls, and the arrangement."
        case PlacementChangeKind.objectives:
            if not any(o.text.strip() for o in update.objectives):
                return "Please give at least one objective."
    return None


async def _apply(
    session: AsyncSession, change: Change, placement: Placement, update: PlacementUpdate
) -> None:
    """Put the new value on the placement (already checked by `_problem`)."""
    match update.kind:
        case PlacementChangeKind.timetable:
            assert update.provider_hours is not None
            placement.provider_days = ",".join(update.provider_days)
            placement.provider_hours = update.provider_hours
            placement.school_hours = update.school_hours or Decimal(0)
            placement.other_hours = update.other_hours or Decimal(0)
            if update.other_providers is not None:  # the old free text is kept as it was
                placement.other_providers = update.other_providers
            check = fulltime.check_full_time(
                provider_hours=placement.provider_hours,
                school_hours=placement.school_hours,
                other_hours=placement.other_hours,
                full_time_hours=placement.commissioner.full_time_hours,
            )
            if not check.is_full_time and update.review_date is None:
                raise ChangeError("A part-time timetable needs a review date.")
            if update.review_date is not None:
                problem = start_checks.review_date_problem(
                    update.review_date,
                    start=placement.start_date,
                    planned_end=placement.planned_end_date,
                )
                if problem:
                    raise ChangeError(problem)
                placement.review_date = update.review_date
            placement.full_time_hours = placement.commissioner.full_time_hours
            placement.is_full_time = check.is_full_time
            await _full_time_item(session, change, placement, check)
            await whereabouts.follow_change(session, change, placement)
        case PlacementChangeKind.site:
            site = await session.get(Site, update.site_id) if update.site_id else None
            if site is None or site.provider_id != placement.provider_id:
                raise ChangeError("That site does not belong to the provider.")
            placement.site_id = site.id
            placement.site = site
            await whereabouts.follow_change(session, change, placement, new_site=True)
        case PlacementChangeKind.planned_end:
            placement.planned_end_date = update.planned_end_date
        case PlacementChangeKind.review_date:
            placement.review_date = update.review_date
            if not placement.is_full_time:
                item = await _item(session, placement.id, "full_time_provision")
                if item is not None and item.status == ChecklistStatus.not_done:
                    before = snapshot(item)
                    item.due_date = update.review_date
                    await audit_updated(session, change, item, before, placement_id=placement.id)
        case PlacementChangeKind.absence_deadline:
            placement.absence_deadline = update.absence_deadline  # type: ignore[assignment]
            await _evidence(
                session,
                change,
                placement,
                "absence_deadline_agreed",
                f"Provider reports non-attendance by {placement.absence_deadline:%H:%M}.",
            )
        case PlacementChangeKind.welfare_calls:
            assert update.welfare_call_party is not None
            placement.welfare_call_party = update.welfare_call_party
            placement.welfare_call_person_id = (
                update.welfare_call_person_id
                if update.welfare_call_party == WelfareCallParty.school
                else None
            )
            placement.welfare_call_arrangements = (update.welfare_call_arrangements or "").strip()
            await _evidence(
                session,
                change,
                placement,
                "welfare_calls_agreed",
                f"Welfare calls by the {placement.welfare_call_party.value}: "
                f"{placement.welfare_call_arrangements}",
            )
            await _hand_over_open_calls(session, change, placement)
        case PlacementChangeKind.objectives:
            rows = await set_objectives(session, change, placement, update.objectives)
            placement.objectives = objectives_text(rows)


async def _hand_over_open_calls(
    session: AsyncSession, change: Change, placement: Placement
) -> None:
    """Welfare calls still to be made go to whoever makes the calls now: each open call takes
    the new arrangement (audited) and its new owner is told, as when the absence was reported.
    A call left with someone no longer responsible is a call nobody makes."""
    person_id = (
        placement.welfare_call_person_id
        if placement.welfare_call_party == WelfareCallParty.school
        else None
    )
    calls = await session.scalars(
        select(WelfareCall).where(
            WelfareCall.placement_id == placement.id,
            WelfareCall.status == WelfareCallStatus.open,
        )
    )
    for call in calls.all():
        if call.party == placement.welfare_call_party and call.assigned_to_id == person_id:
            continue
        before = snapshot(call)
        call.party = placement.welfare_call_party
        call.assigned_to_id = person_id
        await audit_updated(session, change, call, before, placement_id=placement.id)
        await give_call(session, change, placement, call)


async def _item(session: AsyncSession, placement_id: int, key: str) -> ChecklistItem | None:
    return await session.scalar(
        select(ChecklistItem).where(
            ChecklistItem.placement_id == placement_id, ChecklistItem.key == key
        )
    )


async def _evidence(
    session: AsyncSession, change: Change, placement: Placement, key: str, evidence: str
) -> None:
    """An attendance check the change settles again: its evidence now says the new arrangement."""
    item = await _item(session, placement.id, key)
    if item is None or item.status != ChecklistStatus.done:
        return
    before = snapshot(item)
    item.evidence = evidence
    await audit_updated(session, change, item, before, placement_id=placement.id)


async def _full_time_item(
    session: AsyncSession, change: Change, placement: Placement, check: fulltime.FullTimeCheck
) -> None:
    """The full-time check item after a new timetable: done when full-time, due by the review
    date when part-time (as at the start)."""
    item = await _item(session, placement.id, "full_time_provision")
    if item is None or item.status == ChecklistStatus.not_applicable:
        return
    before = snapshot(item)
    item.evidence = check.summary
    if check.is_full_time:
        if item.status != ChecklistStatus.done:
            item.status = ChecklistStatus.done
            item.due_date = None
            item.done_by_id = change.person_id
            item.done_at = change.at
    else:
        item.status = ChecklistStatus.not_done
        item.due_date = placement.review_date
        item.done_by_id = None
        item.done_at = None
    await audit_updated(session, change, item, before, placement_id=placement.id)


async def _welfare_person(session: AsyncSession, placement: Placement) -> str | None:
    if placement.welfare_call_person_id is None:
        return None
    person = await session.get(Person, placement.welfare_call_person_id)
    return person.name if person else None


async def change_placement(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    *,
    update: PlacementUpdate,
    reason: str,
) -> PlacementChange:
    """Change one part of an active placement's arrangements, keeping the change (who, when,
    why, before and after), redoing the full-time check for a new timetable, telling the
    provider (reference only) and, for welfare calls or the absence deadline, the
    commissioner's safeguarding leads."""
    if change.person_id is None:
        raise ChangeError("A placement is changed by a person; say who.")
    if placement.status != PlacementStatus.active:
        raise ChangeError(
            f"{placement.reference} {placement.status.closed_phrase}, so it can't be changed."
        )
    words = (reason or "").strip()
    if not words:
        raise ChangeError("Please say why the placement is changed.")
    if len(words) > MAX_REASON_LENGTH:
        raise ChangeError(f"Please keep the reason under {MAX_REASON_LENGTH:,} characters.")
    today = change.at.astimezone(LONDON).date()
    problem = _problem(placement, update, today)
    if problem:
        raise ChangeError(problem)
    kind = update.kind
    old_objectives = (
        await current_objectives(session, placement.id)
        if kind == PlacementChangeKind.objectives
        else []
    )
    was = describe(
        kind,
        placement,
        objectives=old_objectives,
        welfare_person=await _welfare_person(session, placement),
    )
    before = snapshot(placement)
    await _apply(session, change, placement, update)
    now = describe(
        kind,
        placement,
        objectives=update.objectives,
        welfare_person=await _welfare_person(session, placement),
    )
    if now == was:
        raise ChangeError("That is what it already is: nothing to change.")
    await audit_updated(session, change, placement, before, placement_id=placement.id)
    record = PlacementChange(
        placement_id=placement.id,
        kind=kind,
        changed_by_id=change.person_id,
        changed_at=change.at,
        before=was,
        after=now,
        reason=words,
    )
    session.add(record)
    await audit_created(session, change, record, placement_id=placement.id)
    await _announce(session, change, placement, record)
    return record


async def _announce(
    session: AsyncSession, change: Change, placement: Placement, record: PlacementChange
) -> None:
    """The provider hears what changed (reference only); the safeguarding leads hear a change
    to the safeguarding arrangements (except the lead who made it)."""
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"placement-changed:{record.id}:provider:{person.id}",
            kind=NoticeKind.placement_changed,
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=provider_notices.placement_changed(
                reference=placement.reference, what=provider_words(record.kind, placement)
            ),
        )
    if record.kind not in SAFEGUARDING_CHANGES:
        return
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        if lead.id == change.person_id:
            continue
        await enqueue(
            session,
            key=f"placement-changed:{record.id}:dsl:{lead.id}",
            kind=NoticeKind.placement_changed,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.placement_changed(
                reference=placement.reference,
                pupil=placement.pupil.full_name,
                what=CHANGE_LABELS[record.kind],
                before=record.before,
                after=record.after,
                reason=record.reason,
            ),
        )


CHANGE_LABELS = {
    PlacementChangeKind.timetable: "days and hours",
    PlacementChangeKind.site: "site",
    PlacementChangeKind.planned_end: "planned end",
    PlacementChangeKind.review_date: "review date",
    PlacementChangeKind.absence_deadline: "absence-report deadline",
    PlacementChangeKind.welfare_calls: "welfare calls",
    PlacementChangeKind.objectives: "objectives",
}


async def record_progress(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    visit_id: int | None,
    progress: dict[int, tuple[ObjectiveProgress, str | None]],
) -> list[ObjectiveReview]:
    """How the pupil is getting on with each objective (by id), as seen at a QA visit; an
    objective judged achieved is marked achieved."""
    objectives = {o.id: o for o in await current_objectives(session, placement.id)}
    rows = []
    for objective_id, (judged, note) in progress.items():
        objective = objectives.get(objective_id)
        if objective is None:
            raise ChangeError("That objective is no longer one of the placement's.")
        assert change.person_id is not None
        row = ObjectiveReview(
            objective_id=objective_id,
            placement_id=placement.id,
            visit_id=visit_id,
            progress=judged,
            note=(note or "").strip() or None,
            recorded_by_id=change.person_id,
            recorded_at=change.at,
        )
        session.add(row)
        await audit_created(session, change, row, placement_id=placement.id)
        if judged == ObjectiveProgress.achieved and objective.status == ObjectiveStatus.open:
            before = snapshot(objective)
            objective.status = ObjectiveStatus.achieved
            await audit_updated(session, change, objective, before, placement_id=placement.id)
        rows.append(row)
    return rows
