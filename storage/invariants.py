"""What must always be true of the records, as checks a test (or later the scheduler) can run.

Each check is an async function over a database session and the time now; it returns its
violations as plain sentences naming the placement by reference (never a pupil's name, so a
violation can be printed in a test log). `check_all` runs them all.

- `mark_changes_have_history`: every change to a mark already reported (present → absent,
  one code → another) has a row in the mark-change history (`attendance_changes`).
- `same_attendance_everywhere`: the figure in the digest and in the governors' report is the
  register marks' figure (`storage.services.marks.attendance_rate`, what `attendance` and the
  marks CSV show) over the same days.
- `nothing_after_end`: an ended (or withdrawn) placement has no open welfare call, and nothing
  was queued, nudged or escalated about it after it ended.
- `absences_on_session_days`: no absence and no welfare call on a day the pupil had no session
  at the provider (weekend, bank holiday, term break, not one of its days, outside the placement).
- `absences_not_ahead`: no absence reported for a day that had not come yet.
- `automatic_entries_by_system`: a chronology entry the bot wrote by itself is attributed to the
  system, never to a person.
- `checklist_counts_agree`: the governors' report counts the checklist as the records say
  (not-applicable items are neither done nor to do).

`ENFORCED` names the checks that hold on today's code; the test suite fails a test that breaks
one of those. The others are run and reported by the stateful property test without failing it,
until the fix behind each is merged: then add its name to `ENFORCED` (one line).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    AuditEntry,
    ChecklistStatus,
    ChronologyEntry,
    OutboxMessage,
    Person,
    Placement,
    PlacementStatus,
    Role,
    WelfareCall,
    WelfareCallStatus,
    WelfareEscalation,
)
from storage.rules.calendar import SchoolCalendar, london_date
from storage.services.digest import ATTENDANCE_WEEKS, build_digest
from storage.services.governors import (
    PlacementLine,
    _order_key,
    build_governors_report,
    term_of,
)
from storage.services.marks import attendance_rate, marks_for
from storage.services.outbox import safeguarding_leads
from storage.services.terms import calendar_for

T = TypeVar("T")
Check = Callable[[AsyncSession, dt.datetime], Awaitable[list[str]]]

# Placement statuses after which nothing more is owed (`withdrawn` once that exists).
CLOSED_STATUSES = frozenset({"ended", "withdrawn"})
# Notices a person may still cause about a closed placement: the chronology outlives it.
AFTER_END_KINDS = frozenset({"chronology_shared", "chronology_update", "placement_ended"})
# People who act for an organisation: an automatic entry must never carry one of them.
STAFF_ROLES = frozenset({Role.teacher, Role.dsl, Role.provider, Role.la_officer})
AUTOMATIC_MARK = "Recorded automatically"


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


def _closed(placement: Placement) -> bool:
    return placement.status.value in CLOSED_STATUSES


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
class Figure:
    """One view's attendance figure for one placement over some days (None: nothing expected)."""

    view: str
    percent: float | None
    start: dt.date
    end: dt.date


async def _marks_figure(
    session: AsyncSession,
    placement: Placement,
    start: dt.date,
    end: dt.date,
    *,
    today: dt.date,
    calendar: SchoolCalendar,
) -> tuple[int, int]:
    """(attended, possible) by the register marks over the days: the one definition."""
    rows = await marks_for(
        session, [placement], start=start, end=end, today=today, calendar=calendar
    )
    rate = attendance_rate(rows)
    return rate.attended, rate.possible


PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def _digest_percent(lines: Sequence[str], reference: str) -> float | None:
    """The percentage on the placement's line of the digest's attendance section (None when
    it says nothing is expected; -1 when the digest has no line for it, never a real figure)."""
    for line in lines:
        if reference in line:
            found = PERCENT.search(line)
            return float(found[1]) if found else None
    return -1.0


async def digest_figures(
    session: AsyncSession, now: dt.datetime, placements: Sequence[Placement]
) -> list[tuple[Placement, Figure, tuple[int, int]]]:
    """Each active placement's figure in its commissioner's lead's digest, with the marks'
    (attended, possible) over the same days (the last 4 weeks, today left out)."""
    today = london_date(now)
    start, end = today - dt.timedelta(weeks=ATTENDANCE_WEEKS), today - dt.timedelta(days=1)
    out = []
    by_commissioner: dict[int, list[Placement]] = {}
    for p in placements:
        if p.status == PlacementStatus.active:
            by_commissioner.setdefault(p.commissioner_id, []).append(p)
    for commissioner_id, theirs in by_commissioner.items():
        leads = await safeguarding_leads(session, commissioner_id)
        if not leads:
            continue
        calendar = await calendar_for(session, commissioner_id, today=today)
        digest = await build_digest(session, leads[0], now=now, calendar=calendar)
        section = next(s for s in digest.sections if s.title.startswith("Attendance"))
        for p in theirs:
            percent = _digest_percent(section.lines, p.reference)
            counts = await _marks_figure(session, p, start, end, today=today, calendar=calendar)
            out.append((p, Figure("digest", percent, start, end), counts))
    return out


async def _governors_lines(
    session: AsyncSession, now: dt.datetime, placements: Sequence[Placement]
) -> list[tuple[Placement, PlacementLine]]:
    """Each placement's line in this term's governors' report of its commissioner (the report
    is anonymised, P1, P2..., in an order of its own: matched by that order)."""

    async def load() -> list[tuple[Placement, PlacementLine]]:
        today = london_date(now)
        term = term_of(today)
        by_commissioner: dict[int, list[Placement]] = {}
        for p in placements:
            # The report's own choice of placements (see `build_governors_report`).
            if p.start_date <= term.end and (p.ended_on is None or p.ended_on >= term.start):
                by_commissioner.setdefault(p.commissioner_id, []).append(p)
        out = []
        for commissioner_id, theirs in by_commissioner.items():
            leads = await safeguarding_leads(session, commissioner_id)
            if not leads:
                continue
            report = await build_governors_report(session, person=leads[0], term=term, today=today)
            ordered = sorted(theirs, key=lambda p: _order_key(p, term))
            assert len(ordered) == len(report.placements), "the report chose other placements"
            out += list(zip(ordered, report.placements, strict=True))
        return out

    return await _cached(session, f"governors:{now.isoformat()}", load)


async def governors_figures(
    session: AsyncSession, now: dt.datetime, placements: Sequence[Placement]
) -> list[tuple[Placement, Figure, tuple[int, int]]]:
    """Each placement's figure in this term's governors' report, with the marks' (attended,
    possible) over the same days (the term so far, within the placement)."""
    today = london_date(now)
    term = term_of(today)
    out = []
    for p, line in await _governors_lines(session, now, placements):
        calendar = await calendar_for(session, p.commissioner_id, today=today)
        start = max(term.start, p.start_date)
        end = min(term.end, today, p.ended_on or term.end)
        counts = await _marks_figure(session, p, start, end, today=today, calendar=calendar)
        out.append((p, Figure("governors' report", line.attendance_pct, start, end), counts))
    return out


def disagreement(figure: Figure, counts: tuple[int, int], reference: str) -> str | None:
    """A sentence when the view's figure is not the marks' figure over the same days (compared
    at the view's own precision: whole numbers for the digest)."""
    attended, possible = counts
    whole = figure.percent is None or float(figure.percent).is_integer()
    expected = (
        None
        if possible == 0
        else round(100 * attended / possible)
        if whole
        else round(100 * attended / possible, 1)
    )
    if figure.percent == expected or (
        figure.percent is not None
        and expected is not None
        and abs(figure.percent - expected) < 0.051
    ):
        return None
    said = (
        "nothing expected"
        if figure.percent is None
        else "nothing (it has no line for it)"
        if figure.percent < 0
        else f"{figure.percent:g}%"
    )
    marks = (
        "nothing expected"
        if possible == 0
        else f"{100 * attended / possible:.1f}% ({attended} of {possible} sessions)"
    )
    return (
        f"{reference}: the {figure.view} says {said} for {_d(figure.start)}–{_d(figure.end)}, "
        f"the register marks say {marks}"
    )


async def same_attendance_everywhere(session: AsyncSession, now: dt.datetime) -> list[str]:
    """The digest and the governors' report show the register marks' figure (the `attendance`
    view and the marks CSV are the marks themselves)."""
    placements = await _placements(session)
    violations = []
    for p, figure, counts in [
        *await digest_figures(session, now, placements),
        *await governors_figures(session, now, placements),
    ]:
        found = disagreement(figure, counts, p.reference)
        if found:
            violations.append(found)
    return violations


# --- Nothing owed about an ended placement -----------------------------------------------------


async def _closed_at(session: AsyncSession, placement: Placement) -> dt.datetime:
    """When the placement was ended (or withdrawn) in the records: the audited change of its
    status, else the end of its last day."""
    for entry in await session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.record_type == "Placement",
            AuditEntry.record_id == placement.id,
            AuditEntry.action == "updated",
        )
        .order_by(AuditEntry.id)
    ):
        status = entry.changes.get("status")
        if isinstance(status, dict) and status.get("to") in CLOSED_STATUSES:
            return entry.at
    last = placement.ended_on or placement.start_date
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON)


async def nothing_after_end(session: AsyncSession, now: dt.datetime) -> list[str]:
    """An ended placement has no open welfare call, and no nudge, alert or escalation about it
    was queued after it ended."""
    violations = []
    for p in await _placements(session):
        if not _closed(p):
            continue
        # A placement recorded after the fact (ended before it was entered, as the demo's
        # history is) owes nothing after its end; what its creation queued is not "after".
        closed_at = max(await _closed_at(session, p), p.created_at)
        for call in await session.scalars(
            select(WelfareCall).where(
                WelfareCall.placement_id == p.id, WelfareCall.status == WelfareCallStatus.open
            )
        ):
            violations.append(
                f"{p.reference} is {p.status.value} but its welfare call for "
                f"{_d(call.absence_date)} is still open"
            )
        for message in await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.placement_id == p.id, OutboxMessage.created_at > closed_at)
            .order_by(OutboxMessage.id)
        ):
            if message.kind not in AFTER_END_KINDS:
                violations.append(
                    f"{p.reference}: a {message.kind} notice was queued on "
                    f"{_at(message.created_at)}, after the placement was {p.status.value} "
                    f"({_at(closed_at)})"
                )
        for escalation in await session.scalars(
            select(WelfareEscalation).where(
                WelfareEscalation.placement_id == p.id, WelfareEscalation.raised_at > closed_at
            )
        ):
            violations.append(
                f"{p.reference}: a welfare call was escalated ({escalation.reason.value}) on "
                f"{_at(escalation.raised_at)}, after the placement was {p.status.value}"
            )
    return violations


# --- Absences only on days with a session ------------------------------------------------------


def no_session(placement: Placement, day: dt.date, calendar: SchoolCalendar) -> str | None:
    """Why the pupil had no session at the provider on `day`, or None if they had one."""
    if day < placement.start_date:
        return f"before the placement started ({_d(placement.start_date)})"
    if placement.ended_on is not None and day > placement.ended_on:
        return f"after the placement ended ({_d(placement.ended_on)})"
    closed = calendar.reason_closed(day)
    if closed is not None:
        return f"no school that day ({closed})"
    if f"{day:%a}".lower() not in placement.days:
        return f"not one of the pupil's days at the provider ({', '.join(placement.days)})"
    return None


async def absences_on_session_days(session: AsyncSession, now: dt.datetime) -> list[str]:
    """No absence and no welfare call on a day without a session at the provider."""
    today = london_date(now)
    calendars: dict[int, SchoolCalendar] = {}
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
        if p.commissioner_id not in calendars:
            calendars[p.commissioner_id] = await calendar_for(
                session, p.commissioner_id, today=today
            )
        why = no_session(p, day, calendars[p.commissioner_id])
        if why:
            violations.append(f"{p.reference}: {what} on {day:%a} {_d(day)}, {why}")
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
    """A chronology entry the bot wrote by itself (a welfare escalation the scheduler raised,
    or any entry saying it was recorded automatically) is never attributed to a person."""
    automatic: dict[int, str] = {}
    for escalation in await session.scalars(
        select(WelfareEscalation).where(
            WelfareEscalation.raised_by_id.is_(None),
            WelfareEscalation.chronology_entry_id.is_not(None),
        )
    ):
        assert escalation.chronology_entry_id is not None
        automatic[escalation.chronology_entry_id] = f"welfare escalation, {escalation.reason.value}"
    entries = {e.id: e for e in await session.scalars(select(ChronologyEntry))}
    for entry_id, said in entries.items():
        if said.text.startswith(AUTOMATIC_MARK):
            automatic.setdefault(entry_id, "says it was recorded automatically")
    references = {p.id: p.reference for p in await _placements(session)}
    violations = []
    for entry_id, why in sorted(automatic.items()):
        found = entries.get(entry_id)
        if found is None:
            continue
        entry = found
        recorder_id: int | None = entry.recorded_by_id
        recorder = await session.get(Person, recorder_id) if recorder_id is not None else None
        if recorder is not None and recorder.role in STAFF_ROLES:
            violations.append(
                f"{references.get(entry.placement_id or 0, 'pupil ' + str(entry.pupil_id))}: "
                f"the automatic chronology entry of {_d(entry.entry_date)} ({why}) is recorded "
                f"as written by a {recorder.role.value} (person {recorder.id}), not by the system"
            )
    return violations


# --- One checklist count -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistCounts:
    """The one definition: not-applicable items are neither done nor to do."""

    done: int
    to_do: int
    not_applicable: int

    @property
    def applicable(self) -> int:
        return self.done + self.to_do


def checklist_counts(statuses: Collection[ChecklistStatus]) -> ChecklistCounts:
    """Counts of a placement's checklist items by the one definition."""
    return ChecklistCounts(
        done=sum(s == ChecklistStatus.done for s in statuses),
        to_do=sum(s == ChecklistStatus.not_done for s in statuses),
        not_applicable=sum(s == ChecklistStatus.not_applicable for s in statuses),
    )


async def checklist_counts_agree(session: AsyncSession, now: dt.datetime) -> list[str]:
    """The governors' report counts each placement's checklist as its items say."""
    violations = []
    for p, line in await _governors_lines(session, now, await _placements(session)):
        counts = checklist_counts([i.status for i in p.checklist])
        said = (line.checklist_done, line.checklist_total, len(line.missing))
        if said != (counts.done, counts.applicable, counts.to_do):
            violations.append(
                f"{p.reference}: the governors' report counts the checklist as "
                f"{said[0]} done of {said[1]}, {said[2]} to do; the items say "
                f"{counts.done} done of {counts.applicable}, {counts.to_do} to do "
                f"({counts.not_applicable} not applicable)"
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
    "checklist_counts_agree": checklist_counts_agree,
}

# Checks only a dialog can make (storage does not call dialogs): the stateful property test
# (tests/properties/test_school_days.py) reads `status` and the check's save message and
# compares them with the one definition of each figure, under these names.
CHECKED_THROUGH_DIALOGS = (
    # `status AP-XXXX`'s absent sessions in the last 4 weeks = the register marks' absences;
    # `attendance AP-XXXX`'s percentage = the marks' over its weeks.
    "attendance_in_dialogs",
    # `status AP-XXXX`'s checklist line and the check's "N still to do" = `checklist_counts`.
    "checklist_counts_in_dialogs",
)

# The checks that hold on today's code: a test that breaks one of these fails. Add a name when
# the fix behind it is merged (issue 12): each of the others has a strict-xfail example in
# tests/storage/test_invariants.py that starts passing then.
ENFORCED: frozenset[str] = frozenset(
    {
        "checklist_counts_agree",
    }
)


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
