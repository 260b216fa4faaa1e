"""Why the pupil is in AP, as questions, and what each reason brings: the sixth-day duty of a
suspension or a permanent exclusion (worked out with the school calendar), the notice and
reviews of a direction off-site, the LA's part for health needs and EHC plans. Used by start
placement; the rules are in `storage.rules.reasons`, the checks they add in
`storage.rules.checklist`."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from dialogs.common import date_between
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, uk_date, uk_date_long
from dialogs.prompts import Choice, Message, PromptKind
from storage.models import Organisation, OrgKind, Placement, ReasonForAp
from storage.rules import reasons
from storage.rules.calendar import SchoolCalendar
from storage.services.terms import calendar_for

REASON_CHOICES = [Choice(value=reason.value, label=reason.label) for reason in ReasonForAp]
# How far back a suspension or exclusion may have begun and still be the reason for a new
# placement (a placement is started within a year of today too).
EARLIEST_FIRST_DAY = dt.timedelta(days=366)
LATEST_FIRST_DAY = dt.timedelta(days=60)


def _school_days(raw: str) -> int:
    text = raw.strip().lower().removesuffix("school days").removesuffix("days").strip()
    if not text.isdigit() or len(text) > 3:
        raise AnswerError("Please give the number of school days, like 10.")
    return int(text)


def reason_of(answers: Answers) -> ReasonForAp | None:
    """The reason answered, or None before it is."""
    value = answers.text("reason")
    return ReasonForAp(value) if value in {r.value for r in ReasonForAp} else None


async def calendar(
    ctx: DialogContext, commissioner: Organisation, answers: Answers
) -> SchoolCalendar:
    """The commissioner's school calendar, from far enough back for the reason's first day."""
    since = min(answers.date("reason_first_day") or ctx.today, ctx.today)
    return await ctx.once(
        ("calendar", commissioner.id, since),
        lambda: calendar_for(ctx.session, commissioner.id, today=since),
    )


def due_from(answers: Answers, days: SchoolCalendar) -> dt.date | None:
    """The sixth school day the answers give, or None when no sixth-day duty applies."""
    reason = reason_of(answers)
    if reason is None:
        return None
    return reasons.full_time_education_from(
        reason.value,
        first_day=answers.date("reason_first_day"),
        suspension_days=answers.number("suspension_days"),
        calendar=days,
    )


async def steps(answers: Answers, *, today: dt.date) -> AsyncIterator[Step]:
    """The reason, and the facts it needs: a suspension's first day and length, an
    exclusion's first day, or a few words for "other"."""
    yield Step("reason", PromptKind.choice, "Why is the pupil in AP?", choices=REASON_CHOICES)
    reason = reason_of(answers)
    within = date_between(
        today - EARLIEST_FIRST_DAY,
        today + LATEST_FIRST_DAY,
        too_early="Please give a date within the last year.",
        too_late="Please give a date within the next two months.",
    )
    if reason == ReasonForAp.suspension:
        yield Step(
            "reason_first_day",
            PromptKind.date,
            "First day of the suspension? (e.g. 23/11/2026)",
            sense=DateSense.happened,
            validate=within,
        )
        yield Step(
            "suspension_days",
            PromptKind.text,
            "How many school days is the pupil suspended for?",
            parse=_school_days,
            validate=reasons.suspension_days_problem,
        )
    elif reason == ReasonForAp.permanent_exclusion:
        yield Step(
            "reason_first_day",
            PromptKind.date,
            "First day of the permanent exclusion (the day it took effect)?",
            sense=DateSense.happened,
            validate=within,
        )
    elif reason == ReasonForAp.other:
        yield Step(
            "reason_detail",
            PromptKind.text,
            "In a few words, why is the pupil in AP?",
            max_length=200,
        )


def notes(
    answers: Answers, *, commissioner: Organisation, pupil_has_ehcp: bool, due: dt.date | None
) -> list[Message]:
    """What the reason means, said with the next question."""
    reason = reason_of(answers)
    school = commissioner.kind == OrgKind.school
    said: list[Message] = []
    if reason in (ReasonForAp.suspension, ReasonForAp.permanent_exclusion):
        if due is not None:
            who = "your school" if reason == ReasonForAp.suspension else "the local authority"
            said.append(
                Message(
                    text=f"Full-time education must be in place from {uk_date_long(due)}, the "
                    f"sixth school day of the {reason.label.lower()}: {who} must arrange it."
                )
            )
        else:
            said.append(
                Message(
                    text="A suspension of five school days or fewer has no sixth-day duty: set "
                    "and mark work for the pupil meanwhile."
                )
            )
        note = reasons.commissioner_note(reason.value, commissioner_is_school=school)
        if note:
            said.append(Message(level="warning", text=note))
    elif reason == ReasonForAp.off_site_direction:
        said.append(
            Message(
                text="A direction off-site needs written notice to the parents at least two "
                "school days before the first day, and review meetings: both become checks "
                "in the checklist below, with their due dates."
            )
        )
    elif reason == ReasonForAp.medical:
        said.append(
            Message(
                text="The local authority must arrange suitable education for a pupil who can't "
                "attend school because of health needs (Education Act 1996 s19)."
                + (" Involving the LA becomes a check below." if school else "")
            )
        )
    elif reason == ReasonForAp.ehc_plan:
        said.append(
            Message(
                text="Provision named in an EHC plan: the LA that maintains the plan is consulted "
                "(a check below)."
            )
        )
        if not pupil_has_ehcp:
            said.append(
                Message(
                    level="warning",
                    text="The pupil's record doesn't say they have an EHC plan: check the "
                    "reason, or ask your admin to correct the record.",
                )
            )
    return said


def late_start_notes(
    answers: Answers, *, start: dt.date, due: dt.date | None, days: SchoolCalendar, today: dt.date
) -> list[Message]:
    """The loud warnings once the start date is known: a start after the sixth school day, or
    a direction off-site whose notice is already late."""
    said: list[Message] = []
    late = reasons.starts_late(start, due, days)
    if late is not None:
        said.append(Message(level="warning", text=late_start_text(late)))
    if reason_of(answers) == ReasonForAp.off_site_direction:
        notice_by = reasons.off_site_notice_due(start, days)
        if notice_by < today:
            said.append(
                Message(
                    level="warning",
                    text=f"The written notice to parents had to be given by {uk_date_long(notice_by)} "
                    f"(two school days before {uk_date(start)}). If it hasn't been given, the "
                    "direction can start no sooner than two school days after it is.",
                )
            )
    return said


def late_start_text(late: reasons.StartsLate) -> str:
    """The warning for a placement that starts after the sixth school day."""
    days = late.school_days_late
    return (
        f"This placement starts on {uk_date(late.start)}, {days} school day"
        f"{'s' if days != 1 else ''} after full-time education was due "
        f"({uk_date(late.due_from)}). Arrange education for the days between, or start sooner."
    )


def summary_lines(
    answers: Answers, *, start: dt.date, due: dt.date | None, days: SchoolCalendar
) -> list[str]:
    """The reason in the summary to confirm, with a late start flagged."""
    reason = reason_of(answers)
    if reason is None:
        return []
    lines = [
        "Why in AP: "
        + reasons.describe(
            reason.label,
            reason.value,
            first_day=answers.date("reason_first_day"),
            suspension_days=answers.number("suspension_days"),
            due_from=due,
            detail=answers.text("reason_detail"),
        )
    ]
    late = reasons.starts_late(start, due, days)
    if late is not None:
        lines.append("LATE START: " + late_start_text(late))
    return lines


def placement_reason(placement: Placement) -> str:
    """Why a saved placement's pupil is in AP, in one line (for the commissioner's private
    views: "other"'s few words included), or a plain "not recorded" for an old placement."""
    if placement.reason is None:
        return "Why in AP: not recorded (started before the bot asked)"
    return "Why in AP: " + reasons.describe(
        placement.reason.label,
        placement.reason.value,
        first_day=placement.reason_first_day,
        suspension_days=placement.suspension_days,
        due_from=placement.full_time_education_from,
        detail=placement.reason_detail,
    )
