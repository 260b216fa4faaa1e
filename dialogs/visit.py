"""Log a QA visit: what you saw, what the pupil told you in their own words, any concerns, and
when the next visit is due (at least twice a term)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs import objective_steps
from dialogs.common import (
    date_between,
    placement_label,
    pupil_label,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, uk_date, uk_date_long
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, Message, PromptKind, Reply
from storage.access import Action
from storage.models import (
    ObjectiveProgress,
    ObjectiveStatus,
    Placement,
    PlacementObjective,
    QaRating,
)
from storage.rules import cadence
from storage.services.outbox import safeguarding_leads
from storage.services.placement_changes import ChangeError, current_objectives, record_progress
from storage.services.visits import (
    VisitError,
    log_visit,
    placement_calendar,
    qa_interval_days,
    revisit_reason,
)

RATING_LABELS = {
    QaRating.good: "Good",
    QaRating.satisfactory: "Satisfactory",
    QaRating.requires_improvement: "Requires improvement",
    QaRating.inadequate: "Inadequate",
}
RATING_CHOICES = [
    Choice(value=rating.value, label=label) for rating, label in RATING_LABELS.items()
]


async def _open_objectives(ctx: DialogContext, placement: Placement) -> list[PlacementObjective]:
    """The placement's objectives not yet achieved (read once a turn)."""

    async def load() -> list[PlacementObjective]:
        objectives = await current_objectives(ctx.session, placement.id)
        return [o for o in objectives if o.status == ObjectiveStatus.open]

    return await ctx.once(("visit-objectives", placement.id), load)


def _yes(value: object) -> str:
    return "yes" if value else "no"


class VisitDialog(PlacementDialog):
    name = "visit"
    title = "log QA visit"
    words = ("visit", "log visit", "qa visit")
    needs = Action.log_visit
    which = "Which placement did you visit?"
    nothing = "You have no active placements to log a visit for."
    summary = "log a QA visit: pupil seen, pupil voice, setting safe, concerns, next visit due"

    async def intro(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        # Written out: the default capitalises the title, which would turn QA into "qa".
        return [
            Message(
                text="Log a QA visit. Type cancel at any time to stop, back to change the last answer."
            )
        ]

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        today = ctx.today
        yield Step(
            "visit_date",
            PromptKind.date,
            "When was the visit? (blank for today)",
            sense=DateSense.happened,
            default="today",
            validate=date_between(
                placement.start_date,
                today,
                too_early=f"{placement.reference} started on {uk_date(placement.start_date)}; "
                "the visit can't be before that.",
                too_late="The visit date can't be in the future.",
            ),
        )
        visit_date = answers.date("visit_date")
        assert visit_date is not None
        yield Step("pupil_seen", PromptKind.yesno, "Did you see the pupil?")
        if answers.flag("pupil_seen"):
            yield Step(
                "pupil_voice",
                PromptKind.text,
                "In the pupil's own words, what did they tell you about the placement?",
            )
        else:
            yield Step(
                "why_not_seen",
                PromptKind.text,
                "Why weren't you able to see the pupil? (The guidance expects you to talk with "
                "them at each visit.)",
            )
        yield Step("setting_safe", PromptKind.yesno, "Is the setting safe and secure?")
        yield Step(
            "register_matches",
            PromptKind.yesno,
            "Does the provider's register match what you were told?",
        )
        if answers.get("register_matches") is False:
            yield Step(
                "register_difference",
                PromptKind.text,
                "What differed? (e.g. 'register shows Tue 24/11 present; the pupil says they "
                "were at home') It becomes a follow-up check.",
                max_length=1000,
            )
        yield Step(
            "any_concerns", PromptKind.yesno, "Did anything on the visit worry you (a concern)?"
        )
        if answers.flag("any_concerns"):
            yield Step(
                "concerns",
                PromptKind.text,
                "What is the concern? Stick to facts: what you saw or heard, and who said it. "
                "Your DSL will be alerted and a chronology entry started.",
            )
        yield Step(
            "rating",
            PromptKind.choice,
            "Overall, how would you rate the placement?",
            choices=RATING_CHOICES,
        )
        yield Step(
            "actions_agreed",
            PromptKind.text,
            "Any actions agreed with the provider? (optional: type skip)",
            optional=True,
        )
        async for step in objective_steps.progress_steps(
            answers, await _open_objectives(ctx, placement)
        ):
            yield step
        interval = qa_interval_days(placement)
        # Counted in term time: holidays and bank holidays do not use up the six weeks.
        calendar = await placement_calendar(ctx.session, placement, min(visit_date, today))
        suggested = cadence.next_qa_due(visit_date, interval_days=interval, calendar=calendar)
        latest = cadence.latest_allowed_next_visit(
            visit_date, interval_days=interval, calendar=calendar
        )
        question = f"When is the next visit due? (blank for {uk_date(suggested)})"
        too_late = f"At least twice a term: the next visit must be by {uk_date(latest)}."
        rating = answers.get("rating")
        if rating is not None and cadence.needs_revisit(
            setting_safe=bool(answers.flag("setting_safe")),
            inadequate=rating == QaRating.inadequate.value,
        ):
            suggested = latest = min(latest, cadence.latest_revisit(visit_date, today, calendar))
            reason = revisit_reason(bool(answers.flag("setting_safe")), QaRating(rating))
            days = cadence.REVISIT_SCHOOL_DAYS
            question = (
                f"As {reason}, please revisit within {days} school days. When will you go "
                f"back? (blank for {uk_date(suggested)})"
            )
            too_late = f"Please revisit within {days} school days, by {uk_date(latest)}."
        yield Step(
            "next_visit_due",
            PromptKind.date,
            question,
            sense=DateSense.planned,
            default=uk_date(suggested),
            validate=date_between(
                visit_date + dt.timedelta(days=1),
                latest,
                too_early="The next visit must be after this one.",
                too_late=too_late,
            ),
        )
        yield Step("confirm", PromptKind.confirm, self._summary(ctx, answers, placement))

    def _summary(self, ctx: DialogContext, answers: Answers, placement: Placement) -> str:
        concerns = answers.text("concerns") if answers.flag("any_concerns") else None
        seen = (
            "yes" if answers.flag("pupil_seen") else f"no ({_short(answers.text('why_not_seen'))})"
        )
        rating = RATING_LABELS[QaRating(answers.get("rating"))]
        visit_date = answers.date("visit_date")
        assert visit_date is not None
        lines = [
            "Please check, then answer yes to save:",
            f"Placement: {placement_label(ctx, placement)}",
            f"Visit: {uk_date_long(visit_date)}"
            + (
                " (a weekend: is that the right day? back to change it)"
                if visit_date.weekday() >= 5
                else ""
            )
            + f"; pupil seen: {seen}",
            f"Setting safe and secure: {_yes(answers.flag('setting_safe'))}; "
            f"register matches: {_yes(answers.flag('register_matches'))}"
            + (
                f" ({_short(answers.text('register_difference'))})"
                if not answers.flag("register_matches")
                else ""
            ),
            f"Concerns: {_short(concerns) if concerns else 'none'}",
            f"Rating: {rating}",
            f"Actions agreed: {_short(answers.text('actions_agreed')) or 'none'}",
            f"Next visit due by: {uk_date(answers.date('next_visit_due'))}",
        ]
        judged = [
            f"objective {number}: {ObjectiveProgress(answers.get(field)).label}"
            for number in range(1, 11)
            if (field := objective_steps.progress_field(number)) in answers
        ]
        if judged:
            lines.insert(-1, "Progress: " + "; ".join(judged))
        return "\n".join(lines)

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        seen = answers.flag("pupil_seen")
        concerns = answers.text("concerns") if answers.flag("any_concerns") else None
        visit_date = answers.date("visit_date")
        next_due = answers.date("next_visit_due")
        assert visit_date is not None and next_due is not None
        try:
            visit = await log_visit(
                ctx.session,
                ctx.change,
                placement=placement,
                visit_date=visit_date,
                pupil_seen=seen,
                pupil_voice=answers.text("pupil_voice") if seen else None,
                why_not_seen=None if seen else answers.text("why_not_seen"),
                setting_safe=answers.flag("setting_safe"),
                register_matches=answers.flag("register_matches"),
                concerns=concerns,
                rating=QaRating(answers.get("rating")),
                actions_agreed=answers.text("actions_agreed"),
                next_visit_due=next_due,
                register_difference=None
                if answers.flag("register_matches")
                else answers.text("register_difference"),
            )
            objectives = await _open_objectives(ctx, placement)
            await record_progress(
                ctx.session,
                ctx.change,
                placement=placement,
                visit_id=visit.id,
                progress={
                    objective.id: (
                        ObjectiveProgress(answers.get(objective_steps.progress_field(number))),
                        answers.text(objective_steps.progress_field(number, "note")),
                    )
                    for number, objective in enumerate(objectives, start=1)
                    if answers.text(objective_steps.progress_field(number))
                },
            )
        except (VisitError, ChangeError) as error:
            raise AnswerError(str(error)) from error
        concern_raised = bool(visit.concerns) or not visit.setting_safe
        revisit = cadence.needs_revisit(
            setting_safe=visit.setting_safe, inadequate=visit.rating == QaRating.inadequate
        )
        text = [
            f"Saved the QA visit to {pupil_label(ctx, placement)} ({placement.reference}) on "
            f"{uk_date(visit_date)}. "
            + (
                f"The revisit is due by {uk_date(next_due)}."
                if revisit
                else f"The next visit is due by {uk_date(next_due)}; I'll remind you a week before."
            )
        ]
        if concern_raised:
            leads = await safeguarding_leads(ctx.session, placement.commissioner_id)
            text.append(
                "Your designated safeguarding lead has been alerted and a chronology entry started."
                if leads
                else "A chronology entry has been started, but no designated safeguarding lead is "
                "set up for you, so nobody was alerted: tell your DSL yourself now, and ask your "
                "admin to add them."
            )
        if not seen:
            text.append("You didn't see the pupil this time: please make sure you do next time.")
        if revisit:
            told = "" if concern_raised else "your DSL has been alerted, and "
            text.append(
                f"As {revisit_reason(visit.setting_safe, visit.rating)}, {told}a review of this "
                f"placement is now a due check (check {placement.reference})."
            )
        if not visit.register_matches:
            text.append(
                "What differed in the register is now a follow-up check for you: find out why "
                f"with the provider, and correct the attendance (check {placement.reference})."
            )
        return [
            Done(
                dialog=self.name,
                text=" ".join(text),
                record={
                    "reference": placement.reference,
                    "visit_id": visit.id,
                    "visit_date": visit_date.isoformat(),
                    "pupil_seen": visit.pupil_seen,
                    "setting_safe": visit.setting_safe,
                    "register_matches": visit.register_matches,
                    "rating": visit.rating.value,
                    "concern_raised": concern_raised,
                    "next_visit_due": next_due.isoformat(),
                },
            )
        ]


def _short(text: str | None, limit: int = 200) -> str:
    """A long answer cut down for the summary (the full text is saved)."""
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
