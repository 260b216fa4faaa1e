"""End a placement: when, where the pupil went next, and how their return is supported."""

from __future__ import annotations

import datetime as dt
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
from dialogs.prompts import Choice, Done, Message, PromptKind, Reply
from storage.access import Action, can
from storage.models import OrgKind, Placement, WelfareCall, WelfareContact, WelfareNextStep
from storage.rules import checklist
from storage.services.lifecycle import OpenWork, open_work
from storage.services.placements import (
    PlacementError,
    end_placement,
    last_reported_day,
    reported_after_end,
)
from storage.services.welfare import CallFindings, WelfareError, can_log_call, log_attempt

RETURNED = "returned_to_school"
MAINSTREAM = "moved_to_mainstream"
SPECIAL = "moved_to_special_school"
OTHER_AP = "moved_to_other_ap"
FURTHER_EDUCATION = "further_education"
EMPLOYMENT = "employment_with_training"
NEET = "neet"
MOVED_AWAY = "moved_away"
OTHER = "other"
# Outcomes after which the pupil is back in mainstream education, so a return date is asked.
RETURN_OUTCOMES = {RETURNED, MAINSTREAM}
# How each open welfare call is settled before the placement ends.
LOG_CALL, CLOSE_CALL = "log", "close"
REACHED_CHOICES = [
    Choice(value=WelfareContact.parent_carer.value, label="Parent or carer"),
    Choice(value=WelfareContact.pupil.value, label="The pupil"),
    Choice(value=WelfareContact.other.value, label="Someone else (say who below)"),
]


def _call_field(call: WelfareCall, part: str = "") -> str:
    return f"call.{call.id}{'.' + part if part else ''}"


def open_work_lines(ctx: DialogContext, placement: Placement, work: OpenWork) -> list[str]:
    """What is still open on the placement, in the words the person ending it needs."""
    lines: list[str] = []
    if work.calls:
        days = ", ".join(f"{call.absence_date:%a %d/%m}" for call in work.calls)
        lines.append(
            f"{len(work.calls)} welfare call(s) still open (absence on {days}): "
            "I'll ask you to settle each one."
        )
    if work.letter_of_assurance is not None:
        lines.append(
            "The Letter of Assurance was never recorded: it stays on the record as not received."
        )
    if work.concerns and can(ctx.person, Action.read_chronology, placement):
        lines.append(
            f"{work.concerns} safeguarding concern(s) in the chronology with no action recorded "
            "after them: record what was done (concern) before the pupil moves on."
        )
    if work.checks:
        labels = "; ".join(checklist.definition(i.key).label for i in work.checks)
        lines.append(f"{len(work.checks)} other check(s) not done (kept as not done): {labels}")
    return lines


def outcome_labels(placement: Placement) -> dict[str, str]:
    """The outcomes in the commissioner's words (an LA has no 'our school')."""
    own = "our school" if placement.commissioner.kind == OrgKind.school else "their home school"
    return {
        RETURNED: f"Returned to {own} full-time",
        MAINSTREAM: "Moved to another mainstream school",
        SPECIAL: "Moved to a special school",
        OTHER_AP: "Moved to another AP",
        FURTHER_EDUCATION: "Further education or training",
        EMPLOYMENT: "Employment with training (e.g. an apprenticeship)",
        NEET: "Not in education, employment or training (NEET)",
        MOVED_AWAY: "Moved away",
        OTHER: "Other",
    }


def _refuse_not_started(ctx: DialogContext, placement: Placement) -> None:
    """A placement whose first day is still to come is withdrawn, not ended."""
    if placement.start_date > ctx.today:
        raise AnswerError(
            f"{placement.reference} hasn't started yet (it starts "
            f"{uk_date(placement.start_date)}): withdraw it instead "
            f"(withdraw {placement.reference})."
        )


class EndPlacementDialog(PlacementDialog):
    name = "end"
    title = "end placement"
    words = ("end", "end placement", "finish placement")
    needs = Action.end_placement
    which = "Which placement is ending?"
    nothing = "You have no active placements to end."
    summary = "end a placement: settle what is still open, outcome, return date, reintegration"

    async def refuse_named(self, ctx: DialogContext, placement: Placement) -> None:
        _refuse_not_started(ctx, placement)

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        _refuse_not_started(ctx, placement)
        today = ctx.today
        work = await open_work(ctx.session, placement)
        still_open = open_work_lines(ctx, placement, work)
        notes = (
            [Message(level="warning", text="Still open:\n" + "\n".join(still_open))]
            if still_open
            else []
        )
        # Not before it started, nor before a day its attendance was reported for.
        earliest = placement.start_date
        too_early = (
            f"{placement.reference} started on {uk_date(placement.start_date)}; it can't end "
            "before that."
        )
        reported = await last_reported_day(ctx.session, placement.id)
        if reported is not None and reported > earliest:
            earliest, too_early = reported, reported_after_end(placement.reference, reported)
        yield Step(
            "ended_on",
            PromptKind.date,
            "What was the last day of the placement? (blank for today)",
            sense=DateSense.happened,
            default="today",
            notes=notes,
            validate=date_between(
                earliest,
                today,
                too_early=too_early,
                too_late="Please end it on the day itself: until then I keep tracking attendance "
                "and visits.",
            ),
        )
        ended_on = answers.date("ended_on")
        assert ended_on is not None
        for call in work.calls:
            async for step in self._settle(ctx, answers, placement, call):
                yield step
        labels = outcome_labels(placement)
        yield Step(
            "outcome",
            PromptKind.choice,
            "Where does the pupil go next?",
            choices=[Choice(value=value, label=label) for value, label in labels.items()],
        )
        outcome = answers.text("outcome")
        if outcome in RETURN_OUTCOMES:
            yield Step(
                "return_date",
                PromptKind.date,
                "When does (or did) the pupil start back?",
                sense=DateSense.happened,
                validate=date_between(
                    ended_on,
                    today + dt.timedelta(days=366),
                    too_early=f"The pupil can't start back before the last day of the placement "
                    f"({uk_date(ended_on)}).",
                    too_late="Please pick a date within a year.",
                ),
            )
            notes_text = (
                "How will the pupil's return be supported? (e.g. phased timetable, a key adult, "
                "review meeting date)"
            )
        else:
            notes_text = "Where is the pupil going, and what was handed over? (brief notes)"
        yield Step(
            "pupil_view",
            PromptKind.text,
            "In the pupil's own words, what did they think of the placement? (If you couldn't "
            "ask them, say why.)",
        )
        yield Step("reintegration_notes", PromptKind.text, notes_text)
        yield Step("confirm", PromptKind.confirm, self._summary(ctx, answers, placement, work))

    async def _settle(
        self, ctx: DialogContext, answers: Answers, placement: Placement, call: WelfareCall
    ) -> AsyncIterator[Step]:
        """Settle one open welfare call: log what it found now, or close it as "placement
        ended" (the DSL is told). Only whoever may log the call is offered to log it."""
        field = _call_field(call)
        choices = [Choice(value=CLOSE_CALL, label="Close it: placement ended (the DSL is told)")]
        if can_log_call(ctx.person, call, placement):
            choices.insert(0, Choice(value=LOG_CALL, label="Log its outcome now"))
        yield Step(
            field,
            PromptKind.choice,
            f"The welfare call for the absence on {call.absence_date:%a %d/%m/%Y} is still open. "
            "What should happen to it?",
            choices=choices,
        )
        if answers.get(field) != LOG_CALL:
            return
        yield Step(
            _call_field(call, "spoke_to"),
            PromptKind.choice,
            "Who did the call reach?",
            choices=REACHED_CHOICES,
        )
        yield Step(
            _call_field(call, "seen"),
            PromptKind.yesno,
            "Was the pupil seen or heard (you saw them, or spoke to them)?",
        )
        yield Step(_call_field(call, "safe"), PromptKind.yesno, "Is the pupil known to be safe?")
        yield Step(
            _call_field(call, "reason"),
            PromptKind.text,
            "What reason did you find for the absence?",
            max_length=1000,
        )

    def _summary(
        self, ctx: DialogContext, answers: Answers, placement: Placement, work: OpenWork
    ) -> str:
        outcome = outcome_labels(placement)[answers.text("outcome") or OTHER]
        lines = [
            "Please check, then answer yes to end the placement:",
            f"Placement: {placement_label(ctx, placement)}",
            f"Last day: {uk_date(answers.date('ended_on'))}",
            f"Next: {outcome}",
        ]
        if answers.get("return_date"):
            lines.append(f"Starts back: {uk_date(answers.date('return_date'))}")
        lines.append(f"The pupil's view: {answers.text('pupil_view')}")
        lines.append(f"Notes: {answers.text('reintegration_notes')}")
        if answers.text("outcome") == NEET:
            lines.append("The pupil is not in education, employment or training: the DSL is told.")
        logged = [c for c in work.calls if answers.get(_call_field(c)) == LOG_CALL]
        if logged:
            lines.append(f"Welfare calls logged now: {len(logged)}")
        if len(work.calls) > len(logged):
            lines.append(
                f"Welfare calls closed as 'placement ended': {len(work.calls) - len(logged)} "
                "(the DSL is told)"
            )
        lines.append("Reminders and alerts for this placement (visits, checks, attendance) stop.")
        return "\n".join(lines)

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        ended_on = answers.date("ended_on")
        outcome = answers.text("outcome") or OTHER
        assert ended_on is not None
        return_date = answers.date("return_date") if outcome in RETURN_OUTCOMES else None
        work = await open_work(ctx.session, placement)
        try:
            for call in work.calls:
                if answers.get(_call_field(call)) == LOG_CALL:
                    await self._log_call(ctx, answers, call)
            await end_placement(
                ctx.session,
                ctx.change,
                placement,
                ended_on=ended_on,
                outcome=outcome,
                return_date=return_date,
                reintegration_notes=answers.text("reintegration_notes"),
                pupil_view=answers.text("pupil_view"),
                neet=outcome == NEET,
            )
        except (PlacementError, WelfareError) as error:
            raise AnswerError(str(error)) from error
        label = outcome_labels(placement)[outcome]
        label = label[:1].lower() + label[1:]
        back = f", starting back {uk_date(return_date)}" if return_date else ""
        if outcome == NEET:
            back += (
                ". Your DSL has been told"
                if not can(ctx.person, Action.read_chronology, placement)
                else ". The other safeguarding leads have been told"
            )
        closed = sum(1 for c in work.calls if answers.get(_call_field(c)) != LOG_CALL)
        calls = (
            f" {closed} open welfare call(s) closed as 'placement ended'; the DSL is told."
            if closed
            else ""
        )
        return [
            Done(
                dialog=self.name,
                text=(
                    f"Ended {placement.reference} ({pupil_label(ctx, placement)}) on "
                    f"{uk_date(ended_on)}: {label}{back}.{calls} Reminders for it have "
                    "stopped."
                ),
                record={
                    "reference": placement.reference,
                    "status": placement.status.value,
                    "ended_on": ended_on.isoformat(),
                    "outcome": outcome,
                    "return_date": return_date.isoformat() if return_date else None,
                },
            )
        ]

    async def _log_call(self, ctx: DialogContext, answers: Answers, call: WelfareCall) -> None:
        """Log what the call found (as of now), closing it; not safe goes to the DSL at once."""
        safe = bool(answers.flag(_call_field(call, "safe")))
        await log_attempt(
            ctx.session,
            ctx.change,
            call=call,
            findings=CallFindings(
                called_at=ctx.change.at,
                spoke_to=WelfareContact(str(answers.get(_call_field(call, "spoke_to")))),
                seen_or_heard=bool(answers.flag(_call_field(call, "seen"))),
                safe=safe,
                reason=answers.text(_call_field(call, "reason")),
                next_step=WelfareNextStep.none if safe else WelfareNextStep.refer_dsl,
            ),
        )
