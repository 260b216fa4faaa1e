"""Starting, checking off and ending placements. Each function changes records and writes the
audit log in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    Organisation,
    OrgKind,
    Placement,
    PlacementStatus,
    Pupil,
    RegistrationStatus,
    Role,
    Site,
    WelfareCallParty,
)
from storage.rules import cadence, checklist, codes, fulltime, start_checks
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue, safeguarding_leads, staff_of

# No 0/O, 1/I/L, so a reference read out over the phone is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


# Providers that are schools, where a pupil can be dual registered (code D).
SCHOOL_STATUSES = {
    RegistrationStatus.registered_school,
    RegistrationStatus.pru,
    RegistrationStatus.ap_academy,
    RegistrationStatus.ap_free_school,
}


class PlacementError(ValueError):
    """A placement request that cannot be carried out, in words for the person."""


class ChecklistAnswer(BaseModel):
    """How one checklist item stands when the placement starts."""

    status: ChecklistStatus
    due_date: dt.date | None = None
    na_reason: str | None = None
    evidence: str | None = None


class PlacementPlan(BaseModel):
    """Everything agreed when a placement starts (the start-placement dialog's answers)."""

    model_config = ConfigDict(frozen=True)

    pupil_id: int
    commissioner_id: int
    provider_id: int
    site_id: int | None = None
    start_date: dt.date
    planned_end_date: dt.date | None = None
    review_date: dt.date | None = None
    provider_days: list[str] = Field(min_length=1)
    provider_hours: Decimal
    school_hours: Decimal = Decimal(0)
    other_hours: Decimal = Decimal(0)
    other_providers: str | None = None
    attendance_code: str
    absence_deadline: dt.time
    welfare_call_party: WelfareCallParty
    welfare_call_person_id: int | None = None
    welfare_call_arrangements: str | None = None
    objectives: str | None = None
    return_plan: str | None = None
    checklist: dict[str, ChecklistAnswer] = Field(default_factory=dict)
    status: PlacementStatus = PlacementStatus.active


async def new_reference(session: AsyncSession) -> str:
    """A short reference like AP-7K3Q that no placement has yet."""
    for length in (4, 4, 4, 5, 5, 6):
        reference = "AP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
        taken = await session.scalar(select(Placement.id).where(Placement.reference == reference))
        if taken is None:
            return reference
    raise RuntimeError("could not find a free placement reference")


async def find_by_reference(session: AsyncSession, reference: str) -> Placement | None:
    reference = reference.strip().upper()
    if not reference.startswith("AP-"):
        reference = "AP-" + reference
    return await session.scalar(select(Placement).where(Placement.reference == reference))


def _automatic_answers(
    plan: PlacementPlan, check: fulltime.FullTimeCheck
) -> dict[str, ChecklistAnswer]:
    """The attendance items the start-placement answers settle by themselves."""
    done = ChecklistStatus.done
    answers = {
        "absence_deadline_agreed": ChecklistAnswer(
            status=done,
            evidence=f"Provider reports non-attendance by {plan.absence_deadline:%H:%M}.",
        ),
        "welfare_calls_agreed": ChecklistAnswer(
            status=done,
            evidence=f"Welfare calls by the {plan.welfare_call_party.value}: "
            f"{plan.welfare_call_arrangements or 'arrangements agreed'}",
        ),
        "attendance_code_agreed": ChecklistAnswer(
            status=done, evidence=f"Attendance code {plan.attendance_code} agreed."
        ),
    }
    if check.is_full_time:
        answers["full_time_provision"] = ChecklistAnswer(status=done, evidence=check.summary)
    else:
        answers["full_time_provision"] = ChecklistAnswer(
            status=ChecklistStatus.not_done,
            due_date=plan.review_date,
            evidence=check.summary,
        )
    return answers


async def create_placement(session: AsyncSession, change: Change, plan: PlacementPlan) -> Placement:
    """Start a placement: issue its reference, record the checklist (every item not yet done
    becomes a due check), set the first QA visit due, and tell the provider and the DSL."""
    if change.person_id is None:
        raise PlacementError("A placement is started by a person; say who.")
    pupil = await session.get(Pupil, plan.pupil_id)
    commissioner = await session.get(Organisation, plan.commissioner_id)
    provider = await session.get(Organisation, plan.provider_id)
    if pupil is None or commissioner is None or provider is None:
        raise PlacementError("The pupil, commissioner or provider no longer exists.")
    if provider.kind != OrgKind.provider:
        raise PlacementError(f"{provider.name} is not an AP provider.")
    if plan.site_id is not None:
        site = await session.get(Site, plan.site_id)
        if site is None or site.provider_id != provider.id:
            raise PlacementError("That site does not belong to the provider.")
    if plan.planned_end_date and plan.planned_end_date <= plan.start_date:
        raise PlacementError("The planned end must be after the start date.")
    problem = (
        codes.placement_code_problem(
            plan.attendance_code,
            provider_is_school=provider.registration_status in SCHOOL_STATUSES,
        )
        or fulltime.provider_hours_problem(plan.provider_hours, days=len(plan.provider_days))
        or fulltime.week_hours_problem(plan.provider_hours + plan.school_hours + plan.other_hours)
        or start_checks.absence_deadline_problem(plan.absence_deadline)
        or (
            start_checks.review_date_problem(
                plan.review_date, start=plan.start_date, planned_end=plan.planned_end_date
            )
            if plan.review_date
            else None
        )
    )
    if problem:
        raise PlacementError(problem)

    check = fulltime.check_full_time(
        provider_hours=plan.provider_hours,
        school_hours=plan.school_hours,
        other_hours=plan.other_hours,
        full_time_hours=commissioner.full_time_hours,
    )
    if not check.is_full_time and plan.review_date is None:
        raise PlacementError("A part-time timetable needs a review date.")

    facts = checklist.PlacementFacts(
        fsm_eligible=pupil.fsm_eligible,
        commissioner_is_school=commissioner.kind == OrgKind.school,
        other_providers_involved=plan.other_hours > 0 or bool(plan.other_providers),
    )
    answers = {**plan.checklist, **_automatic_answers(plan, check)}
    la_notified = answers.get("la_notified")

    placement = Placement(
        reference=await new_reference(session),
        status=plan.status,
        pupil_id=pupil.id,
        commissioner_id=commissioner.id,
        provider_id=provider.id,
        site_id=plan.site_id,
        start_date=plan.start_date,
        planned_end_date=plan.planned_end_date,
        review_date=plan.review_date,
        provider_days=",".join(plan.provider_days),
        provider_hours=plan.provider_hours,
        school_hours=plan.school_hours,
        other_hours=plan.other_hours,
        other_providers=plan.other_providers,
        full_time_hours=commissioner.full_time_hours,
        is_full_time=check.is_full_time,
        attendance_code=plan.attendance_code,
        absence_deadline=plan.absence_deadline,
        welfare_call_party=plan.welfare_call_party,
        welfare_call_person_id=plan.welfare_call_person_id,
        welfare_call_arrangements=plan.welfare_call_arrangements,
        objectives=plan.objectives,
        return_plan=plan.return_plan,
        la_notified_on=change.at.astimezone(LONDON).date()
        if la_notified and la_notified.status == ChecklistStatus.done
        else None,
        next_qa_due=cadence.first_qa_due(plan.start_date),
        created_by_id=change.person_id,
        created_at=change.at,
    )
    session.add(placement)
    await session.flush()
    await audit_created(session, change, placement, placement_id=placement.id)
    placement_id = placement.id

    for item in checklist.applicable_items(facts):
        answer = answers.get(item.key) or ChecklistAnswer(status=ChecklistStatus.not_done)
        due = answer.due_date
        if answer.status == ChecklistStatus.not_done and due is None:
            due = checklist.default_due_date(item, plan.start_date)
        row = ChecklistItem(
            placement_id=placement_id,
            key=item.key,
            status=answer.status,
            due_date=due if answer.status == ChecklistStatus.not_done else None,
            na_reason=answer.na_reason,
            evidence=answer.evidence,
            owner_id=change.person_id,
            done_by_id=change.person_id if answer.status == ChecklistStatus.done else None,
            done_at=change.at if answer.status == ChecklistStatus.done else None,
        )
        session.add(row)
        await audit_created(session, change, row, placement_id=placement_id)

    await session.refresh(placement, attribute_names=["checklist"])
    await _announce_start(session, change, placement, pupil)
    return placement


async def _announce_start(
    session: AsyncSession, change: Change, placement: Placement, pupil: Pupil
) -> None:
    """The provider hears the reference only; the commissioner's safeguarding leads hear it all."""
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"placement-started:{placement.id}:provider:{person.id}",
            kind="placement_started",
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=(
                f"New placement {placement.reference} with you from "
                f"{placement.start_date:%d/%m/%Y} ({', '.join(placement.days)}). "
                f"Please report any non-attendance by {placement.absence_deadline:%H:%M}."
            ),
        )
    open_checks = sum(1 for item in placement.checklist if item.status == ChecklistStatus.not_done)
    for person in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"placement-started:{placement.id}:dsl:{person.id}",
            kind="placement_started",
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=(
                f"{pupil.full_name} starts placement {placement.reference} at "
                f"{placement.provider.name} on {placement.start_date:%d/%m/%Y}. "
                f"{open_checks} checklist item(s) still to do."
            ),
        )


async def update_checklist_item(
    session: AsyncSession,
    change: Change,
    item: ChecklistItem,
    *,
    status: ChecklistStatus,
    evidence: str | None = None,
    na_reason: str | None = None,
    due_date: dt.date | None = None,
) -> ChecklistItem:
    """Tick a check (done), mark it not applicable (with a reason), or move its due date."""
    if status == ChecklistStatus.not_applicable and not na_reason:
        raise PlacementError("Say why the check does not apply.")
    before = snapshot(item)
    item.status = status
    if status == ChecklistStatus.done:
        item.done_by_id, item.done_at, item.due_date = change.person_id, change.at, None
        item.evidence = evidence or item.evidence
    elif status == ChecklistStatus.not_applicable:
        item.na_reason, item.due_date = na_reason, None
        item.done_by_id, item.done_at = change.person_id, change.at
    else:
        item.due_date = due_date or item.due_date
    if item.key == "la_notified" and status == ChecklistStatus.done:
        placement = await session.get(Placement, item.placement_id)
        if placement is not None and placement.la_notified_on is None:
            placement_before = snapshot(placement)
            placement.la_notified_on = change.at.astimezone(LONDON).date()
            await audit_updated(
                session, change, placement, placement_before, placement_id=placement.id
            )
    await audit_updated(session, change, item, before, placement_id=item.placement_id)
    return item


async def end_placement(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    *,
    ended_on: dt.date,
    outcome: str,
    return_date: dt.date | None,
    reintegration_notes: str | None,
) -> Placement:
    """End a placement with its outcome and the pupil's return (reintegration) details."""
    if placement.status == PlacementStatus.ended:
        raise PlacementError(f"{placement.reference} has already ended.")
    if ended_on < placement.start_date:
        raise PlacementError("A placement cannot end before it started.")
    before = snapshot(placement)
    placement.status = PlacementStatus.ended
    placement.ended_on = ended_on
    placement.end_outcome = outcome
    placement.return_date = return_date
    placement.reintegration_notes = reintegration_notes
    placement.next_qa_due = None
    await audit_updated(session, change, placement, before, placement_id=placement.id)
    # The provider stops expecting the pupil: tell its staff (reference only).
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"placement-ended:{placement.id}:provider:{person.id}",
            kind="placement_ended",
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=(
                f"Placement {placement.reference} ends on {ended_on:%d/%m/%Y}. "
                "No attendance reports are needed after that date."
            ),
        )
    return placement


async def ensure_loaded(session: AsyncSession, placement: Placement, *also: str) -> Placement:
    """Load the placement's pupil and organisations (and any relationships named in `also`)
    if they are not loaded yet (a placement created in this session has none, and async code
    cannot load them lazily)."""
    wanted = ("pupil", "provider", "commissioner", *also)
    missing = [name for name in wanted if name in inspect(placement).unloaded]
    if missing:
        await session.refresh(placement, attribute_names=missing)
    return placement
