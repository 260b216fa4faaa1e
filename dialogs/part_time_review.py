"""Review a part-time timetable with the pupil and parents (`review AP-XXXX`): when it was
held, who took part, what they said (sealed), and the outcome: back to full time, or a new time
limit agreed with the parent and the next review. Each review is kept (the history); the
agreement takes its outcome, and the register's C2 follows it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.common import placement_label, placements_for
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, uk_date
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, Message, PromptKind, Reply
from storage.access import Action
from storage.models import PartTimeTimetable, Placement
from storage.rules import part_time
from storage.services.part_time import (
    PartTimeError,
    ReviewPlan,
    current_timetable,
    record_review,
)

FULL_TIME = "full_time"
CONTINUE = "continue"


class PartTimeReviewDialog(PlacementDialog):
    name = "review"
    title = "review a part-time timetable"
    words = ("review", "part-time review", "review part-time")
    # Recording how an agreed arrangement stands is the commissioner's, like ticking a check.
    needs = Action.tick_check
    which = "Which pupil's part-time timetable was reviewed?"
    nothing = "None of your placements has a part-time timetable running, so none to review."
    may_use = "with a part-time timetable you can review"
    to_list = "type review on its own"
    summary = "record a part-time timetable's review with the pupil and parents"

    async def _running(self, ctx: DialogContext, placement: Placement) -> PartTimeTimetable | None:
        timetable = await ctx.once(
            ("part-time", placement.id), lambda: current_timetable(ctx.session, placement.id)
        )
        return timetable if timetable is not None and timetable.ended_on is None else None

    async def offered(self, ctx: DialogContext) -> list[Placement]:
        return [
            p
            for p in await placements_for(ctx, self.needs)
            if await self._running(ctx, p) is not None
        ]

    async def refuse_named(self, ctx: DialogContext, placement: Placement) -> None:
        if await self._running(ctx, placement) is None:
            raise AnswerError(f"{placement.reference} has no part-time timetable running.")

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        timetable = await self._running(ctx, placement)
        if timetable is None:
            raise AnswerError(f"{placement.reference} has no part-time timetable running.")
        today = ctx.today
        yield Step(
            "held_on",
            PromptKind.date,
            "When was the review held? (e.g. today)",
            sense=DateSense.happened,
            notes=[
                Message(
                    text=f"Part-time timetable agreed until {uk_date(timetable.ends_on)}, "
                    f"review due {uk_date(timetable.review_date)}; C2 on "
                    f"{part_time.days_text(part_time.c2_days(timetable.covered))}."
                )
            ],
            validate=lambda day: (
                "The review must have been held already (not a future date)."
                if day > today
                else "The review can't be before the part-time timetable started "
                f"({uk_date(timetable.starts_on)})."
                if day < timetable.starts_on
                else None
            ),
        )
        yield Step("with_pupil", PromptKind.yesno, "Did the pupil take part?")
        yield Step("with_parents", PromptKind.yesno, "Did a parent or carer take part?")
        missing = [
            who
            for who, field in (("the pupil", "with_pupil"), ("a parent or carer", "with_parents"))
            if answers.get(field) is False
        ]
        yield Step(
            "notes",
            PromptKind.text,
            "What did the pupil and parents say, and what was agreed? (Kept sealed.)",
            notes=[
                Message(
                    level="warning",
                    text=f"The guidance asks for reviews with the pupil and parents: "
                    f"{' and '.join(missing)} did not take part. Say why below.",
                )
            ]
            if missing
            else [],
        )
        yield Step(
            "outcome",
            PromptKind.choice,
            "What was decided?",
            choices=[
                Choice(value=FULL_TIME, label="Back to full time (the part-time timetable ends)"),
                Choice(value=CONTINUE, label="Continue part-time, with a new time limit"),
            ],
        )
        if answers.get("outcome") == CONTINUE:
            held = answers.date("held_on")
            assert held is not None
            yield Step(
                "parent_agreed",
                PromptKind.yesno,
                "Has a parent or carer agreed to the new time limit?",
                validate=lambda agreed: None if agreed else part_time.NO_AGREEMENT,
            )
            yield Step(
                "new_ends_on",
                PromptKind.date,
                "The new time limit?",
                sense=DateSense.planned,
                validate=lambda day: part_time.time_limit_problem(
                    day, start=held, planned_end=placement.planned_end_date
                ),
            )
            ends = answers.date("new_ends_on")
            assert ends is not None
            warning = part_time.time_limit_warning(ends, start=held)
            yield Step(
                "next_review_date",
                PromptKind.date,
                "When is the next review with the pupil and parents?",
                sense=DateSense.planned,
                notes=[Message(level="warning", text=warning)] if warning else [],
                validate=lambda day: part_time.review_problem(day, start=held, ends=ends),
            )
        outcome = (
            "back to full time"
            if answers.get("outcome") == FULL_TIME
            else f"continue until {uk_date(answers.date('new_ends_on'))}, next review "
            f"{uk_date(answers.date('next_review_date'))}"
        )
        yield Step(
            "confirm",
            PromptKind.confirm,
            "\n".join(
                [
                    "Please check, then answer yes to save:",
                    f"Placement: {placement_label(ctx, placement)}",
                    f"Review held: {uk_date(answers.date('held_on'))} (pupil: "
                    f"{'yes' if answers.get('with_pupil') else 'no'}, parent or carer: "
                    f"{'yes' if answers.get('with_parents') else 'no'})",
                    f"Outcome: {outcome}",
                ]
            ),
        )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        timetable = await current_timetable(ctx.session, placement.id)
        held = answers.date("held_on")
        if timetable is None or held is None:
            raise AnswerError(f"{placement.reference} has no part-time timetable running.")
        back = answers.get("outcome") == FULL_TIME
        try:
            await record_review(
                ctx.session,
                ctx.change,
                timetable,
                ReviewPlan(
                    held_on=held,
                    with_pupil=bool(answers.get("with_pupil")),
                    with_parents=bool(answers.get("with_parents")),
                    notes=answers.text("notes"),
                    back_to_full_time=back,
                    new_ends_on=answers.date("new_ends_on"),
                    next_review_date=answers.date("next_review_date"),
                ),
            )
        except PartTimeError as error:
            raise AnswerError(str(error)) from error
        text = (
            f"Review saved. {placement.reference}'s part-time timetable ended on "
            f"{uk_date(held)}: no more C2 after that day. Record the full-time week with "
            f"`change {placement.reference}` (days and hours): until then the timetable still "
            "falls short, and its review stays due."
            if back
            else f"Review saved. {placement.reference}'s part-time timetable now runs until "
            f"{uk_date(timetable.ends_on)}; next review {uk_date(timetable.review_date)}."
        )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "outcome": FULL_TIME if back else CONTINUE,
                    "ends_on": timetable.ends_on.isoformat(),
                    "ended_on": timetable.ended_on.isoformat() if timetable.ended_on else None,
                    "review_date": timetable.review_date.isoformat(),
                },
            )
        ]
