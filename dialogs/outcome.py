"""What an absence turned out to be: `explain` gives an absence its final code once the reason is
known (N becoming I, say), and `late` records a late arrival (L before the register closed, U
after). Both keep the history of the mark: who changed it, from what, and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import select

from dialogs.absence import already_reported, no_session_check
from dialogs.common import (
    a_reason,
    absence_code_choices,
    date_between,
    pupil_label,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Step
from dialogs.parsing import AnswerError, DateSense, uk_date_long
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action, can_set_code
from storage.models import AttendanceRecord, AttendanceStatus, Placement, RegisterSession
from storage.rules import codes
from storage.services.attendance import mark_words, sessions_text
from storage.services.outcomes import (
    OutcomeError,
    explain_absence,
    present_after_all,
    record_late,
)
from storage.services.terms import calendar_for

WINDOW_DAYS = 28
# The `explain` code answer for "the pupil was there after all".
PRESENT_AFTER_ALL = "present"
LATE_WINDOW_DAYS = 14
SESSION_CHOICES = [
    Choice(value="AM", label="AM (morning)"),
    Choice(value="PM", label="PM (afternoon)"),
]


async def _absences(
    ctx: DialogContext, placement_id: int
) -> dict[str, tuple[dt.date, str, list[RegisterSession]]]:
    """Recent absences grouped by day and code: `2026-11-27:N` -> (date, code, sessions)."""
    rows = await ctx.session.scalars(
        select(AttendanceRecord)
        .where(
            AttendanceRecord.placement_id == placement_id,
            AttendanceRecord.status == AttendanceStatus.absent,
            AttendanceRecord.date >= ctx.today - dt.timedelta(days=WINDOW_DAYS),
        )
        .order_by(AttendanceRecord.date.desc(), AttendanceRecord.session)
    )
    groups: dict[str, tuple[dt.date, str, list[RegisterSession]]] = {}
    for row in rows:
        key = f"{row.date.isoformat()}:{row.code}"
        groups.setdefault(key, (row.date, row.code, []))[2].append(row.session)
    return groups


async def _proposals(ctx: DialogContext, placement_id: int) -> dict[str, str]:
    """Group key (as `_absences`) -> the code a provider proposed for it, if any."""
    rows = await ctx.session.scalars(
        select(AttendanceRecord).where(
            AttendanceRecord.placement_id == placement_id,
            AttendanceRecord.status == AttendanceStatus.absent,
            AttendanceRecord.proposed_code.is_not(None),
            AttendanceRecord.date >= ctx.today - dt.timedelta(days=WINDOW_DAYS),
        )
    )
    return {f"{r.date.isoformat()}:{r.code}": r.proposed_code or "" for r in rows}


def _code_label(code: str) -> str:
    return codes.get(code).label if code in codes.all_codes() else code


class ExplainDialog(PlacementDialog):
    name = "explain"
    title = "absence outcome"
    words = ("explain", "outcome", "absence outcome", "explain absence")
    needs = Action.report_attendance
    summary = "give an absence its final code once the reason is known (e.g. N to I)"
    which = "Which pupil's absence?"
    nothing = "You have no pupils on active placements, so no absences to explain."

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        groups = await _absences(ctx, placement.id)
        if not groups:
            raise AnswerError(
                f"{placement.reference} has no absences in the last {WINDOW_DAYS} days to "
                "explain. Type cancel to stop."
            )
        proposals = await _proposals(ctx, placement.id)
        yield Step(
            "absence",
            PromptKind.choice,
            "Which absence?",
            choices=[
                Choice(
                    value=key,
                    label=f"{date:%a %d/%m/%Y} {sessions_text(sessions)}: {_code_label(code)}"
                    + (f" (the provider proposes {proposals[key]})" if key in proposals else ""),
                )
                for key, (date, code, sessions) in groups.items()
            ],
        )
        yield Step(
            "code",
            PromptKind.choice,
            "Which code should it have now? (or `present`: the pupil was there after all)",
            choices=[
                *absence_code_choices(ctx, placement),
                Choice(
                    value=PRESENT_AFTER_ALL,
                    label=f"Present after all: the absence was reported in error "
                    f"({placement.attendance_code})",
                ),
            ],
        )
        yield Step(
            "reason",
            PromptKind.text,
            "Why? What did you find out, and from whom? (kept in the mark's history)",
            max_length=1000,
            validate=a_reason,
        )
        date, code, sessions = groups[answers.text("absence") or ""]
        new = answers.text("code") or ""
        question = (
            f"Change {placement.reference} ({pupil_label(ctx, placement)}) on "
            f"{uk_date_long(date)}, {sessions_text(sessions)}, from absent ({code}) to present "
            f"({placement.attendance_code})? The school's DSL is told."
            if new == PRESENT_AFTER_ALL
            else f"Change {placement.reference} ({pupil_label(ctx, placement)}) on "
            f"{uk_date_long(date)}, {sessions_text(sessions)}, from {code} to {new}?"
            if can_set_code(ctx.person, placement, new)
            else f"Propose {new} to the school for {placement.reference} on "
            f"{uk_date_long(date)}, {sessions_text(sessions)} (it stays {code} until the school "
            "decides)?"
        )
        yield Step(
            "confirm",
            PromptKind.confirm,
            f"{question}\nReason: {answers.text('reason')}",
        )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        groups = await _absences(ctx, placement.id)
        key = answers.text("absence") or ""
        if key not in groups:
            raise AnswerError("That absence has changed since you picked it; please pick again.")
        date, old, sessions = groups[key]
        if answers.text("code") == PRESENT_AFTER_ALL:
            return await self._present_after_all(ctx, answers, placement, date, old, sessions)
        try:
            changes = await explain_absence(
                ctx.session,
                ctx.change,
                placement=placement,
                date=date,
                code=answers.text("code") or "",
                reason=answers.text("reason") or "",
                sessions=sessions,
            )
        except OutcomeError as error:
            raise AnswerError(str(error)) from error
        new = answers.text("code")
        if not can_set_code(ctx.person, placement, new or ""):
            text = (
                f"Sent to the school: you propose {_code_label(new or '')} for "
                f"{placement.reference} on {uk_date_long(date)}, {sessions_text(sessions)}. "
                f"Only the school may set that code; it stays {old} until they decide."
            )
        elif changes:
            text = (
                f"Saved. {placement.reference} on {uk_date_long(date)}, {sessions_text(sessions)}: "
                f"now {_code_label(new or '')} (was {old}). The history is kept."
            )
        else:
            text = f"Nothing changed: the absence was already coded {new}."
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "date": date.isoformat(),
                    "sessions": [s.value for s in sessions],
                    "from": old,
                    "to": new,
                    "changes": len(changes),
                },
            )
        ]

    async def _present_after_all(
        self,
        ctx: DialogContext,
        answers: Answers,
        placement: Placement,
        date: dt.date,
        old: str,
        sessions: list[RegisterSession],
    ) -> list[Reply]:
        try:
            changes = await present_after_all(
                ctx.session,
                ctx.change,
                placement=placement,
                date=date,
                sessions=sessions,
                reason=answers.text("reason") or "",
            )
        except OutcomeError as error:
            raise AnswerError(str(error)) from error
        text = (
            f"Saved. {placement.reference} on {uk_date_long(date)}, {sessions_text(sessions)}: "
            f"now present ({placement.attendance_code}), was absent ({old}). The history is "
            "kept and the school's DSL is told."
        )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "date": date.isoformat(),
                    "sessions": [s.value for s in sessions],
                    "from": old,
                    "to": placement.attendance_code,
                    "changes": len(changes),
                },
            )
        ]


class LateDialog(PlacementDialog):
    name = "late"
    title = "late arrival"
    words = ("late", "arrived late", "late arrival")
    needs = Action.report_attendance
    summary = "record a late arrival (L before the register closed, U after)"
    shared_ok = True
    which = "Which pupil arrived late?"
    nothing = "You have no pupils on active placements to record as late."

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        today = ctx.today
        calendar = await calendar_for(ctx.session, placement.commissioner_id, today=today)
        yield Step(
            "date",
            PromptKind.date,
            "Which day? (blank for today)",
            sense=DateSense.happened,
            default="today",
            validate=no_session_check(
                placement,
                calendar,
                date_between(
                    max(placement.start_date, today - dt.timedelta(days=LATE_WINDOW_DAYS)),
                    today,
                    too_early=f"Please pick a day since {placement.start_date:%d/%m/%Y} and in "
                    f"the last {LATE_WINDOW_DAYS} days.",
                    too_late="A late arrival can only be recorded for today or an earlier day.",
                ),
            ),
        )
        yield Step(
            "session",
            PromptKind.choice,
            "Which session? (blank for AM)",
            choices=SESSION_CHOICES,
            default="AM",
        )
        yield Step("arrived", PromptKind.time, "What time did they arrive? (24-hour, e.g. 09:50)")
        arrived = answers.time("arrived")
        assert arrived is not None
        deadline = placement.absence_deadline
        default = None
        hint = ""
        if answers.text("session") == "AM":
            default = "yes" if arrived > deadline else "no"
            hint = f" (blank for {default}: the agreed register time is {deadline:%H:%M})"
        yield Step(
            "after_close",
            PromptKind.yesno,
            f"Had the register closed when they arrived?{hint}",
            default=default,
        )
        after = answers.flag("after_close")
        what = (
            "U: late after the register closed (unauthorised absence)"
            if after
            else (
                f"L: late before the register closed (counts as attended, {placement.attendance_code} "
                "on the school's register)"
            )
        )
        day = answers.date("date") or today
        existing = (await already_reported(ctx, placement, day)).get(
            RegisterSession(answers.text("session") or "AM")
        )
        change = (
            f"\nThis changes the session from {mark_words(existing)} (kept in the mark's history)."
            if existing is not None
            else ""
        )
        yield Step(
            "confirm",
            PromptKind.confirm,
            f"Record {placement.reference} ({pupil_label(ctx, placement)}) late on "
            f"{uk_date_long(day)} {answers.text('session')}, arrived "
            f"{arrived:%H:%M}: code {what}?{change}",
        )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        date = answers.date("date")
        arrived = answers.time("arrived")
        assert date is not None and arrived is not None
        which = RegisterSession(answers.text("session") or "AM")
        try:
            record, closed = await record_late(
                ctx.session,
                ctx.change,
                placement=placement,
                date=date,
                which=which,
                arrived_at=arrived,
                after_close=answers.flag("after_close"),
            )
        except OutcomeError as error:
            raise AnswerError(str(error)) from error
        text = (
            f"Saved: {placement.reference} arrived at {arrived:%H:%M} on {uk_date_long(date)} "
            f"{which.value}, code {record.code}."
        )
        if closed is not None:
            text += " The open welfare call for that day is closed: the pupil is at the provider."
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "date": date.isoformat(),
                    "session": which.value,
                    "code": record.code,
                    "welfare_call_closed": closed is not None,
                },
            )
        ]
