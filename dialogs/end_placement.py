"""End a placement: when, where the pupil went next, and how their return is supported."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs.common import (
    begin_with_placement,
    chosen_placement,
    date_between,
    placement_label,
    placement_step,
    pupil_label,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, DateSense, uk_date
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action
from storage.models import OrgKind, Placement, Role
from storage.services.placements import PlacementError, end_placement

RETURNED = "returned_to_school"
MAINSTREAM = "moved_to_mainstream"
SPECIAL = "moved_to_special_school"
OTHER_AP = "moved_to_other_ap"
OTHER = "other"
# Outcomes after which the pupil is back in mainstream education, so a return date is asked.
RETURN_OUTCOMES = {RETURNED, MAINSTREAM}


def outcome_labels(placement: Placement) -> dict[str, str]:
    """The outcomes in the commissioner's words (an LA has no 'our school')."""
    own = "our school" if placement.commissioner.kind == OrgKind.school else "their home school"
    return {
        RETURNED: f"Returned to {own}",
        MAINSTREAM: "Moved to another mainstream school",
        SPECIAL: "Moved to a special school",
        OTHER_AP: "Moved to another AP",
        OTHER: "Other",
    }


class EndPlacementDialog(Dialog):
    name = "end"
    title = "end placement"
    words = ("end", "end placement", "finish placement")
    roles = frozenset({Role.teacher, Role.dsl, Role.la_officer})
    summary = "end a placement: outcome, return date and reintegration"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        return await begin_with_placement(
            ctx, args, Action.end_placement, nothing="You have no active placements to end."
        )

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        yield await placement_step(ctx, answers, Action.end_placement, "Which placement is ending?")
        placement = await chosen_placement(ctx, answers, Action.end_placement)
        today = ctx.today
        yield Step(
            "ended_on",
            PromptKind.date,
            "What was the last day of the placement? (blank for today)",
            sense=DateSense.happened,
            default="today",
            validate=date_between(
                placement.start_date,
                today,
                too_early=f"{placement.reference} started on {uk_date(placement.start_date)}; "
                "it can't end before that.",
                too_late="Please end it on the day itself: until then I keep tracking attendance "
                "and visits.",
            ),
        )
        labels = outcome_labels(placement)
        yield Step(
            "outcome",
            PromptKind.choice,
            "Where does the pupil go next?",
            choices=[Choice(value=value, label=label) for value, label in labels.items()],
        )
        outcome = answers.text("outcome")
        if outcome in RETURN_OUTCOMES:
            yield Step(
                "return_date",
                PromptKind.date,
                "When does (or did) the pupil start back?",
                sense=DateSense.happened,
                validate=date_between(
                    placement.start_date,
                    today + dt.timedelta(days=366),
                    too_early="The return can't be before the placement started.",
                    too_late="Please pick a date within a year.",
                ),
            )
            notes_text = (
                "How will the pupil's return be supported? (e.g. phased timetable, a key adult, "
                "review meeting date)"
            )
        else:
            notes_text = "Where is the pupil going, and what was handed over? (brief notes)"
        yield Step("reintegration_notes", PromptKind.text, notes_text)
        yield Step("confirm", PromptKind.confirm, self._summary(ctx, answers, placement))

    def _summary(self, ctx: DialogContext, answers: Answers, placement: Placement) -> str:
        outcome = outcome_labels(placement)[answers.text("outcome") or OTHER]
        lines = [
            "Please check, then answer yes to end the placement:",
            f"Placement: {placement_label(ctx, placement)}",
            f"Last day: {uk_date(answers.date('ended_on'))}",
            f"Next: {outcome}",
        ]
        if answers.get("return_date"):
            lines.append(f"Starts back: {uk_date(answers.date('return_date'))}")
        lines.append(f"Notes: {answers.text('reintegration_notes')}")
        lines.append("Reminders for this placement (visits, checks, attendance) stop.")
        return "\n".join(lines)

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await chosen_placement(ctx, answers, Action.end_placement)
        ended_on = answers.date("ended_on")
        outcome = answers.text("outcome") or OTHER
        assert ended_on is not None
        return_date = answers.date("return_date") if outcome in RETURN_OUTCOMES else None
        try:
            await end_placement(
                ctx.session,
                ctx.change,
                placement,
                ended_on=ended_on,
                outcome=outcome,
                return_date=return_date,
                reintegration_notes=answers.text("reintegration_notes"),
            )
        except PlacementError as error:
            raise AnswerError(str(error)) from error
        label = outcome_labels(placement)[outcome]
        back = f", starting back {uk_date(return_date)}" if return_date else ""
        return [
            Done(
                dialog=self.name,
                text=(
                    f"Ended {placement.reference} ({pupil_label(ctx, placement)}) on "
                    f"{uk_date(ended_on)}: {label.lower()}{back}. Reminders for it have stopped."
                ),
                record={
                    "reference": placement.reference,
                    "status": placement.status.value,
                    "ended_on": ended_on.isoformat(),
                    "outcome": outcome,
                    "return_date": return_date.isoformat() if return_date else None,
                },
            )
        ]
