"""Log a contact about a placement: with the provider (the regular, weekly conversation), a
parent or carer, or the pupil (the guidance asks for ongoing contact with all three), kept apart
from attendance and concerns. Only a contact with the provider is the weekly contact."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs.common import (
    date_between,
    pupil_label,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, uk_date
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action
from storage.models import ContactMethod, ContactWith, Placement
from storage.rules import cadence
from storage.services.contacts import ContactError, last_provider_contact, log_contact

METHOD_LABELS = {
    ContactMethod.phone: "Phone call",
    ContactMethod.email: "Email",
    ContactMethod.meeting: "Meeting",
    ContactMethod.visit: "Visit",
    ContactMethod.video: "Video call",
}
# Who the contact was with, as the contact log and the summary say it.
WITH_LABELS = {
    ContactWith.provider: "the provider",
    ContactWith.parent_carer: "a parent or carer",
    ContactWith.pupil: "the pupil",
}
METHOD_CHOICES = [
    Choice(value=method.value, label=label) for method, label in METHOD_LABELS.items()
]
# How far back a contact may be logged: long enough for a forgotten week, short enough to
# catch a mistyped year.
OLDEST_DAYS = 60


class ContactDialog(PlacementDialog):
    name = "contact"
    title = "log contact"
    words = ("contact", "log contact", "weekly contact")
    needs = Action.log_contact
    which = "Which placement was the contact about?"
    nothing = "You have no active placements to log a contact for."
    summary = "log a contact with a provider (the weekly contact), a parent or carer, or the pupil"

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        today = ctx.today
        yield Step(
            "with_whom",
            PromptKind.choice,
            "Who was the contact with?",
            choices=[
                Choice(
                    value=ContactWith.provider.value, label=f"Provider ({placement.provider.name})"
                ),
                Choice(value=ContactWith.parent_carer.value, label="Parent or carer"),
                Choice(value=ContactWith.pupil.value, label="Pupil"),
            ],
            default=ContactWith.provider.value,
        )
        yield Step(
            "contact_date",
            PromptKind.date,
            "When was the contact? (blank for today)",
            sense=DateSense.happened,
            default="today",
            validate=date_between(
                today - dt.timedelta(days=OLDEST_DAYS),
                today,
                too_early=f"Please pick a day in the last {OLDEST_DAYS} days.",
                too_late="The contact date can't be in the future.",
            ),
        )
        yield Step("method", PromptKind.choice, "How did you talk?", choices=METHOD_CHOICES)
        yield Step(
            "summary",
            PromptKind.text,
            "What was discussed, briefly? (progress, attendance patterns, anything agreed; "
            "log any safeguarding concern with your DSL separately)",
        )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        contact_date = answers.date("contact_date")
        assert contact_date is not None
        with_whom = ContactWith(answers.get("with_whom") or ContactWith.provider)
        try:
            contact = await log_contact(
                ctx.session,
                ctx.change,
                placement=placement,
                contact_date=contact_date,
                with_whom=with_whom,
                method=ContactMethod(answers.get("method")),
                summary=answers.text("summary") or "",
            )
        except ContactError as error:
            raise AnswerError(str(error)) from error
        # The weekly contact is with the provider: a parent's or the pupil's does not move it.
        last = await last_provider_contact(ctx.session, placement)
        since = placement.start_date if last is None else max(last, placement.start_date)
        next_due = uk_date(since + dt.timedelta(days=cadence.CONTACT_INTERVAL_DAYS))
        about = f"{pupil_label(ctx, placement)} ({placement.reference})"
        if with_whom == ContactWith.provider:
            text = (
                f"Saved your contact with {placement.provider.name} about {about} on "
                f"{uk_date(contact_date)}. The next weekly contact is due by {next_due}."
            )
        else:
            text = (
                f"Saved your contact with {WITH_LABELS[with_whom]} about {about} on "
                f"{uk_date(contact_date)}. It is not the weekly contact with "
                f"{placement.provider.name}, which is due by {next_due}."
            )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "contact_id": contact.id,
                    "contact_date": contact_date.isoformat(),
                    "with_whom": contact.with_whom.value,
                    "method": contact.method.value,
                },
            )
        ]
