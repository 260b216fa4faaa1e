"""The DSL's daily digest (and the LA officer's, across the LA): one message, readable at a
glance, built as titled sections so Slack can render Block Kit, Teams an Adaptive Card and the
terminal plain text.

Need-to-know applies: a DSL sees their school's placements; an LA officer sees every placement
in the LA, but pupils placed by a school appear by reference only, without absence reasons or
chronology (those are the school DSL's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from storage.access import Action, ScopeKey, can, placements_scope, scope_key, scope_keys
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChecklistStatus,
    ChronologyEntry,
    ConcernReview,
    OutboxMessage,
    Person,
    Placement,
    PlacementStatus,
    Role,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules import checklist, codes
from storage.rules.attendance import AttendanceFigures
from storage.rules.calendar import SchoolCalendar, london_date
from storage.services.attendance_counts import read_attendance
from storage.services.chronology import SYSTEM_AUTHOR
from storage.services.chunks import among, chunk_size, chunks, one_of
from storage.services.concern_reviews import SEVERITY_WORDS
from storage.services.contacts import ContactCounts, contact_counts
from storage.services.la_view import registration_lines
from storage.services.terms import calendars_for
from storage.wording import NoticeKind
from storage.wording import digest as digest_wording

DIGEST_KIND = NoticeKind.digest
ATTENDANCE_WEEKS = 4
ENDING_SOON_DAYS = 14
# Contacts counted over the last week (the weekly contact's interval), today included.
CONTACT_DAYS = 7
EXCERPT = 140

Who = Callable[[Placement], str]


@dataclass
class DigestSection:
    """One titled part of the digest: its lines, or what to say when there are none."""

    title: str
    lines: list[str] = field(default_factory=list)
    empty: str = digest_wording.EMPTY_SECTION

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


async def last_digests(
    session: AsyncSession, person_ids: Collection[int], before: dt.datetime
) -> dict[int, dt.datetime]:
    """When each person's previous digest was due (for "new since the last digest")."""
    rows = await session.execute(
        select(OutboxMessage.recipient_id, func.max(OutboxMessage.due_at))
        .where(
            OutboxMessage.recipient_id.in_(sorted(person_ids)),
            OutboxMessage.kind == DIGEST_KIND,
            OutboxMessage.due_at < before,
        )
        .group_by(OutboxMessage.recipient_id)
    )
    return {person_id: due for person_id, due in rows if person_id is not None}


async def last_digest_at(
    session: AsyncSession, person_id: int, before: dt.datetime
) -> dt.datetime | None:
    """When this person's previous digest was due (for "new since the last digest")."""
    return (await last_digests(session, [person_id], before)).get(person_id)


@dataclass
class DigestData:
    """What the digests of several people are built from, read once for all of them: their
    active placements (by reference) and the records about those placements the digest shows,
    grouped by placement (chronology by pupil)."""

    placements: list[Placement]
    # Placement id -> the day an absence is about -> its sessions reported absent.
    absences: dict[int, dict[dt.date, list[AttendanceRecord]]]
    day_calls: dict[tuple[int, dt.date], WelfareCall]
    open_calls: dict[int, list[WelfareCall]]
    overdue: dict[int, list[ChecklistItem]]
    entries: dict[int, list[ChronologyEntry]]
    # Placement id -> its attendance over the last 4 weeks (`read_attendance`).
    attendance: dict[int, AttendanceFigures]
    last_digest: dict[int, dt.datetime]
    # Each commissioner's calendar (its term breaks): attendance counts by the pupil's school.
    calendars: dict[int, SchoolCalendar] = field(default_factory=dict)
    # Placement id -> its contacts over the last CONTACT_DAYS days, by who they were with.
    contacts: dict[int, ContactCounts] = field(default_factory=dict)
    # Placement id -> its serious concerns' reviews still to decide.
    reviews: dict[int, list[ConcernReview]] = field(default_factory=dict)
    by_scope: dict[ScopeKey, list[Placement]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_scope = {}
        for p in self.placements:
            for key in scope_keys(p):
                self.by_scope.setdefault(key, []).append(p)

    def visible_to(self, person: Person) -> list[Placement]:
        """The person's placements, as `placements_query` would give them (by reference)."""
        key = scope_key(person)
        return list(self.by_scope.get(key, [])) if key is not None else []


async def load_digest_data(
    session: AsyncSession, people: Sequence[Person], *, now: dt.datetime, days: Collection[dt.date]
) -> DigestData:
    """Read what the digests of `people` need as of `now`: their placements, then the records
    of those placements, a thousand placements a query, each through the index on its placement
    column. Absences are those REPORTED since the earliest of the people's previous digests
    (whatever day they are about); `days` is no longer used and kept for callers."""
    today = london_date(now)
    placements = list(
        (
            await session.scalars(
                select(Placement)
                .where(placements_scope(people), Placement.status == PlacementStatus.active)
                .options(lazyload(Placement.checklist), lazyload(Placement.site))
                .order_by(Placement.reference)
            )
        ).unique()
    )
    data = DigestData(
        placements=placements,
        absences={},
        day_calls={},
        open_calls={},
        overdue={},
        entries={},
        attendance={},
        last_digest=await last_digests(session, [person.id for person in people], now),
    )
    data.calendars = await calendars_for(
        session, {p.commissioner_id for p in placements}, today=today
    )
    data.contacts = await contact_counts(
        session,
        [p.id for p in placements],
        start=today - dt.timedelta(days=CONTACT_DAYS - 1),
        end=today,
    )
    since = min([now - dt.timedelta(days=1), *data.last_digest.values()])
    for ids in chunks((p.id for p in placements), chunk_size(session)):
        await _read_records(session, data, ids, today=today, since=since, now=now)
    data.attendance = await read_attendance(
        session,
        placements,
        calendars={p.id: data.calendars[p.commissioner_id] for p in placements},
        today=today,
    )
    for pupils in among(session, ChronologyEntry.pupil_id, [p.pupil_id for p in placements]):
        for entry in await session.scalars(
            select(ChronologyEntry).where(
                pupils,
                ChronologyEntry.created_at > since,
                ChronologyEntry.created_at <= now,
            )
        ):
            data.entries.setdefault(entry.pupil_id, []).append(entry)
    return data


async def _read_records(
    session: AsyncSession,
    data: DigestData,
    ids: list[int],
    *,
    today: dt.date,
    since: dt.datetime,
    now: dt.datetime,
) -> None:
    """Add the absences reported since `since`, their welfare calls, the open welfare calls
    and overdue checks of these placements."""
    days: set[dt.date] = set()
    for record in await session.scalars(
        select(AttendanceRecord)
        .where(
            one_of(session, AttendanceRecord.placement_id, ids),
            AttendanceRecord.reported_at > since,
            AttendanceRecord.reported_at <= now,
            AttendanceRecord.status == AttendanceStatus.absent,
        )
        .order_by(AttendanceRecord.placement_id, AttendanceRecord.date, AttendanceRecord.session)
    ):
        by_day = data.absences.setdefault(record.placement_id, {})
        by_day.setdefault(record.date, []).append(record)
        days.add(record.date)
    calls = select(WelfareCall).options(lazyload(WelfareCall.placement))
    if days:
        for call in await session.scalars(
            calls.where(
                one_of(session, WelfareCall.placement_id, ids),
                WelfareCall.absence_date.in_(sorted(days)),
            ).order_by(WelfareCall.id)
        ):
            data.day_calls[(call.placement_id, call.absence_date)] = call
    for call in await session.scalars(
        calls.where(
            one_of(session, WelfareCall.placement_id, ids),
            WelfareCall.status == WelfareCallStatus.open,
        )
    ):
        data.open_calls.setdefault(call.placement_id, []).append(call)
    for item in await session.scalars(
        select(ChecklistItem).where(
            one_of(session, ChecklistItem.placement_id, ids),
            ChecklistItem.status == ChecklistStatus.not_done,
            ChecklistItem.due_date < today,
        )
    ):
        data.overdue.setdefault(item.placement_id, []).append(item)
    for review in await session.scalars(
        select(ConcernReview)
        .where(one_of(session, ConcernReview.placement_id, ids), ConcernReview.decided_at.is_(None))
        .order_by(ConcernReview.raised_at, ConcernReview.id)
    ):
        data.reviews.setdefault(review.placement_id, []).append(review)


async def build_digest(
    session: AsyncSession, person: Person, *, now: dt.datetime, calendar: SchoolCalendar
) -> Digest:
    """The digest for `person` as of `now` (see `digest_from`)."""
    previous = calendar.previous_school_day(london_date(now))
    data = await load_digest_data(session, [person], now=now, days=[previous])
    return digest_from(data, person, now=now, calendar=calendar)


def digest_from(
    data: DigestData, person: Person, *, now: dt.datetime, calendar: SchoolCalendar
) -> Digest:
    """The digest for `person` as of `now`: yesterday's absences with reasons and welfare-call
    outcomes, serious concerns still to decide, welfare calls outstanding, overdue checks, QA
    visits due this week, contacts over the last week (with the provider, parents or carers and
    the pupil, counted apart), placements
    ending within 14 days, new chronology entries since their last digest, and each pupil's
    attendance over the last 4 weeks."""
    today = london_date(now)
    placements = data.visible_to(person)
    detail = {p.id: can(person, Action.read_chronology, p) for p in placements}

    def who(p: Placement) -> str:
        if detail[p.id]:
            return digest_wording.pupil_named(p.pupil.known_as, p.reference)
        return digest_wording.pupil_by_reference(p.reference, p.commissioner.name)

    org = person.organisation.name if person.organisation else digest_wording.NO_ORGANISATION
    heading = digest_wording.heading(org, today, len(placements))
    since = data.last_digest.get(person.id) or now - dt.timedelta(days=1)
    sections = [
        _absences(data, placements, detail, who, since, now),
        _reviews(data, placements, detail, who),
        _open_calls(data, placements, who),
        _overdue_checks(data, placements, who),
        _visits_this_week(placements, who, today),
        _contacts(data, placements, who),
        _ending_soon(placements, who, today),
        _chronology(data, placements, detail, who, since, now),
        _attendance(data, placements, who),
    ]
    if person.role == Role.la_officer:
        sections.append(
            DigestSection(
                title=digest_wording.REGISTRATION_TITLE,
                lines=registration_lines(placements),
                empty=digest_wording.NO_REGISTRATION,
            )
        )
    return Digest(heading=heading, sections=sections)


def _absences(
    data: DigestData,
    placements: list[Placement],
    detail: dict[int, bool],
    who: Who,
    since: dt.datetime,
    now: dt.datetime,
) -> DigestSection:
    """Absences REPORTED since the person's previous digest, whatever day they are about (an
    absence reported on Sunday for Wednesday is in Monday's digest)."""
    section = DigestSection(
        digest_wording.absences_title(since.astimezone(now.tzinfo)),
        empty=digest_wording.NO_ABSENCES,
    )
    found = [
        (p, day, [r for r in records if since < r.reported_at <= now])
        for p in placements
        for day, records in data.absences.get(p.id, {}).items()
    ]
    for p, day, records in sorted(found, key=lambda f: (f[1], f[0].id)):
        if not records:
            continue
        first = records[0]
        sessions = " and ".join(r.session.value for r in records)
        call = data.day_calls.get((p.id, day))
        if call is None:
            called = digest_wording.CALL_NONE
        elif call.status == WelfareCallStatus.done:
            called = digest_wording.call_done(call.outcome if detail[p.id] else None)
        else:
            called = digest_wording.CALL_NOT_DONE
        section.lines.append(
            digest_wording.absence(
                who(p),
                day,
                sessions,
                _code_label(first.code),
                reason=(first.reason or "") if detail[p.id] else None,
                call=called,
            )
        )
    return section


def _code_label(code: str) -> str:
    try:
        return codes.get(code).label
    except KeyError:
        return code


def _open_calls(data: DigestData, placements: list[Placement], who: Who) -> DigestSection:
    section = DigestSection(digest_wording.OPEN_CALLS_TITLE, empty=digest_wording.NO_OPEN_CALLS)
    by_id = {p.id: p for p in placements}
    calls = [call for p in placements for call in data.open_calls.get(p.id, [])]
    for call in sorted(calls, key=lambda call: (call.absence_date, call.id)):
        p = by_id[call.placement_id]
        by = (
            p.provider.name
            if call.party == WelfareCallParty.provider
            else (
                p.welfare_call_person.name
                if p.welfare_call_person
                else digest_wording.CALLER_SCHOOL
            )
        )
        section.lines.append(digest_wording.open_call(who(p), call.absence_date, by))
    return section


def _reviews(
    data: DigestData, placements: list[Placement], detail: dict[int, bool], who: Who
) -> DigestSection:
    """Serious concerns still to decide: for the safeguarding leads who decide them (an LA
    officer overseeing a school's placement does not see them: the school's DSL decides)."""
    section = DigestSection(digest_wording.REVIEWS_TITLE, empty=digest_wording.NO_REVIEWS)
    for p in placements:
        for review in data.reviews.get(p.id, []) if detail[p.id] else []:
            section.lines.append(
                digest_wording.review_waiting(
                    who(p), SEVERITY_WORDS[review.severity], review.raised_at, p.reference
                )
            )
    return section


def _overdue_checks(data: DigestData, placements: list[Placement], who: Who) -> DigestSection:
    section = DigestSection(
        digest_wording.OVERDUE_CHECKS_TITLE, empty=digest_wording.NO_OVERDUE_CHECKS
    )
    by_id = {p.id: p for p in placements}
    items = [item for p in placements for item in data.overdue.get(p.id, [])]
    for item in sorted(items, key=lambda item: (item.due_date or dt.date.min, item.id)):
        label = checklist.definition(item.key).label
        section.lines.append(
            digest_wording.overdue_check(who(by_id[item.placement_id]), label, item.due_date)
        )
    return section


def _visits_this_week(placements: list[Placement], who: Who, today: dt.date) -> DigestSection:
    section = DigestSection(digest_wording.VISITS_TITLE, empty=digest_wording.NO_VISITS)
    week_end = today + dt.timedelta(days=6 - today.weekday())
    due = [p for p in placements if p.next_qa_due is None or p.next_qa_due <= week_end]
    for p in sorted(due, key=lambda p: p.next_qa_due or dt.date.min):
        late = p.next_qa_due is None or p.next_qa_due < today
        section.lines.append(
            digest_wording.visit_due(who(p), p.provider.name, p.next_qa_due, overdue=late)
        )
    return section


def _contacts(data: DigestData, placements: list[Placement], who: Who) -> DigestSection:
    """Each placement's contacts over the last week: with the provider (the weekly contact),
    parents or carers, and the pupil, each counted on its own."""
    section = DigestSection(
        digest_wording.contacts_title(CONTACT_DAYS), empty=digest_wording.NO_PLACEMENTS
    )
    for p in placements:
        found = data.contacts.get(p.id, ContactCounts())
        section.lines.append(
            digest_wording.contacts(who(p), found.provider, found.parent_carer, found.pupil)
        )
    return section


def _ending_soon(placements: list[Placement], who: Who, today: dt.date) -> DigestSection:
    section = DigestSection(
        digest_wording.ending_title(ENDING_SOON_DAYS), empty=digest_wording.NONE_ENDING
    )
    horizon = today + dt.timedelta(days=ENDING_SOON_DAYS)
    ending = [
        p for p in placements if p.planned_end_date and today <= p.planned_end_date <= horizon
    ]
    for p in sorted(ending, key=lambda p: p.planned_end_date or today):
        section.lines.append(digest_wording.ending(who(p), p.planned_end_date))
    return section


def _chronology(
    data: DigestData,
    placements: list[Placement],
    detail: dict[int, bool],
    who: Who,
    since: dt.datetime,
    now: dt.datetime,
) -> DigestSection:
    section = DigestSection(
        digest_wording.chronology_title(since.astimezone(now.tzinfo)),
        empty=digest_wording.NO_CHRONOLOGY,
    )
    readable = {p.pupil_id: p for p in placements if detail[p.id]}
    entries = [
        entry
        for pupil_id in readable
        for entry in data.entries.get(pupil_id, [])
        if since < entry.created_at <= now
    ]
    for entry in sorted(entries, key=lambda entry: (entry.created_at, entry.id)):
        text = entry.text if len(entry.text) <= EXCERPT else entry.text[: EXCERPT - 1] + "…"
        section.lines.append(
            digest_wording.chronology_entry(
                who(readable[entry.pupil_id]),
                entry.kind.value,
                entry.source.value,
                entry.entry_date,
                text,
                by=SYSTEM_AUTHOR if entry.automatic else None,
            )
        )
    return section


def _attendance(data: DigestData, placements: list[Placement], who: Who) -> DigestSection:
    """Attendance at the provider over the last 4 weeks, by the one definition
    (`storage.rules.attendance`): the same figure as `attendance`, `status` and the reports."""
    section = DigestSection(
        digest_wording.attendance_title(ATTENDANCE_WEEKS), empty=digest_wording.NO_PLACEMENTS
    )
    for p in placements:
        found = data.attendance.get(p.id, AttendanceFigures())
        section.lines.append(digest_wording.attendance(who(p), found.text))
    return section
