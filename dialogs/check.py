"""Tick a check: mark one of a placement's outstanding safeguarding checks done (with evidence),
not applicable (with a reason), or give it a new due date."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs.common import (
    a_reason,
    date_between,
    placements_for,
    pupil_label,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, NothingToDo, uk_date
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action, can
from storage.models import ChecklistItem, ChecklistStatus, Placement
from storage.rules import checklist
from storage.services.placements import PlacementError, ensure_loaded, update_checklist_item

DONE, NOT_APPLICABLE, NEW_DATE = "done", "na", "new_date"
OUTCOME_CHOICES = [
    Choice(value=DONE, label="Done"),
    Choice(value=NOT_APPLICABLE, label="Not applicable"),
    Choice(value=NEW_DATE, label="Not yet: set a new due date"),
]


def open_items(placement: Placement) -> list[ChecklistItem]:
    """The placement's checks not done yet, soonest due first."""
    items = [i for i in placement.checklist if i.status == ChecklistStatus.not_done]
    return sorted(items, key=lambda i: (i.due_date or dt.date.max, i.id))


def item_label(item: ChecklistItem, today: dt.date) -> str:
    """`Letter of Assurance received (due 02/11/2026 OVERDUE)`."""
    label = checklist.definition(item.key).label
    if item.due_date is None:
        return label
    late = " OVERDUE" if item.due_date < today else ""
    return f"{label} (due {uk_date(item.due_date)}{late})"


def outcome_choices(
    ctx: DialogContext, placement: Placement, definition: checklist.ChecklistDefinition
) -> list[Choice]:
    """What may happen to this check: never "not applicable" for the Letter of Assurance (or a
    follow-up), and only a DSL may move the Letter of Assurance's due date."""
    choices = [OUTCOME_CHOICES[0]]
    if definition.may_be_not_applicable:
        choices.append(OUTCOME_CHOICES[1])
    if definition.key != checklist.LETTER_OF_ASSURANCE or can(
        ctx.person, Action.move_letter_due, placement
    ):
        choices.append(OUTCOME_CHOICES[2])
    return choices


class CheckDialog(PlacementDialog):
    name = "check"
    title = "tick a check"
    words = ("check", "tick", "tick check")
    needs = Action.tick_check
    nothing = "You have no active placements with checks to do."
    summary = "tick off a safeguarding check (e.g. Letter of Assurance received)"

    async def refuse_named(self, ctx: DialogContext, placement: Placement) -> None:
        await ensure_loaded(ctx.session, placement, "checklist")
        if not open_items(placement):
            raise NothingToDo(f"Every check for {placement.reference} is done. 👍")

    async def none_offered(self, ctx: DialogContext) -> Exception:
        if not await placements_for(ctx, Action.tick_check):
            return await super().none_offered(ctx)
        return NothingToDo("Every check on your placements is done. Nothing to tick. 👍")

    async def offered(self, ctx: DialogContext) -> list[Placement]:
        """Only placements with a check still to do."""
        placements = await placements_for(ctx, Action.tick_check)
        for placement in placements:
            await ensure_loaded(ctx.session, placement, "checklist")
        return [p for p in placements if open_items(p)]

    async def chosen(self, ctx: DialogContext, answers: Answers) -> Placement:
        """The placement answered, with its checklist."""
        placement = await super().chosen(ctx, answers)
        return await ensure_loaded(ctx.session, placement, "checklist")

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        today = ctx.today
        yield Step(
            "item",
            PromptKind.choice,
            f"Which check for {placement.reference}?",
            choices=[
                Choice(value=item.key, label=item_label(item, today))
                for item in open_items(placement)
            ],
        )
        definition = checklist.definition(answers.text("item") or "")
        label = definition.label
        yield Step(
            "outcome",
            PromptKind.choice,
            f"{label}: what's happened?",
            choices=outcome_choices(ctx, placement, definition),
        )
        outcome = answers.get("outcome")
        if outcome == DONE:
            yield Step(
                "evidence",
                PromptKind.text,
                "Any evidence to note? e.g. 'Letter dated 20/11/2026, signed by the head' "
                "(optional: type skip)",
                optional=True,
            )
        elif outcome == NOT_APPLICABLE:
            yield Step(
                "reason",
                PromptKind.text,
                "Why doesn't it apply to this placement?",
                validate=a_reason,
            )
        else:
            yield Step(
                "due_date",
                PromptKind.date,
                "By when will it be done?",
                sense=DateSense.planned,
                validate=date_between(
                    today,
                    today + dt.timedelta(days=366),
                    too_early="The new due date can't be in the past.",
                    too_late="Please pick a date within a year.",
                ),
            )
            if definition.key == checklist.LETTER_OF_ASSURANCE:
                yield Step(
                    "why_moved",
                    PromptKind.text,
                    "Why is the Letter of Assurance late, and what are you doing about it? "
                    "(kept in the audit log)",
                    max_length=1000,
                    validate=a_reason,
                )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        key = answers.text("item")
        item = next((i for i in open_items(placement) if i.key == key), None)
        if item is None:
            raise AnswerError("That check has already been dealt with; please pick another.")
        outcome = answers.get("outcome")
        status = {
            DONE: ChecklistStatus.done,
            NOT_APPLICABLE: ChecklistStatus.not_applicable,
            NEW_DATE: ChecklistStatus.not_done,
        }[outcome]
        try:
            await update_checklist_item(
                ctx.session,
                ctx.change,
                item,
                status=status,
                evidence=answers.text("evidence"),
                na_reason=answers.text("reason"),
                due_date=answers.date("due_date"),
                reason=answers.text("why_moved"),
            )
        except PlacementError as error:
            raise AnswerError(str(error)) from error
        label = checklist.definition(item.key).label
        done_text = {
            DONE: f"Ticked: {label}",
            NOT_APPLICABLE: f"Marked not applicable: {label}",
            NEW_DATE: f"Moved {label} to {uk_date(item.due_date)}; I'll remind you then",
        }[outcome]
        remaining = checklist.checklist_counts(i.status for i in placement.checklist).to_do
        return [
            Done(
                dialog=self.name,
                text=(
                    f"{done_text} ({placement.reference}, {pupil_label(ctx, placement)}). "
                    + (
                        "Nothing else is still to do for this placement."
                        if remaining == 0
                        else f"{remaining} check{'' if remaining == 1 else 's'} still to do "
                        "for this placement."
                    )
                ),
                record={
                    "reference": placement.reference,
                    "item": item.key,
                    "status": item.status.value,
                    "due_date": item.due_date.isoformat() if item.due_date else None,
                    "remaining": remaining,
                },
            )
        ]
