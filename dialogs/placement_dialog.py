"""A dialog about one placement, picked first: the opening that `visit`, `contact`, `concern`,
`check`, `end`, `withdraw`, `explain`, `late` and `absent` share, written once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

from dialogs.common import (
    as_begun,
    chosen_placement,
    placement_label,
    placements_for,
    remember_shared,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Choice, PromptKind
from storage.access import Action, can
from storage.models import Placement
from storage.services.placements import find_by_reference


class PlacementDialog(Dialog):
    """Asks "which placement?" first, among the person's active placements they may take
    `needs` on (in a shared channel: only that channel's organisation's), or takes the one typed
    after the command (`visit AP-7K3Q`) if they may use it and it is not closed. Where it began
    in a shared channel is kept with the answers, so every question is worded for it.

    Subclasses set `needs`, `which` and `nothing`, and write `after_placement` (the questions
    once the placement is known) and `finish` (which gets the placement from `chosen`)."""

    needs: ClassVar[Action]
    # The first question.
    which: ClassVar[str] = "Which placement?"
    # Said when there is no placement to pick.
    nothing: ClassVar[str]
    # A reference typed after the command that can't be used: "I can't find a placement
    # 'AP-7K3Q' {may_use}. Check the reference, or {to_list} to pick from a list."
    may_use: ClassVar[str] = "that you can use here"
    to_list: ClassVar[str] = "start without it"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        answers = Answers()
        if args.strip():
            reference = args.split()[0]
            placement = await find_by_reference(ctx.session, reference)
            if placement is None or not can(ctx.person, self.needs, placement, place=ctx.place):
                raise AnswerError(self.cannot_use(reference))
            if placement.status.is_closed:
                raise AnswerError(self.closed(placement))
            await self.refuse_named(ctx, placement)
            answers.data["placement"] = placement.reference
            ctx.found[placement.reference] = placement
        elif not await self._offered_once(ctx):
            raise await self.none_offered(ctx)
        return remember_shared(ctx, answers)

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        ctx = as_begun(ctx, answers)
        # The list only while it is the question: each turn walks the steps up to the next
        # question, and the list is the costliest part of it. Not a look-ahead (`given`): the
        # steps after this one use the placement picked, not the list, so the turn that
        # answers it goes on from here without walking again.
        placements = [] if answers.given("placement") else await self._offered_once(ctx)
        yield Step(
            field="placement",
            kind=PromptKind.choice,
            text=self.which,
            choices=[Choice(value=p.reference, label=self.label(ctx, p)) for p in placements],
        )
        placement = await self.chosen(ctx, answers)
        async for step in self.after_placement(ctx, answers, placement):
            yield step

    def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        """The questions once the placement is picked, given the answers so far."""
        raise NotImplementedError

    async def chosen(self, ctx: DialogContext, answers: Answers) -> Placement:
        """The placement answered, checked again (access may have changed since it was picked)."""
        return await chosen_placement(ctx, answers, self.needs)

    async def offered(self, ctx: DialogContext) -> list[Placement]:
        """The placements to pick from."""
        return await placements_for(ctx, self.needs)

    async def _offered_once(self, ctx: DialogContext) -> list[Placement]:
        """`offered`, read once a turn (`begin` and the first question's replays share it)."""
        placements = await ctx.once(
            ("offered", self.name, ctx.shared, ctx.place), lambda: self.offered(ctx)
        )
        # The one picked from them is checked again by `chosen`, without reading it again.
        for placement in placements:
            ctx.found.setdefault(placement.reference, placement)
        return placements

    def label(self, ctx: DialogContext, placement: Placement) -> str:
        """How a placement is offered."""
        return placement_label(ctx, placement)

    async def refuse_named(self, ctx: DialogContext, placement: Placement) -> None:
        """Raise AnswerError (or NothingToDo) if the placement named after the command can't be
        taken further in this dialog (e.g. `end` of one that has not started)."""

    async def none_offered(self, ctx: DialogContext) -> Exception:
        """What to say when there is nothing to pick (raised by `begin`)."""
        return AnswerError(self.nothing)

    def cannot_use(self, reference: str) -> str:
        return (
            f"I can't find a placement {reference.upper()!r} {self.may_use}. "
            f"Check the reference, or {self.to_list} to pick from a list."
        )

    def closed(self, placement: Placement) -> str:
        return f"{placement.reference} {placement.status.closed_phrase}."
