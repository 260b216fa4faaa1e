"""Log a concern or chronology update: a dated safeguarding entry for the pupil's chronology.

For the commissioner's DSL (or the LA officer when the LA commissions) and the provider's staff;
the commissioning school's teachers log concerns only (they do not read the chronology). The
chronology is append-only: a correction is a new entry. A provider's entry is shared with the
provider and reaches the school's DSL at once, as does every concern; the DSL decides what the
provider sees. A serious concern (a setting found unsafe, a disclosure, a pupil missing) asks
the DSL to review the placement now (`decide`).
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
from storage.access import Action, can
from storage.models import ChronologyKind, ChronologySource, ConcernSeverity, Placement, Role
from storage.services.chronology import ChronologyError
from storage.services.concern_reviews import log_concern

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
    Role.teacher: ChronologySource.school,
}
NOT_SERIOUS = "none"
SEVERITY_LABELS = {
    ConcernSeverity.unsafe_setting: "The setting was found unsafe",
    ConcernSeverity.disclosure: "A disclosure: the pupil told someone of harm",
    ConcernSeverity.pupil_missing: "The pupil is missing",
}
SEVERITY_CHOICES = [
    *(Choice(value=kind.value, label=label) for kind, label in SEVERITY_LABELS.items()),
    Choice(value=NOT_SERIOUS, label="None of these"),
]


def _concerns_only(ctx: DialogContext, placement: Placement) -> bool:
    """A teacher logs concerns (for the DSL); actions and updates are the DSL's chronology."""
    return not can(ctx.person, Action.write_chronology, placement)


def _kind(ctx: DialogContext, answers: Answers, placement: Placement) -> ChronologyKind:
    if _concerns_only(ctx, placement):
        return ChronologyKind.concern
    return ChronologyKind(answers.get("kind"))


def _severity(answers: Answers) -> ConcernSeverity | None:
    value = answers.get("severity")
    return None if value in (None, NOT_SERIOUS) else ConcernSeverity(value)


class ConcernDialog(PlacementDialog):
    name = "concern"
    title = "log concern"
    words = ("concern", "log concern", "update")
    needs = Action.log_concern
    which = "Which pupil is this about?"
    nothing = "You have no active placements to add a chronology entry for."
    summary = "log a concern (DSL, provider: an action or update too) for the pupil's chronology"

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        is_provider = ctx.person.role == Role.provider
        concerns_only = _concerns_only(ctx, placement)
        if not concerns_only:
            yield Step(
                "kind",
                PromptKind.choice,
                "What kind of entry is it?" + (" (blank for update)" if is_provider else ""),
                choices=KIND_CHOICES,
                default=ChronologyKind.update.value if is_provider else None,
            )
        if _kind(ctx, answers, placement) == ChronologyKind.concern:
            yield Step(
                "severity",
                PromptKind.choice,
                "Is it one of these? If so the designated safeguarding lead is asked to review "
                "the placement now.",
                choices=SEVERITY_CHOICES,
                default=NOT_SERIOUS,
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
        if not is_provider and not concerns_only:
            yield Step(
                "share_with_provider",
                PromptKind.yesno,
                f"Share this entry with {placement.provider.name}? Say yes if they need to know "
                "it to keep the pupil safe.",
            )
        yield Step("confirm", PromptKind.confirm, self._summary(ctx, answers, placement))

    def _summary(self, ctx: DialogContext, answers: Answers, placement: Placement) -> str:
        kind = KIND_LABELS[_kind(ctx, answers, placement)].split(":")[0]
        lines = [
            "Please check, then answer yes to add it (entries can't be changed later):",
            f"Placement: {placement_label(ctx, placement)}",
            f"{kind}, dated {uk_date(answers.date('entry_date'))}",
            f"What happened: {answers.text('text')}",
        ]
        severity = _severity(answers)
        if severity is not None:
            lines.append(
                f"Serious: {SEVERITY_LABELS[severity].split(':')[0]}. The designated safeguarding "
                "lead will be asked to review the placement now."
            )
        if ctx.person.role == Role.provider or _concerns_only(ctx, placement):
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
        concerns_only = _concerns_only(ctx, placement)
        share = not is_provider and not concerns_only and answers.flag("share_with_provider")
        kind = _kind(ctx, answers, placement)
        try:
            entry, review = await log_concern(
                ctx.session,
                ctx.change,
                placement=placement,
                kind=kind,
                source=SOURCE_BY_ROLE[ctx.person.role],
                text=answers.text("text") or "",
                entry_date=entry_date,
                shared_with=[placement.provider_id] if share else [],
                severity=_severity(answers) if kind == ChronologyKind.concern else None,
            )
        except ChronologyError as error:
            raise AnswerError(str(error)) from error
        if is_provider or concerns_only:
            text = (
                f"Added to the chronology for {placement.reference} and sent to "
                f"{placement.commissioner.name}'s designated safeguarding lead."
            )
            if review is not None:
                text += " They have been asked to review the placement now."
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
            if review is not None:
                text += (
                    " It is serious: review the placement now and record your decision with "
                    f"decide {placement.reference}."
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
                    "review_id": review.id if review is not None else None,
                },
            )
        ]
