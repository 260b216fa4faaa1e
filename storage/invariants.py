"""What must always be true of the records, as checks a test (or later the scheduler) can run.

Each check is an async function over a database session and the time now; it returns its
violations as plain sentences naming the placement by reference (never a pupil's name, so a
violation can be printed in a test log). `check_all` runs them all. Each check reads the records
through the same functions the product's views use (and the product's own ready-made checks in
`storage.services.lifecycle`), so a check and a view cannot drift apart.

- `mark_changes_have_history`: every change to a mark already reported (present → absent,
  one code → another) has a row in the mark-change history (`attendance_changes`), made in the
  same change.
- `same_attendance_everywhere`: every view's attendance figure for a placement is the register
  marks' figure (`storage.services.marks.attendance_rate`, what `attendance`, `status` and the
  marks CSV show, by the one definition in `storage.rules.attendance`) over the view's days:
  the digest (its data, and the figure on its line), the governors' report, the AP list and the
  pupil-record export.
- `nothing_after_end`: an ended or withdrawn placement has nothing open, sent, raised or
  written automatically after it closed (`storage.services.lifecycle.after_close`), and no
  notice was queued about it after it closed other than those a person may still cause
  (`AFTER_END_KINDS`).
- `absences_on_session_days`: no absence and no welfare call on a day the pupil had no session
  at the provider (`storage.rules.attendance.no_session_reason`: weekend, bank holiday, term
  break, not one of its days, outside the placement).
- `absences_not_ahead`: no absence reported for a day that had not come yet.
- `automatic_entries_by_system`: a chronology entry the bot wrote by itself is attributed to the
  system and says so, and a person's entry is in their name
  (`storage.services.lifecycle.misattributed_entries`); a welfare escalation the scheduler
  raised has an automatic entry.
- `checklist_counts_agree`: the governors' report counts each checklist by the one definition
  (`storage.rules.checklist.checklist_counts`: not-applicable items are neither done nor to do).
- `timetable_checked`: an active placement is full-time exactly when its hours make the
  full-time week (`storage.rules.fulltime.check_full_time`), however often its timetable was
  changed, and a part-time one has a review date; every change to a placement (`change`) was
  made while it was active.
- `part_time_within_its_terms`: a part-time timetable (C2) was agreed with a parent no later
  than it was recorded, runs from the placement's start to a time limit no later than its
  planned end, is reviewed on or before that limit while it runs, and has ended by the time
  its placement is closed (no C2, and no reminder, after that).
- `reason_duties_recorded`: the checks a placement's reason for AP brings are on its checklist
  (`storage.rules.checklist.applicable_items` with the reason), and a permanent exclusion, or a
  suspension of six school days or more, has its first day and the sixth school day recorded.

Two more are checked through the dialogs by the stateful property test (storage does not call
dialogs): `CHECKED_THROUGH_DIALOGS`.

`ENFORCED` names the checks that must hold: every one of them since issue 12's fixes. The test
suite fails a test whose records break one (`tests/conftest.py`, after every database test) and
the stateful test fails on the step that broke it. A new invariant whose fix is still to come
may be left out of `ENFORCED` for a while: the stateful test then reports it as a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    AuditEntry,
    ChronologyEntry,
    ChronologyKind,
    ConcernReview,
    OrgKind,
    OutboxMessage,
    PartTimeTimetable,
    Placement,
    PlacementChange,
    PlacementDay,
    PlacementStatus,
    ReasonForAp,
    Site,
    WelfareCall,
    WelfareEscalation,
)
from storage.rules import fulltime, reasons
from storage.rules.attendance import (
    AttendanceFigures,
    no_session_reason,
    recent_window,
)
from storage.rules.calendar import SchoolCalendar, london_date
from storage.rules.checklist import (
    REASON_CONDITIONS,
    ChecklistConditions,
    applicable_items,
    checklist_counts,
)
from storage.services.aplist import ap_list
from storage.services.chronology import AUTOMATIC_NOTE
from storage.services.digest import digest_from, load_digest_data
from storage.services.governors import (
    PlacementLine,
    build_governors_report,
    report_placements,
    term_of,
)
from storage.services.lifecycle import CLOSING_NOTICES, after_close, misattributed_entries
from storage.services.marks import attendance_rate, marks_for
from storage.services.outbox import deliverable, safeguarding_leads
from storage.services.pupil_record import pupil_record
from storage.services.terms import calendar_for

T = TypeVar("T")
Check = Callable[[AsyncSession, dt.datetime], Awaitable[list[str]]]

# Notices a person may still cause about a closed placement: the chronology outlives it, and
# the notices of its closing.
AFTER_END_KINDS = frozenset({"chronology_shared", "chronology_update"}) | CLOSING_NOTICES


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _at(instant: dt.datetime) -> str:
    return f"{instant.astimezone(LONDON):%d/%m/%Y %H:%M}"


# What several checks read, kept for one `check_all` in the session's `info` (checks only read).
CACHE = "storage.invariants"


async def _cached(session: AsyncSession, key: str, load: Callable[[], Awaitable[T]]) -> T:
    cache = session.info.get(CACHE)
    if cache is None:
        return await load()
    if key not in cache:
        cache[key] = await load()
    found: T = cache[key]
    return found


async def _placements(session: AsyncSession) -> list[Placement]:
    """Every placement past draft, with its checklist, by reference."""

    async def load() -> list[Placement]:
        rows = await session.scalars(
            select(Placement)
            .where(Placement.status != PlacementStatus.draft)
            .options(selectinload(Placement.checklist))
            .order_by(Placement.reference)
        )
        return list(rows.unique())

    return await _cached(session, "placements", load)


async def _calendar(session: AsyncSession, commissioner_id: int, since: dt.date) -> SchoolCalendar:
    """The commissioner's calendar with its breaks from `since` on (a calendar looks back only
    a few weeks from the day it is read for)."""
    return await _cached(
        session,
        f"calendar:{commissioner_id}:{since.isoformat()}",
        lambda: calendar_for(session, commissioner_id, today=since),
    )


# --- Marks and their history -------------------------------------------------------------------


async def mark_changes_have_history(session: AsyncSession, now: dt.datetime) -> list[str]:
    """Every audited change of a reported mark's status or code has its history row, made in
    the same change (same instant) with the same from and to."""
    history: dict[tuple[int, dt.datetime], list[AttendanceChange]] = {}
    for row in await session.scalars(select(AttendanceChange)):
        history.setdefault((row.attendance_id, row.changed_at), []).append(row)
    references = {p.id: p.reference for p in await _placements(session)}
    records = {r.id: r for r in await session.scalars(select(AttendanceRecord))}
    violations = []
    for entry in await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.record_type == "AttendanceRecord", AuditEntry.action == "updated")
        .order_by(AuditEntry.id)
    ):
        changed = {k: v for k, v in entry.changes.items() if k in ("status", "code")}
        if not changed:
            continue
        rows = history.get((entry.record_id, entry.at), [])
        if any(_same_change(row, changed) for row in rows):
            continue
        record = records.get(entry.record_id)
        what = ", ".join(f"{k} {v.get('from')} → {v.get('to')}" for k, v in changed.items())
        where = (
            f"{references.get(record.placement_id, '?')} {_d(record.date)} {record.session.value}"
            if record
            else f"attendance row {entry.record_id}"
        )
        violations.append(
            f"{where}: the mark changed ({what}) on {_at(entry.at)} with no row in the "
            "mark-change history"
        )
    return violations


def _same_change(row: AttendanceChange, changed: dict[str, dict[str, object]]) -> bool:
    pairs = {"status": (row.from_status, row.to_status), "code": (row.from_code, row.to_code)}
    return all(
        (diff.get("from"), diff.get("to")) == pairs[field] for field, diff in changed.items()
    )


# --- One attendance figure ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One view's attendance figures for one placement over some days; with the view's own
    words for it when they are read too (`words`: None when the view has no line for it)."""

    view: str
    placement: Placement
    figures: AttendanceFigures
    start: dt.date
    end: dt.date
    reads_words: bool = False
    words: str | None = None


async def register_figures(
    session: AsyncSession, placement: Placement, start: dt.date, end: dt.date, *, today: dt.date
) -> AttendanceFigures:
    """The register marks' figures over the days (`marks_for` and `attendance_rate`: what
    `attendance`, `status` and the marks CSV show): the one definition, as the truth."""

    async def load() -> AttendanceFigures:
        calendar = await _calendar(session, placement.commissioner_id, min(start, today))
        rows = await marks_for(
            session, [placement], start=start, end=end, today=today, calendar=calendar
        )
        return attendance_rate(rows)

    key = f"marks:{placement.id}:{start.isoformat()}:{end.isoformat()}:{today.isoformat()}"
    return await _cached(session, key, load)


async def _leads_of(session: AsyncSession, placements: list[Placement]) -> dict[int, Any]:
    """Each commissioner's first safeguarding lead (who gets its digest and report)."""
    leads = {}
    for commissioner_id in sorted({p.commissioner_id for p in placements}):
        found = await safeguarding_leads(session, commissioner_id)
        if found:
            leads[commissioner_id] = found[0]
    return leads


async def digest_figures(session: AsyncSession, now: dt.datetime) -> list[Shown]:
    """Each active placement's attendance in its commissioner's lead's digest: the figures the
    digest's own data holds (`load_digest_data`, counted by the database), and its line's
    words."""
    today = london_date(now)
    start, end = recent_window(today)
    active = [p for p in await _placements(session) if p.status == PlacementStatus.active]
    out = []
    for commissioner_id, lead in (await _leads_of(session, active)).items():
        data = await load_digest_data(session, [lead], now=now, days=[])
        calendar = await calendar_for(session, commissioner_id, today=today)
        digest = digest_from(data, lead, now=now, calendar=calendar)
        lines = [
            line
            for section in digest.sections
            if section.title.lower().startswith("attendance")
            for line in section.lines
        ]
        for p in data.visible_to(lead):
            if p.commissioner_id != commissioner_id:
                continue
            found = data.attendance[p.id]  # counted by the database (`read_attendance`)
            line = next((line for line in lines if p.reference in line), None)
            out.append(Shown("digest", p, found, start, end, reads_words=True, words=line))
    return out


async def _governors_lines(
    session: AsyncSession, now: dt.datetime
) -> list[tuple[Placement, PlacementLine]]:
    """Each placement in this term's governors' report of its commissioner's lead, with its
    line (`report_placements` gives the report's order)."""

    async def load() -> list[tuple[Placement, PlacementLine]]:
        today = london_date(now)
        term = term_of(today)
        out: list[tuple[Placement, PlacementLine]] = []
        for lead in (await _leads_of(session, await _placements(session))).values():
            try:
                report = await build_governors_report(session, person=lead, term=term, today=today)
            except ValueError:  # not a school's lead: no governors' report
                continue
            chosen = await report_placements(session, person=lead, term=term)
            out += list(zip(chosen, report.placements, strict=True))
        return out

    return await _cached(session, f"governors:{now.isoformat()}", load)


async def governors_figures(session: AsyncSession, now: dt.datetime) -> list[Shown]:
    """Each placement's attendance in this term's governors' report (the term so far, within
    the placement)."""
    today = london_date(now)
    term = term_of(today)
    return [
        Shown(
            "governors' report",
            p,
            line.attendance,
            max(term.start, p.start_date),
            min(term.end, today, p.ended_on or term.end),
        )
        for p, line in await _governors_lines(session, now)
    ]


async def ap_list_figures(session: AsyncSession, now: dt.datetime) -> list[Shown]:
    """Each active placement's attendance in its commissioner's AP list (the last 4 weeks)."""
    today = london_date(now)
    start, end = recent_window(today)
    active = [p for p in await _placements(session) if p.status == PlacementStatus.active]
    out = []
    for commissioner_id in sorted({p.commissioner_id for p in active}):
        for provider in await ap_list(session, commissioner_id, today=today):
            for pupil in provider.pupils:
                if pupil.attendance is not None:
                    out.append(Shown("AP list", pupil.placement, pupil.attendance, start, end))
    return out


def _exported(figures: dict[str, Any]) -> AttendanceFigures:
    """The pupil-record export's attendance figures, back as figures (its "not counted" adds
    the not-possible sessions to those not counted)."""
    return AttendanceFigures(
        attended=figures["attended"],
        authorised=figures["authorised_absence"],
        unauthorised=figures["unauthorised_absence"],
        no_report=figures["no_report"],
        not_counted=figures["not_counted"],
    )


async def pupil_record_figures(session: AsyncSession, now: dt.datetime) -> list[Shown]:
    """Each placement's attendance in the export of its pupil's record (its whole length)."""
    today = london_date(now)
    placements = await _placements(session)
    by_reference = {p.reference: p for p in placements}
    out = []
    for pupil_id, commissioner_id in sorted({(p.pupil_id, p.commissioner_id) for p in placements}):
        record = await pupil_record(
            session, pupil_id=pupil_id, commissioner_id=commissioner_id, today=today
        )
        for exported in record["placements"]:
            p = by_reference.get(exported["reference"])
            figures = exported.get("attendance_figures")
            if p is None or figures is None:
                continue
            shown = _exported(figures)
            if shown.percent != figures["percent"]:
                shown = AttendanceFigures(not_possible=-1)  # says a figure its counts don't give
            out.append(Shown("pupil-record export", p, shown, p.start_date, p.ended_on or today))
    return out


def _counts(figures: AttendanceFigures) -> tuple[int, ...]:
    return (
        figures.attended,
        figures.authorised,
        figures.unauthorised,
        figures.no_report,
        figures.not_possible + figures.not_counted,
    )


def disagreement(shown: Shown, truth: AttendanceFigures) -> str | None:
    """A sentence when the view's figures are not the register marks' over the same days, or
    its words do not show the marks' figure (never a pupil's name: the placement's reference)."""
    reference = shown.placement.reference
    span = f"{_d(shown.start)}–{_d(shown.end)}"
    if _counts(shown.figures) != _counts(truth):
        return (
            f"{reference}: the {shown.view} says {shown.figures.text} for {span}, the register "
            f"marks say {truth.text}"
        )
    if shown.reads_words and shown.words is None:
        return f"{reference}: the {shown.view} has no attendance line for it ({span})"
    if shown.reads_words and truth.percent_text not in (shown.words or ""):
        return (
            f"{reference}: the {shown.view}'s attendance line does not show the register marks' "
            f"figure {truth.percent_text} ({span})"
        )
    return None


async def same_attendance_everywhere(session: AsyncSession, now: dt.datetime) -> list[str]:
    """The digest, the governors' report, the AP list and the pupil-record export show the
    register marks' figures (the `attendance` view and `status` are the marks themselves, and
    are read through the chat by the stateful test)."""
    today = london_date(now)
    violations = []
    for shown in [
        *await digest_figures(session, now),
        *await governors_figures(session, now),
        *await ap_list_figures(session, now),
        *await pupil_record_figures(session, now),
    ]:
        truth = await register_figures(
            session, shown.placement, shown.start, shown.end, today=today
        )
        found = disagreement(shown, truth)
        if found:
            violations.append(found)
    return violations


# --- Nothing owed about a closed placement -----------------------------------------------------


async def nothing_after_end(session: AsyncSession, now: dt.datetime) -> list[str]:
    """An ended or withdrawn placement has nothing open, sent, raised or written automatically
    after it closed (`lifecycle.after_close`), and no notice was queued about it after it
    closed but those a person may still cause (`AFTER_END_KINDS`)."""
    violations = list(await after_close(session))
    for p in await _placements(session):
        if not p.status.is_closed or p.closed_at is None:
            continue  # after_close says so when closed_at is missing
        # A placement recorded after the fact (ended before it was entered, as the demo's
        # history is) owes nothing after its end; what its creation queued is not "after".
        closed_at = max(p.closed_at, p.created_at)
        for message in await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.placement_id == p.id,
                OutboxMessage.created_at > closed_at,
                # A reminder prepared ahead is not queued until released (it is withdrawn
                # then if the placement ended meanwhile).
                deliverable(),
            )
            .order_by(OutboxMessage.id)
        ):
            if message.kind not in AFTER_END_KINDS:
                violations.append(
                    f"{p.reference}: a {message.kind} notice was queued on "
                    f"{_at(message.created_at)}, after the placement was {p.status.value} "
                    f"({_at(closed_at)})"
                )
    return violations


# --- Absences only on days with a session ------------------------------------------------------


async def absences_on_session_days(session: AsyncSession, now: dt.datetime) -> list[str]:
    """No absence and no welfare call on a day without a session at the provider (by the one
    definition, `storage.rules.attendance.no_session_reason`)."""
    today = london_date(now)
    violations = []
    placements = {p.id: p for p in await _placements(session)}
    absences = await session.scalars(
        select(AttendanceRecord)
        .where(AttendanceRecord.status == AttendanceStatus.absent)
        .order_by(AttendanceRecord.date, AttendanceRecord.id)
    )
    calls = await session.scalars(select(WelfareCall).order_by(WelfareCall.absence_date))
    days = [(r.placement_id, r.date, f"an absence ({r.session.value}, {r.code})") for r in absences]
    days += [(c.placement_id, c.absence_date, "a welfare call") for c in calls.unique()]
    for placement_id, day, what in days:
        p = placements.get(placement_id)
        if p is None:
            continue
        calendar = await _calendar(session, p.commissioner_id, min(p.start_date, today))
        why = no_session_reason(p, day, calendar)
        if why:
            violations.append(f"{p.reference}: {what} on {day:%a} {_d(day)}, but {why}")
    return violations


async def absences_not_ahead(session: AsyncSession, now: dt.datetime) -> list[str]:
    """No absence reported for a day that had not come yet when it was reported."""
    references = {p.id: p.reference for p in await _placements(session)}
    violations = []
    for record in await session.scalars(
        select(AttendanceRecord).where(AttendanceRecord.status == AttendanceStatus.absent)
    ):
        reported = london_date(record.reported_at)
        if record.date > reported:
            violations.append(
                f"{references.get(record.placement_id, '?')}: an absence for "
                f"{record.date:%a} {_d(record.date)} was reported on {_d(reported)}, before "
                "that day"
            )
    return violations


# --- Automatic entries are the system's --------------------------------------------------------


async def automatic_entries_by_system(session: AsyncSession, now: dt.datetime) -> list[str]:
    """Every chronology entry's author matches its words (`lifecycle.misattributed_entries`:
    one AP Safeguard wrote says so and is in no person's name; a person's is in theirs), and a
    welfare escalation the scheduler raised (no person raised it) has an automatic entry."""
    references = {p.id: p.reference for p in await _placements(session)}

    def where(entry: ChronologyEntry) -> str:
        return references.get(entry.placement_id or 0, f"pupil {entry.pupil_id}")

    violations = []
    for entry_id in await misattributed_entries(session):
        entry = await session.get(ChronologyEntry, entry_id)
        if entry is None:
            continue
        if entry.recorded_by_id is None:
            violations.append(
                f"{where(entry)}: the chronology entry of {_d(entry.entry_date)} is in no "
                f"person's name but does not say it was recorded automatically "
                f"({AUTOMATIC_NOTE.strip()!r})"
            )
        else:
            violations.append(
                f"{where(entry)}: the automatic chronology entry of {_d(entry.entry_date)} is "
                f"recorded as written by person {entry.recorded_by_id}, not by the system"
            )
    for escalation in await session.scalars(
        select(WelfareEscalation).where(
            WelfareEscalation.raised_by_id.is_(None),
            WelfareEscalation.chronology_entry_id.is_not(None),
        )
    ):
        entry = await session.get(ChronologyEntry, escalation.chronology_entry_id)
        if entry is not None and not entry.automatic:
            violations.append(
                f"{where(entry)}: the scheduler's welfare escalation "
                f"({escalation.reason.value}) has a chronology entry in person "
                f"{entry.recorded_by_id}'s name, not the system's"
            )
    return violations


# --- A serious concern is decided, on the record ----------------------------------------------


async def concern_decisions_recorded(session: AsyncSession, now: dt.datetime) -> list[str]:
    """Every "review this placement now" comes from a concern in its placement's chronology,
    none was raised after its placement closed, and a decided one says what was decided, by
    whom, in an action entry of the same placement's chronology."""
    references = {p.id: p for p in await _placements(session)}
    violations = []
    for review in await session.scalars(select(ConcernReview).order_by(ConcernReview.id)):
        placement = references.get(review.placement_id)
        where = placement.reference if placement else f"placement {review.placement_id}"
        concern = await session.get(ChronologyEntry, review.chronology_entry_id)
        if (
            concern is None
            or concern.kind != ChronologyKind.concern
            or concern.placement_id != review.placement_id
        ):
            violations.append(f"{where}: review {review.id} is not raised by a concern of its own")
        if placement and placement.closed_at and review.raised_at > placement.closed_at:
            violations.append(f"{where}: review {review.id} raised {_at(review.raised_at)}, "
                              "after the placement closed")  # fmt: skip
        if review.decided_at is None:
            continue
        entry = (
            await session.get(ChronologyEntry, review.decision_entry_id)
            if review.decision_entry_id
            else None
        )
        if (
            review.decision is None
            or review.decided_by_id is None
            or entry is None
            or entry.kind != ChronologyKind.action
            or entry.placement_id != review.placement_id
        ):
            violations.append(
                f"{where}: review {review.id} decided {_at(review.decided_at)} without its "
                "decision, its decider or its chronology entry"
            )
    return violations


# --- One checklist count -----------------------------------------------------------------------


async def checklist_counts_agree(session: AsyncSession, now: dt.datetime) -> list[str]:
    """The governors' report counts each placement's checklist by the one definition
    (`checklist_counts`), and lists as missing exactly the items to do."""
    violations = []
    for p, line in await _governors_lines(session, now):
        counts = checklist_counts(i.status for i in p.checklist)
        said = (line.checklist_done, line.checklist_total, len(line.missing))
        if said != (counts.done, counts.applicable, counts.to_do):
            violations.append(
                f"{p.reference}: the governors' report counts the checklist as "
                f"{said[0]} done of {said[1]}, {said[2]} missing; the items say "
                f"{counts.done} done of {counts.applicable}, {counts.to_do} to do "
                f"({counts.not_applicable} not applicable)"
            )
    return violations


# --- A changed timetable is checked again ------------------------------------------------------


async def timetable_checked(session: AsyncSession, now: dt.datetime) -> list[str]:
    """An active placement's full-time flag is the full-time check of its hours, a part-time
    one has a review date, and no change was made to a placement after it closed."""
    violations = []
    placements = await _placements(session)
    for p in placements:
        if p.status != PlacementStatus.active:
            continue
        check = fulltime.check_full_time(
            provider_hours=p.provider_hours,
            school_hours=p.school_hours,
            other_hours=p.other_hours,
            full_time_hours=p.full_time_hours,
        )
        if check.is_full_time != p.is_full_time:
            violations.append(
                f"{p.reference}: stored as {'full' if p.is_full_time else 'part'}-time, but its "
                f"hours say: {check.summary}"
            )
        if not p.is_full_time and p.review_date is None:
            violations.append(f"{p.reference}: a part-time timetable with no review date")
    by_id = {p.id: p for p in placements}
    for change in await session.scalars(select(PlacementChange).order_by(PlacementChange.id)):
        placement = by_id.get(change.placement_id)
        if placement and placement.closed_at and change.changed_at > placement.closed_at:
            violations.append(
                f"{placement.reference}: its {change.kind.value} changed {_at(change.changed_at)}, "
                "after it closed"
            )
    return violations


# --- Where the pupil is -------------------------------------------------------------------------


async def days_at_the_providers_sites(session: AsyncSession, now: dt.datetime) -> list[str]:
    """A placement's week names only its own provider's sites (`where` gives that address)."""
    rows = await session.execute(
        select(Placement.reference, PlacementDay.weekday, Site.name)
        .join(Placement, Placement.id == PlacementDay.placement_id)
        .join(Site, Site.id == PlacementDay.site_id)
        .where(Site.provider_id != Placement.provider_id)
        .order_by(Placement.reference, PlacementDay.weekday)
    )
    return [
        f"{reference}: on {weekday} the week names {site}, a site of another provider"
        for reference, weekday, site in rows
    ]


# --- Part-time timetables ---------------------------------------------------------------------


async def part_time_within_its_terms(session: AsyncSession, now: dt.datetime) -> list[str]:
    """Every part-time timetable keeps the terms the regulations allow it (see the module
    docstring)."""
    violations = []
    rows = await session.execute(
        select(PartTimeTimetable, Placement).join(
            Placement, Placement.id == PartTimeTimetable.placement_id
        )
    )
    for timetable, p in rows.all():
        recorded = timetable.created_at.astimezone(LONDON).date()
        if timetable.parent_agreed_on > recorded:
            violations.append(
                f"{p.reference}: part-time timetable recorded on {_d(recorded)} with a parent's "
                f"agreement dated later ({_d(timetable.parent_agreed_on)})"
            )
        if timetable.starts_on < p.start_date or timetable.ends_on < timetable.starts_on:
            violations.append(
                f"{p.reference}: part-time timetable from {_d(timetable.starts_on)} to "
                f"{_d(timetable.ends_on)} is outside the placement (from {_d(p.start_date)})"
            )
        if p.planned_end_date is not None and timetable.ends_on > p.planned_end_date:
            violations.append(
                f"{p.reference}: part-time time limit {_d(timetable.ends_on)} is after the "
                f"planned end {_d(p.planned_end_date)}"
            )
        if timetable.ended_on is None and timetable.review_date > timetable.ends_on:
            violations.append(
                f"{p.reference}: part-time timetable reviewed {_d(timetable.review_date)}, after "
                f"its time limit {_d(timetable.ends_on)}"
            )
        if p.status.is_closed and timetable.ended_on is None:
            violations.append(
                f"{p.reference} {p.status.closed_phrase} but its part-time timetable has not ended"
            )
    return violations


# --- Why the pupil is in AP ---------------------------------------------------------------------


async def reason_duties_recorded(session: AsyncSession, now: dt.datetime) -> list[str]:
    """Each reason's checks are on the checklist, and the sixth school day where one is due."""
    violations = []
    for p in await _placements(session):
        if p.reason is None:  # started before the bot asked
            continue
        facts = ChecklistConditions(
            fsm_eligible=False,
            commissioner_is_school=p.commissioner.kind == OrgKind.school,
            other_providers_involved=False,
            reason=p.reason.value,
        )
        wanted = {item.key for item in applicable_items(facts) if item.applies in REASON_CONDITIONS}
        missing = wanted - {item.key for item in p.checklist}
        if missing:
            violations.append(
                f"{p.reference}: placed for {p.reason.value} without the check(s) "
                f"{', '.join(sorted(missing))}"
            )
        needs_day = p.reason == ReasonForAp.permanent_exclusion or (
            p.reason == ReasonForAp.suspension and (p.suspension_days or 0) >= reasons.SIXTH_DAY
        )
        if needs_day and (p.reason_first_day is None or p.full_time_education_from is None):
            violations.append(
                f"{p.reference}: placed for {p.reason.value} without its first day and the "
                "sixth school day"
            )
    return violations


# --- All of them -------------------------------------------------------------------------------

INVARIANTS: dict[str, Check] = {
    "mark_changes_have_history": mark_changes_have_history,
    "same_attendance_everywhere": same_attendance_everywhere,
    "nothing_after_end": nothing_after_end,
    "absences_on_session_days": absences_on_session_days,
    "absences_not_ahead": absences_not_ahead,
    "automatic_entries_by_system": automatic_entries_by_system,
    "concern_decisions_recorded": concern_decisions_recorded,
    "checklist_counts_agree": checklist_counts_agree,
    "part_time_within_its_terms": part_time_within_its_terms,
    "timetable_checked": timetable_checked,
    "days_at_the_providers_sites": days_at_the_providers_sites,
    "reason_duties_recorded": reason_duties_recorded,
}

# Checks only a dialog can make (storage does not call dialogs): the stateful property test
# (tests/properties/test_school_days.py) reads `status`, `attendance` and the check's save
# message and compares them with the one definition of each figure, under these names.
CHECKED_THROUGH_DIALOGS = (
    # `status AP-XXXX`'s "Attendance at the provider, last 4 weeks" line and `attendance
    # AP-XXXX`'s figures = the register marks' (`register_figures`) over the last 4 weeks.
    "attendance_in_dialogs",
    # `status AP-XXXX`'s checklist line and the check's remaining count = `checklist_counts`.
    "checklist_counts_in_dialogs",
)

# The checks that must hold: all of them since issue 12's fixes were merged. A test that breaks
# one fails (tests/conftest.py, after every database test; the stateful test, after every step).
ENFORCED: frozenset[str] = frozenset({*INVARIANTS, *CHECKED_THROUGH_DIALOGS})


@dataclass(frozen=True)
class Violation:
    """One thing wrong, and which invariant says so."""

    invariant: str
    text: str

    @property
    def enforced(self) -> bool:
        return self.invariant in ENFORCED

    def __str__(self) -> str:
        return f"[{self.invariant}] {self.text}"


async def check_all(
    session: AsyncSession, now: dt.datetime, *, only: Collection[str] | None = None
) -> list[Violation]:
    """Run every invariant (or those named in `only`) and return what is wrong. Only reads
    (what several checks need is read once)."""
    found: list[Violation] = []
    session.info[CACHE] = {}
    try:
        for name, check in INVARIANTS.items():
            if only is not None and name not in only:
                continue
            found += [Violation(name, text) for text in await check(session, now)]
    finally:
        session.info.pop(CACHE, None)
    return found
