"""Starting, checking off and ending placements. Each function changes records and writes the
audit log in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Action, can
from storage.clock import LONDON
from storage.models import (
    AttendanceRecord,
    ChecklistItem,
    ChecklistStatus,
    Organisation,
    OrgKind,
    Person,
    Placement,
    PlacementStatus,
    Pupil,
    ReasonForAp,
    RegistrationStatus,
    Role,
    Site,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules import cadence, checklist, codes, fulltime, reasons, start_checks
from storage.services import other_providers, part_time
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue, safeguarding_leads, staff_of
from storage.services.part_time import PartTimePlan
from storage.services.placement_changes import ObjectiveAgreed, set_objectives
from storage.services.terms import calendar_for, placement_days
from storage.wording import NoticeKind, alerts, provider_notices

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
    # Why the pupil is in AP, and what that reason needs (see `reason_problem`).
    reason: ReasonForAp
    reason_first_day: dt.date | None = None
    suspension_days: int | None = None
    reason_detail: str | None = None
    start_date: dt.date
    planned_end_date: dt.date | None = None
    review_date: dt.date | None = None
    provider_days: list[str] = Field(min_length=1)
    provider_hours: Decimal
    school_hours: Decimal = Decimal(0)
    # Hours at providers not recorded here (the other placements' real hours are counted
    # by the service itself); the start dialog no longer asks.
    other_hours: Decimal = Decimal(0)
    # Free text from before the other placements were found: kept read-only, never asked.
    other_providers: str | None = None
    attendance_code: str
    absence_deadline: dt.time
    welfare_call_party: WelfareCallParty
    welfare_call_person_id: int | None = None
    welfare_call_arrangements: str | None = None
    objectives: str | None = None
    # The objectives one by one, with target dates (none given: `objectives` is the one).
    objective_list: list[ObjectiveAgreed] = Field(default_factory=list)
    return_plan: str | None = None
    checklist: dict[str, ChecklistAnswer] = Field(default_factory=dict)
    status: PlacementStatus = PlacementStatus.active
    # What was agreed with the parent, for a part-time timetable.
    part_time: PartTimePlan | None = None


async def new_reference(session: AsyncSession) -> str:
    """A short reference like AP-7K3Q that no placement has yet."""
    for length in (4, 4, 4, 5, 5, 6):
        reference = "AP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
        taken = await session.scalar(select(Placement.id).where(Placement.reference == reference))
        if taken is None:
            return reference
    raise RuntimeError("could not find a free placement reference")


# Built once: a placement dialog reads its placement by reference on every turn.
_BY_REFERENCE = select(Placement).where(Placement.reference == bindparam("reference"))


async def find_by_reference(session: AsyncSession, reference: str) -> Placement | None:
    reference = reference.strip().upper()
    if not reference.startswith("AP-"):
        reference = "AP-" + reference
    return await session.scalar(_BY_REFERENCE, {"reference": reference})


def automatic_status(key: str, *, is_full_time: bool) -> ChecklistStatus:
    """How an item the start dialog settles by itself is stored: done, except the full-time
    check of a part-time timetable (to do by its review date)."""
    if key == "full_time_provision" and not is_full_time:
        return ChecklistStatus.not_done
    return ChecklistStatus.done


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
        "full_time_provision": ChecklistAnswer(
            status=automatic_status("full_time_provision", is_full_time=check.is_full_time),
            due_date=None if check.is_full_time else plan.review_date,
            evidence=check.summary,
        ),
    }
    return answers


def reason_problem(plan: PlacementPlan) -> str | None:
    """What the reason for AP still needs, in words for the person, or None."""
    if plan.reason in (ReasonForAp.suspension, ReasonForAp.permanent_exclusion):
        if plan.reason_first_day is None:
            return f"A placement for a {plan.reason.label.lower()} needs its first day."
    if plan.reason == ReasonForAp.suspension:
        if plan.suspension_days is None:
            return "A placement for a suspension needs its length in school days."
        return reasons.suspension_days_problem(plan.suspension_days)
    if plan.reason == ReasonForAp.other and not (plan.reason_detail or "").strip():
        return "Say briefly why the pupil is in AP."
    return None


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
    others = await other_providers.others_running(session, pupil_id=pupil.id, on=plan.start_date)
    # The other placements' real hours, from their timetables.
    other_hours = max(plan.other_hours, other_providers.real_hours(others))
    problem = (
        codes.placement_code_problem(
            plan.attendance_code,
            provider_is_school=provider.registration_status in SCHOOL_STATUSES,
        )
        or fulltime.provider_hours_problem(plan.provider_hours, days=len(plan.provider_days))
        # The hours given (the start dialog also counts the other placements' real hours in
        # this check; a placement made directly keeps the older, lone check).
        or fulltime.week_hours_problem(plan.provider_hours + plan.school_hours + plan.other_hours)
        or start_checks.absence_deadline_problem(plan.absence_deadline)
        or reason_problem(plan)
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
    for key, answer in plan.checklist.items():
        if answer.status == ChecklistStatus.not_applicable:
            _may_be_not_applicable(key)

    check = fulltime.check_full_time(
        provider_hours=plan.provider_hours,
        school_hours=plan.school_hours,
        other_hours=other_hours,
        full_time_hours=commissioner.full_time_hours,
    )
    if not check.is_full_time and plan.review_date is None:
        raise PlacementError("A part-time timetable needs a review date.")
    if check.is_full_time and plan.part_time is not None:
        raise PlacementError(
            "This timetable is full time: there is no part-time timetable to agree."
        )

    facts = checklist.ChecklistConditions(
        fsm_eligible=pupil.fsm_eligible,
        commissioner_is_school=commissioner.kind == OrgKind.school,
        other_providers_involved=bool(others) or plan.other_hours > 0 or bool(plan.other_providers),
        reason=plan.reason.value,
    )
    calendar = await calendar_for(
        session,
        commissioner.id,
        today=min(plan.start_date, plan.reason_first_day or plan.start_date),
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
        reason=plan.reason,
        reason_first_day=plan.reason_first_day
        if plan.reason in (ReasonForAp.suspension, ReasonForAp.permanent_exclusion)
        else None,
        suspension_days=plan.suspension_days if plan.reason == ReasonForAp.suspension else None,
        full_time_education_from=reasons.full_time_education_from(
            plan.reason.value,
            first_day=plan.reason_first_day,
            suspension_days=plan.suspension_days,
            calendar=calendar,
        ),
        reason_detail=plan.reason_detail if plan.reason == ReasonForAp.other else None,
        start_date=plan.start_date,
        planned_end_date=plan.planned_end_date,
        review_date=plan.review_date,
        provider_days=",".join(plan.provider_days),
        provider_hours=plan.provider_hours,
        school_hours=plan.school_hours,
        other_hours=other_hours,
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
        # Counted in term time: the first visit within the first two weeks of school.
        next_qa_due=cadence.first_qa_due(
            plan.start_date,
            calendar=await placement_days(
                session,
                commissioner_id=commissioner.id,
                provider_id=provider.id,
                today=min(plan.start_date, change.at.astimezone(LONDON).date()),
            ),
        ),
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
            due = checklist.default_due_date(item, plan.start_date, calendar)
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

    objectives = plan.objective_list or (
        [ObjectiveAgreed(text=plan.objectives)] if plan.objectives else []
    )
    await set_objectives(session, change, placement, objectives)

    if plan.part_time is not None:
        assert plan.review_date is not None
        try:
            await part_time.record_part_time(
                session, change, placement, plan.part_time, review_date=plan.review_date
            )
        except part_time.PartTimeError as error:
            raise PlacementError(str(error)) from error
    await session.refresh(placement, attribute_names=["checklist"])
    await _announce_start(session, change, placement, pupil)
    if await other_providers.after_start(session, change, placement):
        await session.refresh(placement, attribute_names=["checklist"])
    return placement


async def _announce_start(
    session: AsyncSession, change: Change, placement: Placement, pupil: Pupil
) -> None:
    """The provider hears the reference only; the commissioner's safeguarding leads hear it all."""
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"placement-started:{placement.id}:provider:{person.id}",
            kind=NoticeKind.placement_started,
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=provider_notices.placement_starts(
                reference=placement.reference,
                start=placement.start_date,
                days=placement.days,
                absence_deadline=placement.absence_deadline,
            ),
        )
    open_checks = checklist.checklist_counts(i.status for i in placement.checklist).to_do
    for person in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"placement-started:{placement.id}:dsl:{person.id}",
            kind=NoticeKind.placement_started,
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.placement_starts(
                pupil=pupil.known_as,
                reference=placement.reference,
                provider=placement.provider.name,
                start=placement.start_date,
                open_checks=open_checks,
            ),
        )


def _may_be_not_applicable(key: str) -> None:
    definition = checklist.definition(key)
    if not definition.may_be_not_applicable:
        raise PlacementError(
            f"{definition.label} can't be marked not applicable: the guidance asks for it for "
            "every placement."
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
    reason: str | None = None,
) -> ChecklistItem:
    """Tick a check (done), mark it not applicable (with a reason), or move its due date.

    The Letter of Assurance is never "not applicable", and only a safeguarding lead (the DSL,
    or the LA officer when the LA commissions) may move its due date, with a `reason` that is
    kept in the audit log."""
    if status == ChecklistStatus.not_applicable and not na_reason:
        raise PlacementError("Say why the check does not apply.")
    if status == ChecklistStatus.not_applicable:
        _may_be_not_applicable(item.key)
    moving = (
        status == ChecklistStatus.not_done and due_date is not None and due_date != item.due_date
    )
    if moving and item.key == checklist.LETTER_OF_ASSURANCE:
        await _check_may_move_letter(session, change, item, reason)
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
    entry = await audit_updated(session, change, item, before, placement_id=item.placement_id)
    if entry is not None and moving and reason:
        # Kept word for word: why a due date moved is what an inspector asks.
        entry.changes = {**entry.changes, "why_moved": reason.strip()}
    return item


async def _check_may_move_letter(
    session: AsyncSession, change: Change, item: ChecklistItem, reason: str | None
) -> None:
    person = await session.get(Person, change.person_id) if change.person_id else None
    placement = await session.get(Placement, item.placement_id)
    if person is None or placement is None or not can(person, Action.move_letter_due, placement):
        raise PlacementError(
            "Only the DSL can move the Letter of Assurance's due date. Ask your DSL."
        )
    if not (reason or "").strip():
        raise PlacementError("Please say why the Letter of Assurance is late (it is audited).")


async def last_reported_day(session: AsyncSession, placement_id: int) -> dt.date | None:
    """The latest day with attendance reported for the placement (present, late or absent)."""
    found: dt.date | None = await session.scalar(
        select(func.max(AttendanceRecord.date)).where(AttendanceRecord.placement_id == placement_id)
    )
    return found


def reported_after_end(reference: str, reported: dt.date) -> str:
    """Why a placement can't end before a day its attendance was reported for."""
    return (
        f"Attendance is already reported for {reference} on {reported:%a %d/%m/%Y}, so its last "
        "day can't be before that."
    )


async def end_placement(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    *,
    ended_on: dt.date,
    outcome: str,
    return_date: dt.date | None,
    reintegration_notes: str | None,
    pupil_view: str | None = None,
    neet: bool = False,
) -> Placement:
    """End a placement with its outcome (the pupil's destination), the pupil's own view of it
    and their return (reintegration) details. A pupil going on to no education, employment or
    training (`neet`) is made known to the commissioner's safeguarding leads.

    Any welfare call still open is closed as "placement ended" and the commissioner's
    safeguarding leads are told (the `end` dialog asks the person to settle each one first);
    from then on nothing is raised, nudged or escalated for it."""
    if placement.status.is_closed:
        raise PlacementError(f"{placement.reference} {placement.status.closed_phrase} already.")
    if ended_on < placement.start_date:
        raise PlacementError("A placement cannot end before it started.")
    # A mark after the last day would be for a day the pupil was no longer placed there.
    reported = await last_reported_day(session, placement.id)
    if reported is not None and reported > ended_on:
        raise PlacementError(reported_after_end(placement.reference, reported))
    if return_date is not None and return_date < ended_on:
        raise PlacementError(
            f"The pupil can't start back before the last day ({ended_on:%d/%m/%Y})."
        )
    before = snapshot(placement)
    placement.status = PlacementStatus.ended
    placement.ended_on = ended_on
    placement.end_outcome = outcome
    placement.return_date = return_date
    placement.reintegration_notes = reintegration_notes
    placement.pupil_view_at_end = (pupil_view or "").strip() or None
    placement.next_qa_due = None
    placement.closed_at = change.at
    await audit_updated(session, change, placement, before, placement_id=placement.id)
    await part_time.end_with_placement(session, change, placement.id, ended_on=ended_on)
    await other_providers.after_end(session, change, placement)
    closed = await close_open_calls(session, change, placement)
    if neet:
        await tell_leads(
            session,
            change,
            placement,
            kind=NoticeKind.pupil_neet,
            text=alerts.pupil_neet(
                reference=placement.reference, pupil=placement.pupil.full_name, ended=ended_on
            ),
        )
    # The provider stops expecting the pupil: tell its staff (reference only).
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"placement-ended:{placement.id}:provider:{person.id}",
            kind=NoticeKind.placement_ended,
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=provider_notices.placement_ends(reference=placement.reference, ends=ended_on),
        )
    await tell_leads(
        session,
        change,
        placement,
        kind=NoticeKind.placement_ended,
        text=alerts.placement_ended(
            reference=placement.reference, ended=ended_on, calls_closed=closed
        ),
    )
    return placement


async def tell_leads(
    session: AsyncSession, change: Change, placement: Placement, *, kind: NoticeKind, text: str
) -> int:
    """A direct message to each of the commissioner's safeguarding leads (the DSLs, or the LA
    officers when the LA commissions), except the person making the change (they know)."""
    told = 0
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        if lead.id == change.person_id:
            continue
        await enqueue(
            session,
            key=f"{kind}:{placement.id}:dsl:{lead.id}",
            kind=kind,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=text,
        )
        told += 1
    return told


PLACEMENT_ENDED_OUTCOME = "Closed without a call: the placement was {closed} on {day:%d/%m/%Y}."


async def open_calls_of(session: AsyncSession, placement_id: int) -> list[WelfareCall]:
    """A placement's open welfare calls, oldest absence first."""
    rows = await session.scalars(
        select(WelfareCall)
        .where(
            WelfareCall.placement_id == placement_id,
            WelfareCall.status == WelfareCallStatus.open,
        )
        .order_by(WelfareCall.absence_date, WelfareCall.id)
    )
    return list(rows.unique())


async def close_open_calls(session: AsyncSession, change: Change, placement: Placement) -> int:
    """Close the placement's open welfare calls as "placement ended" (or withdrawn), audited.
    How many were closed."""
    day = placement.ended_on or change.at.astimezone(LONDON).date()
    calls = await open_calls_of(session, placement.id)
    for call in calls:
        before = snapshot(call)
        call.status = WelfareCallStatus.done
        call.outcome = PLACEMENT_ENDED_OUTCOME.format(closed=placement.status.value, day=day)
        call.done_by_id, call.done_at = change.person_id, change.at
        await audit_updated(session, change, call, before, placement_id=placement.id)
    return len(calls)


async def ensure_loaded(session: AsyncSession, placement: Placement, *also: str) -> Placement:
    """Load the placement's pupil and organisations (and any relationships named in `also`)
    if they are not loaded yet (a placement created in this session has none, and async code
    cannot load them lazily)."""
    wanted = ("pupil", "provider", "commissioner", *also)
    missing = [name for name in wanted if name in inspect(placement).unloaded]
    if missing:
        await session.refresh(placement, attribute_names=missing)
    return placement
