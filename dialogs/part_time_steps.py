"""A part-time timetable as questions, asked by `start` when the full-time check finds the
week short: the parent's agreement (refused without it), the exceptional circumstances, which
days are covered and so which sessions are C2, the time limit, and the review with the pupil
and parents. The rules are `storage/rules/part_time.py`."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

from dialogs.common import DAY_CHOICES
from dialogs.context import Answers
from dialogs.engine import Step
from dialogs.parsing import DateSense, uk_date
from dialogs.prompts import Message, PromptKind
from storage.models import Placement
from storage.rules import part_time, start_checks
from storage.services.part_time import PartTimePlan


def covered_days(answers: Answers, others: Sequence[Placement]) -> list[str]:
    """Weekdays with education planned: at the provider, at school, at another provider."""
    days = set(answers.many("provider_days")) | set(answers.many("school_days"))
    for other in others:
        days |= set(other.days)
    return [d for d in part_time.WEEKDAYS if d in days]


def _c2_note(covered: list[str]) -> Message:
    c2 = part_time.c2_days(covered)
    if not c2:
        return Message(
            level="info",
            text="Every weekday has some education planned, so no whole day is C2. Shorter days "
            "are marked in your own register.",
        )
    return Message(
        level="info",
        text=f"Education is planned on {part_time.days_text(covered)}. The sessions on "
        f"{part_time.days_text(c2)} will be C2 (part-time timetable) from the start until the "
        "time limit, and no longer.",
    )


async def steps(
    answers: Answers,
    *,
    start: dt.date,
    planned_end: dt.date | None,
    school_hours: Decimal,
    others: Sequence[Placement],
    today: dt.date,
    notes: list[Message],
) -> AsyncIterator[Step]:
    """The part-time questions. `others`: the pupil's other placements running at the start
    (their days are covered); `notes`: said before the first question (the full-time check)."""
    yield Step(
        "part_time_parent_agreed",
        PromptKind.yesno,
        "This is a part-time timetable. It is allowed only in exceptional circumstances, "
        "agreed with a parent or carer, for a limited time, and reviewed with the pupil and "
        "parents. Has a parent or carer agreed to it?",
        notes=notes,
        validate=lambda agreed: None if agreed else part_time.NO_AGREEMENT,
    )
    yield Step(
        "part_time_agreed_on",
        PromptKind.date,
        "When did they agree? (e.g. 27/11/2026, or today)",
        sense=DateSense.happened,
        validate=lambda day: part_time.agreed_on_problem(day, today=today),
    )
    yield Step(
        "part_time_circumstances",
        PromptKind.text,
        "What are the exceptional circumstances that mean the pupil can't attend full time "
        "for now? (Kept sealed; the provider never sees it.)",
    )
    if school_hours > 0:
        yield Step(
            "school_days",
            PromptKind.multichoice,
            "Which days is the pupil at your school? (e.g. thu, fri)",
            choices=DAY_CHOICES,
        )
    covered = covered_days(answers, others)
    yield Step(
        "part_time_ends",
        PromptKind.date,
        "Until when is the part-time timetable agreed (its time limit)? After it the pupil is "
        "back to full time, unless a review with the pupil and parents agrees a new limit.",
        sense=DateSense.planned,
        notes=[_c2_note(covered)],
        validate=lambda day: part_time.time_limit_problem(
            day, start=start, planned_end=planned_end
        ),
    )
    ends = answers.date("part_time_ends")
    assert ends is not None
    warning = part_time.time_limit_warning(ends, start=start)
    yield Step(
        "review_date",
        PromptKind.date,
        "When will it be reviewed with the pupil and parents (on or before the time limit)?",
        sense=DateSense.planned,
        notes=[Message(level="warning", text=warning)] if warning else [],
        validate=lambda day: (
            start_checks.review_date_problem(day, start=start, planned_end=planned_end)
            or part_time.review_problem(day, start=start, ends=ends)
        ),
    )


def plan(answers: Answers, others: Sequence[Placement]) -> PartTimePlan | None:
    """What was agreed, for the placement service (None: not a part-time timetable)."""
    agreed_on = answers.date("part_time_agreed_on")
    ends = answers.date("part_time_ends")
    if agreed_on is None or ends is None:
        return None
    return PartTimePlan(
        parent_agreed_on=agreed_on,
        circumstances=answers.text("part_time_circumstances") or "",
        ends_on=ends,
        covered_days=covered_days(answers, others),
    )


def summary(answers: Answers, others: Sequence[Placement]) -> list[str]:
    """The summary's lines about the part-time timetable (none for a full-time week)."""
    agreed_on = answers.date("part_time_agreed_on")
    ends = answers.date("part_time_ends")
    if agreed_on is None or ends is None:
        return []
    c2 = part_time.c2_days(covered_days(answers, others))
    return [
        f"Part-time timetable: agreed with a parent on {uk_date(agreed_on)}, until "
        f"{uk_date(ends)}; C2 on {part_time.days_text(c2)}",
        f"Review with the pupil and parents: {uk_date(answers.date('review_date'))}",
    ]
