"""What a reported session turns out to be: an absence first coded N getting its final code once
the reason is known, and a late arrival (L before the register closed, U after).

Every change keeps its history twice: a row in `attendance_changes` (from which code to which,
why, by whom, when: what an attendance officer reads) and the audit log (every column).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import can_set_code
from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    Person,
    Placement,
    RegisterSession,
    WelfareCall,
    WelfareCallStatus,
)
from storage.rules import codes
from storage.services.attendance import no_session_problem
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue, safeguarding_leads
from storage.wording import NoticeKind, alerts
from storage.wording.text import sentence

LATE_BEFORE_CLOSE = "L"
LATE_AFTER_CLOSE = "U"
MAX_REASON_LENGTH = 1000


class OutcomeError(ValueError):
    """A change to a mark that cannot be made, in words for the person."""


def absence_code(code: str) -> codes.AttendanceCode:
    """The absence code named, or OutcomeError in words for the person."""
    try:
        return codes.absence(code)
    except ValueError as error:
        raise OutcomeError(str(error)) from None


async def change_mark(
    session: AsyncSession,
    change: Change,
    *,
    record: AttendanceRecord,
    status: AttendanceStatus,
    code: str,
    reason: str,
    source: str,
) -> AttendanceChange | None:
    """Change one session's status and code, keeping the history. None if nothing changed."""
    if change.person_id is None:
        raise OutcomeError("A change to a mark must say who made it.")
    words = reason.strip()
    if not words:
        raise OutcomeError("Please say why the mark is changing.")
    if record.status == status and record.code == code:
        return None
    before = snapshot(record)
    history = AttendanceChange(
        attendance_id=record.id,
        placement_id=record.placement_id,
        from_status=record.status.value,
        from_code=record.code,
        to_status=status.value,
        to_code=code,
        reason=words[:MAX_REASON_LENGTH],
        source=source,
        changed_by_id=change.person_id,
        changed_at=change.at,
    )
    record.status = status
    record.code = code
    record.proposed_code = None  # whatever was proposed is now decided
    session.add(history)
    await audit_updated(session, change, record, before, placement_id=record.placement_id)
    await audit_created(session, change, history, placement_id=record.placement_id)
    return history


async def propose_code(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    records: list[AttendanceRecord],
    code: str,
    reason: str,
) -> None:
    """Keep a provider's proposed code on these sessions (their mark is unchanged) and tell the
    commissioner's safeguarding leads, who decide whether to set it."""
    proposed = codes.get(code)
    changed = [r for r in records if r.proposed_code != proposed.code]
    for record in changed:
        before = snapshot(record)
        record.proposed_code = proposed.code
        await audit_updated(session, change, record, before, placement_id=placement.id)
    if not changed:
        return
    await session.refresh(placement, attribute_names=["pupil"])
    first = changed[0]
    sessions = " and ".join(r.session.value for r in changed)
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"proposed:{first.id}:{proposed.code}:{lead.id}",
            kind=NoticeKind.code_proposed,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.code_proposed(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                day=first.date,
                sessions=sessions,
                code=first.code,
                proposed=proposed.label,
                their_words=reason.strip(),
            ),
        )


async def absences_on(
    session: AsyncSession,
    placement_id: int,
    date: dt.date,
    sessions: list[RegisterSession] | None = None,
) -> list[AttendanceRecord]:
    """The sessions reported absent that day (AM first), optionally only those given."""
    query = select(AttendanceRecord).where(
        AttendanceRecord.placement_id == placement_id,
        AttendanceRecord.date == date,
        AttendanceRecord.status == AttendanceStatus.absent,
    )
    rows = [r for r in await session.scalars(query) if sessions is None or r.session in sessions]
    return sorted(rows, key=lambda r: list(RegisterSession).index(r.session))


async def explain_absence(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    date: dt.date,
    code: str,
    reason: str,
    sessions: list[RegisterSession] | None = None,
    only_unexplained: bool = False,
    source: str = "explain",
) -> list[AttendanceChange]:
    """Give the day's absent sessions (or those named) their final absence code.

    With `only_unexplained`, only sessions still coded N or O change (a welfare call's finding
    never overrides a code someone already chose). Returns the changes made.
    """
    final = absence_code(code)
    records = await absences_on(session, placement.id, date, sessions)
    if not records and not only_unexplained:
        raise OutcomeError(
            f"{placement.reference} has no absence recorded on {date:%a %d/%m/%Y} to explain."
        )
    unexplained = {c.code for c in codes.unexplained_codes()}
    person = await session.get(Person, change.person_id) if change.person_id else None
    if person is None or not can_set_code(person, placement, final.code):
        # Not theirs to decide: the school hears the proposal, the mark stays as it is.
        await propose_code(
            session,
            change,
            placement=placement,
            records=[r for r in records if not only_unexplained or r.code in unexplained],
            code=final.code,
            reason=reason,
        )
        return []
    made: list[AttendanceChange] = []
    for record in records:
        if only_unexplained and record.code not in unexplained:
            continue
        history = await change_mark(
            session,
            change,
            record=record,
            status=AttendanceStatus.absent,
            code=final.code,
            reason=reason,
            source=source,
        )
        if history is not None:
            made.append(history)
    return made


async def present_after_all(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    date: dt.date,
    sessions: list[RegisterSession],
    reason: str,
) -> list[AttendanceChange]:
    """The pupil was there after all: sessions reported absent become present (the placement's
    code), with why in the history. The open welfare call for the day closes if no session is
    still absent, and the DSLs (who heard of the absence) hear of the correction."""
    records = await absences_on(session, placement.id, date, sessions)
    if not records:
        raise OutcomeError(
            f"{placement.reference} has no absence recorded on {date:%a %d/%m/%Y} to correct."
        )
    made: list[AttendanceChange] = []
    for record in records:
        history = await change_mark(
            session,
            change,
            record=record,
            status=AttendanceStatus.present,
            code=placement.attendance_code,
            reason=reason,
            source="explain",
        )
        if history is not None:
            made.append(history)
    words = f"Present after all: {reason.strip()}"
    await _close_call_if_arrived(session, change, placement, date, words)
    for record in records:
        await _tell_leads_arrived(session, change, placement, record, words)
    return made


async def record_late(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    date: dt.date,
    which: RegisterSession,
    arrived_at: dt.time,
    after_close: bool,
) -> tuple[AttendanceRecord, WelfareCall | None]:
    """Record that the pupil arrived late for one session: L before the register closed, U
    after. A session already reported (absent, or present) is changed, with its history kept.

    When no session that day is still absent, an open welfare call for the day is closed: the
    pupil is at the provider. Returns the record and the welfare call closed, if any.
    """
    if change.person_id is None:
        raise OutcomeError("A late arrival must say who recorded it.")
    if date < placement.start_date:
        raise OutcomeError(
            f"{placement.reference} started on {placement.start_date:%d/%m/%Y}, after that date."
        )
    if date > change.at.astimezone(LONDON).date():
        raise OutcomeError("A late arrival can only be recorded for today or an earlier day.")
    problem = await no_session_problem(session, placement, date)
    if problem is not None:
        raise OutcomeError(problem)
    code = LATE_AFTER_CLOSE if after_close else LATE_BEFORE_CLOSE
    reason = f"Arrived at {arrived_at:%H:%M}" + (
        ", after the register closed" if after_close else ", before the register closed"
    )
    record = await session.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.placement_id == placement.id,
            AttendanceRecord.date == date,
            AttendanceRecord.session == which,
        )
    )
    if record is None:
        record = AttendanceRecord(
            placement_id=placement.id,
            date=date,
            session=which,
            status=AttendanceStatus.late,
            code=code,
            reason=reason,
            reported_by_id=change.person_id,
            reported_at=change.at,
            late_report=False,
            welfare_call_needed=False,
        )
        session.add(record)
        await audit_created(session, change, record, placement_id=placement.id)
    else:
        was_absent = record.status == AttendanceStatus.absent
        await change_mark(
            session,
            change,
            record=record,
            status=AttendanceStatus.late,
            code=code,
            reason=reason,
            source="late",
        )
        if was_absent:  # the DSL heard of the absence: they hear the pupil turned up
            await _tell_leads_arrived(session, change, placement, record, reason)
    closed = await _close_call_if_arrived(session, change, placement, date, reason)
    return record, closed


async def _tell_leads_arrived(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    record: AttendanceRecord,
    reason: str,
) -> None:
    await session.refresh(placement, attribute_names=["pupil", "provider"])
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"arrived:{record.id}:{lead.id}",
            kind=NoticeKind.absence_update,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.arrived(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                provider=placement.provider.name,
                day=record.date,
                session=record.session.value,
                why=reason,
                code=record.code,
            ),
        )


async def _close_call_if_arrived(
    session: AsyncSession, change: Change, placement: Placement, date: dt.date, reason: str
) -> WelfareCall | None:
    if await absences_on(session, placement.id, date):
        return None
    call = await session.scalar(
        select(WelfareCall).where(
            WelfareCall.placement_id == placement.id,
            WelfareCall.absence_date == date,
            WelfareCall.status == WelfareCallStatus.open,
        )
    )
    if call is None:
        return None
    before = snapshot(call)
    call.status = WelfareCallStatus.done
    call.outcome = f"Pupil arrived at the provider: {sentence(reason[0].lower() + reason[1:])}"
    call.done_by_id = change.person_id
    call.done_at = change.at
    await audit_updated(session, change, call, before, placement_id=placement.id)
    return call


async def mark_history(session: AsyncSession, placement_id: int) -> list[AttendanceChange]:
    """Every change to the placement's marks, oldest first."""
    rows = await session.scalars(
        select(AttendanceChange)
        .where(AttendanceChange.placement_id == placement_id)
        .order_by(AttendanceChange.changed_at, AttendanceChange.id)
    )
    return list(rows)
