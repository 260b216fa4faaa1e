"""Daily attendance at the provider: absences (with the welfare call they start) and the
provider's "all present" register.

One row per placement, date and session. A second report that changes a session already
reported (present to absent, one code to another) must say why: the change is kept in the
mark-change history (`attendance_changes`) as well as the audit log, and when a confirmed
present becomes an absence the commissioning school's DSLs are told (the register was wrong).
"all present" never overwrites an absence.

A session can only be reported when the pupil was due at the provider (see
`storage.rules.attendance.no_session_reason`): not at weekends, bank holidays or the school's
term breaks, nor on days the pupil is not timetabled there. A provider may only set the codes
that are theirs to set (`storage.access.can_set_code`); any other code it picks is kept as a
proposal for the school, and the session is recorded N until school staff decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from storage.access import can_set_code
from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    Person,
    Placement,
    PlacementStatus,
    RegisterSession,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules import codes
from storage.rules.attendance import no_session_reason
from storage.rules.calendar import SchoolCalendar
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.outbox import enqueue, safeguarding_leads
from storage.services.placements import ensure_loaded
from storage.services.terms import calendar_for, calendars_for
from storage.services.welfare_tasks import give_call
from storage.wording import NoticeKind, alerts
from storage.wording.text import sentence

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SESSION_WORDS = {RegisterSession.am: "morning", RegisterSession.pm: "afternoon"}


class AttendanceError(ValueError):
    """An attendance report that cannot be saved, in words for the person."""


def deadline_passed(placement: Placement, date: dt.date, at: dt.datetime) -> bool:
    """Whether a report made at `at` about `date` came after the agreed absence deadline
    (London time). A report about an earlier day is always late."""
    deadline = dt.datetime.combine(date, placement.absence_deadline, tzinfo=LONDON)
    return at > deadline


UNEXPLAINED_CODE = "N"
MAX_REASON_LENGTH = 1000


def expected_on(
    placement: Placement, date: dt.date, calendar: SchoolCalendar | None = None
) -> bool:
    """Whether the pupil is due at the provider on that day: an active placement, and a
    session by `storage.rules.attendance.no_session_reason` (with the school's `calendar`;
    without one, weekends and bank holidays only)."""
    return (
        placement.status == PlacementStatus.active
        and no_session_reason(placement, date, calendar or SchoolCalendar()) is None
    )


async def no_session_problem(
    session: AsyncSession, placement: Placement, date: dt.date
) -> str | None:
    """Why nothing can be reported for the placement on `date` (no session: a weekend, bank
    holiday, the commissioning school's term break, or a day the pupil isn't due there), in
    words for the person; None when the pupil was due."""
    calendar = await calendar_for(session, placement.commissioner_id, today=date)
    why = no_session_reason(placement, date, calendar)
    if why is None:
        return None
    return f"{placement.reference} had no session at the provider on {date:%a %d/%m/%Y}: {why}."


def is_confirmed_present(record: AttendanceRecord) -> bool:
    """Present, or late before the register closed (L): the pupil was there."""
    return record.status == AttendanceStatus.present or (
        record.status == AttendanceStatus.late and record.code == "L"
    )


def mark_words(record: AttendanceRecord) -> str:
    """A session's mark in words: "present (B)", "absent (N)", "late (U)"."""
    return f"{record.status.value} ({record.code})"


def sessions_text(sessions: list[RegisterSession]) -> str:
    """`AM and PM`, or one of them."""
    return " and ".join(s.value for s in sorted(set(sessions), key=list(RegisterSession).index))


async def _existing(
    session: AsyncSession, placement_id: int, date: dt.date
) -> dict[RegisterSession, AttendanceRecord]:
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


@dataclass(frozen=True)
class AbsenceReported:
    """What `record_absence` did: each session's record, the day's open welfare call (None
    when none is open: every session was already absent), and whether any safeguarding lead
    of the commissioner was alerted (none set up: nobody was)."""

    records: list[AttendanceRecord]
    call: WelfareCall | None
    leads_alerted: bool


async def report_absence(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    date: dt.date,
    sessions: list[RegisterSession],
    code: str,
    reason: str,
    change_reason: str | None = None,
) -> list[AttendanceRecord]:
    """`record_absence`'s records."""
    reported = await record_absence(
        session,
        change,
        placement=placement,
        date=date,
        sessions=sessions,
        code=code,
        reason=reason,
        change_reason=change_reason,
    )
    return reported.records


async def record_absence(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    date: dt.date,
    sessions: list[RegisterSession],
    code: str,
    reason: str,
    change_reason: str | None = None,
) -> AbsenceReported:
    """Record the pupil absent for each session, open a welfare-call task for the day if none
    is open, alert the commissioner's safeguarding leads at once, and give the provider its
    welfare-call task when it is theirs.

    A session already reported with another mark is changed only with a `change_reason`
    (AttendanceError without one); the change is kept in `attendance_changes`, and a confirmed
    present becoming absent is told to the DSLs. A code the reporter may not set
    (`can_set_code`) is kept as `proposed_code`, and the session recorded N.
    """
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
    problem = await no_session_problem(session, placement, date)
    if problem is not None:
        raise AttendanceError(problem)
    await ensure_loaded(session, placement, "welfare_call_person")
    chosen = _absence_code(code)
    reporter = await session.get(Person, change.person_id)
    proposed: str | None = None
    absence = chosen
    if reporter is None or not can_set_code(reporter, placement, chosen.code):
        proposed, absence = chosen.code, codes.get(UNEXPLAINED_CODE)
    late = deadline_passed(placement, date, change.at)
    existing = await _existing(session, placement.id, date)
    wanted = sorted(set(sessions), key=list(RegisterSession).index)
    changing = [
        existing[which]
        for which in wanted
        if which in existing
        and (
            existing[which].status != AttendanceStatus.absent
            or existing[which].code != absence.code
        )
    ]
    why = (change_reason or "").strip()
    if changing and not why:
        raise AttendanceError(
            "Already reported: "
            + ", ".join(f"{r.session.value} {mark_words(r)}" for r in changing)
            + ". Please say why the mark is changing."
        )
    records: list[AttendanceRecord] = []
    newly_absent = False
    corrected: list[tuple[AttendanceRecord, str]] = []
    for which in wanted:
        record = existing.get(which)
        if record is None:
            record = AttendanceRecord(placement_id=placement.id, date=date, session=which)
            _fill(record, change, absence.code, reason, late_report=late, proposed=proposed)
            session.add(record)
            await audit_created(session, change, record, placement_id=placement.id)
            newly_absent = True
        elif record in changing:
            before = snapshot(record)
            was_absent = record.status == AttendanceStatus.absent
            was = mark_words(record)
            history = AttendanceChange(
                attendance_id=record.id,
                placement_id=record.placement_id,
                from_status=record.status.value,
                from_code=record.code,
                to_status=AttendanceStatus.absent.value,
                to_code=absence.code,
                reason=why[:MAX_REASON_LENGTH],
                source="absent",
                changed_by_id=change.person_id,
                changed_at=change.at,
            )
            if is_confirmed_present(record):
                corrected.append((record, was))
            # A correction keeps the first report's lateness; present-then-absent is new news.
            _fill(
                record,
                change,
                absence.code,
                reason,
                late_report=record.late_report if was_absent else late,
                proposed=proposed,
            )
            newly_absent = newly_absent or not was_absent
            session.add(history)
            await audit_updated(session, change, record, before, placement_id=placement.id)
            await audit_created(session, change, history, placement_id=placement.id)
        elif proposed is not None and record.proposed_code != proposed:
            # The mark stays; the provider's proposal for the school is kept with it.
            before = snapshot(record)
            record.proposed_code = proposed
            await audit_updated(session, change, record, before, placement_id=placement.id)
        records.append(record)

    call = await _open_call(session, placement.id, date)
    created_call = False
    if call is None and newly_absent:
        call = await _new_call(session, change, placement, date)
        created_call = True
    alerted = await _alert(
        session, change, placement, records, absence, reason, late, call, proposed
    )
    for record, was in corrected:
        await _tell_register_corrected(session, change, placement, record, was, why, reporter)
    if call is not None and created_call:
        await give_call(session, change, placement, call)
    return AbsenceReported(records=records, call=call, leads_alerted=alerted)


def _fill(
    record: AttendanceRecord,
    change: Change,
    code: str,
    reason: str,
    *,
    late_report: bool,
    proposed: str | None = None,
) -> None:
    assert change.person_id is not None
    record.status = AttendanceStatus.absent
    record.code = code
    record.reason = reason.strip() or None
    record.reported_by_id = change.person_id
    record.reported_at = change.at
    record.late_report = late_report
    record.welfare_call_needed = True
    record.proposed_code = proposed


async def _tell_register_corrected(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    record: AttendanceRecord,
    was: str,
    why: str,
    reporter: Person | None,
) -> None:
    """A confirmed present became an absence: the register was wrong, and the DSLs hear it."""
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"register-corrected:{record.id}:{change.at.isoformat()}:{lead.id}",
            kind=NoticeKind.register_corrected,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.register_corrected(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                provider=placement.provider.name,
                day=record.date,
                session=record.session.value,
                was=was,
                code=record.code,
                reporter=reporter.name if reporter else None,
                why=why,
            ),
        )


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
        return alerts.who_calls_provider(placement.provider.name)
    person = placement.welfare_call_person
    return alerts.who_calls_school(person.name if person else None)


async def _alert(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    records: list[AttendanceRecord],
    absence: codes.AttendanceCode,
    reason: str,
    late: bool,
    call: WelfareCall | None,
    proposed: str | None = None,
) -> bool:
    """Each safeguarding lead of the commissioner hears at once, in a DM (so with the name).
    False when there is none to hear it."""
    reporter = await session.get(Person, change.person_id)
    date = records[0].date
    text = alerts.absence(
        pupil=placement.pupil.known_as,
        reference=placement.reference,
        provider=placement.provider.name,
        day=date,
        sessions=sessions_text([r.session for r in records]),
        code=absence.label,
        reason=sentence(reason),
        reporter=reporter.name if reporter else None,
        late_deadline=placement.absence_deadline if late else None,
        who_calls=_who_calls(placement) if call is not None else None,
        proposed=codes.get(proposed).label if proposed else None,
    )
    leads = await safeguarding_leads(session, placement.commissioner_id)
    for lead in leads:
        await enqueue(
            session,
            key=f"absence:{placement.id}:{date.isoformat()}:{lead.id}",
            kind=NoticeKind.absence_alert,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=text,
            payload={"welfare_call_id": call.id if call else None},
        )
    return bool(leads)


async def confirm_all_present(
    session: AsyncSession, change: Change, *, provider_id: int, date: dt.date
) -> list[AttendanceRecord]:
    """Mark every pupil due at the provider that day present, AM and PM, with the placement's
    attendance code (pupils whose school is on a term break, or who aren't timetabled there
    that day, are left out). A session already reported (absent or present) is left alone.
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
    found = list(placements.unique())
    calendars = await calendars_for(session, {p.commissioner_id for p in found}, today=date)
    created: list[AttendanceRecord] = []
    for placement in found:
        # Only pupils due that day: not in their school's term break, not on a day off.
        if not expected_on(placement, date, calendars[placement.commissioner_id]):
            continue
        existing = await _existing(session, placement.id, date)
        late = deadline_passed(placement, date, change.at)
        for which in RegisterSession:
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


async def due_placements(
    session: AsyncSession, placements: list[Placement], date: dt.date
) -> list[Placement]:
    """The placements whose pupil was due at the provider on `date` (each by its commissioning
    school's calendar, term breaks included)."""
    if not placements:
        return []
    calendars = await calendars_for(session, {p.commissioner_id for p in placements}, today=date)
    return [p for p in placements if expected_on(p, date, calendars[p.commissioner_id])]
