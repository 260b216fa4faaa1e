"""The safeguarding checklist as questions: for each item, done / not yet (by when) / not
applicable (why). Used by start placement."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs.common import a_reason
from dialogs.context import Answers
from dialogs.engine import Step
from dialogs.parsing import DateSense, uk_date
from dialogs.prompts import Choice, Message, PromptKind
from storage.models import ChecklistStatus
from storage.rules import checklist, start_checks
from storage.rules.calendar import SchoolCalendar
from storage.services.placements import ChecklistAnswer, automatic_status

DONE, NOT_YET, NOT_APPLICABLE = "done", "not_yet", "na"
STATUS_CHOICES = [
    Choice(value=DONE, label="Done"),
    Choice(value=NOT_YET, label="Not yet"),
    Choice(value=NOT_APPLICABLE, label="Not applicable"),
]
# Items where evidence is worth a line when ticked at the start (the rest can add it later).
ASK_EVIDENCE = {
    "letter_of_assurance": "Date of the letter and who signed it? (optional, type skip)"
}


def _field(key: str, part: str = "") -> str:
    return f"check.{key}{'.' + part if part else ''}"


def questions_for(facts: checklist.ChecklistConditions) -> list[checklist.ChecklistDefinition]:
    """The items asked as questions: every applicable item the dialog doesn't settle itself."""
    return [item for item in checklist.applicable_items(facts) if not item.automatic]


async def steps(
    answers: Answers,
    *,
    fsm_eligible: bool,
    commissioner_is_school: bool,
    other_providers_involved: bool,
    start: dt.date,
    today: dt.date,
    reason: str | None = None,
    calendar: SchoolCalendar | None = None,
) -> AsyncIterator[Step]:
    """One question per item (and a follow-up for a due date or a reason). `reason`: why the
    pupil is in AP (some reasons add checks); `calendar`: the school's, for checks due school
    days before the start."""
    facts = checklist.ChecklistConditions(
        fsm_eligible=fsm_eligible,
        commissioner_is_school=commissioner_is_school,
        other_providers_involved=other_providers_involved,
        reason=reason,
    )
    section = ""
    for item in questions_for(facts):
        notes = []
        if item.section != section:
            section = item.section
            notes.append(Message(text=f"Checklist: {section}"))
        yield Step(
            _field(item.key),
            PromptKind.choice,
            f"{item.label}?{' (optional)' if item.optional else ''}\n{item.guidance}",
            # The Letter of Assurance is needed for every AP: never "not applicable".
            choices=STATUS_CHOICES if item.may_be_not_applicable else STATUS_CHOICES[:2],
            notes=notes,
        )
        status = answers.get(_field(item.key))
        if status == NOT_YET:
            # Never a default in the past (a placement that started earlier): due from today.
            default = max(checklist.default_due_date(item, start, calendar), today)
            yield Step(
                _field(item.key, "due"),
                PromptKind.date,
                f"By when? (blank for {uk_date(default)})",
                sense=DateSense.planned,
                default=default.isoformat(),
                validate=lambda due: start_checks.due_date_problem(due, today=today),
            )
        elif status == NOT_APPLICABLE:
            yield Step(
                _field(item.key, "reason"),
                PromptKind.text,
                "Why doesn't it apply?",
                validate=a_reason,
            )
        elif status == DONE and item.key in ASK_EVIDENCE:
            yield Step(
                _field(item.key, "evidence"), PromptKind.text, ASK_EVIDENCE[item.key], optional=True
            )


def answers_to_plan(answers: Answers) -> dict[str, ChecklistAnswer]:
    """The checklist answers in the form the placement service takes."""
    plan: dict[str, ChecklistAnswer] = {}
    for item in checklist.ALL_ITEMS:
        status = answers.get(_field(item.key))
        if status == DONE:
            plan[item.key] = ChecklistAnswer(
                status=ChecklistStatus.done, evidence=answers.text(_field(item.key, "evidence"))
            )
        elif status == NOT_YET:
            plan[item.key] = ChecklistAnswer(
                status=ChecklistStatus.not_done, due_date=answers.date(_field(item.key, "due"))
            )
        elif status == NOT_APPLICABLE:
            plan[item.key] = ChecklistAnswer(
                status=ChecklistStatus.not_applicable,
                na_reason=answers.text(_field(item.key, "reason")),
            )
    return plan


def planned_statuses(
    answers: Answers, facts: checklist.ChecklistConditions, *, is_full_time: bool
) -> list[ChecklistStatus]:
    """The status each applicable item will be saved with: as answered, or as the dialog
    settles it itself (an item not answered yet counts as to do)."""
    by_answer = {
        DONE: ChecklistStatus.done,
        NOT_YET: ChecklistStatus.not_done,
        NOT_APPLICABLE: ChecklistStatus.not_applicable,
    }
    return [
        automatic_status(item.key, is_full_time=is_full_time)
        if item.automatic
        else by_answer.get(str(answers.get(_field(item.key))), ChecklistStatus.not_done)
        for item in checklist.applicable_items(facts)
    ]


def summary(answers: Answers, facts: checklist.ChecklistConditions, *, is_full_time: bool) -> str:
    """One line: how the checklist will stand when saved (counted as every view counts it)."""
    counts = checklist.checklist_counts(planned_statuses(answers, facts, is_full_time=is_full_time))
    return (
        f"Checklist: {counts.done} done, {counts.to_do} still to do (they become due checks), "
        f"{counts.not_applicable} not applicable"
    )
