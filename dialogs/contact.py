"""Log a contact: the regular (weekly) conversation with the provider about a placement, kept
apart from attendance and concerns."""

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
from storage.models import ContactMethod, Placement
from storage.rules import cadence
from storage.services.contacts import ContactError, log_contact

METHOD_LABELS = {
    ContactMethod.phone: "Phone call",
    ContactMethod.email: "Email",
    ContactMethod.meeting: "Meeting",
    ContactMethod.visit: "Visit",
    ContactMethod.video: "Video call",
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
    summary = "log your weekly contact with a provider"

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        today = ctx.today
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
        try:
            contact = await log_contact(
                ctx.session,
                ctx.change,
                placement=placement,
                contact_date=contact_date,
                method=ContactMethod(answers.get("method")),
                summary=answers.text("summary") or "",
            )
        except ContactError as error:
            raise AnswerError(str(error)) from error
        next_due = contact_date + dt.timedelta(days=cadence.CONTACT_INTERVAL_DAYS)
        return [
            Done(
                dialog=self.name,
                text=(
                    f"Saved your contact with {placement.provider.name} about "
                    f"{pupil_label(ctx, placement)} ({placement.reference}) on "
                    f"{uk_date(contact_date)}. The next weekly contact is due by {uk_date(next_due)}."
                ),
                record={
                    "reference": placement.reference,
                    "contact_id": contact.id,
                    "contact_date": contact_date.isoformat(),
                    "method": contact.method.value,
                },
            )
        ]
