"""What is due when: the scheduler's rules, as pure functions over plain facts and a time.

Each rule turns the facts into `Nudge`s, each with a stable key (what it is about and the day
or date it is for), so evaluating the rules again a minute later, or on a second bot instance,
proposes the same keys and the outbox keeps one of each.

Two shapes of nudge:
- *reminders that repeat* each school day while something is late (an overdue check, QA visit,
  weekly contact, a part-time timetable past its review): key `...:{today}`;
- *one-off* nudges (a QA visit due within 7 days, a review or planned end within 14 days, the
  morning register prompt, no report by the deadline, a welfare call not done after 2 hours, a
  children-missing-education risk): key by the date or event they are about.

Reminders go out at `NudgeTimes.reminders` (08:30) on the placement's school days. Safeguarding
alerts go out when they arise. Snoozing (reminders only) silences one subject for one person
until a date; on that date a one-off reminder is sent once more if it still applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from storage.rules import cadence, checklist, part_time
from storage.rules.calendar import SchoolCalendar, at_london, london_date
from storage.rules.nudge_facts import (
    WEEKDAYS,
    CallFacts,
    CheckFacts,
    Facts,
    Nudge,
    NudgeTimes,
    PlacementFacts,
    ReviewFacts,
)
from storage.wording import NoticeKind
from storage.wording import nudges as nudge_wording

__all__ = [
    "WEEKDAYS",
    "CallFacts",
    "CheckFacts",
    "Facts",
    "Nudge",
    "NudgeTimes",
    "PlacementFacts",
    "ReviewFacts",
    "digest_due",
    "due_nudges",
]

SOON_DAYS = 14
DSL_GRACE = dt.timedelta(minutes=30)
WELFARE_GRACE = dt.timedelta(hours=2)
# A serious concern's review not decided within the hour: the leads are nudged, then each day.
REVIEW_GRACE = dt.timedelta(hours=1)
REGISTER_LEAD = dt.timedelta(minutes=30)
CME_RUN_DAYS = 3
# How far back the missing-education rule looks for a run of unexplained absence.
CME_LOOKBACK_DAYS = 30


def end_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the end of `day`, London time."""
    return at_london(day + dt.timedelta(days=1), dt.time(0, 0))


def _reminder_due(p: PlacementFacts, f: Facts) -> dt.datetime | None:
    """When today's reminders for this placement go out, if today is a school day and that
    time has come."""
    if not p.calendar.is_school_day(f.today):
        return None
    due = at_london(f.today, f.times.reminders)
    return due if f.now >= due else None


def _reminder(
    p: PlacementFacts,
    f: Facts,
    due: dt.datetime,
    *,
    key: str,
    kind: NoticeKind,
    to: int,
    text: str,
    subject: str,
    open_command: str,
    repeats: bool,
    done: str | None = None,
) -> Nudge:
    snoozed = f.snoozes.get((subject, to))
    if not repeats and snoozed is not None and snoozed <= f.today:
        # Snoozed earlier and the day has come: remind once more.
        key = f"{key}:after-snooze:{snoozed.isoformat()}"
    return Nudge(
        key=f"{key}:{to}",
        kind=kind,
        recipient_id=to,
        due_at=due,
        text=text,
        subject=subject,
        placement_id=p.id,
        reference=p.reference,
        open_command=open_command,
        done=done,
        snoozable=True,
        expires_at=end_of_day(f.today) if repeats else None,
    )


def checks_overdue(f: Facts, by_id: Mapping[int, PlacementFacts]) -> Iterable[Nudge]:
    """Each school day, the owner of each checklist item past its due date (the DSLs if the
    item has no owner) is reminded, with a Done button that ticks it."""
    for check in f.overdue_checks:
        p = by_id.get(check.placement_id)
        due = _reminder_due(p, f) if p else None
        if p is None or due is None or check.due_date >= f.today:
            continue
        recipients = (check.owner_id,) if check.owner_id else f.leads.get(p.commissioner_id, ())
        if check.key == checklist.LETTER_OF_ASSURANCE and letter_missing(p, f.today):
            # The safeguarding leads hear of it through `letter_of_assurance_missing`.
            recipients = tuple(r for r in recipients if r not in f.leads.get(p.commissioner_id, ()))
        for to in recipients:
            yield _reminder(
                p,
                f,
                due,
                key=f"check-overdue:{check.item_id}:{f.today.isoformat()}",
                kind=NoticeKind.check_overdue,
                to=to,
                text=nudge_wording.check_overdue(check.label, p.who, check.due_date),
                subject=f"check:{check.item_id}",
                open_command=f"check {p.reference}",
                repeats=True,
                done="tick",
            )


def letter_missing(p: PlacementFacts, today: dt.date) -> bool:
    """The pupil attends (the placement has started) and no Letter of Assurance is recorded."""
    return p.letter_of_assurance_item is not None and p.start_date <= today


def letter_of_assurance_missing(p: PlacementFacts, f: Facts) -> Iterable[Nudge]:
    """Once a placement has started without its Letter of Assurance, the commissioner's
    safeguarding leads hear of it every school day until it is recorded, whatever its due
    date says (not snoozable; Done ticks it)."""
    due = _reminder_due(p, f)
    if due is None or not letter_missing(p, f.today):
        return
    for to in f.leads.get(p.commissioner_id, ()):
        yield Nudge(
            key=f"letter-missing:{p.id}:{f.today.isoformat()}:{to}",
            kind=NoticeKind.letter_of_assurance_missing,
            recipient_id=to,
            due_at=due,
            text=nudge_wording.letter_of_assurance_missing(p.who, p.provider_name, p.start_date),
            subject=f"check:{p.letter_of_assurance_item}",
            placement_id=p.id,
            reference=p.reference,
            open_command=f"check {p.reference}",
            done="tick",
            expires_at=end_of_day(f.today),
        )


def placement_reminders(p: PlacementFacts, f: Facts) -> Iterable[Nudge]:
    """QA visits, weekly contact, review and planned end, part-time review: to the person who
    started the placement (part-time reviews to the DSLs as well)."""
    due = _reminder_due(p, f)
    if due is None:
        return
    today, ref, day = f.today, p.reference, f.today.isoformat()
    # Counted in term time (the placement's calendar): never overdue in the holidays.
    state = cadence.qa_state(p.next_qa_due, today, calendar=p.calendar)
    if state == "due_soon" and p.next_qa_due is not None:
        yield _reminder(
            p,
            f,
            due,
            key=f"qa-due:{p.id}:{p.next_qa_due.isoformat()}",
            kind=NoticeKind.qa_due,
            to=p.owner_id,
            text=nudge_wording.qa_due_soon(p.who, p.provider_name, p.next_qa_due),
            subject=f"qa:{p.id}",
            open_command=f"visit {ref}",
            repeats=False,
        )
    elif state == "overdue" and today >= p.start_date:
        yield _reminder(
            p,
            f,
            due,
            key=f"qa-overdue:{p.id}:{day}",
            kind=NoticeKind.qa_overdue,
            to=p.owner_id,
            text=nudge_wording.qa_overdue(p.who, p.provider_name, p.next_qa_due),
            subject=f"qa:{p.id}",
            open_command=f"visit {ref}",
            repeats=True,
        )
    if cadence.contact_overdue(p.last_contact, p.start_date, today):
        yield _reminder(
            p,
            f,
            due,
            key=f"contact-overdue:{p.id}:{day}",
            kind=NoticeKind.contact_overdue,
            to=p.owner_id,
            text=nudge_wording.contact_overdue(p.who, p.provider_name, p.last_contact),
            subject=f"contact:{p.id}",
            open_command=f"contact {ref}",
            repeats=True,
        )
    if p.review_date is not None and 0 <= (p.review_date - today).days <= SOON_DAYS:
        yield _reminder(
            p,
            f,
            due,
            key=f"review-soon:{p.id}:{p.review_date.isoformat()}",
            kind=NoticeKind.review_soon,
            to=p.owner_id,
            text=nudge_wording.review_soon(p.who, p.review_date),
            subject=f"review:{p.id}",
            open_command=f"status {ref}",
            repeats=False,
        )
    if p.planned_end_date is not None and 0 <= (p.planned_end_date - today).days <= SOON_DAYS:
        yield _reminder(
            p,
            f,
            due,
            key=f"ending-soon:{p.id}:{p.planned_end_date.isoformat()}",
            kind=NoticeKind.ending_soon,
            to=p.owner_id,
            text=nudge_wording.ending_soon(p.who, p.planned_end_date),
            subject=f"end:{p.id}",
            open_command=f"status {ref}",
            repeats=False,
        )
    if not p.is_full_time and p.review_date is not None and p.review_date < today:
        people = dict.fromkeys((p.owner_id, *f.leads.get(p.commissioner_id, ())))
        for to in people:
            yield _reminder(
                p,
                f,
                due,
                key=f"part-time-review:{p.id}:{day}",
                kind=NoticeKind.part_time_review,
                to=to,
                text=nudge_wording.part_time_review_overdue(p.who, p.review_date),
                subject=f"review:{p.id}",
                open_command=f"status {ref}",
                repeats=True,
            )


def part_time_limit(p: PlacementFacts, f: Facts) -> Iterable[Nudge]:
    """An agreed part-time timetable near its time limit: once, within 5 school days of it;
    then each school day once it has passed. To the person who started the placement and the
    safeguarding leads. Nothing once it has ended (a review, or the placement ending)."""
    due = _reminder_due(p, f)
    if due is None or p.part_time_ends is None:
        return
    today, ends = f.today, p.part_time_ends
    people = dict.fromkeys((p.owner_id, *f.leads.get(p.commissioner_id, ())))
    if today <= ends:
        left = part_time.school_days_until(today, ends, p.calendar)
        if left > part_time.REMIND_SCHOOL_DAYS:
            return
        for to in people:
            yield _reminder(
                p,
                f,
                due,
                key=f"part-time-ending:{p.id}:{ends.isoformat()}",
                kind=NoticeKind.part_time_ending,
                to=to,
                text=nudge_wording.part_time_ending(p.who, ends, left),
                subject=f"part-time:{p.id}",
                open_command=f"review {p.reference}",
                repeats=False,
            )
        return
    for to in people:
        yield _reminder(
            p,
            f,
            due,
            key=f"part-time-expired:{p.id}:{today.isoformat()}",
            kind=NoticeKind.part_time_expired,
            to=to,
            text=nudge_wording.part_time_expired(p.who, ends),
            subject=f"part-time:{p.id}",
            open_command=f"review {p.reference}",
            repeats=True,
        )


def register_prompts(f: Facts) -> Iterable[Nudge]:
    """Each school day, each provider's staff are asked to take the register for the pupils
    expected that day: at 09:00 (or 30 minutes before the earliest deadline, if sooner), until
    that deadline. Nothing once every expected pupil is reported."""
    today = f.today
    by_provider: dict[int, list[PlacementFacts]] = {}
    for p in f.placements:
        if p.expected_on(today):
            by_provider.setdefault(p.provider_id, []).append(p)
    for provider_id, expected in sorted(by_provider.items()):
        if all(p.reported_today for p in expected):
            continue
        first_deadline = f.register_deadlines.get(
            provider_id, min(p.absence_deadline for p in expected)
        )
        deadline_at = at_london(today, first_deadline)
        due = min(at_london(today, f.times.register_prompt), deadline_at - REGISTER_LEAD)
        if not due <= f.now < deadline_at:
            continue
        references = sorted(p.reference for p in expected if not p.reported_today)
        for to in f.provider_staff.get(provider_id, ()):
            yield Nudge(
                key=f"register:{provider_id}:{today.isoformat()}:{to}",
                kind=NoticeKind.register_prompt,
                recipient_id=to,
                due_at=due,
                text=nudge_wording.register_prompt(references, first_deadline),
                subject=f"register:{provider_id}:{today.isoformat()}",
                open_command="absent",
                done="present",
                expires_at=deadline_at,
            )


def no_reports(p: PlacementFacts, f: Facts) -> Iterable[Nudge]:
    """No attendance report by the placement's deadline: the provider's staff at the deadline,
    the commissioner's safeguarding leads 30 minutes later. Both only that day."""
    today = f.today
    if p.reported_today or not p.expected_on(today):
        return
    deadline_at = at_london(today, p.absence_deadline)
    subject = f"report:{p.id}:{today.isoformat()}"
    if f.now >= deadline_at:
        for to in f.provider_staff.get(p.provider_id, ()):
            yield Nudge(
                key=f"no-report:{p.id}:{today.isoformat()}:{to}",
                kind=NoticeKind.no_report,
                recipient_id=to,
                due_at=deadline_at,
                text=nudge_wording.no_report_provider(p.reference, p.absence_deadline),
                subject=subject,
                placement_id=p.id,
                reference=p.reference,
                open_command=f"absent {p.reference}",
                done="present",
                expires_at=end_of_day(today),
            )
    if f.now >= deadline_at + DSL_GRACE:
        for to in f.leads.get(p.commissioner_id, ()):
            yield Nudge(
                key=f"no-report-dsl:{p.id}:{today.isoformat()}:{to}",
                kind=NoticeKind.no_report_dsl,
                recipient_id=to,
                due_at=deadline_at + DSL_GRACE,
                text=nudge_wording.no_report_dsl(p.who, p.provider_name, p.absence_deadline),
                subject=subject,
                placement_id=p.id,
                reference=p.reference,
                open_command=f"status {p.reference}",
                expires_at=end_of_day(today),
            )


def welfare_calls_overdue(f: Facts, by_id: Mapping[int, PlacementFacts]) -> Iterable[Nudge]:
    """A welfare call still open 2 hours after the absence was reported goes to the DSLs."""
    hours = int(WELFARE_GRACE.total_seconds() // 3600)
    for call in f.open_calls:
        p = by_id.get(call.placement_id)
        due = call.created_at + WELFARE_GRACE
        if p is None or f.now < due:
            continue
        for to in f.leads.get(p.commissioner_id, ()):
            yield Nudge(
                key=f"welfare-overdue:{call.id}:{to}",
                kind=NoticeKind.welfare_overdue,
                recipient_id=to,
                due_at=due,
                text=nudge_wording.welfare_overdue(p.who, call.absence_date, hours),
                subject=f"call:{call.id}",
                placement_id=p.id,
                reference=p.reference,
                open_command=f"welfare {p.reference}",
            )


def reviews_undecided(f: Facts, by_id: Mapping[int, PlacementFacts]) -> Iterable[Nudge]:
    """A serious concern's review still undecided an hour after it was raised goes to the
    commissioner's safeguarding leads again, and then every day at the reminder time until it
    is decided (urgent: every day, not only school days, and never snoozed)."""
    for review in f.open_reviews:
        p = by_id.get(review.placement_id)
        if p is None:
            continue
        first = review.raised_at + REVIEW_GRACE
        daily = at_london(f.today, f.times.reminders)
        if f.now >= daily and london_date(first) < f.today:
            due, key, expires = daily, f.today.isoformat(), end_of_day(f.today)
        elif f.now >= first:
            due, key, expires = first, "first", None
        else:
            continue
        for to in f.leads.get(p.commissioner_id, ()):
            yield Nudge(
                key=f"review-undecided:{review.id}:{key}:{to}",
                kind=NoticeKind.review_undecided,
                recipient_id=to,
                due_at=due,
                text=nudge_wording.review_undecided(
                    p.who, p.reference, review.what, london_date(review.raised_at)
                ),
                subject=f"concern-review:{review.id}",
                placement_id=p.id,
                reference=p.reference,
                open_command=f"decide {p.reference}",
                expires_at=expires,
            )


def unexplained_run(p: PlacementFacts, today: dt.date) -> list[dt.date]:
    """The latest run of consecutive expected days (school days on the pupil's timetable) with
    an unexplained absence (N or O), oldest first. Today counts only once it is reported."""
    run: list[dt.date] = []
    if not p.unexplained_days:
        return run
    day = today
    for _ in range(CME_LOOKBACK_DAYS):
        if p.expected_on(day):
            if day in p.unexplained_days:
                run.append(day)
            elif day != today or run:
                break
        day -= dt.timedelta(days=1)
    return sorted(run)


def missing_education(p: PlacementFacts, f: Facts) -> Iterable[Nudge]:
    """Three or more consecutive expected school days of unexplained absence: a
    children-missing-education risk alert to the DSLs, once per run."""
    run = unexplained_run(p, f.today)
    if len(run) < CME_RUN_DAYS:
        return
    for to in f.leads.get(p.commissioner_id, ()):
        yield Nudge(
            key=f"cme-risk:{p.id}:{run[0].isoformat()}:{to}",
            kind=NoticeKind.cme_risk,
            recipient_id=to,
            due_at=f.now,
            text=nudge_wording.cme_risk(p.who, run),
            subject=f"cme:{p.id}",
            placement_id=p.id,
            reference=p.reference,
            open_command=f"status {p.reference}",
        )


def due_nudges(f: Facts, *, reminders: bool = True, timely: bool = True) -> list[Nudge]:
    """Every nudge owed at `f.now`, less the ones a person snoozed, each key once: the day's
    `reminders` (checks, QA visits, contact, reviews and ends: first due at the reminder time,
    keyed by the day or date) and the `timely` ones (register, no report, welfare calls,
    serious concerns not decided, missing education: due at a time of day). The scheduler asks for the two apart, the
    reminders once a day."""
    by_id = {p.id: p for p in f.placements}
    found: list[Nudge] = []
    if reminders:
        found += checks_overdue(f, by_id)
        for p in f.placements:
            found += placement_reminders(p, f)
            found += part_time_limit(p, f)
            found += letter_of_assurance_missing(p, f)
    if timely:
        found += register_prompts(f)
        found += welfare_calls_overdue(f, by_id)
        found += reviews_undecided(f, by_id)
        for p in f.placements:
            found += no_reports(p, f)
            found += missing_education(p, f)
    unique: dict[str, Nudge] = {}
    for nudge in found:
        until = f.snoozes.get((nudge.subject, nudge.recipient_id))
        if nudge.snoozable and until is not None and f.today < until:
            continue
        unique.setdefault(nudge.key, nudge)
    return list(unique.values())


def digest_due(calendar: SchoolCalendar, now: dt.datetime, at: dt.time) -> dt.datetime | None:
    """When today's digest is due, if today is a school day and that time has come."""
    today = london_date(now)
    if not calendar.is_school_day(today):
        return None
    due = at_london(today, at)
    return due if now >= due else None
