"""Withdraw a placement that has not started yet (started by mistake, or called off): it closes
with a reason, the provider is told (reference only) and the DSL is told, and nothing more is
asked or sent about it. A placement that has started is ended instead (`end`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.common import placement_label, placements_for, pupil_label
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, uk_date
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Done, PromptKind, Reply
from storage.access import Action, can
from storage.models import Placement
from storage.services.lifecycle import withdraw_placement
from storage.services.placements import PlacementError


class WithdrawDialog(PlacementDialog):
    name = "withdraw"
    title = "withdraw placement"
    words = ("withdraw", "withdraw placement")
    needs = Action.withdraw_placement
    which = "Which placement is withdrawn?"
    nothing = (
        "You have no placements still to start, so none to withdraw. To close one that "
        "has started, type end."
    )
    may_use = "that you can withdraw"
    to_list = "type withdraw on its own"
    summary = "withdraw a placement that has not started yet (with a reason)"

    def closed(self, placement: Placement) -> str:
        return f"{placement.reference} {placement.status.closed_phrase} already."

    async def refuse_named(self, ctx: DialogContext, placement: Placement) -> None:
        if placement.start_date <= ctx.today:
            raise AnswerError(
                f"{placement.reference} started on {uk_date(placement.start_date)}, so it "
                f"can't be withdrawn: end it instead (end {placement.reference})."
            )

    async def offered(self, ctx: DialogContext) -> list[Placement]:
        """The person's active placements whose first day is still to come."""
        placements = await placements_for(ctx, Action.withdraw_placement)
        return [p for p in placements if p.start_date > ctx.today]

    def label(self, ctx: DialogContext, placement: Placement) -> str:
        return f"{placement_label(ctx, placement)} · starts {uk_date(placement.start_date)}"

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
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
        placement = await self.chosen(ctx, answers)
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
