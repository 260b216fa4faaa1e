"""Withdraw a placement that has not started yet (started by mistake, or called off): it closes
with a reason, the provider is told (reference only) and the DSL is told, and nothing more is
asked or sent about it. A placement that has started is ended instead (`end`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.common import chosen_placement, placement_label, placements_for, pupil_label
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, uk_date
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action, can
from storage.models import Placement
from storage.services.lifecycle import withdraw_placement
from storage.services.placements import PlacementError, find_by_reference


async def not_started(ctx: DialogContext) -> list[Placement]:
    """The person's active placements whose first day is still to come."""
    placements = await placements_for(ctx, Action.withdraw_placement)
    return [p for p in placements if p.start_date > ctx.today]


class WithdrawDialog(Dialog):
    name = "withdraw"
    title = "withdraw placement"
    words = ("withdraw", "withdraw placement")
    needs = Action.withdraw_placement
    summary = "withdraw a placement that has not started yet (with a reason)"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if args.strip():
            reference = args.split()[0]
            placement = await find_by_reference(ctx.session, reference)
            if placement is None or not can(ctx.person, Action.withdraw_placement, placement):
                raise AnswerError(
                    f"I can't find a placement {reference.upper()!r} that you can withdraw. "
                    "Check the reference, or type withdraw on its own to pick from a list."
                )
            if placement.status.is_closed:
                raise AnswerError(
                    f"{placement.reference} {placement.status.closed_phrase} already."
                )
            if placement.start_date <= ctx.today:
                raise AnswerError(
                    f"{placement.reference} started on {uk_date(placement.start_date)}, so it "
                    f"can't be withdrawn: end it instead (end {placement.reference})."
                )
            ctx.found[placement.reference] = placement
            return Answers({"placement": placement.reference})
        if not await not_started(ctx):
            raise AnswerError(
                "You have no placements still to start, so none to withdraw. To close one that "
                "has started, type end."
            )
        return Answers()

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        placements = [] if "placement" in answers else await not_started(ctx)
        yield Step(
            "placement",
            PromptKind.choice,
            "Which placement is withdrawn?",
            choices=[
                Choice(
                    value=p.reference,
                    label=f"{placement_label(ctx, p)} · starts {uk_date(p.start_date)}",
                )
                for p in placements
            ],
        )
        placement = await chosen_placement(ctx, answers, Action.withdraw_placement)
        yield Step(
            "reason",
            PromptKind.text,
            "Why is it withdrawn? (e.g. 'started by mistake', 'parents declined the place')",
            max_length=1000,
        )
        yield Step(
            "confirm",
            PromptKind.confirm,
            "\n".join(
                [
                    "Please check, then answer yes to withdraw the placement:",
                    f"Placement: {placement_label(ctx, placement)}",
                    f"Was due to start: {uk_date(placement.start_date)}",
                    f"Reason: {answers.text('reason')}",
                    "The provider is told (reference only) and the DSL is told. Nothing more "
                    "is asked or sent about it.",
                ]
            ),
        )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await chosen_placement(ctx, answers, Action.withdraw_placement)
        try:
            await withdraw_placement(
                ctx.session, ctx.change, placement, reason=answers.text("reason") or ""
            )
        except PlacementError as error:
            raise AnswerError(str(error)) from error
        # A DSL withdrawing it needs no message about it (`tell_leads` skips them).
        dsl = "" if can(ctx.person, Action.read_chronology, placement) else ", and your DSL"
        return [
            Done(
                dialog=self.name,
                text=(
                    f"Withdrawn: {placement.reference} ({pupil_label(ctx, placement)}) will not "
                    f"start. The provider has been told (the reference only){dsl}. Reminders "
                    "for it have stopped."
                ),
                record={
                    "reference": placement.reference,
                    "status": placement.status.value,
                    "withdrawn_on": placement.ended_on.isoformat() if placement.ended_on else None,
                },
            )
        ]
