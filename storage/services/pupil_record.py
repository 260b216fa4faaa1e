"""A pupil's full record, for the transfer of the safeguarding file (OMG No. 6).

Everything the bot holds about the pupil's AP placements: the placements, checklist evidence,
QA visits with the pupil's voice, contacts, attendance, welfare calls and the chronology.
Only for the commissioning school's DSL (checked by the caller through storage.access).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    ChronologyEntry,
    Contact,
    ObjectiveReview,
    Person,
    Placement,
    PlacementChange,
    PlacementObjective,
    Pupil,
    QaVisit,
    WelfareCall,
    WelfareCallAttempt,
)
from storage.rules import checklist, reasons
from storage.rules.attendance import Report, placement_figures
from storage.services.chronology import SYSTEM_AUTHOR
from storage.services.part_time import history_of as part_time_history
from storage.services.terms import calendar_for


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(record: Any, *fields: str) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in fields}


async def _names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = await session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {person.id: person.name for person in found.unique()}


async def pupil_record(
    session: AsyncSession, *, pupil_id: int, commissioner_id: int, today: dt.date | None = None
) -> dict[str, Any]:
    """The pupil's record across the placements this commissioner made; with `today`, each
    placement's attendance at the provider over its whole length (`storage.rules.attendance`)."""
    pupil = await session.get(Pupil, pupil_id)
    if pupil is None:
        raise ValueError("No such pupil.")
    placements = list(
        (
            await session.scalars(
                select(Placement)
                .where(Placement.pupil_id == pupil_id, Placement.commissioner_id == commissioner_id)
                .options(selectinload(Placement.checklist))
                .order_by(Placement.start_date)
            )
        ).unique()
    )
    ids = [p.id for p in placements]
    record: dict[str, Any] = {
        "pupil": _row(
            pupil,
            "first_name",
            "last_name",
            "preferred_name",
            "upn",
            "date_of_birth",
            "year_group",
            "fsm_eligible",
            "ehcp",
            "cp_plan",
            "cin_plan",
            "looked_after",
        ),
        "home_school": pupil.home_org.name,
        "placements": [],
        "chronology": [],
    }
    for placement in placements:
        visits = await session.scalars(
            select(QaVisit).where(QaVisit.placement_id == placement.id).order_by(QaVisit.visit_date)
        )
        contacts = await session.scalars(
            select(Contact)
            .where(Contact.placement_id == placement.id)
            .order_by(Contact.contact_date)
        )
        attendance = list(
            await session.scalars(
                select(AttendanceRecord)
                .where(AttendanceRecord.placement_id == placement.id)
                .order_by(AttendanceRecord.date, AttendanceRecord.session)
            )
        )
        calls = list(
            (
                await session.scalars(
                    select(WelfareCall)
                    .where(WelfareCall.placement_id == placement.id)
                    .order_by(WelfareCall.absence_date, WelfareCall.id)
                )
            ).unique()
        )
        attempts: dict[int, list[WelfareCallAttempt]] = {}
        for attempt in await session.scalars(
            select(WelfareCallAttempt)
            .where(WelfareCallAttempt.placement_id == placement.id)
            .order_by(WelfareCallAttempt.called_at, WelfareCallAttempt.id)
        ):
            attempts.setdefault(attempt.welfare_call_id, []).append(attempt)
        changes = list(
            await session.scalars(
                select(AttendanceChange)
                .where(AttendanceChange.placement_id == placement.id)
                .order_by(AttendanceChange.changed_at, AttendanceChange.id)
            )
        )
        marked = {a.id: a for a in attendance}
        names = await _names(
            session,
            [a.made_by_id for found in attempts.values() for a in found]
            + [c.changed_by_id for c in changes],
        )
        objectives = await session.scalars(
            select(PlacementObjective)
            .where(PlacementObjective.placement_id == placement.id)
            .order_by(PlacementObjective.created_at, PlacementObjective.position)
        )
        reviews = list(
            await session.scalars(
                select(ObjectiveReview)
                .where(ObjectiveReview.placement_id == placement.id)
                .order_by(ObjectiveReview.recorded_at, ObjectiveReview.id)
            )
        )
        placement_changes = await session.scalars(
            select(PlacementChange)
            .where(PlacementChange.placement_id == placement.id)
            .order_by(PlacementChange.changed_at, PlacementChange.id)
        )
        figures = None
        if today is not None:
            calendar = await calendar_for(
                session, commissioner_id, today=min(placement.start_date, today)
            )
            reports = {
                (a.date, a.session.value): Report(a.status.value, a.code) for a in attendance
            }
            found = placement_figures(
                placement,
                reports,
                start=placement.start_date,
                end=placement.ended_on or today,
                today=today,
                calendar=calendar,
            )
            figures = {
                "percent": found.percent,
                "text": found.text,
                "attended": found.attended,
                "possible": found.possible,
                "authorised_absence": found.authorised,
                "unauthorised_absence": found.unauthorised,
                "no_report": found.no_report,
                "not_counted": found.not_possible + found.not_counted,
            }
        record["placements"].append(
            {
                **_row(
                    placement,
                    "reference",
                    "status",
                    "reason",
                    "reason_first_day",
                    "suspension_days",
                    "full_time_education_from",
                    "reason_detail",
                    "start_date",
                    "planned_end_date",
                    "review_date",
                    "provider_days",
                    "provider_hours",
                    "school_hours",
                    "other_hours",
                    "other_providers",
                    "full_time_hours",
                    "is_full_time",
                    "attendance_code",
                    "absence_deadline",
                    "welfare_call_party",
                    "welfare_call_arrangements",
                    "objectives",
                    "return_plan",
                    "la_notified_on",
                    "ended_on",
                    "end_outcome",
                    "return_date",
                    "reintegration_notes",
                    "pupil_view_at_end",
                ),
                # Each objective, its target date and status, and the progress judged at visits.
                "objective_list": [
                    _row(o, "text", "target_date", "status")
                    | {
                        "progress": [
                            _row(r, "progress", "note", "recorded_at")
                            for r in reviews
                            if r.objective_id == o.id
                        ]
                    }
                    for o in objectives
                ],
                # Changes to the arrangements after the start: what, when, before, after, why.
                "changes": [
                    _row(c, "kind", "changed_at", "before", "after", "reason")
                    for c in placement_changes
                ],
                "reason_text": reasons.describe(
                    placement.reason.label,
                    placement.reason.value,
                    first_day=placement.reason_first_day,
                    suspension_days=placement.suspension_days,
                    due_from=placement.full_time_education_from,
                    detail=placement.reason_detail,
                )
                if placement.reason
                else "not recorded",
                "provider": placement.provider.name,
                "provider_registration": _plain(placement.provider.registration_status),
                "site": placement.site.name + ", " + placement.site.address
                if placement.site
                else None,
                "checklist": [
                    {
                        "item": checklist.definition(item.key).label,
                        "section": checklist.definition(item.key).section,
                        **_row(
                            item, "key", "status", "due_date", "na_reason", "evidence", "done_at"
                        ),
                    }
                    for item in placement.checklist
                ],
                # The agreement behind a part-time timetable, and each review of it.
                "part_time_timetables": await part_time_history(session, placement.id),
                "qa_visits": [
                    _row(
                        v,
                        "visit_date",
                        "pupil_seen",
                        "pupil_voice",
                        "why_not_seen",
                        "setting_safe",
                        "register_matches",
                        "concerns",
                        "rating",
                        "actions_agreed",
                        "next_visit_due",
                    )
                    | {"visitor": v.visitor.name}
                    for v in visits.unique()
                ],
                "contacts": [
                    _row(c, "contact_date", "with_whom", "method", "summary") for c in contacts
                ],
                "attendance": [
                    _row(
                        a,
                        "date",
                        "session",
                        "status",
                        "code",
                        "proposed_code",
                        "reason",
                        "late_report",
                    )
                    for a in attendance
                ],
                "attendance_figures": figures,
                "mark_changes": [
                    _row(
                        c,
                        "from_status",
                        "from_code",
                        "to_status",
                        "to_code",
                        "reason",
                        "source",
                        "changed_at",
                    )
                    | {
                        "date": _plain(marked[c.attendance_id].date)
                        if c.attendance_id in marked
                        else None,
                        "session": _plain(marked[c.attendance_id].session)
                        if c.attendance_id in marked
                        else None,
                        "changed_by": names.get(c.changed_by_id, ""),
                    }
                    for c in changes
                ],
                "welfare_calls": [
                    _row(c, "absence_date", "party", "status", "outcome", "done_at")
                    | {
                        "attempts": [
                            _row(
                                a,
                                "called_at",
                                "spoke_to",
                                "pupil_seen_or_heard",
                                "pupil_safe",
                                "reason",
                                "outcome_code",
                                "next_step",
                            )
                            | {"made_by": names.get(a.made_by_id, "")}
                            for a in attempts.get(c.id, [])
                        ]
                    }
                    for c in calls
                ],
            }
        )
    entries = list(
        await session.scalars(
            select(ChronologyEntry)
            .where(ChronologyEntry.pupil_id == pupil_id)
            .where(
                (ChronologyEntry.placement_id.in_(ids)) | (ChronologyEntry.placement_id.is_(None))
            )
            .order_by(ChronologyEntry.entry_date, ChronologyEntry.id)
        )
    )
    authors = {
        person.id: person.name
        for person in await session.scalars(
            select(Person).where(
                Person.id.in_(sorted({e.recorded_by_id for e in entries if e.recorded_by_id}))
            )
        )
    }
    record["chronology"] = [
        {
            **_row(e, "entry_date", "kind", "source", "text"),
            # An automatic entry is the system's, never a person's.
            "recorded_by": SYSTEM_AUTHOR
            if e.recorded_by_id is None
            else authors.get(e.recorded_by_id, ""),
        }
        for e in entries
    ]
    return record
