"""The timetable as questions, and the full-time check: dates, days and hours at the provider
and at school (the pupil's other placements count with their real hours, found, not asked), and
for a part-time week the agreement behind it (`part_time_steps`). Used by start placement, and
by change placement for a new timetable (`week_steps`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

from dialogs import part_time_steps
from dialogs.common import DAY_CHOICES, date_between
from dialogs.context import Answers
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, parse_hours
from dialogs.prompts import Message, PromptKind
from storage.models import Organisation, Placement
from storage.rules import fulltime, start_checks


def _whole_number(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or len(text) > 2:
        raise AnswerError("Please give a whole number, like 4.")
    return int(text)


def running(active: list[Placement], start: dt.date | None) -> list[Placement]:
    """The pupil's other placements still running when this one starts (they count)."""
    return [
        p
        for p in active
        if start is None or p.planned_end_date is None or p.planned_end_date >= start
    ]


def other_hours(active: list[Placement], start: dt.date | None) -> Decimal:
    """The other running placements' hours at their providers, from their timetables."""
    return sum((p.provider_hours for p in running(active, start)), Decimal(0))


def full_time_check(
    answers: Answers, commissioner: Organisation, active: list[Placement]
) -> fulltime.FullTimeCheck:
    """The full-time check of the hours answered (every hours question answered), with the
    other placements' real hours."""
    return fulltime.check_full_time(
        provider_hours=Decimal(answers.get("provider_hours")),
        school_hours=Decimal(answers.get("school_hours")),
        other_hours=other_hours(active, answers.date("start_date")),
        full_time_hours=commissioner.full_time_hours,
    )


def check_notes(
    answers: Answers,
    provider: Organisation,
    check: fulltime.FullTimeCheck,
    *,
    start: dt.date | None = None,
    planned_end: dt.date | None = None,
) -> list[Message]:
    """What the full-time check says, and the warnings for an unregistered provider beyond
    the general one (shown with the provider), as notes on the next question. The dates are
    the answers' (`start_date`, `planned_end_date`) unless given (a placement's, in `change`)."""
    sessions = answers.get("provider_sessions") if provider.is_unregistered else None
    start = start or answers.date("start_date")
    planned_end = planned_end or answers.date("planned_end_date")
    assert start is not None
    notes = [Message(text=check.summary, level="info" if check.is_full_time else "warning")]
    notes += [
        Message(level="warning", text=text)
        for text in fulltime.unregistered_warnings(
            unregistered=provider.is_unregistered,
            sessions_per_week=int(sessions) if sessions is not None else 0,
            school_hours=Decimal(answers.get("school_hours")),
            start_date=start,
            planned_end_date=planned_end,
        )[1:]  # the general warning was shown with the provider
    ]
    return notes


async def steps(
    answers: Answers,
    *,
    provider: Organisation,
    active: list[Placement],
    commissioner: Organisation,
    today: dt.date,
    notes: list[Message],
) -> AsyncIterator[Step]:
    """From the start date to the review of a part-time timetable. `active`: the pupil's other
    placements still running (their hours count); `notes`: said before the first question."""
    yield Step(
        "start_date",
        PromptKind.date,
        "Start date? (e.g. 30/11/2026, or today)",
        sense=DateSense.planned,
        notes=notes,
        validate=date_between(
            today - dt.timedelta(days=366),
            today + dt.timedelta(days=366),
            too_early="Please give a date within a year of today.",
            too_late="Please give a date within a year of today.",
        ),
    )
    start = answers.date("start_date")
    assert start is not None
    yield Step(
        "planned_end_date",
        PromptKind.date,
        "Planned end date (the agreed length of the placement)?",
        sense=DateSense.planned,
        validate=lambda d: None if d > start else "The planned end must be after the start date.",
    )
    async for step in week_steps(
        answers,
        provider=provider,
        active=active,
        commissioner=commissioner,
        start=start,
        planned_end=answers.date("planned_end_date"),
        today=today,
    ):
        yield step


async def week_steps(
    answers: Answers,
    *,
    provider: Organisation,
    active: list[Placement],
    commissioner: Organisation,
    start: dt.date,
    planned_end: dt.date | None,
    today: dt.date,
    earliest_review: dt.date | None = None,
) -> AsyncIterator[Step]:
    """The week: days and hours at the provider and at school (the pupil's other running
    placements count with their real hours), then, for a part-time week: at `start`, the
    agreement behind it (`part_time_steps`); in `change` (`earliest_review` given: a running
    placement's new timetable), when it is reviewed, not before `earliest_review`."""
    yield Step(
        "provider_days",
        PromptKind.multichoice,
        "Which days will the pupil be at the provider? (e.g. mon, tue, wed)",
        choices=DAY_CHOICES,
    )
    days = len(answers.many("provider_days"))
    sessions: int | None = None
    if provider.is_unregistered:
        # DfE's limits for an unregistered setting count sessions (a morning or an afternoon).
        yield Step(
            "provider_sessions",
            PromptKind.text,
            f"How many sessions a week at {provider.name}? A session is a morning or an "
            f"afternoon (blank for {2 * days}: all day on each of those days).",
            default=str(2 * days),
            parse=_whole_number,
            validate=lambda n: fulltime.sessions_problem(n, days=days),
        )
        sessions = int(answers.get("provider_sessions"))
    yield Step(
        "provider_hours",
        PromptKind.text,
        "Hours a week at the provider?",
        parse=parse_hours,
        validate=lambda hours: fulltime.provider_hours_problem(hours, days=days, sessions=sessions),
    )
    provider_hours = Decimal(answers.get("provider_hours"))
    others = running(active, start)
    elsewhere = other_hours(active, start)
    counted = (
        [
            Message(
                level="info",
                text="Counted in the full-time total, from their timetables: "
                + "; ".join(
                    f"{p.reference} at {p.provider.name}, "
                    f"{fulltime.format_hours(p.provider_hours)} h a week"
                    for p in others
                )
                + ". Each provider will be told the other is involved (reference and provider "
                "name only).",
            )
        ]
        if others
        else []
    )
    yield Step(
        "school_hours",
        PromptKind.text,
        "Hours a week at your school (0 if none)?",
        parse=parse_hours,
        default="0",
        notes=counted,
        validate=lambda hours: fulltime.week_hours_problem(provider_hours + hours + elsewhere),
    )
    school_hours = Decimal(answers.get("school_hours"))
    check = full_time_check(answers, commissioner, active)
    if not check.is_full_time and earliest_review is None:
        async for step in part_time_steps.steps(
            answers,
            start=start,
            planned_end=planned_end,
            school_hours=school_hours,
            others=others,
            today=today,
            notes=check_notes(answers, provider, check),
        ):
            yield step
    elif not check.is_full_time:
        yield Step(
            "review_date",
            PromptKind.date,
            "When will the part-time timetable be reviewed?",
            sense=DateSense.planned,
            notes=check_notes(answers, provider, check, start=start, planned_end=planned_end),
            validate=lambda d: (
                "The review can't be in the past."
                if earliest_review is not None and d < earliest_review
                else start_checks.review_date_problem(d, start=start, planned_end=planned_end)
            ),
        )
