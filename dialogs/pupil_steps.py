"""Adding a new pupil inside a dialog: the questions, and saving the answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Choice, PromptKind
from storage.models import Pupil
from storage.rules import start_checks
from storage.services import directory

NEW_PUPIL = "new"
FLAG_CHOICES = [
    Choice(value="fsm_eligible", label="Eligible for free school meals"),
    Choice(value="ehcp", label="EHCP"),
    Choice(value="cp_plan", label="Child protection plan"),
    Choice(value="cin_plan", label="Child in need plan"),
    Choice(value="looked_after", label="Looked-after child"),
]


def parse_year_group(raw: str) -> int:
    """`9`, `Y9`, `year 9`; reception (`R`, `0`) and anything past 14 are refused with the reason."""
    text = raw.strip().lower().removeprefix("year").removeprefix("y").strip()
    if text in ("r", "reception"):
        text = "0"
    if not text.isdigit() or len(text) > 2:
        raise AnswerError("Please give a year group from 1 to 14, like 9 or Y9.")
    problem = start_checks.year_group_problem(int(text))
    if problem:
        raise AnswerError(problem)
    return int(text)


def parse_upn(raw: str) -> str:
    try:
        upn = directory.normalise_upn(raw)
    except directory.DirectoryError as error:
        raise AnswerError(str(error)) from error
    if upn is None:
        raise AnswerError("Please type the UPN, or skip.")
    return upn


async def steps() -> AsyncIterator[Step]:
    """The questions about a pupil the bot hasn't met."""
    yield Step("first_name", PromptKind.text, "The pupil's first name?", max_length=100)
    yield Step("last_name", PromptKind.text, "The pupil's last name?", max_length=100)
    yield Step("year_group", PromptKind.text, "Year group (1 to 14)?", parse=parse_year_group)
    yield Step(
        "upn",
        PromptKind.text,
        "Unique pupil number (UPN)? Type skip if you don't have it.",
        optional=True,
        parse=parse_upn,
    )
    yield Step(
        "flags",
        PromptKind.multichoice,
        "Which of these apply? Pick any (separate with commas), or type none.",
        choices=FLAG_CHOICES,
        optional=True,
    )


def flags_of(pupil: Pupil | None, answers: Answers) -> list[str]:
    """The pupil's flags: from the record, or from the answers for a new pupil."""
    if pupil is None:
        return answers.many("flags")
    return [choice.value for choice in FLAG_CHOICES if getattr(pupil, choice.value)]


async def add_new_pupil(ctx: DialogContext, answers: Answers, *, home_org_id: int) -> Pupil:
    """Save the new pupil the answers describe (in the dialog's transaction)."""
    flags = answers.many("flags")
    try:
        return await directory.add_pupil(
            ctx.session,
            ctx.change,
            home_org_id=home_org_id,
            first_name=answers.text("first_name") or "",
            last_name=answers.text("last_name") or "",
            year_group=answers.number("year_group") or 0,
            upn=answers.text("upn"),
            fsm_eligible="fsm_eligible" in flags,
            ehcp="ehcp" in flags,
            cp_plan="cp_plan" in flags,
            cin_plan="cin_plan" in flags,
            looked_after="looked_after" in flags,
        )
    except directory.DirectoryError as error:
        raise AnswerError(str(error)) from error
