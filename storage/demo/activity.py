"""The demo's recent history: QA visits with the pupil's voice, weekly contacts, four weeks of
registers and an absence still being followed up, so reports and digests have something real
to show. Everything goes through the same services a person's actions would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import ContactMethod, Person, Placement, QaRating, RegisterSession
from storage.rules import cadence
from storage.rules.calendar import SchoolCalendar
from storage.services.attendance import confirm_all_present, report_absence
from storage.services.audit import Change
from storage.services.contacts import log_contact
from storage.services.visits import log_visit

DEMO_CHANNEL = "demo"
HISTORY_WEEKS = 12

VISITS = (
    # placement index, weeks ago, pupil's words, rating
    (0, 4, "I like the construction days best. The staff don't shout and I get my work done.", QaRating.good),
    (1, 2, "It's better than school but I get bored on the long afternoons.", QaRating.requires_improvement),
    (2, 3, "The small groups help. I've been in every day this week.", QaRating.good),
    (3, 5, "I want to go back to a proper school after Easter.", QaRating.satisfactory),
)  # fmt: skip


async def add_activity(
    session: AsyncSession,
    *,
    placements: list[Placement],
    visitors: list[Person],
    provider_staff: dict[int, Person],
    ending: tuple[dt.date, Callable[[dt.datetime], Awaitable[None]]],
    now: dt.datetime,
    today: dt.date,
) -> None:
    """QA visits and contacts by the commissioners; registers by the providers' staff since
    the earliest placement began (the placement in `ending` is ended on its day)."""
    for index, weeks_ago, voice, rating in VISITS:
        placement, visitor = placements[index], visitors[index]
        visit_date = max(placement.start_date, today - dt.timedelta(weeks=weeks_ago))
        await log_visit(
            session,
            Change(person_id=visitor.id, channel=DEMO_CHANNEL, at=now),
            placement=placement,
            visit_date=visit_date,
            pupil_seen=True,
            pupil_voice=voice,
            setting_safe=True,
            register_matches=True,
            concerns=None,
            rating=rating,
            actions_agreed="Keep the weekly call going.",
            # Six weeks of term time on (the demo has no term breaks: bank holidays only).
            next_visit_due=cadence.next_qa_due(visit_date, calendar=SchoolCalendar()),
        )
        await log_contact(
            session,
            Change(person_id=visitor.id, channel=DEMO_CHANNEL, at=now),
            placement=placement,
            contact_date=today - dt.timedelta(days=3 + index),
            method=ContactMethod.phone,
            summary="Weekly call with the provider: settled week, work sent home.",
        )
    # Registers since the earliest placement began. The part-time pupil missed the last day,
    # reason not yet known, so a welfare call is still open.
    calendar = SchoolCalendar()
    part_time = placements[1]
    last_part_time_day = max(
        (d for d in calendar.school_days_between(today - dt.timedelta(days=14), today - dt.timedelta(days=1))
         if d.strftime("%a").lower() in part_time.days and d >= part_time.start_date),
        default=None,
    )  # fmt: skip
    ended_on, end_it = ending
    ended = False
    first = today - dt.timedelta(weeks=HISTORY_WEEKS)
    for day in calendar.school_days_between(first, today - dt.timedelta(days=1)):
        at = dt.datetime.combine(day, dt.time(9, 5), tzinfo=LONDON).astimezone(dt.UTC)
        if day > ended_on and not ended:
            await end_it(at)
            ended = True
        if day == last_part_time_day:
            staff = provider_staff[part_time.provider_id]
            await report_absence(
                session,
                Change(person_id=staff.id, channel=DEMO_CHANNEL, at=at),
                placement=part_time,
                date=day,
                sessions=[RegisterSession.am, RegisterSession.pm],
                code="N",
                reason="Did not arrive; no message from home.",
            )
        for provider_id, staff in provider_staff.items():
            await confirm_all_present(
                session,
                Change(person_id=staff.id, channel=DEMO_CHANNEL, at=at),
                provider_id=provider_id,
                date=day,
            )
    if not ended:
        await end_it(now)
