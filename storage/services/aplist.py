"""The inspection-ready AP list: every AP provider the school uses now, with what inspectors ask
for at the planning call (address and sites, registration status, URN/UKPRN, pupils placed with
their start dates and weekly hours, the last QA visit and the Letter of Assurance).

Only active placements count as "uses now"; an ended placement is history, not current use.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storage.access import Task, roles_for
from storage.clock import LONDON
from storage.models import (
    ChecklistStatus,
    Organisation,
    Person,
    Placement,
    PlacementStatus,
    QaVisit,
    ReasonForAp,
)
from storage.rules.attendance import AttendanceFigures, recent_window
from storage.services.marks import attendance_rate, marks_for
from storage.services.terms import calendar_for

LETTER_OF_ASSURANCE = "letter_of_assurance"
NOT_RECORDED = "not recorded"
APLIST_ROLES = roles_for(Task.ap_list)


def can_run_aplist(person: Person, organisation_id: int) -> bool:
    """The AP list is for the commissioner's safeguarding leads (a school's DSLs, or an LA's
    officers for the placements the LA commissions): never a provider or another school."""
    return (
        person.active and person.role in APLIST_ROLES and person.organisation_id == organisation_id
    )


@dataclass(frozen=True)
class ApPupil:
    """One pupil placed with the provider."""

    placement: Placement
    last_qa_visit: dt.date | None
    letter_of_assurance: str
    # Attendance at the provider over the last 4 weeks (`storage.rules.attendance`).
    attendance: AttendanceFigures | None = None

    @property
    def weekly_hours(self) -> Decimal:
        return self.placement.provider_hours

    @property
    def reason(self) -> str:
        """Why the pupil is in AP (the category)."""
        reason = self.placement.reason
        return reason.label if reason else NOT_RECORDED


@dataclass(frozen=True)
class ApProvider:
    """One AP provider the school uses, with its pupils."""

    provider: Organisation
    pupils: list[ApPupil]

    @property
    def registration(self) -> str:
        status = self.provider.registration_status
        return status.label if status else "Not recorded"

    @property
    def sites(self) -> list[str]:
        return [
            f"{site.name}: {site.address}" + (f", {site.postcode}" if site.postcode else "")
            for site in self.provider.sites
        ]

    @property
    def last_qa_visit(self) -> dt.date | None:
        visits = [p.last_qa_visit for p in self.pupils if p.last_qa_visit]
        return max(visits) if visits else None


def _letter(placement: Placement) -> str:
    """The Letter of Assurance's state: the date it was recorded as received, or why not."""
    item = next((i for i in placement.checklist if i.key == LETTER_OF_ASSURANCE), None)
    if item is None:
        return "not recorded"
    if item.status == ChecklistStatus.done:
        return f"{item.done_at.astimezone(LONDON):%d/%m/%Y}" if item.done_at else "received"
    if item.status == ChecklistStatus.not_applicable:
        return f"not applicable: {item.na_reason or 'no reason given'}"
    due = f" (due {item.due_date:%d/%m/%Y})" if item.due_date else ""
    return f"NOT RECEIVED{due}"


async def ap_list(
    session: AsyncSession, commissioner_id: int, *, today: dt.date | None = None
) -> list[ApProvider]:
    """Every provider with an active placement commissioned by this school (or LA), by name;
    with `today`, each pupil's attendance at the provider over the last 4 weeks."""
    placements = list(
        (
            await session.scalars(
                select(Placement)
                .where(
                    Placement.commissioner_id == commissioner_id,
                    Placement.status == PlacementStatus.active,
                )
                .options(
                    joinedload(Placement.provider).selectinload(Organisation.sites),
                    selectinload(Placement.checklist),
                )
                .order_by(Placement.start_date, Placement.reference)
            )
        ).unique()
    )
    visits = dict(
        (
            await session.execute(
                select(QaVisit.placement_id, func.max(QaVisit.visit_date))
                .where(QaVisit.placement_id.in_([p.id for p in placements]))
                .group_by(QaVisit.placement_id)
            )
        ).all()
    )
    rates: dict[int, AttendanceFigures] = {}
    if today is not None and placements:
        start, end = recent_window(today)
        calendar = await calendar_for(session, commissioner_id, today=today)
        rows = await marks_for(
            session, placements, start=start, end=end, today=today, calendar=calendar
        )
        for placement in placements:
            rates[placement.id] = attendance_rate(
                [row for row in rows if row.placement.id == placement.id]
            )
    providers: dict[int, ApProvider] = {}
    for placement in placements:
        entry = providers.setdefault(
            placement.provider_id, ApProvider(provider=placement.provider, pupils=[])
        )
        entry.pupils.append(
            ApPupil(
                placement=placement,
                last_qa_visit=visits.get(placement.id),
                letter_of_assurance=_letter(placement),
                attendance=rates.get(placement.id),
            )
        )
    return sorted(providers.values(), key=lambda e: e.provider.name.lower())


CSV_COLUMNS = (
    "provider",
    "registration_status",
    "provider_urn",
    "provider_ukprn",
    "provider_address",
    "sites",
    "pupils_at_provider",
    "reference",
    "pupil",
    "upn",
    "year_group",
    "site",
    "start_date",
    "planned_end_date",
    "days_at_provider",
    "weekly_hours_at_provider",
    "full_time_in_total",
    "attendance_code",
    "reason_for_ap",
    "last_qa_visit",
    "letter_of_assurance",
    "attendance_last_4_weeks",
)


def hours_text(value: Decimal) -> str:
    """Hours without trailing zeros: 26, 32.5."""
    return f"{value.normalize():f}"


def _date(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def ap_list_csv(providers: list[ApProvider]) -> str:
    """The AP list as CSV: one row per pupil, the provider's details on each row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in providers:
        provider = entry.provider
        for pupil in entry.pupils:
            p = pupil.placement
            writer.writerow(
                [
                    provider.name,
                    entry.registration,
                    provider.urn or "",
                    provider.ukprn or "",
                    provider.address or "",
                    " | ".join(entry.sites),
                    len(entry.pupils),
                    p.reference,
                    p.pupil.full_name,
                    p.pupil.upn or "",
                    p.pupil.year_group,
                    p.site.name if p.site else "",
                    _date(p.start_date),
                    _date(p.planned_end_date),
                    " ".join(p.days),
                    hours_text(p.provider_hours),
                    "yes" if p.is_full_time else "no (part-time timetable)",
                    p.attendance_code,
                    pupil.reason,
                    _date(pupil.last_qa_visit) or "none yet",
                    pupil.letter_of_assurance,
                    pupil.attendance.percent_text if pupil.attendance else "",
                ]
            )
    return out.getvalue()


def by_reason(providers: list[ApProvider]) -> list[tuple[str, list[ApPupil]]]:
    """The pupils grouped by why they are in AP (in `ReasonForAp`'s order, then those with
    none recorded); empty groups left out."""
    order = [reason.label for reason in ReasonForAp] + [NOT_RECORDED]
    pupils = [pupil for entry in providers for pupil in entry.pupils]
    return [
        (reason, found)
        for reason in order
        if (found := [pupil for pupil in pupils if pupil.reason == reason])
    ]


def ap_list_text(providers: list[ApProvider], commissioner: str) -> str:
    """The AP list as a chat summary (pupils by name: it is for the DSL in a direct message)."""
    if not providers:
        return f"{commissioner} has no pupils on active AP placements."
    pupils = sum(len(e.pupils) for e in providers)
    lines = [f"AP used by {commissioner}: {len(providers)} provider(s), {pupils} pupil(s)."]
    lines.append(
        "Why in AP: "
        + "; ".join(
            f"{reason} {', '.join(p.placement.reference for p in found)}"
            for reason, found in by_reason(providers)
        )
    )
    for entry in providers:
        provider = entry.provider
        ids = ", ".join(
            f"{label} {value}"
            for label, value in (("URN", provider.urn), ("UKPRN", provider.ukprn))
            if value
        )
        flag = " ⚠ UNREGISTERED" if provider.is_unregistered else ""
        lines.append("")
        lines.append(f"{provider.name}{flag}: {entry.registration}; {ids or 'no URN/UKPRN'}")
        if provider.address:
            lines.append(f"  Address: {provider.address}")
        for site in entry.sites:
            lines.append(f"  Site: {site}")
        lines.append(
            f"  Last QA visit: {_date(entry.last_qa_visit) or 'none yet'}; "
            f"{len(entry.pupils)} pupil(s):"
        )
        for pupil in entry.pupils:
            p = pupil.placement
            lines.append(
                f"  • {p.reference} {p.pupil.known_as} (Y{p.pupil.year_group}): from "
                f"{_date(p.start_date)}, {hours_text(p.provider_hours)} h a week"
                + ("" if p.is_full_time else " (part-time timetable)")
                + f"; last QA visit {_date(pupil.last_qa_visit) or 'none yet'}; "
                f"Letter of Assurance {pupil.letter_of_assurance}"
                + (
                    f"; attendance (last 4 weeks) {pupil.attendance.percent_text}"
                    if pupil.attendance
                    else ""
                )
            )
    return "\n".join(lines)
