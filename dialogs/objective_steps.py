"""The placement's objectives as questions: one objective a line (or separated by ';'), then a
target date for each. Used by start placement and by change placement; `progress_steps` asks,
at a QA visit, how the pupil is getting on with each."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

from dialogs.common import date_between
from dialogs.context import Answers
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, parse_text, uk_date
from dialogs.prompts import Choice, PromptKind
from storage.models import ObjectiveProgress, PlacementObjective
from storage.services.placement_changes import MAX_OBJECTIVES, ObjectiveAgreed

PROGRESS_CHOICES = [Choice(value=p.value, label=p.label.capitalize()) for p in ObjectiveProgress]


def split_objectives(text: str) -> list[str]:
    """The objectives typed: one a line, or separated by ';'."""
    return [part.strip() for line in text.splitlines() for part in line.split(";") if part.strip()]


def _parse_objectives(raw: str) -> str:
    text = parse_text(raw, max_length=4000)
    found = split_objectives(text)
    if not found:
        raise AnswerError("Please give at least one objective.")
    if len(found) > MAX_OBJECTIVES:
        raise AnswerError(f"Please give at most {MAX_OBJECTIVES} objectives.")
    return text


def target_field(number: int) -> str:
    return f"objective_target.{number}"


async def steps(
    answers: Answers,
    *,
    earliest: dt.date,
    planned_end: dt.date | None,
    question: str = "What are the placement's objectives?",
) -> AsyncIterator[Step]:
    """The objectives, then each one's target date (blank for the planned end, if there is
    one). `earliest`: a target can't be before this day."""
    yield Step(
        "objectives",
        PromptKind.text,
        f"{question} One per line (or separated by ;), e.g. 'Attend every session; "
        "complete the English unit'. I'll ask a target date for each.",
        parse=_parse_objectives,
    )
    found = split_objectives(answers.text("objectives") or "")
    for number, objective in enumerate(found, start=1):
        blank = f" (blank for the planned end, {uk_date(planned_end)})" if planned_end else ""
        yield Step(
            target_field(number),
            PromptKind.date,
            f"By when should objective {number} be met: '{_short(objective)}'?{blank}",
            sense=DateSense.planned,
            default=uk_date(planned_end) if planned_end else None,
            validate=date_between(
                earliest,
                planned_end,
                too_early=f"The target can't be before {uk_date(earliest)}.",
                too_late=f"The target must be by the planned end ({uk_date(planned_end)}).",
            ),
        )


def agreed(answers: Answers) -> list[ObjectiveAgreed]:
    """The objectives answered, with their target dates."""
    return [
        ObjectiveAgreed(text=text, target_date=answers.date(target_field(number)))
        for number, text in enumerate(split_objectives(answers.text("objectives") or ""), start=1)
    ]


def progress_field(number: int, part: str = "") -> str:
    return f"progress.{number}{'.' + part if part else ''}"


async def progress_steps(
    answers: Answers, objectives: Sequence[PlacementObjective]
) -> AsyncIterator[Step]:
    """For each objective still open: how is the pupil progressing, and an optional note."""
    for number, objective in enumerate(objectives, start=1):
        by = f" (target {uk_date(objective.target_date)})" if objective.target_date else ""
        yield Step(
            progress_field(number),
            PromptKind.choice,
            f"Objective {number}: '{_short(objective.text)}'{by}. How is the pupil progressing?",
            choices=PROGRESS_CHOICES,
        )
        yield Step(
            progress_field(number, "note"),
            PromptKind.text,
            "Anything to add about it? (optional: type skip)",
            optional=True,
            max_length=1000,
        )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
