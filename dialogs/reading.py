"""Reading the record in chat: `chronology`, `visits`, `contacts` and `history` of a placement,
newest first, a page at a time (`more` for the next), under need-to-know.

Who may read what is decided in `storage.access` (`readable`, `can_read_report`,
`can_read_entry`); the records are gathered by `storage.services.reading`. In a shared channel
only a count is said: the detail is for a direct message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

from dialogs.audit import READING as AUDIT_READING
from dialogs.audit import audit_page
from dialogs.common import pupil_label
from dialogs.contact import METHOD_LABELS, WITH_LABELS
from dialogs.context import Answers, DialogContext
from dialogs.end_placement import outcome_labels
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError, NothingToDo
from dialogs.prompts import Done, Reply
from dialogs.visit import RATING_LABELS
from dialogs.welfare import CONTACT_CHOICES, NEXT_STEP_CHOICES
from storage.access import Reading, readable
from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    ChecklistItem,
    ChecklistStatus,
    ChronologyEntry,
    ChronologySource,
    Contact,
    ObjectiveReview,
    Placement,
    PlacementChange,
    QaVisit,
    Role,
    WelfareCall,
    WelfareCallAttempt,
)
from storage.rules import checklist
from storage.services.placement_changes import CHANGE_LABELS
from storage.services.placements import find_by_reference
from storage.services.reading import Item, Page, page_of, record_items, remember, where_reading

SPOKE_TO = {choice.value: choice.label.split(" (")[0].lower() for choice in CONTACT_CHOICES}
NEXT_STEPS = {choice.value: choice.label.split(":")[0].lower() for choice in NEXT_STEP_CHOICES}
SOURCES = {"school": "school", "provider": "provider", "local_authority": "local authority"}


def _yes(value: bool | None) -> str:
    return "not known" if value is None else ("yes" if value else "no")


def _visit(visit: QaVisit, progress: tuple[tuple[int, ObjectiveReview], ...] = ()) -> str:
    seen = (
        f'pupil seen: yes; the pupil\'s voice: "{visit.pupil_voice}"'
        if visit.pupil_seen
        else f"pupil seen: no ({visit.why_not_seen or 'no reason given'})"
    )
    parts = [
        seen,
        f"setting safe: {_yes(visit.setting_safe)}",
        f"register matches: {_yes(visit.register_matches)}",
        f"rating: {RATING_LABELS[visit.rating].lower()}",
    ]
    if visit.concerns:
        parts.append(f"concerns: {visit.concerns}")
    if visit.actions_agreed:
        parts.append(f"actions agreed: {visit.actions_agreed}")
    for number, review in progress:
        note = f" ({review.note})" if review.note else ""
        parts.append(f"objective {number}: {review.progress.label}{note}")
    parts.append(f"next visit due {visit.next_visit_due:%d/%m/%Y}")
    return "; ".join(parts)


def _absence(mark: AttendanceRecord) -> str:
    words = f"{mark.session.value} {mark.status.value}, code {mark.code}"
    if mark.proposed_code:
        words += f" (the provider proposed {mark.proposed_code}: the school decides)"
    if mark.reason:
        words += f": {mark.reason}"
    reported = mark.reported_at.astimezone(LONDON)
    words += f"; reported {reported:%d/%m/%Y %H:%M}"
    return words + (" (after the deadline)" if mark.late_report else "")


def _mark_change(change: AttendanceChange) -> str:
    return (
        f"mark changed from {change.from_status} {change.from_code} to "
        f"{change.to_status} {change.to_code}: {change.reason}"
    )


def _welfare_call(call: WelfareCall, assigned: str | None) -> str:
    who = "the provider" if call.party.value == "provider" else "the school"
    if call.status.value == "done":
        outcome = f": {call.outcome}" if call.outcome else ""
        return f"welfare call (made by {who}) done{outcome}"
    to = f", assigned to {assigned}" if assigned else ""
    return f"welfare call owed (by {who}{to}): not done yet"


def _attempt(attempt: WelfareCallAttempt) -> str:
    at = attempt.called_at.astimezone(LONDON)
    parts = [f"welfare call made at {at:%H:%M}", f"spoke to: {SPOKE_TO[attempt.spoke_to.value]}"]
    if attempt.pupil_seen_or_heard is not None:
        parts.append(f"pupil seen or heard: {_yes(attempt.pupil_seen_or_heard)}")
    if attempt.pupil_safe is not None:
        parts.append(f"pupil safe: {_yes(attempt.pupil_safe)}")
    if attempt.reason:
        parts.append(f"reason: {attempt.reason}")
    if attempt.outcome_code:
        parts.append(f"code now {attempt.outcome_code}")
    if attempt.next_step is not None:
        parts.append(f"next step: {NEXT_STEPS[attempt.next_step.value]}")
    return "; ".join(parts)


def _chronology(entry: ChronologyEntry, ctx: DialogContext, placement: Placement) -> str:
    words = f"{entry.kind.value} (from the {SOURCES[entry.source.value]}): {entry.text}"
    shared = placement.provider_id in (entry.shared_with or [])
    if shared and ctx.person.role != Role.provider and entry.source != ChronologySource.provider:
        words += " [shared with the provider]"
    return words


def _check(check: ChecklistItem) -> str:
    label = checklist.definition(check.key).label
    if check.status == ChecklistStatus.not_applicable:
        return f"check marked not applicable: {label} ({check.na_reason or 'no reason given'})"
    evidence = f" ({check.evidence})" if check.evidence else ""
    return f"check done: {label}{evidence}"


def item_text(item: Item, ctx: DialogContext, placement: Placement) -> str:
    """One item of the record as a line: its date (UK style), what it was, who recorded it."""
    record = item.record
    match item.what:
        case "start":
            words = (
                f"placement started at {placement.provider.name} "
                f"({'full-time' if placement.is_full_time else 'part-time timetable'}, "
                f"code {placement.attendance_code})"
            )
        case "end":
            words = f"placement {placement.status.closed_phrase.removeprefix('has ')}"
            destination = outcome_labels(placement).get(placement.end_outcome or "")
            if destination:
                words += f" (next: {destination})"
            elif placement.end_outcome:
                words += f" ({placement.end_outcome.replace('_', ' ')})"
            if placement.pupil_view_at_end:
                words += f"; the pupil's view: {placement.pupil_view_at_end}"
        case "change":
            assert isinstance(record, PlacementChange)
            words = (
                f"changed the {CHANGE_LABELS[record.kind]}: was {record.before}; now "
                f"{record.after}; why: {record.reason}"
            )
        case "visit":
            words = "QA visit: " + _visit(record, item.progress)
        case "contact":
            assert isinstance(record, Contact)
            words = (
                f"contact with {WITH_LABELS[record.with_whom]} "
                f"({METHOD_LABELS[record.method].lower()}): {record.summary}"
            )
        case "absence":
            words = _absence(record)
        case "mark_change":
            words = _mark_change(record)
        case "welfare_call":
            words = _welfare_call(record, item.assigned)
        case "welfare_attempt":
            words = _attempt(record)
        case "chronology":
            words = _chronology(record, ctx, placement)
        case _:
            words = _check(record)
    by = f", by {item.author}" if item.author else ""
    return f"• {item.day:%d/%m/%Y} · {words}{by}"


class ReadingDialog(Dialog):
    """A one-shot reading of part of a placement's record (`chronology AP-7K3Q`)."""

    # Which parts of the record it reads, and what one item of it is called.
    parts: ClassVar[frozenset[Reading]]
    noun: ClassVar[tuple[str, str]]
    # A reading refused here when the person may see the placement but not this part of it.
    refusal: ClassVar[str]
    # Said after "say which placement" (e.g. how to add to it instead).
    also: ClassVar[str] = ""
    shared_ok = True

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if not args.strip():
            raise AnswerError(f"Say which placement: {self.name} AP-7K3Q.{self.also}")
        return Answers({"reference": args.split()[0].upper()})

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        reference = answers.text("reference") or ""
        return await read(ctx, self, reference, after=None)


async def read(
    ctx: DialogContext, dialog: ReadingDialog, reference: str, *, after: list[object] | None
) -> list[Reply]:
    """One page of a reading (the first, or the one after `after`), and remember where it ended."""
    placement = await find_by_reference(ctx.session, reference)
    allowed = (
        readable(ctx.person, placement, today=ctx.today, place=ctx.place)
        if placement is not None
        else frozenset()
    )
    if placement is None or not allowed:
        raise AnswerError(f"I can't find a placement {reference!r} that you can read here.")
    if not allowed & dialog.parts:
        raise AnswerError(f"{placement.reference}: {dialog.refusal}")
    items = await record_items(
        ctx.session, ctx.person, placement, dialog.parts, today=ctx.today, place=ctx.place
    )
    one, many = dialog.noun
    if ctx.shared:  # others can read this channel: a count, never the detail
        return [
            Done(
                dialog=dialog.name,
                text=(
                    f"{placement.reference}: {len(items)} {one if len(items) == 1 else many} "
                    f"you can read. Send me {dialog.name} {placement.reference} in a direct "
                    "message to read them."
                ),
                record={"reference": placement.reference, "count": len(items)},
            )
        ]
    page = page_of(items, after=after)
    await _keep_place(ctx, dialog, placement, page)
    return [
        Done(
            dialog=dialog.name,
            text=_page_text(ctx, dialog, placement, page, first=after is None),
            record={
                "reference": placement.reference,
                "count": page.total,
                "shown": len(page.items),
                "left": page.left,
            },
        )
    ]


async def _keep_place(
    ctx: DialogContext, dialog: ReadingDialog, placement: Placement, page: Page
) -> None:
    """Where `more` carries on: after this page's last item, or nowhere if this was the last."""
    if page.left:
        await remember(
            ctx.session,
            person_id=ctx.person.id,
            conversation=ctx.conversation,
            reading=dialog.name,
            reference=placement.reference,
            after=page.last_key,
            at=ctx.clock.now(),
        )
        return
    cursor = await where_reading(
        ctx.session, person_id=ctx.person.id, conversation=ctx.conversation
    )
    if cursor is not None:
        await ctx.session.delete(cursor)


def _page_text(
    ctx: DialogContext, dialog: ReadingDialog, placement: Placement, page: Page, *, first: bool
) -> str:
    one, many = dialog.noun
    title = f"{dialog.title[:1].upper()}{dialog.title[1:]} of {placement.reference} ({pupil_label(ctx, placement)})"
    if not page.total:
        return f"{title}: no {many} you can read yet."
    shown_from = page.total - page.left - len(page.items) + 1
    shown_to = page.total - page.left
    head = (
        f"{title}, newest first: {page.total} {one if page.total == 1 else many}"
        + (
            ""
            if page.total == len(page.items)
            else f", {shown_from} shown"
            if shown_from == shown_to
            else f", {shown_from} to {shown_to} shown"
        )
        + ("" if first else " (continued)")
    )
    lines = [head, *(item_text(item, ctx, placement) for item in page.items)]
    if page.left:
        lines.append(f"Type more for the next {min(page.left, 10)} of {page.left} left.")
    return "\n".join(lines)


class ChronologyDialog(ReadingDialog):
    name = "chronology"
    title = "chronology"
    words = ("chronology", "read chronology")
    needs = Reading.chronology
    summary = (
        "`chronology AP-XXXX`: the safeguarding chronology, newest first (a provider: the "
        "entries shared with it and its own); `concern` adds an entry"
    )
    parts = frozenset({Reading.chronology})
    noun = ("entry", "entries")
    also = " To add an entry, type concern."
    refusal = (
        "the safeguarding chronology is for the commissioning school's designated "
        "safeguarding leads (a provider reads the entries shared with it)."
    )


class VisitsDialog(ReadingDialog):
    name = "visits"
    title = "QA visits"
    words = ("visits", "qa visits", "read visits")
    needs = Reading.visits
    summary = "`visits AP-XXXX`: the QA visits, with the pupil's voice, newest first"
    parts = frozenset({Reading.visits})
    noun = ("visit", "visits")
    refusal = "QA visits are for the commissioning school's staff."


class ContactsDialog(ReadingDialog):
    name = "contacts"
    title = "contact log"
    words = ("contacts", "contact log", "read contacts")
    needs = Reading.contacts
    summary = (
        "`contacts AP-XXXX`: the contact log (provider, parents or carers, the pupil), newest first"
    )
    parts = frozenset({Reading.contacts})
    noun = ("contact", "contacts")
    refusal = "the contact log is for the commissioning school's staff."


class HistoryDialog(ReadingDialog):
    name = "history"
    title = "history"
    words = ("history", "timeline")
    needs = Reading.placement
    summary = (
        "`history AP-XXXX`: the placement's timeline, newest first: start, changes, visits, "
        "contacts, absences and mark changes, welfare calls, chronology, checks ticked, end "
        "(what you may see of each)"
    )
    parts = frozenset(Reading)
    noun = ("event", "events")
    refusal = "its history is not yours to read."


NOTHING_MORE = (
    "Nothing more to show: you've read to the end. Type chronology, visits, contacts or "
    "history with a reference (e.g. history AP-7K3Q) to start reading."
)
READINGS: dict[str, ReadingDialog] = {
    dialog.name: dialog
    for dialog in (ChronologyDialog(), VisitsDialog(), ContactsDialog(), HistoryDialog())
}


class MoreDialog(Dialog):
    name = "more"
    title = "more"
    words = ("more", "next")
    needs = Reading.placement
    summary = (
        "the next page of what you were reading (chronology, visits, contacts, history, audit)"
    )
    shared_ok = True

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        cursor = await where_reading(
            ctx.session, person_id=ctx.person.id, conversation=ctx.conversation
        )
        if cursor is None or cursor.reading not in (*READINGS, AUDIT_READING):
            raise NothingToDo(NOTHING_MORE)
        return Answers()

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        cursor = await where_reading(
            ctx.session, person_id=ctx.person.id, conversation=ctx.conversation
        )
        if cursor is None or cursor.reading not in (*READINGS, AUDIT_READING):
            raise NothingToDo(NOTHING_MORE)
        # Read again from the database, with today's rights: access may have changed since.
        if cursor.reading == AUDIT_READING:
            return [await audit_page(ctx, cursor.reference, before=int(cursor.after[0]))]
        return await read(ctx, READINGS[cursor.reading], cursor.reference, after=list(cursor.after))
