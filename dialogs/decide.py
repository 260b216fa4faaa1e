"""Decide a serious concern's "review this placement now": continue with actions (what, by
whom, by when), suspend the placement, or end it. For the commissioner's safeguarding leads
only. The decision is recorded on the review and as a chronology entry (not shared with the
provider), and audited; ending hands over to `end`."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.common import date_between, placement_label, placements_for, pupil_label
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, NothingToDo, uk_date
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action
from storage.clock import LONDON
from storage.models import ConcernReview, Placement, ReviewDecision
from storage.services.concern_reviews import (
    DECISION_WORDS,
    SEVERITY_WORDS,
    ReviewError,
    decide,
    open_reviews,
)

DECISION_CHOICES = [
    Choice(
        value=ReviewDecision.continue_with_actions.value,
        label="Continue, with actions (what, by whom, by when)",
    ),
    Choice(
        value=ReviewDecision.suspend.value,
        label="Suspend: the pupil does not attend until it is safe",
    ),
    Choice(value=ReviewDecision.end.value, label="End the placement (then run end)"),
]
WHAT_TO_ASK = {
    ReviewDecision.continue_with_actions: (
        "What actions keep the pupil safe while the placement continues? (e.g. 'provider's "
        "DSL to meet us; daily check-in with the pupil')"
    ),
    ReviewDecision.suspend: (
        "What happens while it is suspended? (who tells the provider and the family, where "
        "the pupil is taught, when you will look at it again)"
    ),
    ReviewDecision.end: "Why does it end?",
}


class DecideDialog(PlacementDialog):
    name = "decide"
    title = "decide on a placement"
    words = ("decide", "review placement")
    needs = Action.decide_review
    which = "Which placement are you deciding on?"
    nothing = "No serious concern is waiting for your decision. 👍"
    may_use = "that you can decide on"
    to_list = "type decide on its own"
    summary = "after a serious concern: continue the placement with actions, suspend or end it"

    async def offered(self, ctx: DialogContext) -> list[Placement]:
        """The person's placements with a serious concern still to decide."""
        placements = await placements_for(ctx, self.needs)
        waiting = await open_reviews(ctx.session, [p.id for p in placements])
        return [p for p in placements if p.id in waiting]

    async def none_offered(self, ctx: DialogContext) -> Exception:
        return NothingToDo(self.nothing)

    async def refuse_named(self, ctx: DialogContext, placement: Placement) -> None:
        if not (await open_reviews(ctx.session, [placement.id])).get(placement.id):
            raise NothingToDo(
                f"No serious concern is waiting for a decision on {placement.reference}."
            )

    async def _reviews(self, ctx: DialogContext, placement: Placement) -> list[ConcernReview]:
        return (await open_reviews(ctx.session, [placement.id])).get(placement.id, [])

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        reviews = await self._reviews(ctx, placement)
        concerns = "; ".join(
            f"{SEVERITY_WORDS[r.severity]}, logged {uk_date(r.raised_at.astimezone(LONDON).date())}"
            for r in reviews
        )
        yield Step(
            "decision",
            PromptKind.choice,
            f"Serious concern for {placement_label(ctx, placement)}: {concerns}. "
            f"(Read it first with chronology {placement.reference}.) What do you decide?",
            choices=DECISION_CHOICES,
        )
        decision = ReviewDecision(answers.get("decision"))
        yield Step("actions", PromptKind.text, WHAT_TO_ASK[decision], max_length=2000)
        if decision == ReviewDecision.continue_with_actions:
            yield Step(
                "action_by",
                PromptKind.text,
                "Who does them? (names or roles, e.g. 'our DSL and the provider's DSL')",
                max_length=200,
            )
            yield Step(
                "action_due",
                PromptKind.date,
                "By when?",
                sense=DateSense.planned,
                validate=date_between(
                    ctx.today,
                    None,
                    too_early="The actions can't be due in the past.",
                    too_late="",
                ),
            )
        yield Step("confirm", PromptKind.confirm, self._summary(ctx, answers, placement))

    def _summary(self, ctx: DialogContext, answers: Answers, placement: Placement) -> str:
        decision = ReviewDecision(answers.get("decision"))
        lines = [
            "Please check, then answer yes to record the decision (it goes in the chronology, "
            "not shared with the provider):",
            f"Placement: {placement_label(ctx, placement)}",
            f"Decision: {DECISION_WORDS[decision]}",
            f"{'Actions' if decision == ReviewDecision.continue_with_actions else 'Why, and what next'}: "
            f"{answers.text('actions')}",
        ]
        if decision == ReviewDecision.continue_with_actions:
            lines.append(
                f"By: {answers.text('action_by')}, by {uk_date(answers.date('action_due'))}"
            )
        return "\n".join(lines)

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        decision = ReviewDecision(answers.get("decision"))
        try:
            reviews, entry = await decide(
                ctx.session,
                ctx.change,
                placement=placement,
                decision=decision,
                actions=answers.text("actions") or "",
                action_by=answers.text("action_by"),
                action_due=answers.date("action_due"),
            )
        except ReviewError as error:
            raise AnswerError(str(error)) from error
        ref = placement.reference
        text = f"Recorded in {pupil_label(ctx, placement)}'s chronology ({ref}): {DECISION_WORDS[decision]}."
        if decision == ReviewDecision.suspend:
            text += (
                " The placement stays open in AP Safeguard while it is suspended: tell the "
                "provider and the family, and end it (end "
                f"{ref}) if it does not resume."
            )
        elif decision == ReviewDecision.end:
            text += f" Now end it: type end {ref} (the provider is told when you do)."
        else:
            text += " The provider has not been sent this entry: share what they need with concern."
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": ref,
                    "decision": decision.value,
                    "reviews": [r.id for r in reviews],
                    "entry_id": entry.id,
                },
            )
        ]
