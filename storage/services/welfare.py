"""Welfare calls: each attempt logged, the task closed when someone is reached, and the DSL
alerted at once (with a chronology entry started) when the child is not safe, when the call
leads to the police or children's social care or a referral to the DSL, or when nobody has been
reached by the end of the school day.

The end-of-day check is for the scheduler: `unreached_welfare_calls` says which calls are due
for it, `escalate_unreached` raises them (once each, even with several bot instances).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Action, can
from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    ChronologyKind,
    ChronologySource,
    OrgKind,
    Person,
    Placement,
    PlacementStatus,
    Role,
    WelfareCall,
    WelfareCallAttempt,
    WelfareCallParty,
    WelfareCallStatus,
    WelfareContact,
    WelfareEscalation,
    WelfareEscalationReason,
    WelfareNextStep,
)
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.chronology import AUTOMATIC_NOTE, add_entry
from storage.services.outbox import enqueue, safeguarding_leads
from storage.services.outcomes import absence_code, explain_absence
from storage.services.placements import ensure_loaded
from storage.wording import NoticeKind, alerts
from storage.wording.alerts import ESCALATION_WORDS
from storage.wording.text import sentence

# "Not reached by the end of the school day": after this time (London) on the day of the
# absence, an open welfare call goes to the DSL.
END_OF_SCHOOL_DAY = dt.time(15, 30)
MAX_REASON_LENGTH = 1000

CONTACT_WORDS = {
    WelfareContact.parent_carer: "spoke to a parent/carer",
    WelfareContact.pupil: "spoke to the pupil",
    WelfareContact.other: "spoke to someone else",
    WelfareContact.not_reached: "nobody reached",
}
NEXT_STEP_WORDS = {
    WelfareNextStep.none: "no further action",
    WelfareNextStep.home_visit: "home visit",
    WelfareNextStep.refer_dsl: "refer to the DSL",
    WelfareNextStep.police_or_social_care: "police / children's social care",
}


class WelfareError(ValueError):
    """A welfare call that cannot be logged, in words for the person."""


@dataclass(frozen=True)
class CallFindings:
    """What one welfare-call attempt found."""

    called_at: dt.datetime
    spoke_to: WelfareContact
    seen_or_heard: bool | None = None
    safe: bool | None = None
    reason: str | None = None
    code: str | None = None
    next_step: WelfareNextStep | None = None
    next_attempt_at: dt.datetime | None = None


@dataclass
class CallLogged:
    """What logging an attempt did."""

    attempt: WelfareCallAttempt
    closed: bool
    changes: list[AttendanceChange] = field(default_factory=list)
    escalations: list[WelfareEscalation] = field(default_factory=list)
    leads_alerted: int = 0


def can_log_call(person: Person, call: WelfareCall, placement: Placement) -> bool:
    """Who may log a welfare call: the commissioner's safeguarding leads always; otherwise
    whoever was agreed to make it (the provider's staff, or the named person at the school)."""
    if not person.active:
        return False
    if can(person, Action.read_chronology, placement):
        return True
    if person.role == Role.provider:
        return call.party == WelfareCallParty.provider and (
            placement.provider_id == person.organisation_id
        )
    return call.party == WelfareCallParty.school and call.assigned_to_id == person.id


def end_of_day(date: dt.date) -> dt.datetime:
    """The end of the school day on `date`, London time."""
    return dt.datetime.combine(date, END_OF_SCHOOL_DAY, tzinfo=LONDON)


def _check(call: WelfareCall, findings: CallFindings, at: dt.datetime) -> None:
    if call.status != WelfareCallStatus.open:
        raise WelfareError("That welfare call has already been closed.")
    if findings.called_at > at:
        raise WelfareError("The call's time is still to come; when did you call?")
    if findings.called_at.astimezone(LONDON).date() < call.absence_date:
        raise WelfareError("The call can't be before the day of the absence.")
    if findings.spoke_to == WelfareContact.not_reached:
        if findings.next_attempt_at is None:
            raise WelfareError("Please say when you will try again.")
        if findings.next_attempt_at <= findings.called_at:
            raise WelfareError("The next try must be after this one.")
        if findings.next_attempt_at < at.replace(second=0, microsecond=0):
            raise WelfareError("The next try can't be in the past.")
        return
    if findings.seen_or_heard is None or findings.safe is None:
        raise WelfareError("Please say whether the pupil was seen or heard, and is safe.")
    if not (findings.reason or "").strip():
        raise WelfareError("Please give the reason you found for the absence.")
    if findings.next_step is None:
        raise WelfareError("Please choose the next step.")
    if findings.code is not None:
        absence_code(findings.code)


async def log_attempt(
    session: AsyncSession, change: Change, *, call: WelfareCall, findings: CallFindings
) -> CallLogged:
    """Record one attempt. Someone reached: the task closes and an absence still coded N (or O)
    takes the code found. Nobody reached: the task stays open with the next try's time. Not safe,
    police / social care, or a referral: the DSL is alerted at once and a chronology entry starts.
    """
    if change.person_id is None:
        raise WelfareError("A welfare call must say who made it.")
    _check(call, findings, change.at)
    placement = await _placement(session, call)
    if placement.status.is_closed:
        raise WelfareError(f"{placement.reference} {placement.status.closed_phrase}.")
    reached = findings.spoke_to != WelfareContact.not_reached
    attempt = WelfareCallAttempt(
        welfare_call_id=call.id,
        placement_id=call.placement_id,
        called_at=findings.called_at,
        made_by_id=change.person_id,
        spoke_to=findings.spoke_to,
        pupil_seen_or_heard=findings.seen_or_heard if reached else None,
        pupil_safe=findings.safe if reached else None,
        reason=(findings.reason or "").strip()[:MAX_REASON_LENGTH] or None,
        outcome_code=findings.code.strip().upper() if reached and findings.code else None,
        next_step=findings.next_step if reached else None,
        next_attempt_at=None if reached else findings.next_attempt_at,
        created_at=change.at,
    )
    session.add(attempt)
    await audit_created(session, change, attempt, placement_id=call.placement_id)
    result = CallLogged(attempt=attempt, closed=False)
    if not reached:
        if findings.called_at >= end_of_day(call.absence_date):
            await _escalate(
                session, change, call, placement, WelfareEscalationReason.unreached, result
            )
        return result

    if attempt.outcome_code:
        result.changes = await explain_absence(
            session,
            change,
            placement=placement,
            date=call.absence_date,
            code=attempt.outcome_code,
            reason=f"Welfare call: {attempt.reason}",
            only_unexplained=True,
            source="welfare_call",
        )
    before = snapshot(call)
    call.status = WelfareCallStatus.done
    call.outcome = describe(attempt)
    call.done_by_id = change.person_id
    call.done_at = change.at
    await audit_updated(session, change, call, before, placement_id=call.placement_id)
    result.closed = True

    for reason in _reasons(attempt):
        await _escalate(session, change, call, placement, reason, result)
    return result


def _reasons(attempt: WelfareCallAttempt) -> list[WelfareEscalationReason]:
    reasons = []
    if attempt.pupil_safe is False:
        reasons.append(WelfareEscalationReason.not_safe)
    if attempt.next_step == WelfareNextStep.police_or_social_care:
        reasons.append(WelfareEscalationReason.police_or_social_care)
    if attempt.next_step == WelfareNextStep.refer_dsl:
        reasons.append(WelfareEscalationReason.refer_dsl)
    return reasons


def describe(attempt: WelfareCallAttempt) -> str:
    """One line about an attempt, for the task's outcome and the DSL's alert."""
    when = f"{attempt.called_at.astimezone(LONDON):%H:%M %d/%m/%Y}"
    if attempt.spoke_to == WelfareContact.not_reached:
        return f"Called {when}: nobody reached."
    seen = "seen or heard" if attempt.pupil_seen_or_heard else "NOT seen or heard"
    safe = "safe" if attempt.pupil_safe else "NOT known to be safe"
    step = NEXT_STEP_WORDS[attempt.next_step or WelfareNextStep.none]
    code = f" Code {attempt.outcome_code}." if attempt.outcome_code else ""
    return (
        f"Called {when}: {CONTACT_WORDS[attempt.spoke_to]}; pupil {seen}, {safe}. "
        f"Reason: {sentence(attempt.reason or 'not given')}{code} Next step: {step}."
    )


async def _placement(session: AsyncSession, call: WelfareCall) -> Placement:
    placement = await session.get(Placement, call.placement_id)
    assert placement is not None
    return await ensure_loaded(session, placement)


def _chronology_source(person: Person | None, placement: Placement) -> ChronologySource:
    if person is not None and person.role == Role.provider:
        return ChronologySource.provider
    if placement.commissioner.kind == OrgKind.local_authority:
        return ChronologySource.local_authority
    return ChronologySource.school


async def _escalate(
    session: AsyncSession,
    change: Change,
    call: WelfareCall,
    placement: Placement,
    reason: WelfareEscalationReason,
    result: CallLogged | None = None,
) -> WelfareEscalation | None:
    """Raise the call with the commissioner's safeguarding leads, once per call and reason: an
    urgent direct message to each, and a chronology entry started. None if already raised."""
    existing = await session.scalar(
        select(WelfareEscalation).where(
            WelfareEscalation.welfare_call_id == call.id, WelfareEscalation.reason == reason
        )
    )
    if existing is not None:
        return None
    leads = await safeguarding_leads(session, placement.commissioner_id)
    person = await session.get(Person, change.person_id) if change.person_id else None
    escalation = WelfareEscalation(
        welfare_call_id=call.id,
        placement_id=placement.id,
        reason=reason,
        raised_by_id=change.person_id,
        raised_at=change.at,
    )
    try:
        async with session.begin_nested():
            session.add(escalation)
            await session.flush()
    except IntegrityError:  # another instance raised it a moment ago
        return None
    summary = await _summary(session, call)
    # Written by AP Safeguard (the words are ours), so attributed to the system, never to a
    # person: not the DSL, and not whoever logged the call (the audit log says who did).
    entry = await add_entry(
        session,
        change,
        placement=placement,
        kind=ChronologyKind.concern,
        source=_chronology_source(person, placement),
        text=(
            f"{AUTOMATIC_NOTE}Welfare call for the absence on {call.absence_date:%d/%m/%Y}: "
            f"{ESCALATION_WORDS[reason]}. {summary}"
        ),
        entry_date=change.at.astimezone(LONDON).date(),
        shared_with=[],
        automatic=True,
    )
    escalation.chronology_entry_id = entry.id
    await audit_created(session, change, escalation, placement_id=placement.id)
    text = alerts.welfare_escalation(
        pupil=placement.pupil.known_as,
        reference=placement.reference,
        provider=placement.provider.name,
        day=call.absence_date,
        reason=reason,
        summary=summary,
    )
    for lead in leads:
        await enqueue(
            session,
            key=f"welfare-escalation:{escalation.id}:{lead.id}",
            kind=NoticeKind.welfare_alert,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=text,
            payload={"welfare_call_id": call.id, "reason": reason.value},
        )
    if result is not None:
        result.escalations.append(escalation)
        result.leads_alerted = len(leads)
    return escalation


async def attempts_of(session: AsyncSession, call_id: int) -> list[WelfareCallAttempt]:
    """Every attempt at one welfare call, oldest first."""
    rows = await session.scalars(
        select(WelfareCallAttempt)
        .where(WelfareCallAttempt.welfare_call_id == call_id)
        .order_by(WelfareCallAttempt.called_at, WelfareCallAttempt.id)
    )
    return list(rows)


async def _summary(session: AsyncSession, call: WelfareCall) -> str:
    attempts = await attempts_of(session, call.id)
    if not attempts:
        return "No call has been logged."
    tried = f"{len(attempts)} attempt(s) logged. " if len(attempts) > 1 else ""
    return tried + describe(attempts[-1])


async def next_attempt_due(session: AsyncSession, call_id: int) -> dt.datetime | None:
    """When the next try at an open call is due (from its latest unanswered attempt)."""
    return await session.scalar(
        select(func.max(WelfareCallAttempt.next_attempt_at)).where(
            WelfareCallAttempt.welfare_call_id == call_id
        )
    )


async def unreached_welfare_calls(session: AsyncSession, *, now: dt.datetime) -> list[WelfareCall]:
    """Open welfare calls whose absence day's school day has ended (after 15:30 London, or a
    later day) and that have not yet been raised with the DSL as unreached. For the scheduler."""
    local = now.astimezone(LONDON)
    latest_day = (
        local.date() if local.time() >= END_OF_SCHOOL_DAY else local.date() - dt.timedelta(days=1)
    )
    raised = select(WelfareEscalation.welfare_call_id).where(
        WelfareEscalation.reason == WelfareEscalationReason.unreached
    )
    rows = await session.scalars(
        select(WelfareCall)
        .join(Placement, Placement.id == WelfareCall.placement_id)
        .where(
            WelfareCall.status == WelfareCallStatus.open,
            WelfareCall.absence_date <= latest_day,
            WelfareCall.id.not_in(raised),
            # Never for a placement that has ended or been withdrawn.
            Placement.status == PlacementStatus.active,
        )
        .order_by(WelfareCall.absence_date, WelfareCall.id)
    )
    return list(rows.unique())


async def escalate_unreached(
    session: AsyncSession, change: Change, *, now: dt.datetime
) -> list[WelfareEscalation]:
    """Alert the DSL (and start a chronology entry) for every welfare call not reached by the
    end of the school day. Safe to run again: each call is raised once."""
    raised: list[WelfareEscalation] = []
    for call in await unreached_welfare_calls(session, now=now):
        placement = await _placement(session, call)
        escalation = await _escalate(
            session, change, call, placement, WelfareEscalationReason.unreached
        )
        if escalation is not None:
            raised.append(escalation)
    return raised
