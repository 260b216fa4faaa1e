"""The governors' report: each AP placement of a school over a term, anonymised.

Pupils appear only as P1, P2, ... in an order that follows neither names nor dates. No name,
UPN, date of birth, year group, flag or free text leaves this module; dates are shown as months.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.access import Action, can
from storage.clock import LONDON
from storage.models import (
    AttendanceRecord,
    ChecklistStatus,
    ObjectiveProgress,
    Organisation,
    Person,
    Placement,
    PlacementChange,
    PlacementStatus,
    QaVisit,
    ReasonForAp,
)
from storage.rules import attendance, cadence, checklist
from storage.rules.attendance import AttendanceFigures
from storage.services.contacts import ContactCounts, contact_counts
from storage.services.marks import report_of
from storage.services.placement_changes import CHANGE_LABELS, current_objectives, latest_progress
from storage.services.terms import calendar_for

SEASONS = ("autumn", "spring", "summer")
# The reason of a placement started before the bot asked why the pupil is in AP.
NOT_RECORDED = "Reason not recorded"
# The report's groups, in this order.
REASON_ORDER = [reason.label for reason in ReasonForAp] + [NOT_RECORDED]
# The range of years a report can be asked for (AP records do not go back further).
FIRST_YEAR = 2000
YEARS_AHEAD = 2


@dataclass(frozen=True)
class Term:
    """A school term by its usual months: autumn Sep–Dec, spring Jan–Mar, summer Apr–Aug."""

    season: str
    year: int

    @property
    def name(self) -> str:
        return f"{self.season.capitalize()} term {self.year}"

    @property
    def start(self) -> dt.date:
        month = {"autumn": 9, "spring": 1, "summer": 4}[self.season]
        return dt.date(self.year, month, 1)

    @property
    def end(self) -> dt.date:
        month, day = {"autumn": (12, 31), "spring": (3, 31), "summer": (8, 31)}[self.season]
        return dt.date(self.year, month, day)


def term_of(day: dt.date) -> Term:
    season = "spring" if day.month <= 3 else "summer" if day.month <= 8 else "autumn"
    return Term(season, day.year)


def previous_term(term: Term) -> Term:
    if term.season == "autumn":
        return Term("summer", term.year)
    if term.season == "summer":
        return Term("spring", term.year)
    return Term("autumn", term.year - 1)


def parse_term(text: str, *, today: dt.date) -> Term:
    """`this term`, `last term`, or a season and year (`autumn 2026`, `Spring 2027`)."""
    words = text.strip().lower()
    if words in ("", "this", "this term", "current", "now"):
        return term_of(today)
    if words in ("last", "last term", "previous"):
        return previous_term(term_of(today))
    match = re.fullmatch(r"(autumn|spring|summer)(?: term)?\s+(\d{4})", words)
    if not match:
        raise ValueError("Say which term: this term, last term, or e.g. autumn 2026.")
    year = int(match[2])
    if not FIRST_YEAR <= year <= today.year + YEARS_AHEAD:
        raise ValueError(
            f"I can report on terms from {FIRST_YEAR} to {today.year + YEARS_AHEAD}; "
            "say e.g. autumn 2026."
        )
    return Term(match[1], year)


@dataclass(frozen=True)
class ObjectiveLine:
    """One objective's progress, anonymised: its number, target month and the latest judgement
    at a QA visit (its words stay in the pupil's record)."""

    number: int
    target: str
    progress: str
    achieved: bool
    past_target: bool

    @property
    def text(self) -> str:
        late = "; past its target date" if self.past_target else ""
        return f"Objective {self.number} (target {self.target}): {self.progress}{late}"


@dataclass
class PlacementLine:
    """One placement in the report, anonymised."""

    label: str
    provider: str
    registration: str
    unregistered: bool
    full_time: bool
    weekly_hours: str
    status: str
    started: str
    planned_end: str
    qa_done: int
    qa_due: int
    checklist: checklist.ChecklistCounts
    missing: list[str]
    # The support actually in place, as recorded at visits and in changes (no free text).
    support: list[str]
    attendance: AttendanceFigures
    latest_rating: str | None
    return_plan_agreed: bool
    # Contacts during the term with the provider, parents or carers and the pupil, apart.
    contacts: ContactCounts = field(default_factory=ContactCounts)
    # Progress against each objective (by number and target month, never its words).
    objectives: list[ObjectiveLine] = field(default_factory=list)

    @property
    def objectives_achieved(self) -> int:
        return sum(o.achieved for o in self.objectives)

    # Why the pupil is in AP, as a category only (never "other"'s words or any date).
    reason: str = NOT_RECORDED

    # Attendance at the provider, by the one definition (`storage.rules.attendance`).
    @property
    def attended(self) -> int:
        return self.attendance.attended

    @property
    def absent(self) -> int:
        return self.attendance.absent

    @property
    def unreported(self) -> int:
        return self.attendance.no_report

    @property
    def attendance_pct(self) -> float | None:
        return self.attendance.percent

    @property
    def attendance_text(self) -> str:
        return self.attendance.percent_text

    @property
    def qa_short(self) -> bool:
        """Fewer QA visits this term than were due."""
        return self.qa_done < self.qa_due

    @property
    def checklist_done(self) -> int:
        return self.checklist.done

    @property
    def checklist_total(self) -> int:
        """The applicable items (not-applicable ones are left out: `checklist_counts`)."""
        return self.checklist.applicable

    @property
    def checklist_pct(self) -> int | None:
        return self.checklist.percent


@dataclass
class GovernorsReport:
    school: str
    term: Term
    generated_on: dt.date
    placements: list[PlacementLine] = field(default_factory=list)
    # Week commencing -> attendance % across all placements (only weeks with reports).
    weekly_attendance: list[tuple[dt.date, float]] = field(default_factory=list)

    @property
    def by_reason(self) -> list[tuple[str, list[PlacementLine]]]:
        """The placements grouped by why the pupil is in AP, in `REASON_ORDER`, each group in
        the report's order (P1, P2, ...); groups with no placement are left out."""
        groups: dict[str, list[PlacementLine]] = defaultdict(list)
        for line in self.placements:
            groups[line.reason].append(line)
        return [(reason, groups[reason]) for reason in REASON_ORDER if groups.get(reason)]

    def reasons_text(self) -> str:
        """How many placements for each reason, in words: "Suspension 2, Other 1"."""
        return ", ".join(f"{reason} {len(lines)}" for reason, lines in self.by_reason)

    @property
    def providers(self) -> int:
        return len({p.provider for p in self.placements})

    @property
    def unregistered(self) -> int:
        return sum(p.unregistered for p in self.placements)

    @property
    def qa_done(self) -> int:
        return sum(p.qa_done for p in self.placements)

    @property
    def qa_due(self) -> int:
        return sum(p.qa_due for p in self.placements)

    @property
    def qa_short(self) -> int:
        """How many placements had fewer QA visits than due (the headline: a total of visits
        would let one pupil's extra visit hide another's missing one)."""
        return sum(p.qa_short for p in self.placements)

    @property
    def contacts(self) -> ContactCounts:
        """Contacts during the term across all placements, by who they were with."""
        return sum((p.contacts for p in self.placements), ContactCounts())

    @property
    def not_started(self) -> bool:
        """The term is still to come: nothing can be due in it yet."""
        return self.generated_on < self.term.start

    @property
    def checklist_pct(self) -> int | None:
        """Done of applicable across all placements; None when there is nothing to count."""
        counts = [p.checklist for p in self.placements]
        return sum(counts, checklist.ChecklistCounts(0, 0, 0)).percent if counts else None

    def headline(self) -> str:
        """The report in one line, for the chat reply."""
        if not self.placements:
            return (
                f"No placements commissioned by the school ran in {self.term.name}, so there is "
                "nothing to report on visits, checks or attendance."
            )
        n = len(self.placements)
        if self.not_started:
            qa = "the term has not started, so no QA visit is due yet"
        elif self.qa_short:
            qa = f"{self.qa_short} of {n} placement(s) had fewer QA visits than due"
        else:
            qa = f"every placement had the QA visits due ({self.qa_done} made)"
        pct = self.checklist_pct
        ticks = f"checklist {pct}% complete" if pct is not None else "no checklist items apply"
        c = self.contacts
        achieved, objectives = self.objectives
        aims = (
            f"objectives achieved {achieved} of {objectives}"
            if objectives
            else "no objectives recorded"
        )
        return (
            f"{n} placement(s) with {self.providers} provider(s); {qa}; {ticks}; attendance at "
            f"AP: {self.attendance.percent_text}; {aims}; contacts with providers "
            f"{c.provider}, parents or carers {c.parent_carer}, pupils {c.pupil}. "
            f"Why in AP: {self.reasons_text()}."
        )

    @property
    def objectives(self) -> tuple[int, int]:
        """Objectives achieved, of all the placements' objectives."""
        return (
            sum(p.objectives_achieved for p in self.placements),
            sum(len(p.objectives) for p in self.placements),
        )

    @property
    def attendance(self) -> AttendanceFigures:
        """All placements together, by the one definition (`storage.rules.attendance`)."""
        return sum((p.attendance for p in self.placements), AttendanceFigures())

    @property
    def attendance_pct(self) -> float | None:
        return self.attendance.percent


def _month(day: dt.date | None) -> str:
    return day.strftime("%B %Y") if day else "not set"


async def _objective_lines(
    session: AsyncSession, placement: Placement, *, until: dt.date, today: dt.date
) -> list[ObjectiveLine]:
    """Progress against each objective, as last judged at a QA visit up to `until`."""
    objectives = await current_objectives(session, placement.id)
    latest = await latest_progress(session, [o.id for o in objectives])
    lines = []
    for number, objective in enumerate(objectives, start=1):
        review = latest.get(objective.id)
        if review is not None and review.recorded_at.astimezone(LONDON).date() > until:
            review = None
        achieved = review is not None and review.progress == ObjectiveProgress.achieved
        lines.append(
            ObjectiveLine(
                number=number,
                target=_month(objective.target_date) if objective.target_date else "none set",
                progress=review.progress.label if review else "not yet reviewed at a visit",
                achieved=achieved,
                past_target=not achieved
                and objective.target_date is not None
                and objective.target_date < min(today, until),
            )
        )
    return lines


async def _support(
    session: AsyncSession, placement: Placement, visits: list[QaVisit], term: Term
) -> list[str]:
    """The support actually in place this term, from the visits and the changes recorded
    (counts and kinds only: their words stay in the pupil's record)."""
    support = []
    if visits:
        seen = sum(v.pupil_seen for v in visits)
        support.append(f"QA visits this term: {len(visits)}, the pupil seen and heard at {seen}")
        actions = sum(bool(v.actions_agreed) for v in visits)
        if actions:
            support.append(f"Actions agreed with the provider at {actions} visit(s)")
    support.append(f"Welfare calls home made by the {placement.welfare_call_party.value}")
    changes = await session.scalars(
        select(PlacementChange)
        .where(PlacementChange.placement_id == placement.id)
        .order_by(PlacementChange.changed_at, PlacementChange.id)
    )
    for change in changes:
        day = change.changed_at.astimezone(LONDON).date()
        if term.start <= day <= term.end:
            support.append(f"Arrangements changed: {CHANGE_LABELS[change.kind]} ({_month(day)})")
    return support


def _order_key(placement: Placement, term: Term) -> str:
    """A stable order that follows neither the pupil's name nor the start date."""
    return hashlib.sha256(f"{term.name}:{placement.reference}".encode()).hexdigest()


async def report_placements(
    session: AsyncSession, *, person: Person, term: Term
) -> list[Placement]:
    """The placements the person's report on the term covers, in the report's order (P1, P2,
    ...): the school's placements that ran during the term and that need-to-know lets them
    report on. (The invariant checks pair them with the report's lines.)"""
    rows = await session.scalars(
        select(Placement)
        .where(
            Placement.commissioner_id == person.organisation_id,
            # A withdrawn placement never ran.
            Placement.status.not_in([PlacementStatus.draft, PlacementStatus.withdrawn]),
            Placement.start_date <= term.end,
            or_(Placement.ended_on.is_(None), Placement.ended_on >= term.start),
        )
        .options(selectinload(Placement.checklist))
    )
    allowed = [p for p in rows.unique() if can(person, Action.report, p)]
    return sorted(allowed, key=lambda p: _order_key(p, term))


async def build_governors_report(
    session: AsyncSession, *, person: Person, term: Term, today: dt.date
) -> GovernorsReport:
    """Every placement the person's school commissioned that ran during the term (and that
    need-to-know lets them report on)."""
    school_id = person.organisation_id
    school = await session.get(Organisation, school_id) if school_id else None
    if school is None:
        raise ValueError("You're not linked to a school.")
    placements = await report_placements(session, person=person, term=term)
    report = GovernorsReport(school=school.name, term=term, generated_on=today)
    # Breaks from the term's start on (the calendar looks back only a few weeks from `today`).
    calendar = await calendar_for(session, school.id, today=min(term.start, today))
    weekly: dict[dt.date, AttendanceFigures] = defaultdict(AttendanceFigures)
    contacts = await contact_counts(
        session, [p.id for p in placements], start=term.start, end=term.end
    )
    for number, placement in enumerate(placements, start=1):
        window_start = max(term.start, placement.start_date)
        window_end = min(term.end, today, placement.ended_on or term.end)
        visits = list(
            await session.scalars(
                select(QaVisit)
                .where(
                    QaVisit.placement_id == placement.id,
                    QaVisit.visit_date >= term.start,
                    QaVisit.visit_date <= term.end,
                )
                .order_by(QaVisit.visit_date)
            )
        )
        records = list(
            await session.scalars(
                select(AttendanceRecord).where(
                    AttendanceRecord.placement_id == placement.id,
                    AttendanceRecord.date >= window_start,
                    AttendanceRecord.date <= window_end,
                )
            )
        )
        reports = {(r.date, r.session.value): report_of(r) for r in records}
        marks = attendance.placement_marks(
            placement,
            {key: found for key, found in reports.items() if found is not None},
            start=window_start,
            end=window_end,
            today=today,
            calendar=calendar,
        )
        figures = attendance.figures(mark.counting for _, _, mark in marks)
        for day, _, mark in marks:
            week = day - dt.timedelta(days=day.weekday())
            weekly[week] += attendance.figures([mark.counting])
        items = list(placement.checklist)
        applicable = [i for i in items if i.status != ChecklistStatus.not_applicable]
        qa_until = min(term.end, today)
        report.placements.append(
            PlacementLine(
                label=f"P{number}",
                provider=placement.provider.name,
                registration=placement.provider.registration_status.label
                if placement.provider.registration_status
                else "unknown",
                unregistered=placement.provider.is_unregistered,
                full_time=placement.is_full_time,
                weekly_hours=f"{placement.total_hours.normalize():f} of {placement.full_time_hours.normalize():f} h",
                status=placement.status.value
                if placement.status != PlacementStatus.ended
                else "ended",
                started=_month(placement.start_date),
                planned_end=_month(placement.ended_on or placement.planned_end_date),
                qa_done=len(visits),
                # Nothing is due in a term still to come.
                qa_due=cadence.qa_visits_due_between(
                    term.start,
                    qa_until,
                    placement.start_date,
                    placement.ended_on,
                    interval_days=placement.commissioner.qa_interval_days
                    or cadence.QA_INTERVAL_DAYS,
                    calendar=calendar,
                )
                if qa_until >= term.start
                else 0,
                checklist=checklist.checklist_counts(i.status for i in items),
                missing=[
                    checklist.definition(i.key).label
                    for i in applicable
                    if i.status != ChecklistStatus.done
                ],
                support=await _support(session, placement, visits, term),
                attendance=figures,
                latest_rating=visits[-1].rating.value.replace("_", " ") if visits else None,
                return_plan_agreed=bool(placement.return_plan),
                contacts=contacts.get(placement.id, ContactCounts()),
                objectives=await _objective_lines(
                    session, placement, until=min(term.end, today), today=today
                ),
                reason=placement.reason.label if placement.reason else NOT_RECORDED,
            )
        )
    report.weekly_attendance = [
        (week, percent)
        for week, found in sorted(weekly.items())
        if (percent := found.percent) is not None
    ]
    return report
