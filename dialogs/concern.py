"""Log a concern or chronology update: a dated safeguarding entry for the pupil's chronology.

For the commissioner's DSL (or the LA officer when the LA commissions) and the provider's staff.
The chronology is append-only: a correction is a new entry. A provider's entry is shared with
the provider and reaches the school's DSL at once; the DSL decides what the provider sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.common import (
    date_between,
    placement_label,
    pupil_label,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, uk_date
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action
from storage.models import ChronologyKind, ChronologySource, Placement, Role
from storage.services.chronology import ChronologyError, add_entry

KIND_LABELS = {
    ChronologyKind.concern: "Concern: something that worries you",
    ChronologyKind.action: "Action: something done about a concern",
    ChronologyKind.update: "Update: news, or a correction to an earlier entry",
}
KIND_CHOICES = [Choice(value=kind.value, label=label) for kind, label in KIND_LABELS.items()]
SOURCE_BY_ROLE = {
    Role.provider: ChronologySource.provider,
    Role.la_officer: ChronologySource.local_authority,
    Role.dsl: ChronologySource.school,
}


class ConcernDialog(PlacementDialog):
    name = "concern"
    title = "log concern"
    words = ("concern", "log concern", "update")
    needs = Action.write_chronology
    which = "Which pupil is this about?"
    nothing = "You have no active placements to add a chronology entry for."
    summary = "add a concern, action or update to a pupil's safeguarding chronology"

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        is_provider = ctx.person.role == Role.provider
        yield Step(
            "kind",
            PromptKind.choice,
            "What kind of entry is it?" + (" (blank for update)" if is_provider else ""),
            choices=KIND_CHOICES,
            default=ChronologyKind.update.value if is_provider else None,
        )
        yield Step(
            "entry_date",
            PromptKind.date,
            "What date did it happen? (blank for today)",
            sense=DateSense.happened,
            default="today",
            validate=date_between(
                None,
                ctx.today,
                too_early="",
                too_late="A chronology entry can't be dated in the future.",
            ),
        )
        yield Step(
            "text",
            PromptKind.text,
            "What happened? Stick to facts: what was seen or said (the pupil's own words where "
            "you can), who was involved, and what was done. A correction to an earlier entry "
            "goes here too: entries are never changed.",
        )
        if not is_provider:
            yield Step(
                "share_with_provider",
                PromptKind.yesno,
                f"Share this entry with {placement.provider.name}? Say yes if they need to know "
                "it to keep the pupil safe.",
            )
        yield Step("confirm", PromptKind.confirm, self._summary(ctx, answers, placement))

    def _summary(self, ctx: DialogContext, answers: Answers, placement: Placement) -> str:
        kind = KIND_LABELS[ChronologyKind(answers.get("kind"))].split(":")[0]
        lines = [
            "Please check, then answer yes to add it (entries can't be changed later):",
            f"Placement: {placement_label(ctx, placement)}",
            f"{kind}, dated {uk_date(answers.date('entry_date'))}",
            f"What happened: {answers.text('text')}",
        ]
        if ctx.person.role == Role.provider:
            lines.append("It will go to the school's designated safeguarding lead at once.")
        else:
            shared = answers.flag("share_with_provider")
            lines.append(f"Shared with {placement.provider.name}: {'yes' if shared else 'no'}")
        return "\n".join(lines)

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        entry_date = answers.date("entry_date")
        assert entry_date is not None
        is_provider = ctx.person.role == Role.provider
        share = not is_provider and answers.flag("share_with_provider")
        try:
            entry = await add_entry(
                ctx.session,
                ctx.change,
                placement=placement,
                kind=ChronologyKind(answers.get("kind")),
                source=SOURCE_BY_ROLE[ctx.person.role],
                text=answers.text("text") or "",
                entry_date=entry_date,
                shared_with=[placement.provider_id] if share else [],
            )
        except ChronologyError as error:
            raise AnswerError(str(error)) from error
        if is_provider:
            text = (
                f"Added to the chronology for {placement.reference} and sent to "
                f"{placement.commissioner.name}'s designated safeguarding lead."
            )
        else:
            text = (
                f"Added to {pupil_label(ctx, placement)}'s chronology ({placement.reference}), "
                f"dated {uk_date(entry_date)}. "
                + (
                    f"{placement.provider.name} has been sent it."
                    if share
                    else f"Not shared with {placement.provider.name}."
                )
            )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "entry_id": entry.id,
                    "kind": entry.kind.value,
                    "source": entry.source.value,
                    "entry_date": entry_date.isoformat(),
                    "shared_with_provider": placement.provider_id in entry.shared_with,
                },
            )
        ]
