"""Log a welfare call: whoever was agreed to make it (the provider's staff, or the named person at
the school) and the commissioner's DSL.

Someone reached: the task closes, and an absence still coded N takes the code the reason found.
Nobody reached: the task stays open with the time of the next try. Not safe, police / social
care, or a referral: the DSL is alerted at once and a chronology entry starts. Never in a shared
channel: a welfare call is about a family.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable

from sqlalchemy import select

from dialogs.common import absence_code_choices, date_between, id_of, placements_for
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, DateSense, NothingToDo, uk_date, uk_date_long
from dialogs.prompts import Choice, Done, Message, PromptKind, Reply
from storage.access import Action, can_set_code
from storage.clock import LONDON
from storage.models import (
    Placement,
    WelfareCall,
    WelfareCallStatus,
    WelfareContact,
    WelfareNextStep,
)
from storage.rules import codes
from storage.services.outcomes import absences_on
from storage.services.placements import find_by_reference
from storage.services.welfare import (
    CONTACT_WORDS,
    END_OF_SCHOOL_DAY,
    NEXT_STEP_WORDS,
    CallFindings,
    WelfareError,
    can_log_call,
    log_attempt,
    next_attempt_due,
)

RETRY_MINUTES = 30
FILTER = "only_reference"
CONTACT_CHOICES = [
    Choice(value=WelfareContact.parent_carer.value, label="Parent or carer"),
    Choice(value=WelfareContact.pupil.value, label="The pupil"),
    Choice(value=WelfareContact.other.value, label="Someone else (say who in the reason)"),
    Choice(value=WelfareContact.not_reached.value, label="Nobody: not reached"),
]
NEXT_STEP_CHOICES = [
    Choice(value=WelfareNextStep.none.value, label="None: no further action"),
    Choice(value=WelfareNextStep.home_visit.value, label="Home visit"),
    Choice(value=WelfareNextStep.refer_dsl.value, label="Refer to the DSL"),
    Choice(
        value=WelfareNextStep.police_or_social_care.value,
        label="Police or children's social care",
    ),
]
NO_LEAD = (
    "No safeguarding lead is set up for the commissioner, so nobody could be alerted: "
    "phone them now, and ask your admin to fix it."
)


async def open_calls(ctx: DialogContext) -> list[tuple[WelfareCall, Placement]]:
    """The open welfare calls this person may log, oldest absence first."""
    placements = {p.id: p for p in await placements_for(ctx, Action.view)}
    if not placements:
        return []
    rows = await ctx.session.scalars(
        select(WelfareCall)
        .where(
            WelfareCall.placement_id.in_(placements),
            WelfareCall.status == WelfareCallStatus.open,
        )
        .order_by(WelfareCall.absence_date, WelfareCall.id)
    )
    return [
        (call, placements[call.placement_id])
        for call in rows.unique()
        if can_log_call(ctx.person, call, placements[call.placement_id])
    ]


def _call_label(call: WelfareCall, placement: Placement, retry: dt.datetime | None) -> str:
    label = (
        f"{placement.reference} · {placement.pupil.known_as} · absent "
        f"{call.absence_date:%a %d/%m/%Y}"
    )
    if retry is not None:
        label += f" · next try {retry.astimezone(LONDON):%H:%M}"
    return label


def next_try_default(called_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When to try again: 30 minutes after the call, or after now if that has passed (never
    in the past), today; late at night, the last minute of today."""
    retry = max(called_at, now) + dt.timedelta(minutes=RETRY_MINUTES)
    if retry.astimezone(LONDON).date() != now.astimezone(LONDON).date():
        return dt.datetime.combine(now.astimezone(LONDON).date(), dt.time(23, 59), tzinfo=LONDON)
    return retry.astimezone(LONDON)


def next_try_problem(at: dt.time, called_at: dt.datetime, now: dt.datetime) -> str | None:
    """Why a next try at `at` today can't be (None: it can)."""
    when = dt.datetime.combine(now.astimezone(LONDON).date(), at, tzinfo=LONDON)
    if when <= called_at:
        return f"Please pick a time after the call ({called_at.astimezone(LONDON):%H:%M})."
    if when < now.replace(second=0, microsecond=0):
        return (
            f"That time has passed (it is {now.astimezone(LONDON):%H:%M}); when will you try again?"
        )
    return None


def _not_after(limit: dt.time, message: str) -> Callable[[dt.time], str | None]:
    def check(value: dt.time) -> str | None:
        return message if value > limit else None

    return check


class WelfareDialog(Dialog):
    name = "welfare"
    title = "welfare call"
    words = ("welfare", "welfare call", "call home", "log call")
    needs = Action.view
    summary = "log a welfare call home after an absence (reached or not, safe or not)"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        calls = await open_calls(ctx)
        reference = args.split()[0] if args.strip() else ""
        if reference:
            placement = await find_by_reference(ctx.session, reference)
            mine = [c for c, p in calls if placement is not None and p.id == placement.id]
            if not mine:
                raise AnswerError(
                    f"I can't find an open welfare call for {reference.upper()!r} that you "
                    "make. Type welfare on its own to see your open calls."
                )
            if len(mine) == 1:
                return Answers({"call": f"call-{mine[0].id}"})
            return Answers({FILTER: placement.reference if placement else ""})
        if not calls:
            raise NothingToDo("You have no open welfare calls to log. 👍")
        return Answers()

    async def _chosen(self, ctx: DialogContext, answers: Answers) -> tuple[WelfareCall, Placement]:
        call_id = id_of(answers.text("call"))
        for call, placement in await open_calls(ctx):
            if call.id == call_id:
                return call, placement
        raise AnswerError(
            "That welfare call is no longer open to you (someone may have logged it). "
            "Type cancel to stop."
        )

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        calls = await open_calls(ctx)
        only = answers.text(FILTER)
        choices = [
            Choice(
                value=f"call-{call.id}",
                label=_call_label(call, p, await next_attempt_due(ctx.session, call.id)),
            )
            for call, p in calls
            if not only or p.reference == only
        ]
        yield Step("call", PromptKind.choice, "Which welfare call?", choices=choices)
        call, placement = await self._chosen(ctx, answers)
        now = ctx.now
        today = ctx.today
        if call.absence_date < today:
            # Logged on a later day: ask which day the call was made (it is recorded).
            yield Step(
                "called_on",
                PromptKind.date,
                f"Which day did you make the call? (blank for today, {uk_date(today)})",
                sense=DateSense.happened,
                default="today",
                validate=date_between(
                    call.absence_date,
                    today,
                    too_early=f"The absence was on {uk_date(call.absence_date)}; the call "
                    "can't be before that.",
                    too_late="That day is still to come; which day did you call?",
                ),
            )
        called_on = answers.date("called_on") or today
        yield Step(
            "called_at",
            PromptKind.time,
            f"What time did you call? (blank for now, {now:%H:%M})"
            if called_on == today
            else f"What time did you call on {uk_date(called_on)}?",
            default=f"{now:%H:%M}" if called_on == today else None,
            validate=_not_after(now.time(), "That time is still to come; when did you call?")
            if called_on == today
            else None,
        )
        yield Step(
            "spoke_to",
            PromptKind.choice,
            "Who did you speak to?",
            choices=CONTACT_CHOICES,
        )
        called = answers.time("called_at")
        assert called is not None
        called_at = dt.datetime.combine(called_on, called, tzinfo=LONDON)
        if answers.get("spoke_to") == WelfareContact.not_reached.value:
            retry = next_try_default(called_at, now)
            notes = []
            if called_on != call.absence_date or retry.time() >= END_OF_SCHOOL_DAY:
                notes.append(
                    Message(
                        level="warning",
                        text="It is the end of the school day for this absence: if nobody is "
                        "reached, the DSL is alerted now and a chronology entry started.",
                    )
                )
            yield Step(
                "next_try",
                PromptKind.time,
                f"When will you try again today? (blank for {retry:%H:%M})",
                default=f"{retry:%H:%M}",
                validate=lambda t: next_try_problem(t, called_at, now),
                notes=notes,
            )
        else:
            yield Step(
                "seen",
                PromptKind.yesno,
                "Was the pupil seen or heard (you saw them, or spoke to them)?",
            )
            yield Step("safe", PromptKind.yesno, "Are you satisfied the pupil is safe?")
            yield Step(
                "reason",
                PromptKind.text,
                "What reason did you find for the absence? (e.g. 'ill with a temperature')",
                max_length=1000,
            )
            unexplained = {c.code for c in codes.unexplained_codes()}
            absent = await absences_on(ctx.session, placement.id, call.absence_date)
            current = next((r.code for r in absent if r.code in unexplained), None)
            if current is not None:
                yield Step(
                    "code",
                    PromptKind.choice,
                    f"The absence is coded {current}. Which code should it have now? "
                    f"(blank keeps {current})",
                    choices=absence_code_choices(ctx, placement),
                    default=current,
                )
            yield Step(
                "next_step", PromptKind.choice, "What's the next step?", choices=NEXT_STEP_CHOICES
            )
        yield Step("confirm", PromptKind.confirm, self._summary(answers, call, placement))

    def _summary(self, answers: Answers, call: WelfareCall, placement: Placement) -> str:
        spoke_to = WelfareContact(str(answers.get("spoke_to")))
        lines = [
            f"Welfare call for {placement.reference} ({placement.pupil.known_as}), absent "
            f"{uk_date_long(call.absence_date)}.",
            f"Called {uk_date(answers.date('called_on') or call.absence_date)} at "
            f"{answers.text('called_at')}: {CONTACT_WORDS[spoke_to]}."
            if answers.get("called_on")
            else f"Called at {answers.text('called_at')}: {CONTACT_WORDS[spoke_to]}.",
        ]
        if spoke_to == WelfareContact.not_reached:
            lines.append(f"The call stays open; next try at {answers.text('next_try')}.")
        else:
            seen = "yes" if answers.flag("seen") else "NO"
            safe = "yes" if answers.flag("safe") else "NO: the DSL will be alerted at once"
            lines.append(f"Pupil seen or heard: {seen}. Safe: {safe}.")
            lines.append(f"Reason: {answers.text('reason')}")
            if answers.text("code"):
                lines.append(f"Code: {answers.text('code')}")
            step = WelfareNextStep(str(answers.get("next_step")))
            lines.append(f"Next step: {NEXT_STEP_WORDS[step]}. This closes the welfare call.")
        lines.append("Save?")
        return "\n".join(lines)

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        call, placement = await self._chosen(ctx, answers)
        called = answers.time("called_at")
        assert called is not None
        called_at = dt.datetime.combine(
            answers.date("called_on") or ctx.today, called, tzinfo=LONDON
        )
        spoke_to = WelfareContact(str(answers.get("spoke_to")))
        next_try = answers.time("next_try")
        findings = CallFindings(
            called_at=called_at,
            spoke_to=spoke_to,
            seen_or_heard=answers.get("seen"),
            safe=answers.get("safe"),
            reason=answers.text("reason"),
            code=answers.text("code"),
            next_step=WelfareNextStep(str(answers.get("next_step")))
            if answers.text("next_step")
            else None,
            next_attempt_at=dt.datetime.combine(ctx.today, next_try, tzinfo=LONDON)
            if next_try
            else None,
        )
        try:
            logged = await log_attempt(ctx.session, ctx.change, call=call, findings=findings)
        except WelfareError as error:
            raise AnswerError(str(error)) from error
        if logged.closed:
            text = f"Saved. Welfare call for {placement.reference} closed: {call.outcome}"
        else:
            text = (
                f"Saved: nobody reached at {called:%H:%M} on {uk_date(called_at.date())}. "
                "The welfare call for "
                f"{placement.reference} stays open; next try at {next_try:%H:%M}."
            )
        code = findings.code
        if logged.closed and code and not can_set_code(ctx.person, placement, code):
            text += (
                f" You proposed {code}: only the school may set that code, so the absence keeps "
                "its code until they decide (they have been told)."
            )
        if logged.changes:
            first = logged.changes[0]
            text += (
                f" The absence on {uk_date_long(call.absence_date)} is now coded "
                f"{first.to_code} (was {first.from_code}); the history is kept."
            )
        if logged.escalations:
            text += (
                " The DSL has been alerted at once and a safeguarding chronology entry started."
                if logged.leads_alerted
                else f" {NO_LEAD}"
            )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "welfare_call_id": call.id,
                    "attempt_id": logged.attempt.id,
                    "spoke_to": spoke_to.value,
                    "closed": logged.closed,
                    "safe": logged.attempt.pupil_safe,
                    "code": logged.attempt.outcome_code,
                    "next_attempt_at": logged.attempt.next_attempt_at.isoformat()
                    if logged.attempt.next_attempt_at
                    else None,
                    "codes_changed": [
                        {"attendance_id": c.attendance_id, "from": c.from_code, "to": c.to_code}
                        for c in logged.changes
                    ],
                    "escalated": [e.reason.value for e in logged.escalations],
                },
            )
        ]
