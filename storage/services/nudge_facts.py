"""Reading what the nudge rules need from the database, as plain facts.

The rules see only the *candidates*: active placements with something that can be due today
(an overdue check, a QA visit due within a week, a review or planned end within 14 days, an
open welfare call, a serious concern not yet decided, a recent unexplained absence, no contact
for a week, no register yet in the register window). Each kind is found through an index on what falls due, so a pass reads what
is due, not every placement; the two rules about something *missing* (no weekly contact, no
register) are anti-joins that probe an index per active placement and return only the ones
missing it. No list of every id is sent to the database.

Pupils' names are not read here: the rules run once, over facts whose pupils are `UNNAMED`,
and `name_fresh` reads the names only for the placements whose nudges are about to be written
and puts them in those texts, so a name is decrypted when a message needs it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    SQLColumnExpression,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.util import find_tables

from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChecklistStatus,
    ConcernReview,
    Contact,
    ContactWith,
    Organisation,
    OrgKind,
    PartTimeTimetable,
    Person,
    Placement,
    PlacementStatus,
    Pupil,
    Role,
    TermBreakRecord,
    WelfareCall,
    WelfareCallStatus,
)
from storage.rules import cadence, checklist, codes
from storage.rules.calendar import SchoolCalendar, TermBreak, at_london, london_date
from storage.rules.nudges import (
    CME_LOOKBACK_DAYS,
    CME_RUN_DAYS,
    REGISTER_LEAD,
    SOON_DAYS,
    WEEKDAYS,
    CallFacts,
    CheckFacts,
    Facts,
    Nudge,
    NudgeTimes,
    PlacementFacts,
    ReviewFacts,
)
from storage.services.chunks import among
from storage.services.concern_reviews import SEVERITY_WORDS
from storage.services.nudges import active_snoozes
from storage.services.terms import calendars_for
from storage.wording import nudges as nudge_wording

ACTIVE = Placement.status == PlacementStatus.active
# A test on a commissioner column: is it one of a part's (see `among_commissioners`).
Scope = Callable[[SQLColumnExpression[int]], ColumnElement[bool]]


# The pupil's name in the facts the rules first run over: a mark no name or typed text holds.
# The nudges found new have it replaced by the pupil's name (`name_fresh`), read (decrypted)
# for just those, so that the rules run once and a pass that finds nothing new decrypts nothing.
UNNAMED = "\x00"


async def leads_by_organisation(
    session: AsyncSession, organisation_ids: Collection[int]
) -> dict[int, tuple[int, ...]]:
    """Safeguarding leads of each commissioner: a school's DSLs, an LA's officers."""
    leads: dict[int, list[int]] = {org_id: [] for org_id in organisation_ids}
    for chosen in among(session, Person.organisation_id, organisation_ids):
        rows = await session.execute(
            select(Person.organisation_id, Person.id)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .where(
                chosen,
                Person.active,
                or_(
                    and_(
                        Organisation.kind == OrgKind.local_authority, Person.role == Role.la_officer
                    ),
                    and_(Organisation.kind != OrgKind.local_authority, Person.role == Role.dsl),
                ),
            )
            .order_by(Person.id)
        )
        for org_id, person_id in rows:
            if org_id is not None:
                leads[org_id].append(person_id)
    return {org_id: tuple(ids) for org_id, ids in leads.items()}


async def staff_by_provider(
    session: AsyncSession, provider_ids: Collection[int]
) -> dict[int, tuple[int, ...]]:
    """Each provider's active staff (who take the register)."""
    staff: dict[int, list[int]] = {}
    for chosen in among(session, Person.organisation_id, provider_ids):
        rows = await session.execute(
            select(Person.organisation_id, Person.id)
            .where(chosen, Person.role == Role.provider, Person.active)
            .order_by(Person.id)
        )
        for org_id, person_id in rows:
            if org_id is not None:
                staff.setdefault(org_id, []).append(person_id)
    return {org_id: tuple(ids) for org_id, ids in staff.items()}


def closed_today(today: dt.date) -> Select[int]:
    """Organisations in a term break today, their own or their LA's (a few, from an index)."""
    return (
        select(Organisation.id)
        .join(
            TermBreakRecord,
            or_(
                TermBreakRecord.organisation_id == Organisation.id,
                TermBreakRecord.organisation_id == Organisation.la_id,
            ),
        )
        .where(TermBreakRecord.last_day >= today, TermBreakRecord.first_day <= today)
    )


def unexplained_absences(today: dt.date) -> Select[int, dt.date]:
    """Absences coded N or O in the missing-education rule's look-back, of active placements."""
    return (
        select(AttendanceRecord.placement_id, AttendanceRecord.date)
        .join(Placement, Placement.id == AttendanceRecord.placement_id)
        .where(
            AttendanceRecord.status == AttendanceStatus.absent,
            AttendanceRecord.code.in_([c.code for c in codes.unexplained_codes()]),
            AttendanceRecord.date >= today - dt.timedelta(days=CME_LOOKBACK_DAYS),
            AttendanceRecord.date <= today,
            ACTIVE,
        )
    )


def not_reported(today: dt.date) -> Select[int]:
    """Active placements on today's timetable (not closed for a break) with no mark today."""
    return select(Placement.id).where(
        ACTIVE,
        Placement.start_date <= today,
        Placement.provider_days.contains(WEEKDAYS[today.weekday()]),
        ~exists().where(
            AttendanceRecord.placement_id == Placement.id, AttendanceRecord.date == today
        ),
        Placement.commissioner_id.not_in(closed_today(today)),
        Placement.provider_id.not_in(closed_today(today)),
    )


def candidate_ids(
    today: dt.date,
    *,
    reminders_due: bool,
    register_open: bool,
    timely: bool = True,
    ours: Scope | None = None,
) -> CompoundSelect:
    """Ids of the active placements with something that can be due today, one indexed query
    per kind of thing due (an id may come from several). The day's reminders (checks, QA
    visits, contact, reviews and ends) only once they can be due, the register only in its
    window, welfare calls and missing education only if `timely`; only the placements whose
    commissioner is `ours`, if given (a part of the day's sweep)."""
    soon = today + dt.timedelta(days=SOON_DAYS)
    unexplained = unexplained_absences(today).subquery()
    contact_since = today - dt.timedelta(days=cadence.CONTACT_INTERVAL_DAYS)
    kinds: list[Select[int]] = []
    if timely:
        kinds += [
            select(WelfareCall.placement_id.label("id")).where(
                WelfareCall.status == WelfareCallStatus.open
            ),
            # A serious concern's review not yet decided.
            select(ConcernReview.placement_id.label("id")).where(
                ConcernReview.decided_at.is_(None)
            ),
            # A missing-education run needs three days at least.
            select(unexplained.c.placement_id.label("id"))
            .group_by(unexplained.c.placement_id)
            .having(func.count(unexplained.c.date.distinct()) >= CME_RUN_DAYS),
        ]
    if reminders_due:
        kinds += [
            select(ChecklistItem.placement_id.label("id")).where(
                ChecklistItem.status == ChecklistStatus.not_done, ChecklistItem.due_date < today
            ),
            select(Placement.id).where(
                ACTIVE,
                or_(
                    Placement.next_qa_due.is_(None),
                    Placement.next_qa_due
                    <= today + dt.timedelta(days=cadence.QA_DUE_SOON_LOOKAHEAD_DAYS),
                ),
            ),
            # Started without its Letter of Assurance: the DSL hears every school day.
            select(ChecklistItem.placement_id.label("id"))
            .join(Placement, Placement.id == ChecklistItem.placement_id)
            .where(
                ChecklistItem.key == checklist.LETTER_OF_ASSURANCE,
                ChecklistItem.status == ChecklistStatus.not_done,
                ACTIVE,
                Placement.start_date <= today,
            ),
            select(Placement.id).where(ACTIVE, Placement.review_date <= soon),
            # A part-time timetable near or past its time limit, still running.
            select(PartTimeTimetable.placement_id.label("id")).where(
                PartTimeTimetable.ended_on.is_(None), PartTimeTimetable.ends_on <= soon
            ),
            select(Placement.id).where(ACTIVE, Placement.planned_end_date.between(today, soon)),
            # No contact with the provider for a week (counted from the start when there has
            # been none); a parent's or the pupil's contact is not the weekly interaction.
            select(Placement.id).where(
                ACTIVE,
                Placement.start_date < contact_since,
                ~exists().where(
                    Contact.placement_id == Placement.id,
                    Contact.with_whom == ContactWith.provider,
                    Contact.contact_date >= contact_since,
                ),
            ),
        ]
    if register_open:
        kinds.append(not_reported(today))
    if not kinds:
        kinds.append(select(Placement.id).where(false()))
    if ours is not None:
        kinds = [_within(kind, ours) for kind in kinds]
    return union(*kinds)


def _within(kind: Select[int], ours: Scope) -> Select[int]:
    """A kind of candidate narrowed to the placements whose commissioner is `ours`: directly
    when it reads the placements, else through its placement id."""
    if any(Placement.__table__ in find_tables(f) for f in kind.get_final_froms()):
        return kind.where(ours(Placement.commissioner_id))
    column = kind.selected_columns[0]
    return kind.where(column.in_(select(Placement.id).where(ours(Placement.commissioner_id))))


def among_commissioners(
    session: AsyncSession, commissioners: Collection[int] | None
) -> Scope | None:
    """A test that a commissioner column is one of `commissioners` (None: no test). On
    PostgreSQL one array parameter, however many (the planner then knows how many: a part's
    thousands of commissioners estimated as a few dozen made it probe every placement's
    checklist); elsewhere a list."""
    if commissioners is None:
        return None
    ids = sorted(commissioners)
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("commissioners", ids, type_=ARRAY(Integer))
        return lambda column: column == any_(array)
    return lambda column: column.in_(ids)


def reminders_are_due(now: dt.datetime, times: NudgeTimes) -> bool:
    """Whether today's reminders can be due now: a school day (before term breaks, which each
    placement's own calendar applies), at or after the reminder time."""
    today = london_date(now)
    return SchoolCalendar().is_school_day(today) and now >= at_london(today, times.reminders)


async def register_is_open(session: AsyncSession, now: dt.datetime, times: NudgeTimes) -> bool:
    """Whether a register prompt or a no-report alert can be due now for anyone: a school day
    (before term breaks), from the earlier of the prompt time and 30 minutes before the
    earliest absence deadline of any active placement."""
    today = london_date(now)
    if not SchoolCalendar().is_school_day(today):
        return False
    earliest: dt.time | None = await session.scalar(
        select(func.min(Placement.absence_deadline)).where(ACTIVE)
    )
    if earliest is None:
        return False
    opens = min(at_london(today, times.register_prompt), at_london(today, earliest) - REGISTER_LEAD)
    return now >= opens


async def register_deadlines(
    session: AsyncSession, placements: Iterable[PlacementFacts], now: dt.datetime
) -> dict[int, dt.time]:
    """Each provider's earliest absence deadline today among all its pupils expected today,
    for the providers whose register prompt may still be due (a pupil not reported whose
    deadline is still to come). The candidates alone would miss pupils already reported."""
    today = london_date(now)
    providers = {
        p.provider_id
        for p in placements
        if not p.reported_today
        and p.expected_on(today)
        and at_london(today, p.absence_deadline) > now
    }
    groups: list[tuple[int, int, dt.time]] = []
    for chosen in among(session, Placement.provider_id, providers):
        rows = await session.execute(
            select(
                Placement.provider_id,
                Placement.commissioner_id,
                func.min(Placement.absence_deadline),
            )
            .where(
                ACTIVE,
                chosen,
                Placement.start_date <= today,
                Placement.provider_days.contains(WEEKDAYS[today.weekday()]),
            )
            .group_by(Placement.provider_id, Placement.commissioner_id)
        )
        groups += [
            (provider_id, commissioner_id, deadline)
            for provider_id, commissioner_id, deadline in rows
        ]
    orgs = {provider for provider, _, _ in groups} | {commissioner for _, commissioner, _ in groups}
    calendars = await calendars_for(session, orgs, today=today)
    earliest: dict[int, dt.time] = {}
    for provider_id, commissioner_id, deadline in groups:
        calendar = SchoolCalendar(calendars[commissioner_id].breaks + calendars[provider_id].breaks)
        if calendar.is_school_day(today):
            earliest[provider_id] = min(deadline, earliest.get(provider_id, deadline))
    return earliest


async def gather_facts(
    session: AsyncSession,
    now: dt.datetime,
    times: NudgeTimes,
    *,
    reminders: bool = True,
    timely: bool = True,
    commissioners: Collection[int] | None = None,
    placements: Collection[int] | None = None,
) -> Facts:
    """Everything the rules look at, as of `now`, for the candidate placements (pupils'
    names `UNNAMED`: see `name_fresh`). Only what the day's `reminders` need, or
    only what the `timely` nudges need, if asked (as `due_nudges` takes them); only the
    placements of these `commissioners`, if given (a part of the day's sweep); only these
    `placements` (those active), if given, all of them rather than the candidates among
    them (the rules decide what is due; the candidates only spare them the rest)."""
    today = london_date(now)
    reminders_due = reminders and reminders_are_due(now, times)
    scope = among_commissioners(session, commissioners)
    ours = true() if scope is None else scope(Placement.commissioner_id)
    if placements is not None:
        chosen = sorted(placements)
        ours = and_(
            ours,
            Placement.id == any_(bindparam("placements", chosen, type_=ARRAY(Integer)))
            if session.get_bind().dialect.name == "postgresql"
            else Placement.id.in_(chosen),
        )
        candidates = select(Placement.id.label("id")).where(ours).subquery()
    else:
        candidates = candidate_ids(
            today,
            reminders_due=reminders_due,
            register_open=timely and await register_is_open(session, now, times),
            timely=timely,
            ours=scope,
        ).subquery()
    provider = aliased(Organisation)
    last_contact = (
        select(func.max(Contact.contact_date))
        .where(Contact.placement_id == Placement.id, Contact.with_whom == ContactWith.provider)
        .scalar_subquery()
    )
    reported_today = exists().where(
        AttendanceRecord.placement_id == Placement.id, AttendanceRecord.date == today
    )
    letter_item = (
        select(func.min(ChecklistItem.id))
        .where(
            ChecklistItem.placement_id == Placement.id,
            ChecklistItem.key == checklist.LETTER_OF_ASSURANCE,
            ChecklistItem.status == ChecklistStatus.not_done,
        )
        .scalar_subquery()
    )
    part_time_ends = (
        select(func.max(PartTimeTimetable.ends_on))
        .where(PartTimeTimetable.placement_id == Placement.id, PartTimeTimetable.ended_on.is_(None))
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(
                Placement.id,
                Placement.reference,
                Placement.provider_id,
                provider.name,
                Placement.commissioner_id,
                Placement.created_by_id,
                Placement.start_date,
                Placement.provider_days,
                Placement.absence_deadline,
                Placement.planned_end_date,
                Placement.review_date,
                Placement.is_full_time,
                Placement.next_qa_due,
                last_contact.label("last_contact"),
                reported_today.label("reported_today"),
                letter_item.label("letter_item"),
                part_time_ends.label("part_time_ends"),
            )
            .join(provider, provider.id == Placement.provider_id)
            .where(ACTIVE, ours, Placement.id.in_(select(candidates.c.id)))
            .order_by(Placement.id)
        )
    ).all()
    org_ids = {row.commissioner_id for row in rows} | {row.provider_id for row in rows}
    calendars = await calendars_for(session, org_ids, today=today)
    unexplained: dict[int, set[dt.date]] = {}
    if timely:
        for placement_id, day in await session.execute(unexplained_absences(today).where(ours)):
            unexplained.setdefault(placement_id, set()).add(day)

    shared: dict[tuple[TermBreak, ...], SchoolCalendar] = {}
    by_pair: dict[tuple[int, int], SchoolCalendar] = {}

    def calendar(commissioner_id: int, provider_id: int) -> SchoolCalendar:
        # One calendar per set of breaks (most share their LA's): it remembers its days.
        pair = (commissioner_id, provider_id)
        if pair not in by_pair:
            breaks = calendars[commissioner_id].breaks + calendars[provider_id].breaks
            if breaks not in shared:
                shared[breaks] = SchoolCalendar(breaks)
            by_pair[pair] = shared[breaks]
        return by_pair[pair]

    gathered = tuple(
        PlacementFacts(
            id=row.id,
            reference=row.reference,
            pupil_name=UNNAMED,
            provider_id=row.provider_id,
            provider_name=row.name,
            commissioner_id=row.commissioner_id,
            owner_id=row.created_by_id,
            start_date=row.start_date,
            days=tuple(d for d in row.provider_days.split(",") if d),
            absence_deadline=row.absence_deadline,
            calendar=calendar(row.commissioner_id, row.provider_id),
            planned_end_date=row.planned_end_date,
            review_date=row.review_date,
            is_full_time=row.is_full_time,
            next_qa_due=row.next_qa_due,
            last_contact=row.last_contact,
            reported_today=bool(row.reported_today),
            unexplained_days=frozenset(unexplained.get(row.id, ())),
            letter_of_assurance_item=row.letter_item,
            part_time_ends=row.part_time_ends,
        )
        for row in rows
    )
    checks = (
        await session.execute(
            select(
                ChecklistItem.id,
                ChecklistItem.placement_id,
                ChecklistItem.key,
                ChecklistItem.due_date,
                ChecklistItem.owner_id,
            )
            .join(Placement, Placement.id == ChecklistItem.placement_id)
            .where(
                ChecklistItem.status == ChecklistStatus.not_done,
                ChecklistItem.due_date < today,
                ACTIVE,
                ours,
            )
        )
        if reminders_due
        else ()
    )
    calls = (
        await session.execute(
            select(
                WelfareCall.id,
                WelfareCall.placement_id,
                WelfareCall.absence_date,
                WelfareCall.created_at,
            )
            .join(Placement, Placement.id == WelfareCall.placement_id)
            .where(WelfareCall.status == WelfareCallStatus.open, ACTIVE, ours)
        )
        if timely
        else ()
    )
    reviews = (
        await session.execute(
            select(
                ConcernReview.id,
                ConcernReview.placement_id,
                ConcernReview.severity,
                ConcernReview.raised_at,
            )
            .join(Placement, Placement.id == ConcernReview.placement_id)
            .where(ConcernReview.decided_at.is_(None), ACTIVE, ours)
        )
        if timely
        else ()
    )
    return Facts(
        now=now,
        placements=gathered,
        overdue_checks=tuple(
            CheckFacts(
                item_id=item_id,
                placement_id=placement_id,
                label=checklist.definition(key).label,
                due_date=due_date,
                owner_id=owner_id,
                key=key,
            )
            for item_id, placement_id, key, due_date, owner_id in checks
            if due_date is not None
        ),
        open_calls=tuple(
            CallFacts(
                id=call_id, placement_id=placement_id, absence_date=day, created_at=created_at
            )
            for call_id, placement_id, day, created_at in calls
        ),
        open_reviews=tuple(
            ReviewFacts(
                id=review_id,
                placement_id=placement_id,
                what=SEVERITY_WORDS[severity],
                raised_at=raised_at,
            )
            for review_id, placement_id, severity, raised_at in reviews
        ),
        leads=await leads_by_organisation(session, {p.commissioner_id for p in gathered}),
        provider_staff=(
            await staff_by_provider(session, {p.provider_id for p in gathered}) if timely else {}
        ),
        snoozes=await active_snoozes(session, today),
        times=times,
        register_deadlines=await register_deadlines(session, gathered, now) if timely else {},
    )


async def pupil_names(session: AsyncSession, placement_ids: Collection[int]) -> dict[int, str]:
    """The pupils' names of these placements, by placement id: each pupil's name read and
    decrypted once (a chunk of placements at a time), however many of them are theirs."""
    pupil_of: dict[int, int] = {}
    names_of: dict[int, str] = {}
    for chosen in among(session, Placement.id, placement_ids):
        placements = await session.execute(select(Placement.id, Placement.pupil_id).where(chosen))
        pupil_of.update({placement_id: pupil_id for placement_id, pupil_id in placements})
        rows = await session.execute(
            select(Pupil.id, Pupil.first_name, Pupil.last_name).where(
                Pupil.id.in_(select(Placement.pupil_id).where(chosen))
            )
        )
        names_of.update({pupil_id: f"{first} {last}" for pupil_id, first, last in rows})
    return {placement_id: names_of[pupil_id] for placement_id, pupil_id in pupil_of.items()}


async def with_pupil_names(
    session: AsyncSession, facts: Facts, placement_ids: Collection[int]
) -> Facts:
    """The facts with the pupils' names filled in for these placements (decrypted here)."""
    names = await pupil_names(session, placement_ids)
    return dataclasses.replace(
        facts,
        placements=tuple(
            dataclasses.replace(p, pupil_name=names[p.id]) if p.id in names else p
            for p in facts.placements
        ),
    )


async def name_fresh(session: AsyncSession, facts: Facts, fresh: Sequence[Nudge]) -> list[Nudge]:
    """The new nudges with their pupils' names in the text: the unnamed pupil the rules wrote
    (`nudge_wording.pupil(UNNAMED, reference)`) replaced by the name, read for just the
    placements these nudges are about. Nudges about no placement (register prompts) name no
    pupil and are kept as they are."""
    about = {n.placement_id for n in fresh if n.placement_id is not None}
    if not about:
        return list(fresh)
    names = await pupil_names(session, about)
    references = {p.id: p.reference for p in facts.placements if p.id in about}
    named = []
    for nudge in fresh:
        reference = references.get(nudge.placement_id) if nudge.placement_id else None
        if reference is not None:
            name = names.get(nudge.placement_id or 0, "")
            text = nudge.text.replace(
                nudge_wording.pupil(UNNAMED, reference), nudge_wording.pupil(name, reference)
            )
            nudge = dataclasses.replace(nudge, text=text)
        named.append(nudge)
    return named
