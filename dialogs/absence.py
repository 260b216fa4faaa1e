"""Report an absence (provider or school staff), and confirm the whole register ("all present").

Both may run in a provider's shared channel, where pupils are named by reference only (the
choices by initials). Whether the dialog began in a shared channel is kept with the answers, so
a question asked again later (after a restart or a refused save) is still worded for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import bindparam, select

from dialogs.common import (
    a_reason,
    absence_code_choices,
    as_begun,
    date_between,
    placements_for,
    pupil_label,
    remember_shared,
)
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import (
    AnswerError,
    DateSense,
    parse_date,
    parse_multichoice,
    uk_date,
    uk_date_long,
)
from dialogs.placement_dialog import PlacementDialog
from dialogs.prompts import Choice, Done, Message, PromptKind, Reply
from storage.access import Action, can_set_code, code_rights
from storage.clock import LONDON
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    Placement,
    RegisterSession,
    Role,
    WelfareCallParty,
)
from storage.rules import codes
from storage.rules.attendance import no_session_reason
from storage.rules.calendar import SchoolCalendar
from storage.services.attendance import (
    AttendanceError,
    confirm_all_present,
    deadline_passed,
    due_placements,
    expected_on,
    is_confirmed_present,
    mark_words,
    record_absence,
    sessions_text,
)
from storage.services.terms import calendar_for, calendars_for

# Answers key: the dialog began in a shared channel (see the module docstring).
REPORT_WINDOW_DAYS = 14
SESSION_CHOICES = [
    Choice(value="AM", label="AM (morning)"),
    Choice(value="PM", label="PM (afternoon)"),
]
BOTH_WORDS = {"both", "all", "all day", "am pm"}
DEFAULT_CODE = "N"
NO_LEAD = (
    " No safeguarding lead is set up for the commissioner, so nobody there was alerted: "
    "please phone them, and ask your admin to fix it."
)


def _sessions(raw: str) -> list[str]:
    """`AM`, `PM`, `both` (or `AM, PM`, `1, 2`)."""
    if raw.strip().lower() in BOTH_WORDS:
        return ["AM", "PM"]
    return parse_multichoice(raw, SESSION_CHOICES)


def no_session_check(
    placement: Placement, calendar: SchoolCalendar, window: Callable[[dt.date], str | None]
) -> Callable[[dt.date], str | None]:
    """A date step's check: the window first, then that the pupil was due at the provider."""

    def check(day: dt.date) -> str | None:
        refused = window(day)
        if refused is not None:
            return refused
        return _no_session_words(placement, day, calendar)

    return check


def _no_session_words(placement: Placement, day: dt.date, calendar: SchoolCalendar) -> str | None:
    why = no_session_reason(placement, day, calendar)
    if why is None:
        return None
    return f"{placement.reference} had no session at the provider then: {why}. Pick a day they were due."


def _date_check(
    ctx: DialogContext, placement: Placement, window: Callable[[dt.date], str | None]
) -> Callable[[dt.date], Awaitable[str | None]]:
    """`absent`'s date check: the window, then the school's calendar, read only when a day is
    given (not on the turns that ask the question or walk past it)."""

    async def check(day: dt.date) -> str | None:
        refused = window(day)
        if refused is not None:
            return refused
        today = ctx.today
        calendar = await ctx.once(
            ("calendar", placement.commissioner_id, today),
            lambda: calendar_for(ctx.session, placement.commissioner_id, today=today),
        )
        return _no_session_words(placement, day, calendar)

    return check


async def already_reported(
    ctx: DialogContext, placement: Placement, date: dt.date
) -> dict[RegisterSession, AttendanceRecord]:
    """The sessions of that day already reported, by session."""
    rows = await ctx.session.scalars(_DAYS_MARKS, {"placement_id": placement.id, "date": date})
    return {row.session: row for row in rows}


# Built once: read on every turn once the day is known.
_DAYS_MARKS = select(AttendanceRecord).where(
    AttendanceRecord.placement_id == bindparam("placement_id"),
    AttendanceRecord.date == bindparam("date"),
)


def _recorded_code(ctx: DialogContext, placement: Placement, code: str) -> str:
    """The code the session will carry: the one chosen, or N when it is only a proposal."""
    return code if can_set_code(ctx.person, placement, code) else DEFAULT_CODE


class AbsentDialog(PlacementDialog):
    name = "absent"
    title = "report absence"
    words = ("absent", "absence", "report absence", "not arrived")
    needs = Action.report_attendance
    summary = "report a pupil absent (the school's DSL is told at once)"
    shared_ok = True
    which = "Which pupil is absent?"
    nothing = "You have no pupils on active placements to report absent."

    async def after_placement(
        self, ctx: DialogContext, answers: Answers, placement: Placement
    ) -> AsyncIterator[Step]:
        today = ctx.today
        window_start = today - dt.timedelta(days=REPORT_WINDOW_DAYS)
        too_early = (
            f"{placement.reference} started on {uk_date(placement.start_date)}; pick a day from then."
            if placement.start_date > window_start
            else f"Please pick a day in the last {REPORT_WINDOW_DAYS} days; for older absences, "
            "tell the school directly."
        )
        yield Step(
            "date",
            PromptKind.date,
            "Which day? (blank for today)",
            sense=DateSense.happened,
            default="today",
            validate=_date_check(
                ctx,
                placement,
                date_between(
                    max(window_start, placement.start_date),
                    today,
                    too_early=too_early,
                    too_late="An absence can only be reported for today or an earlier day.",
                ),
            ),
        )
        date = answers.date("date")
        assert date is not None
        notes: list[Message] = []
        if deadline_passed(placement, date, ctx.clock.now()):
            notes.append(
                Message(
                    level="warning",
                    text=f"This is after the agreed {placement.absence_deadline:%H:%M} deadline, "
                    "so it will be recorded as a late report. Please send it anyway.",
                )
            )
        yield Step(
            "sessions",
            PromptKind.multichoice,
            "Which sessions? AM, PM or both.",
            choices=SESSION_CHOICES,
            parse=_sessions,
            validate=lambda picked: None if picked else "Please pick AM, PM or both.",
            notes=notes,
        )
        reason_text = (
            "What's the reason, as far as you know? (type 'not known' if you don't know yet)"
            if not ctx.shared
            else "What's the reason, briefly? Others can read this channel: no health or family "
            "detail here (tell the school's DSL directly). Type 'not known' if you don't know."
        )
        yield Step("reason", PromptKind.text, reason_text, max_length=1000)
        rights = code_rights(ctx.person, placement)
        yield Step(
            "code",
            PromptKind.choice,
            "Which absence code? (blank for N: reason not yet established)"
            + (
                ""
                if all(rights.may_set(c.code) for c in codes.absence_codes())
                else ". A code marked 'the school decides' is sent to the school as your proposal; "
                "the session is recorded N until they decide."
            ),
            choices=absence_code_choices(ctx, placement),
            default=DEFAULT_CODE,
        )
        code = _recorded_code(ctx, placement, answers.text("code") or DEFAULT_CODE)
        existing = await ctx.once(
            ("marks", placement.id, date), lambda: already_reported(ctx, placement, date)
        )
        changing = [
            existing[RegisterSession(s)]
            for s in answers.many("sessions")
            if RegisterSession(s) in existing
            and (
                existing[RegisterSession(s)].status != AttendanceStatus.absent
                or existing[RegisterSession(s)].code != code
            )
        ]
        if changing:
            what = "; ".join(
                f"{r.session.value} is recorded {mark_words(r)}"
                + f" (reported {r.reported_at.astimezone(LONDON):%d/%m %H:%M})"
                + f" and would become absent ({code})"
                for r in changing
            )
            yield Step(
                "change_reason",
                PromptKind.text,
                f"{placement.reference} on {uk_date_long(date)} was already reported: {what}. "
                "Why is the mark changing? (kept in the mark's history"
                + (
                    "; the school's DSL is told the register was wrong)"
                    if any(is_confirmed_present(r) for r in changing)
                    else ")"
                ),
                max_length=1000,
                validate=a_reason,
            )
        yield Step(
            "confirm",
            PromptKind.confirm,
            self._summary(ctx, answers, placement, date, changing),
        )

    def _summary(
        self,
        ctx: DialogContext,
        answers: Answers,
        placement: Placement,
        date: dt.date,
        changing: list[AttendanceRecord],
    ) -> str:
        who = (
            placement.reference
            if ctx.shared
            else f"{placement.reference} ({pupil_label(ctx, placement)})"
        )
        sessions = sessions_text([RegisterSession(s) for s in answers.many("sessions")])
        chosen = answers.text("code") or DEFAULT_CODE
        code = _recorded_code(ctx, placement, chosen)
        line = f"Report {who} absent on {uk_date_long(date)}, {sessions}, code {code}"
        if code != chosen:
            line += f" (you propose {chosen}: the school decides)"
        line += "?"
        if changing:
            line += "\nThis changes " + "; ".join(
                f"{r.session.value} from {mark_words(r)} to absent ({code})" for r in changing
            )
            line += f". Why: {answers.text('change_reason')}"
        if ctx.shared:
            return line
        return f"{line}\nReason: {answers.text('reason')}"

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        placement = await self.chosen(ctx, answers)
        date = answers.date("date")
        assert date is not None
        sessions = [RegisterSession(s) for s in answers.many("sessions")]
        try:
            reported = await record_absence(
                ctx.session,
                ctx.change,
                placement=placement,
                date=date,
                sessions=sessions,
                code=answers.text("code") or DEFAULT_CODE,
                reason=answers.text("reason") or "",
                change_reason=answers.text("change_reason"),
            )
        except AttendanceError as error:
            raise AnswerError(str(error)) from error
        # The day's open call and whether a lead was alerted, as the save found them (not
        # read again).
        records, call, told = reported.records, reported.call, reported.leads_alerted
        late = any(r.late_report for r in records)
        when = f"{uk_date_long(date)}, {sessions_text(sessions)}"
        if ctx.shared:  # the reference only: no name, no initials, no reason
            text = f"Thanks: absence recorded for {placement.reference} ({when})." + (
                " The school has been told." if told else NO_LEAD
            )
        else:
            text = (
                f"Recorded {pupil_label(ctx, placement)} ({placement.reference}) absent on {when}, "
                f"code {records[0].code}. "
                + (
                    f"{placement.commissioner.name}'s designated safeguarding lead has been alerted."
                    if told
                    else NO_LEAD.strip()
                )
            )
        proposed = records[0].proposed_code
        if proposed:
            text += (
                f" You proposed {proposed}: only the school may set that code, so it stays "
                f"{records[0].code} until they decide."
            )
        if answers.text("change_reason"):
            text += " The change is kept in the mark's history."
        if late:
            text += f" This came after the {placement.absence_deadline:%H:%M} deadline."
        if call is not None:
            if call.party == WelfareCallParty.provider:
                text += (
                    " You make the welfare call: please call home now and tell the school."
                    if ctx.person.role == Role.provider
                    else f" {placement.provider.name} makes the welfare call and has been asked to."
                )
            else:
                text += " The school makes the welfare call."
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "reference": placement.reference,
                    "date": date.isoformat(),
                    "sessions": [s.value for s in sessions],
                    "code": records[0].code,
                    "proposed_code": records[0].proposed_code,
                    "late_report": late,
                    "welfare_call_id": call.id if call else None,
                },
            )
        ]


class PresentDialog(Dialog):
    name = "present"
    title = "all present"
    words = ("present", "all present", "register")
    needs = Action.confirm_register
    summary = "confirm today's register: everyone expected is present (absences stay)"
    shared_ok = True

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        placements = await placements_for(ctx, Action.confirm_register)
        if not placements:
            raise AnswerError(
                "No pupils are placed with you at the moment, so there's no register."
            )
        answers = remember_shared(ctx, Answers())
        if args.strip():  # `present yesterday`: checked here, as the date question is skipped
            date = parse_date(args, today=ctx.today, sense=DateSense.happened)
            calendars = await _calendars(ctx, placements)
            problem = _register_problem(date, ctx.today, placements, calendars)
            if problem:
                raise AnswerError(problem)
            answers.data["date"] = date.isoformat()
        return answers

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        ctx = as_begun(ctx, answers)
        placements = await placements_for(ctx, Action.confirm_register)
        today = ctx.today
        calendars = await _calendars(ctx, placements)
        yield Step(
            "date",
            PromptKind.date,
            "Which day's register? (blank for today)",
            sense=DateSense.happened,
            default="today",
            validate=lambda d: _register_problem(d, today, placements, calendars),
        )
        date = answers.date("date")
        assert date is not None
        expected = await due_placements(ctx.session, placements, date)
        marks = await _day_marks(ctx, expected, date)
        absent = _absent_in(marks)
        # Every session (AM and PM) of every pupil due is already reported.
        if expected and len(marks) >= 2 * len(expected):
            lines = [
                f"Every session on {uk_date_long(date)} is already reported, so there is nothing "
                "to mark present. Answer yes to finish, or back to pick another day."
            ]
        else:
            lines = [
                f"Mark {len(expected)} pupil(s) present for AM and PM on {uk_date_long(date)}? "
                "Any already reported absent stay absent."
            ]
        for p in expected:
            marked = absent.get(p.id)
            lines.append(
                f"• {p.reference}" + (f" (absent {marked}: stays absent)" if marked else "")
            )
        yield Step("confirm", PromptKind.confirm, "\n".join(lines))

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        date = answers.date("date")
        assert date is not None and ctx.person.organisation_id is not None
        try:
            created = await confirm_all_present(
                ctx.session, ctx.change, provider_id=ctx.person.organisation_id, date=date
            )
        except AttendanceError as error:
            raise AnswerError(str(error)) from error
        placements = await placements_for(ctx, Action.confirm_register)
        expected = await due_placements(ctx.session, placements, date)
        marked_ids = {r.placement_id for r in created}
        marked = [p.reference for p in expected if p.id in marked_ids]
        absent = _absent_in(await _day_marks(ctx, expected, date))
        text = (
            f"Register confirmed for {uk_date_long(date)}: {len(marked)} pupil(s) marked present "
            f"({len(created)} session(s))."
            if created
            else f"Nothing to change for {uk_date_long(date)}: every session was already reported."
        )
        if absent:
            text += (
                " Still absent: "
                + ", ".join(
                    f"{ref} ({sessions})" for ref, sessions in _by_reference(expected, absent)
                )
                + "."
            )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "date": date.isoformat(),
                    "marked_present": marked,
                    "sessions_marked": len(created),
                    "still_absent": [p.reference for p in expected if p.id in absent],
                },
            )
        ]


async def _calendars(ctx: DialogContext, placements: list[Placement]) -> dict[int, SchoolCalendar]:
    """Each commissioning school's calendar (its term breaks), by organisation id."""
    return await calendars_for(
        ctx.session, {p.commissioner_id for p in placements}, today=ctx.today
    )


def _register_problem(
    date: dt.date,
    today: dt.date,
    placements: list[Placement],
    calendars: dict[int, SchoolCalendar],
) -> str | None:
    """Why a register can't be confirmed for that day, or None."""
    if date.weekday() >= 5:
        return f"{uk_date_long(date)} is a weekend: there's no register to confirm."
    holiday = SchoolCalendar().bank_holiday(date)
    if holiday:
        return (
            f"{uk_date_long(date)} is a bank holiday ({holiday}): there's no register to confirm."
        )
    if date > today:
        return "You can only confirm a register for today or an earlier day."
    if date < today - dt.timedelta(days=REPORT_WINDOW_DAYS):
        return f"Please pick a day in the last {REPORT_WINDOW_DAYS} days."
    if not any(expected_on(p, date, calendars[p.commissioner_id]) for p in placements):
        return (
            f"None of your pupils was due on {uk_date_long(date)} (not their day with you, or "
            "their school's term break), so there's nothing to confirm."
        )
    return None


async def _day_marks(
    ctx: DialogContext, placements: list[Placement], date: dt.date
) -> list[tuple[int, RegisterSession, AttendanceStatus]]:
    """The sessions of these placements already reported that day: placement id, session,
    status."""
    if not placements:
        return []
    rows = await ctx.session.execute(
        select(AttendanceRecord.placement_id, AttendanceRecord.session, AttendanceRecord.status)
        .where(
            AttendanceRecord.placement_id.in_([p.id for p in placements]),
            AttendanceRecord.date == date,
        )
        .order_by(AttendanceRecord.id)
    )
    return [
        (pid, RegisterSession(session), AttendanceStatus(status)) for pid, session, status in rows
    ]


def _absent_in(marks: list[tuple[int, RegisterSession, AttendanceStatus]]) -> dict[int, str]:
    """Placement id -> the sessions reported absent (`AM`, `AM and PM`)."""
    sessions: dict[int, list[RegisterSession]] = {}
    for placement_id, session, status in marks:
        if status == AttendanceStatus.absent:
            sessions.setdefault(placement_id, []).append(session)
    return {pid: sessions_text(found) for pid, found in sessions.items()}


def _by_reference(placements: list[Placement], absent: dict[int, str]) -> list[tuple[str, str]]:
    return [(p.reference, absent[p.id]) for p in placements if p.id in absent]
