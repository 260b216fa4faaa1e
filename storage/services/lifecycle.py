"""The end of a placement's life: what is still open when it ends, and withdrawing one that has
not started. Ending itself is `storage.services.placements.end_placement`.

After a placement ends or is withdrawn (`PlacementStatus.is_closed`), nothing is open, nudged
or escalated for it: its welfare calls are settled, the scheduler reads active placements only,
and any nudge still queued for it is not sent. `after_close` and `misattributed_entries` say
whether that (and "automatic entries are the system's") holds, for the invariant checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import (
    CLOSED_STATUSES,
    ChecklistItem,
    ChecklistStatus,
    ChronologyEntry,
    ChronologyKind,
    OutboxMessage,
    OutboxStatus,
    Placement,
    PlacementStatus,
    Role,
    WelfareCall,
    WelfareCallStatus,
    WelfareEscalation,
)
from storage.rules import checklist
from storage.services import other_providers, part_time
from storage.services.audit import Change, audit_updated, snapshot
from storage.services.chronology import AUTOMATIC_NOTE
from storage.services.outbox import enqueue, staff_of
from storage.services.placements import (
    PlacementError,
    close_open_calls,
    ensure_loaded,
    open_calls_of,
    tell_leads,
)
from storage.wording import NoticeKind, alerts, provider_notices

MAX_REASON_LENGTH = 1000
# What may still be sent about a placement once it has closed: the notices of its closing.
CLOSING_NOTICES = frozenset({"placement_ended", "placement_withdrawn"})


@dataclass
class OpenWork:
    """What is still open on a placement: for the person ending it to see and settle."""

    calls: list[WelfareCall] = field(default_factory=list)
    letter_of_assurance: ChecklistItem | None = None
    # Concerns in the chronology with no action recorded after them.
    concerns: int = 0
    # Other checks not done (follow-ups from QA visits among them).
    checks: list[ChecklistItem] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.calls or self.letter_of_assurance or self.concerns or self.checks)


async def open_work(session: AsyncSession, placement: Placement) -> OpenWork:
    """The placement's open welfare calls, its Letter of Assurance if not received, concerns
    with no action after them, and its other checks not done."""
    work = OpenWork(calls=await open_calls_of(session, placement.id))
    items = await session.scalars(
        select(ChecklistItem)
        .where(
            ChecklistItem.placement_id == placement.id,
            ChecklistItem.status == ChecklistStatus.not_done,
        )
        .order_by(ChecklistItem.due_date, ChecklistItem.id)
    )
    for item in items:
        if item.key == checklist.LETTER_OF_ASSURANCE:
            work.letter_of_assurance = item
        else:
            work.checks.append(item)
    entries = await session.execute(
        select(ChronologyEntry.kind, ChronologyEntry.created_at)
        .where(ChronologyEntry.placement_id == placement.id)
        .order_by(ChronologyEntry.created_at, ChronologyEntry.id)
    )
    for kind, _ in entries:
        if kind == ChronologyKind.concern:
            work.concerns += 1
        elif kind == ChronologyKind.action:
            work.concerns = 0
    return work


async def withdraw_placement(
    session: AsyncSession, change: Change, placement: Placement, *, reason: str
) -> Placement:
    """Close a placement that has not started (made by mistake, or called off) with a reason:
    status `withdrawn`, its open welfare calls closed, the provider told (reference only) and
    the commissioner's safeguarding leads told. No nudge is sent for it after this."""
    today = change.at.astimezone(LONDON).date()
    words = (reason or "").strip()
    if placement.status.is_closed:
        raise PlacementError(f"{placement.reference} {placement.status.closed_phrase} already.")
    if placement.start_date <= today:
        raise PlacementError(
            f"{placement.reference} started on {placement.start_date:%d/%m/%Y}, so it can't be "
            f"withdrawn: end it instead (end {placement.reference})."
        )
    if not words:
        raise PlacementError("Please say why the placement is withdrawn.")
    if len(words) > MAX_REASON_LENGTH:
        raise PlacementError(f"Please keep the reason under {MAX_REASON_LENGTH:,} characters.")
    await ensure_loaded(session, placement)
    before = snapshot(placement)
    placement.status = PlacementStatus.withdrawn
    placement.ended_on = today
    placement.end_outcome = "withdrawn"
    placement.reintegration_notes = words
    placement.next_qa_due = None
    placement.closed_at = change.at
    await audit_updated(session, change, placement, before, placement_id=placement.id)
    await part_time.end_with_placement(session, change, placement.id, ended_on=today)
    await other_providers.after_end(session, change, placement)
    await close_open_calls(session, change, placement)
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"placement-withdrawn:{placement.id}:provider:{person.id}",
            kind=NoticeKind.placement_withdrawn,
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=provider_notices.placement_withdrawn(
                reference=placement.reference, start=placement.start_date
            ),
        )
    await tell_leads(
        session,
        change,
        placement,
        kind=NoticeKind.placement_withdrawn,
        text=alerts.placement_withdrawn(
            reference=placement.reference,
            pupil=placement.pupil.known_as,
            provider=placement.provider.name,
            start=placement.start_date,
            words=words,
        ),
    )
    return placement


async def after_close(session: AsyncSession) -> list[str]:
    """Anything open, sent or raised for an ended or withdrawn placement after it closed
    (`Placement.closed_at`), in words: an open welfare call, a message sent that was due after
    the close (other than the closing notices), a welfare escalation or an automatic chronology
    entry after it. Empty when all is well (for the invariant checks)."""
    problems: list[str] = []
    closed = (
        await session.execute(
            select(Placement.id, Placement.reference, Placement.closed_at).where(
                Placement.status.in_(CLOSED_STATUSES)
            )
        )
    ).all()
    for placement_id, reference, closed_at in closed:
        if closed_at is None:
            problems.append(f"{reference} is closed but has no closed_at")
            continue
        calls = await session.scalar(
            select(func.count()).where(
                WelfareCall.placement_id == placement_id,
                WelfareCall.status == WelfareCallStatus.open,
            )
        )
        if calls:
            problems.append(f"{reference}: {calls} welfare call(s) still open")
        sent = await session.scalars(
            select(OutboxMessage.kind).where(
                OutboxMessage.placement_id == placement_id,
                OutboxMessage.status == OutboxStatus.sent,
                OutboxMessage.due_at > closed_at,
                OutboxMessage.kind.not_in(CLOSING_NOTICES),
            )
        )
        problems += [f"{reference}: {kind} sent after it closed" for kind in sent]
        raised = await session.scalar(
            select(func.count()).where(
                WelfareEscalation.placement_id == placement_id,
                WelfareEscalation.raised_at > closed_at,
            )
        )
        if raised:
            problems.append(f"{reference}: {raised} welfare escalation(s) after it closed")
        written = await session.scalar(
            select(func.count()).where(
                ChronologyEntry.placement_id == placement_id,
                ChronologyEntry.recorded_by_id.is_(None),
                ChronologyEntry.created_at > closed_at,
            )
        )
        if written:
            problems.append(f"{reference}: {written} automatic chronology entr(ies) after it")
    return problems


async def misattributed_entries(session: AsyncSession) -> list[int]:
    """Ids of entries whose author does not match their words: written by AP Safeguard (its
    text begins with `AUTOMATIC_NOTE`) but in a person's name, or in no one's name without
    saying it is automatic. Empty when all is well (for the invariant checks)."""
    rows = await session.execute(
        select(ChronologyEntry.id, ChronologyEntry.text, ChronologyEntry.recorded_by_id)
    )
    return [
        entry_id
        for entry_id, text, recorded_by_id in rows
        if text.startswith(AUTOMATIC_NOTE) != (recorded_by_id is None)
    ]
