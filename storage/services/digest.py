"""The DSL's daily digest (and the LA officer's, across the LA): one message, readable at a
glance, built as titled sections so Slack can render Block Kit, Teams an Adaptive Card and the
terminal plain text.

Need-to-know applies: a DSL sees their school's placements; an LA officer sees every placement
in the LA, but pupils placed by a school appear by reference only, without absence reasons or
chronology (those are the school DSL's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Action, can, placements_query
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChecklistStatus,
    ChronologyEntry,
    OutboxMessage,
    Person,
    Placement,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules import checklist, codes
from storage.rules.calendar import SchoolCalendar, london_date
from storage.rules.nudges import WEEKDAYS

DIGEST_KIND = "digest"
ATTENDANCE_WEEKS = 4
ENDING_SOON_DAYS = 14
EXCERPT = 140

Who = Callable[[Placement], str]


@dataclass
class DigestSection:
    """One titled part of the digest: its lines, or what to say when there are none."""

    title: str
    lines: list[str] = field(default_factory=list)
    empty: str = "None."

    def as_dict(self) -> dict[str, object]:
        return {"title": self.title, "lines": list(self.lines), "empty": self.empty}


@dataclass
class Digest:
    """A digest for one person on one day."""

    heading: str
    sections: list[DigestSection]

    @property
    def text(self) -> str:
        """Plain text for the terminal and the log-free fallback of every channel."""
        parts = [self.heading]
        for section in self.sections:
            parts.append(f"\n*{section.title}*")
            parts += [f"• {line}" for line in section.lines] or [section.empty]
        return "\n".join(parts)

    @property
    def sections_payload(self) -> list[dict[str, object]]:
        return [section.as_dict() for section in self.sections]


def digest_key(person_id: int, day: dt.date) -> str:
    return f"digest:{person_id}:{day.isoformat()}"


def _d(day: dt.date | None) -> str:
    return f"{day:%a %d/%m}" if day else "not set"


async def last_digest_at(
    session: AsyncSession, person_id: int, before: dt.datetime
) -> dt.datetime | None:
    """When this person's previous digest was due (for "new since the last digest")."""
    result: dt.datetime | None = await session.scalar(
        select(func.max(OutboxMessage.due_at)).where(
            OutboxMessage.recipient_id == person_id,
            OutboxMessage.kind == DIGEST_KIND,
            OutboxMessage.due_at < before,
        )
    )
    return result


async def build_digest(
    session: AsyncSession, person: Person, *, now: dt.datetime, calendar: SchoolCalendar
) -> Digest:
    """The digest for `person` as of `now`: yesterday's absences with reasons and welfare-call
    outcomes, welfare calls outstanding, overdue checks, QA visits due this week, placements
    ending within 14 days, new chronology entries since their last digest, and each pupil's
    attendance over the last 4 weeks."""
    today = london_date(now)
    placements = list((await session.scalars(placements_query(person))).unique())
    by_id = {p.id: p for p in placements}
    detail = {p.id: can(person, Action.read_chronology, p) for p in placements}

    def who(p: Placement) -> str:
        if detail[p.id]:
            return f"{p.pupil.full_name} ({p.reference})"
        return f"{p.reference} ({p.commissioner.name})"

    previous = calendar.previous_school_day(today)
    org = person.organisation.name if person.organisation else "your organisation"
    heading = (
        f"Daily safeguarding digest for {org}, {today:%A %d/%m/%Y}: "
        f"{len(placements)} active placement(s)."
    )
    ids = list(by_id)
    sections = [
        await _absences(session, ids, by_id, detail, who, previous),
        await _open_calls(session, ids, by_id, who),
        await _overdue_checks(session, ids, by_id, who, today),
        _visits_this_week(placements, who, today),
        _ending_soon(placements, who, today),
        await _chronology(session, person, placements, detail, who, now),
        await _attendance(session, placements, who, today, calendar),
    ]
    return Digest(heading=heading, sections=sections)


async def _absences(
    session: AsyncSession,
    ids: list[int],
    by_id: dict[int, Placement],
    detail: dict[int, bool],
    who: Who,
    day: dt.date,
) -> DigestSection:
    section = DigestSection(f"Absences on {_d(day)}", empty="No absences reported.")
    rows = await session.scalars(
        select(AttendanceRecord)
        .where(
            AttendanceRecord.placement_id.in_(ids),
            AttendanceRecord.date == day,
            AttendanceRecord.status == AttendanceStatus.absent,
        )
        .order_by(AttendanceRecord.placement_id, AttendanceRecord.session)
    )
    by_placement: dict[int, list[AttendanceRecord]] = {}
    for row in rows:
        by_placement.setdefault(row.placement_id, []).append(row)
    calls = {
        call.placement_id: call
        for call in (
            await session.scalars(
                select(WelfareCall).where(
                    WelfareCall.placement_id.in_(list(by_placement)),
                    WelfareCall.absence_date == day,
                )
            )
        ).unique()
    }
    for placement_id, records in by_placement.items():
        p, first = by_id[placement_id], records[0]
        sessions = " and ".join(r.session.value for r in records)
        line = f"{who(p)}: {sessions}, code {_code_label(first.code)}"
        if detail[placement_id]:
            line += f"; reason: {first.reason or 'not given'}"
        call = calls.get(placement_id)
        if call is None:
            line += "; no welfare call task"
        elif call.status == WelfareCallStatus.done:
            outcome = f": {call.outcome}" if detail[placement_id] and call.outcome else ""
            line += f"; welfare call done{outcome}"
        else:
            line += "; welfare call NOT YET DONE"
        section.lines.append(line)
    return section


def _code_label(code: str) -> str:
    try:
        return codes.get(code).label
    except KeyError:
        return code


async def _open_calls(
    session: AsyncSession, ids: list[int], by_id: dict[int, Placement], who: Who
) -> DigestSection:
    section = DigestSection("Welfare calls outstanding", empty="None outstanding.")
    calls = await session.scalars(
        select(WelfareCall)
        .where(WelfareCall.placement_id.in_(ids), WelfareCall.status == WelfareCallStatus.open)
        .order_by(WelfareCall.absence_date, WelfareCall.id)
    )
    for call in calls.unique():
        p = by_id[call.placement_id]
        by = (
            p.provider.name
            if call.party == WelfareCallParty.provider
            else (p.welfare_call_person.name if p.welfare_call_person else "the school")
        )
        section.lines.append(f"{who(p)}: absent {_d(call.absence_date)}, call by {by}")
    return section


async def _overdue_checks(
    session: AsyncSession, ids: list[int], by_id: dict[int, Placement], who: Who, today: dt.date
) -> DigestSection:
    section = DigestSection("Overdue checks", empty="No checks overdue.")
    items = await session.scalars(
        select(ChecklistItem)
        .where(
            ChecklistItem.placement_id.in_(ids),
            ChecklistItem.status == ChecklistStatus.not_done,
            ChecklistItem.due_date < today,
        )
        .order_by(ChecklistItem.due_date, ChecklistItem.id)
    )
    for item in items:
        label = checklist.definition(item.key).label
        section.lines.append(f"{who(by_id[item.placement_id])}: {label}, due {_d(item.due_date)}")
    return section


def _visits_this_week(placements: list[Placement], who: Who, today: dt.date) -> DigestSection:
    section = DigestSection("QA visits due this week", empty="No QA visits due this week.")
    week_end = today + dt.timedelta(days=6 - today.weekday())
    due = [p for p in placements if p.next_qa_due is None or p.next_qa_due <= week_end]
    for p in sorted(due, key=lambda p: p.next_qa_due or dt.date.min):
        late = " (OVERDUE)" if p.next_qa_due is None or p.next_qa_due < today else ""
        section.lines.append(f"{who(p)} at {p.provider.name}: due {_d(p.next_qa_due)}{late}")
    return section


def _ending_soon(placements: list[Placement], who: Who, today: dt.date) -> DigestSection:
    section = DigestSection(
        f"Placements ending within {ENDING_SOON_DAYS} days", empty="None ending soon."
    )
    horizon = today + dt.timedelta(days=ENDING_SOON_DAYS)
    ending = [
        p for p in placements if p.planned_end_date and today <= p.planned_end_date <= horizon
    ]
    for p in sorted(ending, key=lambda p: p.planned_end_date or today):
        section.lines.append(f"{who(p)}: ends {_d(p.planned_end_date)}")
    return section


async def _chronology(
    session: AsyncSession,
    person: Person,
    placements: list[Placement],
    detail: dict[int, bool],
    who: Who,
    now: dt.datetime,
) -> DigestSection:
    since = await last_digest_at(session, person.id, now) or now - dt.timedelta(days=1)
    section = DigestSection(
        f"New chronology entries since {since.astimezone(now.tzinfo):%a %d/%m %H:%M}",
        empty="No new entries.",
    )
    readable = {p.pupil_id: p for p in placements if detail[p.id]}
    if not readable:
        return section
    entries = await session.scalars(
        select(ChronologyEntry)
        .where(
            ChronologyEntry.pupil_id.in_(list(readable)),
            ChronologyEntry.created_at > since,
            ChronologyEntry.created_at <= now,
        )
        .order_by(ChronologyEntry.created_at, ChronologyEntry.id)
    )
    for entry in entries:
        text = entry.text if len(entry.text) <= EXCERPT else entry.text[: EXCERPT - 1] + "…"
        section.lines.append(
            f"{who(readable[entry.pupil_id])}: {entry.kind.value} from the {entry.source.value.replace('_', ' ')}"
            f" ({_d(entry.entry_date)}): {text}"
        )
    return section


async def _attendance(
    session: AsyncSession,
    placements: list[Placement],
    who: Who,
    today: dt.date,
    calendar: SchoolCalendar,
) -> DigestSection:
    """Sessions attended of sessions expected, over the school days of the last 4 weeks (today
    not included: the register may still be coming in)."""
    section = DigestSection(
        f"Attendance over the last {ATTENDANCE_WEEKS} weeks", empty="No placements."
    )
    start = today - dt.timedelta(weeks=ATTENDANCE_WEEKS)
    rows = await session.execute(
        select(AttendanceRecord.placement_id, AttendanceRecord.date, AttendanceRecord.status).where(
            AttendanceRecord.placement_id.in_([p.id for p in placements]),
            AttendanceRecord.date >= start,
            AttendanceRecord.date < today,
        )
    )
    marks: dict[int, dict[dt.date, list[AttendanceStatus]]] = {}
    for placement_id, day, status in rows:
        marks.setdefault(placement_id, {}).setdefault(day, []).append(status)
    school_days = calendar.school_days_between(start, today - dt.timedelta(days=1))
    for p in placements:
        expected = [d for d in school_days if d >= p.start_date and WEEKDAYS[d.weekday()] in p.days]
        seen = marks.get(p.id, {})
        present = sum(1 for d in expected for s in seen.get(d, []) if s != AttendanceStatus.absent)
        absent = sum(1 for d in expected for s in seen.get(d, []) if s == AttendanceStatus.absent)
        total = 2 * len(expected)
        missing = total - present - absent
        if total == 0:
            section.lines.append(f"{who(p)}: no sessions expected yet")
            continue
        line = f"{who(p)}: {present}/{total} sessions ({round(100 * present / total)}%), {absent} absent"
        if missing:
            line += f", {missing} with no report"
        section.lines.append(line)
    return section
