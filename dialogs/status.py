"""Status: what is due or overdue for me, or one placement's state by reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import func, select

from dialogs.common import days_text, pupil_label, pupil_name
from dialogs.context import Answers, DialogContext
from dialogs.end_placement import outcome_labels
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, uk_date
from dialogs.prompts import Done, Reply
from dialogs.reason_steps import placement_reason
from dialogs.wording import STATUS_IN_SHARED
from storage.access import Action, Task, can
from storage.models import (
    ChecklistStatus,
    ChronologyEntry,
    Placement,
    PlacementStatus,
    QaVisit,
    Role,
)
from storage.rules import checklist
from storage.rules.attendance import recent_window
from storage.rules.fulltime import format_hours
from storage.services.concern_reviews import SEVERITY_WORDS
from storage.services.contacts import last_provider_contact
from storage.services.marks import attendance_rate, marks_for
from storage.services.my_status import DueItem, DueKind, MyStatus, my_status
from storage.services.placements import ensure_loaded, find_by_reference
from storage.services.terms import calendar_for


class StatusDialog(Dialog):
    name = "status"
    title = "status"
    words = ("status", "my checks", "checks", "due", "placements", "my placements")
    needs = Task.ask
    summary = "what is due or overdue for you; `status AP-XXXX` for one placement"
    shared_ok = True

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        return Answers({"reference": args.split()[0]} if args.strip() else {})

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command: nothing to ask

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        reference = answers.text("reference")
        if reference:
            placement = await find_by_reference(ctx.session, reference)
            if placement is None or not can(
                ctx.person, Action.view, placement, today=ctx.today, place=ctx.place
            ):
                raise AnswerError(
                    f"I can't find a placement {reference.upper()!r} that you can see."
                )
            text = await placement_status(ctx, placement)
            return [Done(dialog=self.name, text=text, record={"reference": placement.reference})]
        status = await my_status(ctx.session, ctx.person, today=ctx.today, place=ctx.place)
        text = status_text(status, shared=ctx.shared)
        return [Done(dialog=self.name, text=text, record=status.counts())]


def status_text(status: MyStatus, *, shared: bool) -> str:
    """What is due for the person, soonest first, welfare calls before everything else (in a
    shared channel: the counts only)."""
    if not status.placements:
        return "You have no active placements, so nothing is due. Type help to see what you can do."
    header = f"You have {status.placements} active placement(s)."
    if not status.items:
        return header + " Nothing is due or overdue. 👍"
    if shared:  # where others may be looking: how many, never which pupils
        return "\n".join(
            [header, f"{status.overdue} overdue, {status.due_soon} due soon.", STATUS_IN_SHARED]
        )
    lines = sorted(_due_line(item, status.today) for item in status.items)
    return "\n".join(
        [
            header,
            f"{status.overdue} overdue, {status.due_soon} due soon:",
            *(f"• {line}" for _, _, line in lines),
        ]
    )


def _due_line(item: DueItem, today: dt.date) -> tuple[int, dt.date, str]:
    """(urgency, day, line): sorted, reviews to decide and welfare calls come first, then the
    rest soonest first."""
    p = item.placement
    pupil = pupil_name(p, shared=False)
    if item.kind == DueKind.review and item.severity is not None:
        what = SEVERITY_WORDS[item.severity]
        return (
            -1,
            item.due or today,
            f"DECIDE NOW: serious concern for {p.reference} ({pupil}), {what}, logged "
            f"{uk_date(item.due)}: decide {p.reference}",
        )
    if item.kind == DueKind.welfare_call:
        return (
            0,
            item.due or today,
            f"Welfare call to make: {p.reference} ({pupil}) absent {uk_date(item.due)}",
        )
    what = checklist.definition(item.check).label if item.check else "QA visit"
    return (
        1,
        item.due or today,
        f"{'OVERDUE' if item.overdue else 'due'} {uk_date(item.due)}: {what} ({p.reference}, {pupil})",
    )


def _outcome(placement: Placement) -> str:
    return outcome_labels(placement).get(placement.end_outcome or "", placement.end_outcome or "")


async def placement_status(ctx: DialogContext, placement: Placement) -> str:
    """One placement at a glance; safeguarding detail only for those who may see it."""
    p = placement
    lines = [
        f"{p.reference} · {pupil_label(ctx, p)} · {p.provider.name}"
        + (" (UNREGISTERED)" if p.provider.is_unregistered else ""),
        f"Status: {p.status.value}. {uk_date(p.start_date)} to {uk_date(p.planned_end_date)}"
        + (
            f", withdrawn {uk_date(p.ended_on)} before it started"
            if p.status == PlacementStatus.withdrawn
            else f", ended {uk_date(p.ended_on)} ({_outcome(p)})"
            if p.ended_on
            else ""
        ),
        f"Timetable: {days_text(p.days)} at the provider; {format_hours(p.total_hours)} h of "
        f"{format_hours(p.full_time_hours)} h"
        + (" (full-time)" if p.is_full_time else f" (PART-TIME, review {uk_date(p.review_date)})"),
        f"Attendance code {p.attendance_code}; absences reported by {p.absence_deadline:%H:%M}; "
        f"welfare calls by the {p.welfare_call_party.value}",
    ]
    if ctx.person.role != Role.provider and not ctx.shared:
        # Why the pupil is in AP is the commissioner's, and never said in a shared channel.
        lines.insert(1, placement_reason(p))
    if ctx.person.role != Role.provider:
        items = list((await ensure_loaded(ctx.session, p, "checklist")).checklist)
        open_items = [i for i in items if i.status == ChecklistStatus.not_done]
        counts = checklist.checklist_counts(i.status for i in items)
        na = f", {counts.not_applicable} not applicable" if counts.not_applicable else ""
        lines.append(
            f"Checklist: {counts.done} of {counts.applicable} done, {counts.to_do} to do{na}"
        )
        # Which checks are missing is the school's business: the count only in a shared channel.
        for item in (
            [] if ctx.shared else sorted(open_items, key=lambda i: i.due_date or dt.date.max)
        ):
            late = " OVERDUE" if item.due_date and item.due_date < ctx.today else ""
            lines.append(
                f"  • {checklist.definition(item.key).label}: due {uk_date(item.due_date)}{late}"
            )
        last_visit = await ctx.session.scalar(
            select(func.max(QaVisit.visit_date)).where(QaVisit.placement_id == p.id)
        )
        # The weekly contact is the provider's; a parent's or the pupil's does not count.
        last_contact = await last_provider_contact(ctx.session, p)
        lines.append(
            f"QA visits: last {uk_date(last_visit) if last_visit else 'none yet'}, next due {uk_date(p.next_qa_due)}"
        )
        lines.append(
            f"Last weekly contact: {uk_date(last_contact) if last_contact else 'none yet'}"
        )
    start, end = recent_window(ctx.today)
    calendar = await calendar_for(ctx.session, p.commissioner_id, today=ctx.today)
    rate = attendance_rate(
        await marks_for(ctx.session, [p], start=start, end=end, today=ctx.today, calendar=calendar)
    )
    lines.append(f"Attendance at the provider, last 4 weeks: {rate.text}")
    if can(ctx.person, Action.read_chronology, p) and not ctx.shared:
        entries = await ctx.session.scalar(
            select(func.count())
            .select_from(ChronologyEntry)
            .where(ChronologyEntry.pupil_id == p.pupil_id)
        )
        lines.append(f"Chronology: {entries or 0} entr{'y' if entries == 1 else 'ies'} (DSL only)")
    return "\n".join(lines)
