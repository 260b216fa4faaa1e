"""Daily attendance at the provider: absences (with the welfare call they start) and the
provider's "all present" register.

One row per placement, date and session. A second report for the same session updates that row
(and the audit log keeps what it said before); "all present" never overwrites an absence.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from storage.clock import LONDON
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    Person,
    Placement,
    PlacementStatus,
    Role,
    Session,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules import codes
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue, safeguarding_leads, staff_of
from storage.services.placements import ensure_loaded
from storage.text import sentence

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SESSION_WORDS = {Session.am: "morning", Session.pm: "afternoon"}


class AttendanceError(ValueError):
    """An attendance report that cannot be saved, in words for the person."""


def deadline_passed(placement: Placement, date: dt.date, at: dt.datetime) -> bool:
    """Whether a report made at `at` about `date` came after the agreed absence deadline
    (London time). A report about an earlier day is always late."""
    deadline = dt.datetime.combine(date, placement.absence_deadline, tzinfo=LONDON)
    return at > deadline


def expected_on(placement: Placement, date: dt.date) -> bool:
    """Whether the pupil is due at the provider on that day (active, started, one of its days)."""
    return (
        placement.status == PlacementStatus.active
        and placement.start_date <= date
        and (placement.ended_on is None or date <= placement.ended_on)
        and WEEKDAYS[date.weekday()] in placement.days
    )


def sessions_text(sessions: list[Session]) -> str:
    """`AM and PM`, or one of them."""
    return " and ".join(s.value for s in sorted(set(sessions), key=list(Session).index))


async def _existing(
    session: AsyncSession, placement_id: int, date: dt.date
) -> dict[Session, AttendanceRecord]:
    rows = await session.scalars(
        select(AttendanceRecord).where(
            AttendanceRecord.placement_id == placement_id, AttendanceRecord.date == date
        )
    )
    return {row.session: row for row in rows}


def _absence_code(code: str) -> codes.AttendanceCode:
    try:
        return codes.absence(code)
    except ValueError as error:
        raise AttendanceError(str(error)) from None


async def report_absence(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    date: dt.date,
    sessions: list[Session],
    code: str,
    reason: str,
) -> list[AttendanceRecord]:
    """Record the pupil absent for each session (updating a row already there, not adding a
    second), open a welfare-call task for the day if none is open, alert the commissioner's
    safeguarding leads at once, and give the provider its welfare-call task when it is theirs."""
    if change.person_id is None:
        raise AttendanceError("An absence report must say who reported it.")
    if placement.status != PlacementStatus.active:
        raise AttendanceError(f"{placement.reference} has ended.")
    if date < placement.start_date:
        raise AttendanceError(
            f"{placement.reference} started on {placement.start_date:%d/%m/%Y}, after that date."
        )
    if not sessions:
        raise AttendanceError("Please say which sessions: AM, PM or both.")
    await ensure_loaded(session, placement, "welfare_call_person")
    absence = _absence_code(code)
    late = deadline_passed(placement, date, change.at)
    existing = await _existing(session, placement.id, date)
    records: list[AttendanceRecord] = []
    newly_absent = False
    for which in sorted(set(sessions), key=list(Session).index):
        record = existing.get(which)
        if record is None:
            record = AttendanceRecord(placement_id=placement.id, date=date, session=which)
            _fill(record, change, absence.code, reason, late_report=late)
            session.add(record)
            await audit_created(session, change, record, placement_id=placement.id)
            newly_absent = True
        else:
            before = snapshot(record)
            was_absent = record.status == AttendanceStatus.absent
            # A correction keeps the first report's lateness; present-then-absent is new news.
            _fill(
                record,
                change,
                absence.code,
                reason,
                late_report=record.late_report if was_absent else late,
            )
            newly_absent = newly_absent or not was_absent
            await audit_updated(session, change, record, before, placement_id=placement.id)
        records.append(record)

    call = await _open_call(session, placement.id, date)
    created_call = False
    if call is None and newly_absent:
        call = await _new_call(session, change, placement, date)
        created_call = True
    await _alert(session, change, placement, records, absence, reason, late, call)
    if call is not None and created_call:
        await _give_call(session, change, placement, call)
    return records


def _fill(
    record: AttendanceRecord, change: Change, code: str, reason: str, *, late_report: bool
) -> None:
    assert change.person_id is not None
    record.status = AttendanceStatus.absent
    record.code = code
    record.reason = reason.strip() or None
    record.reported_by_id = change.person_id
    record.reported_at = change.at
    record.late_report = late_report
    record.welfare_call_needed = True


async def _open_call(session: AsyncSession, placement_id: int, date: dt.date) -> WelfareCall | None:
    return await session.scalar(
        select(WelfareCall).where(
            WelfareCall.placement_id == placement_id,
            WelfareCall.absence_date == date,
            WelfareCall.status == WelfareCallStatus.open,
        )
    )


async def _new_call(
    session: AsyncSession, change: Change, placement: Placement, date: dt.date
) -> WelfareCall:
    by_school = placement.welfare_call_party == WelfareCallParty.school
    call = WelfareCall(
        placement_id=placement.id,
        absence_date=date,
        party=placement.welfare_call_party,
        assigned_to_id=placement.welfare_call_person_id if by_school else None,
        status=WelfareCallStatus.open,
        created_at=change.at,
    )
    session.add(call)
    await audit_created(session, change, call, placement_id=placement.id)
    return call


def _who_calls(placement: Placement) -> str:
    if placement.welfare_call_party == WelfareCallParty.provider:
        return f"{placement.provider.name} makes the welfare call"
    person = placement.welfare_call_person
    return f"{person.name if person else 'your school'} makes the welfare call"


async def _alert(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    records: list[AttendanceRecord],
    absence: codes.AttendanceCode,
    reason: str,
    late: bool,
    call: WelfareCall | None,
) -> None:
    """Each safeguarding lead of the commissioner hears at once, in a DM (so with the name)."""
    reporter = await session.get(Person, change.person_id)
    date = records[0].date
    late_text = (
        f" Reported LATE (the deadline was {placement.absence_deadline:%H:%M})." if late else ""
    )
    call_text = f" {_who_calls(placement)}." if call is not None else ""
    text = (
        f"Absence: {placement.pupil.full_name} ({placement.reference}) is not at "
        f"{placement.provider.name} on {date:%a %d/%m/%Y}, "
        f"{sessions_text([r.session for r in records])}. "
        f"Code {absence.label}. Reason: {sentence(reason) or 'not given.'} "
        f"Reported by {reporter.name if reporter else 'unknown'}.{late_text}{call_text}"
    )
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"absence:{placement.id}:{date.isoformat()}:{lead.id}",
            kind="absence_alert",
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=text,
            payload={"welfare_call_id": call.id if call else None},
        )


async def _give_call(
    session: AsyncSession, change: Change, placement: Placement, call: WelfareCall
) -> None:
    """Tell whoever owes the call: the provider's staff (reference only), or the named person
    at the school (unless they already heard as a safeguarding lead)."""
    date = f"{call.absence_date:%a %d/%m/%Y}"
    if call.party == WelfareCallParty.provider:
        for person in await staff_of(session, placement.provider_id, Role.provider):
            await enqueue(
                session,
                key=f"welfare-call:{call.id}:{person.id}",
                kind="welfare_call_task",
                recipient_id=person.id,
                placement_id=placement.id,
                due_at=change.at,
                text=(
                    f"Welfare call needed: {placement.reference} is absent {date}. "
                    "Please call home as agreed and tell the school what you find."
                ),
                payload={"welfare_call_id": call.id},
            )
        return
    leads = {lead.id for lead in await safeguarding_leads(session, placement.commissioner_id)}
    if call.assigned_to_id is not None and call.assigned_to_id not in leads:
        await enqueue(
            session,
            key=f"welfare-call:{call.id}:{call.assigned_to_id}",
            kind="welfare_call_task",
            recipient_id=call.assigned_to_id,
            placement_id=placement.id,
            due_at=change.at,
            text=(
                f"Welfare call needed: {placement.pupil.full_name} ({placement.reference}) is "
                f"absent from {placement.provider.name} {date}. Please call home as agreed."
            ),
            payload={"welfare_call_id": call.id},
        )


async def confirm_all_present(
    session: AsyncSession, change: Change, *, provider_id: int, date: dt.date
) -> list[AttendanceRecord]:
    """Mark every pupil expected at the provider that day present, AM and PM, with the
    placement's attendance code. A session already reported (absent or present) is left alone.
    Returns the records created."""
    if change.person_id is None:
        raise AttendanceError("A register must say who confirmed it.")
    if date > change.at.astimezone(LONDON).date():
        raise AttendanceError("You can only confirm a register for today or an earlier day.")
    placements = await session.scalars(
        select(Placement)
        .where(
            Placement.provider_id == provider_id,
            Placement.status == PlacementStatus.active,
            Placement.start_date <= date,
        )
        # A register needs the timetable only, not each pupil's checklist and sites.
        .options(lazyload("*"))
        .order_by(Placement.reference)
    )
    created: list[AttendanceRecord] = []
    for placement in placements.unique():
        if not expected_on(placement, date):
            continue
        existing = await _existing(session, placement.id, date)
        late = deadline_passed(placement, date, change.at)
        for which in Session:
            if which in existing:
                continue
            record = AttendanceRecord(
                placement_id=placement.id,
                date=date,
                session=which,
                status=AttendanceStatus.present,
                code=placement.attendance_code,
                reason=None,
                reported_by_id=change.person_id,
                reported_at=change.at,
                late_report=late,
                welfare_call_needed=False,
            )
            session.add(record)
            created.append(record)
    await session.flush()  # one round trip for the whole register, then its audit entries
    for record in created:
        await audit_created(session, change, record, placement_id=record.placement_id)
    return created
