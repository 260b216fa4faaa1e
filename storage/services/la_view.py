"""The LA's view across its schools: every active placement at each provider (by reference
and school, grouped by why the pupil is in AP), QA-visit coverage per provider, and the
unregistered providers that look like they need to register as independent schools.

Need-to-know: an LA officer sees the placements `placements_query` gives them (their LA's
schools' and the LA's own); pupils by reference only, never by name. The registration alert
reaches the LA's officers once per provider and trigger (`registration_alerts`), and the LA
digest lists the same providers (`registration_lines`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, lazyload

from storage.access import placements_query
from storage.models import (
    Organisation,
    OrgKind,
    Person,
    Placement,
    PlacementStatus,
    Pupil,
    QaVisit,
    RegistrationStatus,
    Role,
)
from storage.rules import cadence
from storage.rules.nudges import Nudge
from storage.rules.registration import (
    PupilThere,
    RegistrationFinding,
    registration_finding,
)
from storage.services.census import placement_reason
from storage.services.chunks import among
from storage.services.terms import calendar_for
from storage.wording import NoticeKind
from storage.wording import la_view as wording

# "Visited in the last week": the last seven days, today included.
WEEK_DAYS = 7
NOT_RECORDED = "not recorded"


def pupil_there(placement: Placement) -> PupilThere:
    return PupilThere(
        pupil_id=placement.pupil_id,
        hours=placement.provider_hours,
        looked_after=bool(placement.pupil.looked_after),
        ehcp=bool(placement.pupil.ehcp),
    )


def findings_by_provider(placements: Iterable[Placement]) -> dict[int, RegistrationFinding]:
    """The registration rule for each provider these (active) placements are at."""
    by_provider: dict[int, list[Placement]] = {}
    for placement in placements:
        if placement.status == PlacementStatus.active:
            by_provider.setdefault(placement.provider_id, []).append(placement)
    return {
        provider_id: registration_finding(
            unregistered=found[0].provider.is_unregistered,
            pupils=[pupil_there(p) for p in found],
        )
        for provider_id, found in by_provider.items()
    }


def registration_lines(placements: Iterable[Placement]) -> list[str]:
    """One line per unregistered provider that may need to register (the LA digest)."""
    placements = list(placements)
    names = {p.provider_id: p.provider.name for p in placements}
    return [
        wording.registration_line(names[provider_id], list(finding.triggers))
        for provider_id, finding in sorted(
            findings_by_provider(placements).items(), key=lambda item: names[item[0]]
        )
        if finding.triggers
    ]


@dataclass
class ProviderView:
    """One provider as the LA sees it."""

    provider: Organisation
    placements: list[Placement]
    visits_week: int = 0
    schools_week: int = 0
    visits_half_term: int = 0
    schools_half_term: int = 0
    finding: RegistrationFinding | None = None

    @property
    def schools(self) -> int:
        """How many schools placed these pupils (not counting the LA's own placements)."""
        return len(
            {p.commissioner_id for p in self.placements if p.commissioner.kind == OrgKind.school}
        )

    @property
    def by_la(self) -> int:
        """How many of the placements the LA itself commissioned."""
        return sum(p.commissioner.kind != OrgKind.school for p in self.placements)

    def by_reason(self) -> list[tuple[str | None, list[Placement]]]:
        groups: dict[str | None, list[Placement]] = {}
        for placement in self.placements:
            groups.setdefault(placement_reason(placement), []).append(placement)
        return sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))


@dataclass
class LaView:
    """Every provider with active placements from the officer's LA."""

    today: dt.date
    half_term_from: dt.date
    # Whether the half-term's start comes from term dates (else: the last six weeks).
    term_dates_known: bool = True
    providers: list[ProviderView] = field(default_factory=list)

    @property
    def placements(self) -> int:
        return sum(len(view.placements) for view in self.providers)

    @property
    def not_visited(self) -> list[ProviderView]:
        return [view for view in self.providers if view.visits_half_term == 0]


async def la_view(session: AsyncSession, person: Person, *, today: dt.date) -> LaView:
    """The view for an LA officer (anyone else sees nothing: the caller checks the role)."""
    placements = list(
        (
            await session.scalars(
                placements_query(person).options(
                    lazyload(Placement.checklist), lazyload(Placement.site)
                )
            )
        ).unique()
    )
    calendar = (
        await calendar_for(session, person.organisation_id, today=today)
        if person.organisation_id is not None
        else None
    )
    known = calendar is not None and any(b.last_day < today for b in calendar.breaks)
    half_term_from = (
        cadence.half_term_start(today, calendar)
        if calendar is not None
        else today - dt.timedelta(days=cadence.QA_INTERVAL_DAYS)
    )
    week_from = today - dt.timedelta(days=WEEK_DAYS - 1)
    visits: dict[int, list[tuple[dt.date, int]]] = {}
    by_id = {p.id: p for p in placements}
    for chosen in among(session, QaVisit.placement_id, sorted(by_id)):
        rows = await session.execute(
            select(QaVisit.placement_id, QaVisit.visit_date).where(
                chosen,
                QaVisit.visit_date >= min(half_term_from, week_from),
                QaVisit.visit_date <= today,
            )
        )
        for placement_id, visit_date in rows:
            placement = by_id[placement_id]
            visits.setdefault(placement.provider_id, []).append(
                (visit_date, placement.commissioner_id)
            )
    findings = findings_by_provider(placements)
    views: dict[int, ProviderView] = {}
    for placement in placements:
        view = views.setdefault(
            placement.provider_id, ProviderView(provider=placement.provider, placements=[])
        )
        view.placements.append(placement)
    for provider_id, view in views.items():
        found = visits.get(provider_id, [])
        week = [school for day, school in found if day >= week_from]
        half = [school for day, school in found if day >= half_term_from]
        view.visits_week, view.schools_week = len(week), len(set(week))
        view.visits_half_term, view.schools_half_term = len(half), len(set(half))
        view.finding = findings.get(provider_id)
    return LaView(
        today=today,
        half_term_from=half_term_from,
        term_dates_known=known,
        providers=sorted(views.values(), key=lambda v: v.provider.name),
    )


async def _officers(session: AsyncSession) -> dict[int, list[Person]]:
    """Each LA's active officers, by the LA's id."""
    found: dict[int, list[Person]] = {}
    for person in (
        await session.scalars(
            select(Person)
            .join(Organisation, Person.organisation_id == Organisation.id)
            .where(
                Person.active,
                Person.role == Role.la_officer,
                Organisation.kind == OrgKind.local_authority,
            )
            .order_by(Person.id)
        )
    ).unique():
        assert person.organisation_id is not None
        found.setdefault(person.organisation_id, []).append(person)
    return found


async def registration_alerts(
    session: AsyncSession, now: dt.datetime, *, part: tuple[int, int] | None = None
) -> list[Nudge]:
    """The alert owed to each LA's officers for each unregistered provider that meets a
    registration trigger with the LA's active placements: keyed by provider, trigger and
    officer, so each officer hears of each once (ended placements count for nothing).

    One query reads what the rule needs of the active placements at unregistered providers
    (the LA whose officers see each, as `placements_query` gives them: the LA itself or its
    schools), for every LA at once: no placement loaded, no pupil's name decrypted. Only the
    LAs of a `part` (n, parts) of the day's sweep, if given: those whose id is n modulo parts."""
    officers_by_la = await _officers(session)
    if part is not None:
        officers_by_la = {
            la_id: officers
            for la_id, officers in officers_by_la.items()
            if la_id % part[1] == part[0]
        }
    if not officers_by_la:
        return []
    commissioner, provider, la = aliased(Organisation), aliased(Organisation), aliased(Organisation)
    rows = await session.execute(
        select(
            la.id,
            Placement.provider_id,
            provider.name,
            Placement.pupil_id,
            Placement.provider_hours,
            Pupil.looked_after,
            Pupil.ehcp,
        )
        .join(commissioner, commissioner.id == Placement.commissioner_id)
        .join(la, or_(la.id == commissioner.id, la.id == commissioner.la_id))
        .join(provider, provider.id == Placement.provider_id)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .where(
            Placement.status == PlacementStatus.active,
            provider.registration_status == RegistrationStatus.unregistered,
            la.kind == OrgKind.local_authority,
            true() if part is None else la.id % part[1] == part[0],
        )
    )
    pupils: dict[int, dict[int, list[PupilThere]]] = {}
    names: dict[int, str] = {}
    for la_id, provider_id, name, pupil_id, hours, looked_after, ehcp in rows:
        names[provider_id] = name
        pupils.setdefault(la_id, {}).setdefault(provider_id, []).append(
            PupilThere(
                pupil_id=pupil_id, hours=hours, looked_after=bool(looked_after), ehcp=bool(ehcp)
            )
        )
    nudges: list[Nudge] = []
    for la_id, officers in officers_by_la.items():
        for provider_id, there in sorted(pupils.get(la_id, {}).items()):
            finding = registration_finding(unregistered=True, pupils=there)
            for trigger in finding.triggers:
                text = wording.registration_needed(
                    names[provider_id],
                    trigger,
                    full_time=finding.full_time_pupils,
                    special=finding.looked_after_or_ehcp,
                )
                nudges += [
                    Nudge(
                        key=f"registration:{provider_id}:{trigger.value}:{officer.id}",
                        kind=NoticeKind.registration_needed,
                        recipient_id=officer.id,
                        due_at=now,
                        text=text,
                        subject="",
                        open_command="providers",
                    )
                    for officer in officers
                ]
    return nudges


def hours_text(hours: Decimal) -> str:
    return f"{hours.normalize():f}"
